#include "app/orgsettings.h"

#include <QHash>
#include <QSqlQuery>
#include <QStandardPaths>

#include <variant>

namespace roster {

namespace {
using Member = std::variant<QString OrgSettings::*, int OrgSettings::*, bool OrgSettings::*>;
struct Key
{
    const char *name;
    const char *defaultValue;
    Member member; // stored as text: a number in decimal, a flag as "1" or "0"
};
// Every setting, its key, its default and its field, in one place: load() and save() read it.
const Key keys[] = {
    {"org.name", "Example Organisation", &OrgSettings::organisation},
    {"mail.sender_address", "no-reply@example.com", &OrgSettings::senderAddress},
    {"mail.sender_name", "", &OrgSettings::senderName},
    {"invite.accept_url", "https://crm.example.com/invitations/accept", &OrgSettings::acceptUrl},
    {"portal.accept_url", "https://portal.example.com/invitations/accept",
     &OrgSettings::portalAcceptUrl},
    {"invite.cooldown_minutes", "5", &OrgSettings::cooldownMinutes},
    {"invite.reminder_days_before", "0", &OrgSettings::reminderDaysBefore},
    {"mail.transport", "file", &OrgSettings::transport},
    {"mail.dir", "", &OrgSettings::mailDir},
    {"smtp.host", "", &OrgSettings::smtpHost},
    {"smtp.port", "587", &OrgSettings::smtpPort},
    {"smtp.security", "starttls", &OrgSettings::smtpSecurity},
    {"smtp.user", "", &OrgSettings::smtpUser},
    {"smtp.password_sealed", "", &OrgSettings::smtpPasswordSealed},
    {"smtp.ca_file", "", &OrgSettings::smtpCaFile},
    {"smtp.allow_plain_auth", "0", &OrgSettings::smtpAllowPlainAuth},
    {"bounces.address", "", &OrgSettings::bounceAddress},
    {"imap.host", "", &OrgSettings::imapHost},
    {"imap.port", "993", &OrgSettings::imapPort},
    {"imap.security", "tls", &OrgSettings::imapSecurity},
    {"imap.user", "", &OrgSettings::imapUser},
    {"imap.password_sealed", "", &OrgSettings::imapPasswordSealed},
    {"imap.mailbox", "INBOX", &OrgSettings::imapMailbox},
    {"imap.ca_file", "", &OrgSettings::imapCaFile},
    {"imap.allow_plain_auth", "0", &OrgSettings::imapAllowPlainAuth},
};

template <typename... F> struct Overloaded : F...
{
    using F::operator()...;
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
    for (const Key &k : keys) {
        const QString value = v.value(QString::fromLatin1(k.name));
        std::visit(Overloaded{[&](QString OrgSettings::*m) { s.*m = value; },
                              [&](int OrgSettings::*m) { s.*m = value.toInt(); },
                              [&](bool OrgSettings::*m) { s.*m = value == u"1"; }},
                   k.member);
    }
    if (s.mailDir.isEmpty())
        s.mailDir = defaultMailDir();
    return s;
}

Status OrgSettings::save(Database &db) const
{
    OrgSettings stored = *this;
    if (stored.mailDir == defaultMailDir())
        stored.mailDir.clear(); // the default stays a default, wherever this machine keeps it
    const bool own = !db.inTransaction();
    if (own)
        if (Status s = db.begin(); !s)
            return s;
    for (const Key &k : keys) {
        const QString value =
            std::visit(Overloaded{[&](QString OrgSettings::*m) { return stored.*m; },
                                  [&](int OrgSettings::*m) { return QString::number(stored.*m); },
                                  [&](bool OrgSettings::*m) {
                                      return stored.*m ? QStringLiteral("1") : QStringLiteral("0");
                                  }},
                       k.member);
        QSqlQuery q =
            db.prepare(QStringLiteral("INSERT INTO settings (key, value) VALUES (?, ?) "
                                      "ON CONFLICT (key) DO UPDATE SET value = excluded.value"));
        q.addBindValue(QString::fromLatin1(k.name));
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
