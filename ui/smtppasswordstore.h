#pragma once

#include <QByteArray>
#include <QString>

#include <optional>

namespace roster {

// The console keeps the SMTP password in the desktop keyring (issue 3; QtKeychain: Secret
// Service, KWallet), under a key derived from the database id, so two organisations never share
// an entry. Where there is no keyring (CI, a headless session, ROSTER_NO_KEYRING=1) the caller
// falls back to the sealed setting in the database (OrgSettings::smtpPasswordSealed). The password
// is never written anywhere in clear.
//
// Each call blocks on a local event loop, at most a few seconds (a keyring that does not answer
// counts as none); any thread with an event dispatcher may call.
class SmtpPasswordStore
{
public:
    static QString serviceName();
    static QString keyFor(const QString &databaseId);

    // Stores the password; false with `error` when no keyring took it.
    static bool write(const QString &databaseId, const QByteArray &password, QString *error);
    // The stored password; nothing when there is no keyring or no entry.
    static std::optional<QByteArray> read(const QString &databaseId, QString *error = nullptr);
    // Removes the entry (no SMTP user any more, or the password moved to the database).
    static void remove(const QString &databaseId);
    // False when ROSTER_NO_KEYRING is set (tests, or an administrator who wants none).
    static bool enabled();
};

} // namespace roster
