#pragma once

#include <QByteArray>
#include <QString>

#include <optional>

namespace roster {

// Older consoles kept the SMTP password in the desktop keyring (QtKeychain) instead of the
// database, so that no other sender could use it (issue 13 #5). The password now lives only in
// the organisation's sealed setting (OrgSettings::smtpPasswordSealed), which every sender reads;
// the console removes the keyring entry an older version left when a new password is saved.
// Nothing reads the keyring to decide how to send. ROSTER_NO_KEYRING=1 (CI, headless sessions)
// keeps these calls off the keyring; no security rule depends on it.
//
// Each call blocks on a local event loop, at most a few seconds (a keyring that does not answer
// counts as none); any thread with an event dispatcher may call.
class SmtpPasswordStore
{
public:
    static QString serviceName();
    static QString keyFor(const QString &databaseId);

    // The stored password; nothing when there is no keyring or no entry.
    static std::optional<QByteArray> read(const QString &databaseId, QString *error = nullptr);
    // Removes the entry (no SMTP user any more, or a new password sealed in the database).
    static void remove(const QString &databaseId);
    // False when ROSTER_NO_KEYRING is set (tests, or an administrator who wants none).
    static bool enabled();
};

} // namespace roster
