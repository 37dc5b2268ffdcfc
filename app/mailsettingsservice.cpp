#include "app/mailsettingsservice.h"

#include "app/actorlock.h"
#include "app/audit.h"
#include "app/authservice.h"
#include "app/bounceservice.h"
#include "app/mail/emailaddress.h"
#include "app/mailsetup.h"
#include "app/sealer.h"
#include "app/validation.h"

#include <QCoreApplication>
#include <QFileInfo>

namespace roster {

namespace {
QString tr(const char *s)
{
    return QCoreApplication::translate("MailSettingsService", s);
}

Error invalid(const QString &why)
{
    return makeError(ErrorKind::Invalid, why);
}

// `actor` when it is an Administrator; otherwise its own error, or `refusal`.
Result<UserRecord> administratorOnly(Result<UserRecord> actor, const QString &refusal)
{
    if (actor && !actor->isAdmin)
        return makeError(ErrorKind::Refused, refusal);
    return actor;
}

QString absolute(const QString &path)
{
    return path.isEmpty() ? QString() : QFileInfo(path).absoluteFilePath();
}
} // namespace

MailSettingsService::MailSettingsService(Database &db, const Clock &clock, qint64 actorId,
                                         MailSettingsLabels labels)
    : m_db(db), m_clock(clock), m_actorId(actorId), m_labels(std::move(labels))
{}

QString MailSettingsService::smtpPasswordMissing(const QString &user) const
{
    if (m_labels.passwordOnStandardInput)
        return tr("No SMTP password for %1: give it on standard input.").arg(user);
    return tr("Give the SMTP password of %1: without it no mail can be sent.").arg(user);
}

QString MailSettingsService::imapPasswordMissing(const QString &user) const
{
    if (m_labels.passwordOnStandardInput)
        return tr("No IMAP password for %1: give it on standard input.").arg(user);
    return tr("Give the IMAP password of %1: without it the bounce mailbox cannot be read.")
        .arg(user);
}

QString MailSettingsService::portProblem(int port)
{
    if (port < 1 || port > 65535)
        return tr("--port takes a number from 1 to 65535.");
    return {};
}

QString MailSettingsService::securityProblem(const QString &security)
{
    if (!parseSmtpSecurity(security))
        return tr("Unknown security \"%1\": use none, starttls or tls.").arg(security);
    return {};
}

QString MailSettingsService::bounceAddressProblem(const QString &address)
{
    if (address.isEmpty())
        return {};
    if (const QString p = emailAddressProblem(address); !p.isEmpty())
        return p;
    if (address.contains(u'+'))
        return tr("The bounce address must not hold '+': Roster adds +TAG to it.");
    return {};
}

QString MailSettingsService::serverProblem(const MailServerInput &s, bool imap) const
{
    if (const QString p = securityProblem(s.security); !p.isEmpty())
        return p;
    if (const QString p = portProblem(s.port); !p.isEmpty())
        return p;
    const QString hostLabel = imap ? m_labels.host : tr("The host");
    if (s.host.trimmed().isEmpty())
        return imap ? tr("Give the IMAP server's host name.")
                    : tr("Give the SMTP server's host name.");
    if (const QString p = textFieldProblem(hostLabel, s.host, 255); !p.isEmpty())
        return p;
    if (s.host.contains(u' '))
        return tr("The host holds a space.");
    if (const QString p = textFieldProblem(m_labels.user, s.user, imap ? 255 : 200); !p.isEmpty())
        return p;
    if (imap && s.user.isEmpty())
        return tr("The bounce mailbox needs --host, --port, --security and --user.");
    if (!s.caFile.isEmpty() && !QFileInfo(s.caFile).isReadable())
        return tr("Cannot read the CA file %1.").arg(s.caFile);
    return {};
}

QString MailSettingsService::mailProblem(const MailSettingsChange &c) const
{
    if (c.transport && *c.transport != u"file" && *c.transport != u"smtp")
        return tr("Unknown transport \"%1\": use file or smtp.").arg(*c.transport);
    if (c.transport && *c.transport == u"file" && c.mailDir.trimmed().isEmpty())
        return tr("--transport file needs --dir DIR.");
    if (c.transport && *c.transport == u"smtp")
        if (const QString p = serverProblem(c.smtp, false); !p.isEmpty())
            return p;
    if (c.sender) {
        QString p;
        const auto from = parseMailbox(*c.sender, &p);
        if (!from)
            return p;
        if (!from->name.isEmpty() && c.senderName)
            return tr("--from already gives the sender's name: drop --from-name, or give only "
                      "the address in --from.");
        if (const QString n = textFieldProblem(m_labels.sender, from->name, 200); !n.isEmpty())
            return n;
    }
    if (c.acceptUrl)
        if (const QString p = acceptUrlProblem(c.acceptUrl->trimmed()); !p.isEmpty())
            return p;
    if (c.portalAcceptUrl && !c.portalAcceptUrl->trimmed().isEmpty())
        if (const QString p = acceptUrlProblem(c.portalAcceptUrl->trimmed()); !p.isEmpty())
            return p;
    if (c.organisation)
        if (const QString p = textFieldProblem(m_labels.organisation, *c.organisation, 200);
            !p.isEmpty())
            return p;
    if (c.senderName)
        if (const QString p = textFieldProblem(m_labels.senderName, *c.senderName, 200);
            !p.isEmpty())
            return p;
    if (c.cooldownMinutes && (*c.cooldownMinutes < 0 || *c.cooldownMinutes > 7 * 24 * 60))
        return tr("--cooldown-minutes takes a number from 0 to 10080.");
    if (c.reminderDays && (*c.reminderDays < 0 || *c.reminderDays > 6))
        return tr("--reminder-days takes a number from 0 (off) to 6.");
    return {};
}

QString MailSettingsService::bounceProblem(const BounceSettingsChange &c) const
{
    if (!c.address && !c.mailbox)
        return tr("bounces configure needs --address ADDR, or --host, --port, --security and "
                  "--user for the bounce mailbox.");
    if (c.address)
        if (const QString p = bounceAddressProblem(*c.address); !p.isEmpty())
            return p;
    if (c.mailbox) {
        if (const QString p = serverProblem(*c.mailbox, true); !p.isEmpty())
            return p;
        if (const QString p = textFieldProblem(m_labels.folder, c.folder, 255); !p.isEmpty())
            return p;
    }
    return {};
}

Result<UserRecord> MailSettingsService::lockAdministrator()
{
    // Inside the writing transaction, as every service's actor: a demotion committed before this
    // refuses, one started after waits.
    return administratorOnly(lockActor(m_db, m_actorId),
                             tr("Only an Administrator may change the mail settings."));
}

Status MailSettingsService::save(const QString &problem, const QString &action,
                                 const std::function<Result<QString>(OrgSettings &)> &change)
{
    if (!problem.isEmpty())
        return invalid(problem);
    Transaction tx(m_db);
    if (!tx.status())
        return tx.status().error();
    auto actor = lockAdministrator();
    if (!actor)
        return actor.error();
    auto loaded = OrgSettings::load(m_db);
    if (!loaded)
        return loaded.error();
    OrgSettings s = loaded.value();
    auto detail = change(s);
    if (!detail)
        return detail.error();
    if (Status r = s.save(m_db); !r)
        return r;
    const AuditEntry e{0, m_clock.nowMs(), actor->id,     actor->email, action,
                       0, QString(),       detail.value()};
    if (Status r = writeAudit(m_db, e); !r)
        return r;
    return tx.commit();
}

Status MailSettingsService::sealPassword(QString &sealed, const QString &password,
                                         const QByteArray &context)
{
    auto sealer = Sealer::forDatabase(m_db);
    if (!sealer)
        return sealer.error();
    sealed = sealer->seal(password.toUtf8(), context);
    return ok();
}

Status MailSettingsService::applyMailbox(OrgSettings &s, const MailServerInput &m,
                                         const QString &folder)
{
    const bool sameUser = m.user.trimmed() == s.imapUser && m.host.trimmed() == s.imapHost;
    s.imapHost = m.host.trimmed();
    s.imapPort = m.port;
    s.imapSecurity = m.security;
    s.imapUser = m.user.trimmed();
    s.imapMailbox = folder.trimmed().isEmpty() ? QStringLiteral("INBOX") : folder.trimmed();
    s.imapCaFile = absolute(m.caFile.trimmed());
    s.imapAllowPlainAuth = m.allowPlainAuth;
    if (m.password && !m.password->isEmpty())
        return sealPassword(s.imapPasswordSealed, *m.password, imapPasswordContext);
    if (m.password || s.imapPasswordSealed.isEmpty() || !sameUser)
        return invalid(imapPasswordMissing(s.imapUser));
    return ok();
}

Status MailSettingsService::saveMail(const MailSettingsChange &c)
{
    return save(
        mailProblem(c), QStringLiteral("settings.mail"), [&](OrgSettings &s) -> Result<QString> {
            if (c.transport && *c.transport == u"file") {
                s.transport = *c.transport;
                s.mailDir = absolute(c.mailDir.trimmed());
            } else if (c.transport && *c.transport == u"smtp") {
                const MailServerInput &m = c.smtp;
                s.transport = *c.transport;
                s.smtpHost = m.host.trimmed();
                s.smtpPort = m.port;
                s.smtpSecurity = m.security;
                const bool sameUser = m.user.trimmed() == s.smtpUser;
                s.smtpUser = m.user.trimmed();
                s.smtpCaFile = absolute(m.caFile.trimmed());
                s.smtpAllowPlainAuth = m.allowPlainAuth;
                if (s.smtpUser.isEmpty()) {
                    s.smtpPasswordSealed.clear();
                } else if (m.password && !m.password->isEmpty()) {
                    if (Status r =
                            sealPassword(s.smtpPasswordSealed, *m.password, smtpPasswordContext);
                        !r)
                        return r.error();
                } else if (m.password || s.smtpPasswordSealed.isEmpty() || !sameUser) {
                    return invalid(smtpPasswordMissing(s.smtpUser));
                }
            }
            if (c.sender) {
                QString ignored;
                const auto from = parseMailbox(*c.sender, &ignored);
                s.senderAddress = from->address;
                if (!from->name.isEmpty())
                    s.senderName = from->name;
            }
            if (c.senderName)
                s.senderName = c.senderName->trimmed();
            if (c.organisation)
                s.organisation = c.organisation->trimmed();
            if (c.acceptUrl)
                s.acceptUrl = c.acceptUrl->trimmed();
            if (c.portalAcceptUrl)
                s.portalAcceptUrl = c.portalAcceptUrl->trimmed();
            if (c.cooldownMinutes)
                s.cooldownMinutes = *c.cooldownMinutes;
            if (c.reminderDays)
                s.reminderDaysBefore = *c.reminderDays;
            return s.transport == u"smtp" ? QStringLiteral("smtp %1:%2 %3")
                                                .arg(s.smtpHost)
                                                .arg(s.smtpPort)
                                                .arg(s.smtpSecurity)
                                          : QStringLiteral("file %1").arg(s.mailDir);
        });
}

Status MailSettingsService::saveBounces(const BounceSettingsChange &c)
{
    return save(bounceProblem(c), QStringLiteral("settings.bounces"),
                [&](OrgSettings &s) -> Result<QString> {
                    QStringList detail;
                    if (c.address) {
                        s.bounceAddress = c.address->trimmed();
                        detail << QStringLiteral("address %1").arg(s.bounceAddress);
                    }
                    if (c.mailbox) {
                        if (Status r = applyMailbox(s, *c.mailbox, c.folder); !r)
                            return r.error();
                        detail << QStringLiteral("imap %1:%2 %3 %4")
                                      .arg(s.imapHost)
                                      .arg(s.imapPort)
                                      .arg(s.imapSecurity, s.imapMailbox);
                    }
                    return detail.join(u"; ");
                });
}

Result<ImapSettings> MailSettingsService::imapSettingsFor(const MailServerInput &server,
                                                          const QString &folder)
{
    BounceSettingsChange c;
    c.mailbox = server;
    c.folder = folder;
    if (const QString p = bounceProblem(c); !p.isEmpty())
        return invalid(p);
    // It signs in with the saved password: as rosterctl bounces fetch, an administrator's.
    if (auto actor = administratorOnly(AuthService::authorise(m_db, m_actorId),
                                       tr("Only an Administrator may read the bounce mailbox."));
        !actor)
        return actor.error();
    auto loaded = OrgSettings::load(m_db);
    if (!loaded)
        return loaded.error();
    OrgSettings s = loaded.value();
    // The settings as a save would make them, in memory only.
    if (Status r = applyMailbox(s, server, folder); !r)
        return r.error();
    auto sealer = Sealer::forDatabase(m_db);
    if (!sealer)
        return sealer.error();
    return BounceService::imapSettings(s, sealer.value());
}

} // namespace roster
