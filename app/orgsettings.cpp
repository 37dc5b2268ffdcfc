#include "app/orgsettings.h"

#include <QHash>
#include <QSqlQuery>
#include <QStandardPaths>

namespace roster {

namespace {
struct Key
{
    const char *name;
    const char *defaultValue;
};
// Every setting, its key and its default, in one place.
constexpr Key keys[] = {
    {"org.name", "Example Organisation"},
    {"mail.sender_address", "no-reply@example.com"},
    {"mail.sender_name", ""},
    {"invite.accept_url", "https://crm.example.com/invitations/accept"},
    {"portal.accept_url", "https://portal.example.com/invitations/accept"},
    {"invite.cooldown_minutes", "5"},
    {"invite.reminder_days_before", "0"},
    {"mail.transport", "file"},
    {"mail.dir", ""},
    {"smtp.host", ""},
    {"smtp.port", "587"},
    {"smtp.security", "starttls"},
    {"smtp.user", ""},
    {"smtp.password_sealed", ""},
    {"smtp.ca_file", ""},
    {"smtp.allow_plain_auth", "0"},
    {"bounces.address", ""},
    {"imap.host", ""},
    {"imap.port", "993"},
    {"imap.security", "tls"},
    {"imap.user", ""},
    {"imap.password_sealed", ""},
    {"imap.mailbox", "INBOX"},
    {"imap.ca_file", ""},
    {"imap.allow_plain_auth", "0"},
};
} // namespace

QString OrgSettings::defaultMailDir()
{
    return QStandardPaths::writableLocation(QStandardPaths::GenericDataLocation) +
           QStringLiteral("/roster/outgoing-mail");
}

Result<OrgSettings> OrgSettings::load(const Database &db)
{
    QHash<QString, QString> v;
    for (const Key &k : keys)
        v.insert(QString::fromLatin1(k.name), QString::fromUtf8(k.defaultValue));
    QSqlQuery q = db.prepare(QStringLiteral("SELECT key, value FROM settings"));
    if (Status s = db.exec(q); !s)
        return s.error();
    while (q.next())
        v.insert(q.value(0).toString(), q.value(1).toString());
    OrgSettings s;
    s.organisation = v.value(QStringLiteral("org.name"));
    s.senderAddress = v.value(QStringLiteral("mail.sender_address"));
    s.senderName = v.value(QStringLiteral("mail.sender_name"));
    s.acceptUrl = v.value(QStringLiteral("invite.accept_url"));
    s.portalAcceptUrl = v.value(QStringLiteral("portal.accept_url"));
    s.cooldownMinutes = v.value(QStringLiteral("invite.cooldown_minutes")).toInt();
    s.reminderDaysBefore = v.value(QStringLiteral("invite.reminder_days_before")).toInt();
    s.transport = v.value(QStringLiteral("mail.transport"));
    s.mailDir = v.value(QStringLiteral("mail.dir"));
    if (s.mailDir.isEmpty())
        s.mailDir = defaultMailDir();
    s.smtpHost = v.value(QStringLiteral("smtp.host"));
    s.smtpPort = v.value(QStringLiteral("smtp.port")).toInt();
    s.smtpSecurity = v.value(QStringLiteral("smtp.security"));
    s.smtpUser = v.value(QStringLiteral("smtp.user"));
    s.smtpPasswordSealed = v.value(QStringLiteral("smtp.password_sealed"));
    s.smtpCaFile = v.value(QStringLiteral("smtp.ca_file"));
    s.smtpAllowPlainAuth = v.value(QStringLiteral("smtp.allow_plain_auth")) == u"1";
    s.bounceAddress = v.value(QStringLiteral("bounces.address"));
    s.imapHost = v.value(QStringLiteral("imap.host"));
    s.imapPort = v.value(QStringLiteral("imap.port")).toInt();
    s.imapSecurity = v.value(QStringLiteral("imap.security"));
    s.imapUser = v.value(QStringLiteral("imap.user"));
    s.imapPasswordSealed = v.value(QStringLiteral("imap.password_sealed"));
    s.imapMailbox = v.value(QStringLiteral("imap.mailbox"));
    s.imapCaFile = v.value(QStringLiteral("imap.ca_file"));
    s.imapAllowPlainAuth = v.value(QStringLiteral("imap.allow_plain_auth")) == u"1";
    return s;
}

Status OrgSettings::save(Database &db) const
{
    const QList<QPair<QString, QString>> values = {
        {QStringLiteral("org.name"), organisation},
        {QStringLiteral("mail.sender_address"), senderAddress},
        {QStringLiteral("mail.sender_name"), senderName},
        {QStringLiteral("invite.accept_url"), acceptUrl},
        {QStringLiteral("portal.accept_url"), portalAcceptUrl},
        {QStringLiteral("invite.cooldown_minutes"), QString::number(cooldownMinutes)},
        {QStringLiteral("invite.reminder_days_before"), QString::number(reminderDaysBefore)},
        {QStringLiteral("mail.transport"), transport},
        {QStringLiteral("mail.dir"), mailDir == defaultMailDir() ? QString() : mailDir},
        {QStringLiteral("smtp.host"), smtpHost},
        {QStringLiteral("smtp.port"), QString::number(smtpPort)},
        {QStringLiteral("smtp.security"), smtpSecurity},
        {QStringLiteral("smtp.user"), smtpUser},
        {QStringLiteral("smtp.password_sealed"), smtpPasswordSealed},
        {QStringLiteral("smtp.ca_file"), smtpCaFile},
        {QStringLiteral("smtp.allow_plain_auth"),
         smtpAllowPlainAuth ? QStringLiteral("1") : QStringLiteral("0")},
        {QStringLiteral("bounces.address"), bounceAddress},
        {QStringLiteral("imap.host"), imapHost},
        {QStringLiteral("imap.port"), QString::number(imapPort)},
        {QStringLiteral("imap.security"), imapSecurity},
        {QStringLiteral("imap.user"), imapUser},
        {QStringLiteral("imap.password_sealed"), imapPasswordSealed},
        {QStringLiteral("imap.mailbox"), imapMailbox},
        {QStringLiteral("imap.ca_file"), imapCaFile},
        {QStringLiteral("imap.allow_plain_auth"),
         imapAllowPlainAuth ? QStringLiteral("1") : QStringLiteral("0")},
    };
    const bool own = !db.inTransaction();
    if (own)
        if (Status s = db.begin(); !s)
            return s;
    for (const auto &[key, value] : values) {
        QSqlQuery q =
            db.prepare(QStringLiteral("INSERT INTO settings (key, value) VALUES (?, ?) "
                                      "ON CONFLICT (key) DO UPDATE SET value = excluded.value"));
        q.addBindValue(key);
        q.addBindValue(value);
        if (Status s = db.exec(q); !s) {
            if (own)
                db.rollback();
            return s;
        }
    }
    return own ? db.commit() : ok();
}

} // namespace roster
