#pragma once

#include "app/clock.h"
#include "app/mail/imap/imapclient.h"
#include "app/orgsettings.h"
#include "models/database.h"
#include "models/userrecord.h"

#include <QString>

#include <functional>
#include <optional>

namespace roster {

// A mail server as the caller was given it: rosterctl's options, or the settings page's fields.
// The port and security are checked here (their texts are rosterctl's).
struct MailServerInput
{
    QString host;
    int port = 0;
    QString security; // none | starttls | tls
    QString user;
    // The password to seal; nullopt keeps the one saved (the settings page's empty field).
    std::optional<QString> password;
    QString caFile; // empty: the system certificates
    bool allowPlainAuth = false;
};

// What `mail configure` / the Email settings page change; what is unset stays as it is.
struct MailSettingsChange
{
    std::optional<QString> organisation;
    std::optional<QString> sender;     // an address, or a mailbox "NAME <ADDR>"
    std::optional<QString> senderName; // refused beside a sender that names itself
    std::optional<QString> acceptUrl;
    std::optional<QString> portalAcceptUrl; // empty: none
    std::optional<int> cooldownMinutes;
    std::optional<int> reminderDays;
    std::optional<QString> transport; // file | smtp
    QString mailDir;                  // --transport file
    MailServerInput smtp;             // --transport smtp
};

// What `bounces configure` / the page's Bounces section change (SPEC §9).
struct BounceSettingsChange
{
    std::optional<QString> address;         // the envelope sender; empty: none
    std::optional<MailServerInput> mailbox; // the IMAP mailbox; user required
    QString folder;                         // the mailbox's name; empty: INBOX
};

// The names the reasons give the free-text fields: rosterctl's options by default, the page's
// labels for the page.
struct MailSettingsLabels
{
    QString organisation = QStringLiteral("--org");
    QString senderName = QStringLiteral("--from-name");
    QString sender = QStringLiteral("--from");
    QString user = QStringLiteral("--user");
    QString host = QStringLiteral("--host");
    QString folder = QStringLiteral("--mailbox");
    // Where a missing password is asked for: rosterctl reads it from standard input, the page
    // from its password fields.
    bool passwordOnStandardInput = true;
};

// The mail settings' one owner (issue 17): validation, permission and audit, for rosterctl and
// the Email settings page alike. Every refusal is one translated line, in rosterctl's words:
// ErrorKind::Invalid for a value (rosterctl: usage, exit 2), Refused for the permission (3).
class MailSettingsService
{
public:
    MailSettingsService(Database &db, const Clock &clock, qint64 actorId,
                        MailSettingsLabels labels = {});

    // What is wrong with these values, without the database; empty when nothing.
    QString mailProblem(const MailSettingsChange &change) const;
    QString bounceProblem(const BounceSettingsChange &change) const;
    // One server's port and security; empty when right (also for rosterctl's own parsing).
    static QString portProblem(int port);
    static QString securityProblem(const QString &security);
    static QString bounceAddressProblem(const QString &address);

    // Validate, then in one transaction: the actor is an administrator now (re-read there),
    // the settings are written and audited ("settings.mail", "settings.bounces").
    Status saveMail(const MailSettingsChange &change);
    Status saveBounces(const BounceSettingsChange &change);

    // The IMAP settings a Test of `server` would use: the saved password when it keeps it (same
    // host and user). An administrator's only, as rosterctl bounces fetch.
    Result<ImapSettings> imapSettingsFor(const MailServerInput &server, const QString &folder);

private:
    QString serverProblem(const MailServerInput &server, bool needsUser) const;
    QString smtpPasswordMissing(const QString &user) const;
    QString imapPasswordMissing(const QString &user) const;
    Result<UserRecord> lockAdministrator();
    // Validate (`problem`), then in one transaction: lock the administrator, load the settings,
    // let `change` change them and say what for the audit entry `action`, save, audit, commit.
    Status save(const QString &problem, const QString &action,
                const std::function<Result<QString>(OrgSettings &)> &change);
    Status sealPassword(QString &sealed, const QString &password, const QByteArray &context);
    // The mailbox's fields from `server`; its password sealed, or the saved one kept (same host
    // and user), or refused.
    Status applyMailbox(OrgSettings &s, const MailServerInput &server, const QString &folder);

    Database &m_db;
    const Clock &m_clock;
    qint64 m_actorId;
    MailSettingsLabels m_labels;
};

} // namespace roster
