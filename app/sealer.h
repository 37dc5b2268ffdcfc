#pragma once

#include "models/result.h"

#include <QByteArray>
#include <QString>

#include <optional>

namespace roster {

class Database;

// Keeps secrets that must outlive the process (an invitation's token until its mail is sent, the
// SMTP password) out of the database in clear: they are encrypted with the organisation's key,
// which lives outside the database, in a 0600 file ($XDG_CONFIG_HOME/roster/keys/<database
// id>.key). Every console or rosterctl that delivers mail for the database needs that same file
// (docs/postgresql.md §5); no environment variable changes which key is used.
//
// Format "v2:" + base64(nonce(24) ‖ ciphertext ‖ tag(16)): libsodium's
// crypto_aead_xchacha20poly1305_ietf, the context (the Message-ID, "smtp-password") as associated
// data. Values without the prefix were sealed by earlier versions (HMAC-SHA256 in counter mode);
// they still open, and forDatabase() re-seals the ones in the database as v2.
class Sealer
{
public:
    // The organisation's key: keyFile when given (tests inject one), else keyFilePath(). A
    // missing file is created (O_EXCL, 0600: of two racing processes one key wins, and both use
    // it) only while the database holds nothing sealed; otherwise the error says how to install
    // the organisation's key file. A key file that others may read is refused. ErrorKind::Mail.
    static Result<Sealer> forDatabase(Database &db, const QString &keyFile = {});
    static Sealer withKey(const QByteArray &key32); // tests
    static QString keyFilePath(const QString &databaseId);

    QString seal(const QByteArray &plain, const QByteArray &context) const;
    std::optional<QByteArray> unseal(const QString &sealed, const QByteArray &context) const;
    // True for a value in the old format, which seal() never writes any more.
    static bool isLegacy(const QString &sealed);
    // The old construction, kept only so that its known-answer test and the migration test can
    // make old values: nonce(16) ‖ ciphertext ‖ tag(16), HMAC-SHA256 keystream and tag.
    static QString sealLegacyForTest(const QByteArray &key32, const QByteArray &nonce16,
                                     const QByteArray &plain, const QByteArray &context);
    // The v2 form with a given nonce, for the known-answer test.
    QString sealWithNonceForTest(const QByteArray &plain, const QByteArray &context,
                                 const QByteArray &nonce24) const;

    QString keyFile() const { return m_path; } // empty for withKey()

    // A 32-byte key for one purpose (e.g. "verp-tag"), derived from this database's key, so that
    // other uses never see the key itself and no two purposes share one.
    QByteArray derivedKey(const QByteArray &purpose) const;

private:
    explicit Sealer(QByteArray key, QString path = {})
        : m_key(std::move(key)), m_path(std::move(path))
    {}
    std::optional<QByteArray> unsealLegacy(const QByteArray &all, const QByteArray &context) const;
    void resealLegacy(Database &db) const;
    QByteArray m_key;
    QString m_path;
};

} // namespace roster
