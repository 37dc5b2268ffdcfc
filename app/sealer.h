#pragma once

#include "models/result.h"

#include <QByteArray>
#include <QString>

#include <optional>

namespace roster {

// Keeps secrets that must outlive the process (an invitation's token until its mail is sent, the
// SMTP password for rosterctl) out of the database in clear: they are encrypted with a key that
// lives outside the database, in a 0600 file under the user's configuration
// ($XDG_CONFIG_HOME/roster/keys/<database id>.key, or ROSTER_KEY_FILE). Every console or
// rosterctl that delivers mail for the database needs that file; copy it to share the work.
//
// Construction: nonce(16) ‖ ciphertext ‖ tag(16), keystream and tag from HMAC-SHA256 under
// keys derived from the file's 32 random bytes; the context (e.g. the Message-ID) is bound in.
class Sealer
{
public:
    static Result<Sealer> forDatabase(const QString &databaseId);
    static Sealer withKey(const QByteArray &key32); // tests
    static QString keyFilePath(const QString &databaseId);

    QString seal(const QByteArray &plain, const QByteArray &context) const;
    std::optional<QByteArray> unseal(const QString &sealed, const QByteArray &context) const;
    // A 32-byte key for one purpose (e.g. "verp-tag"), derived from this database's key, so that
    // other uses never see the key itself and no two purposes share one.
    QByteArray derivedKey(const QByteArray &purpose) const;

private:
    explicit Sealer(QByteArray key) : m_key(std::move(key)) {}
    QByteArray m_key;
};

} // namespace roster
