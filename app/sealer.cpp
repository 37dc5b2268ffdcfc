#include "app/sealer.h"

#include "models/database.h"

#include <QCoreApplication>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QLoggingCategory>
#include <QMessageAuthenticationCode>
#include <QSqlQuery>
#include <QStandardPaths>

#include <sodium.h>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

Q_LOGGING_CATEGORY(lcSealer, "roster.sealer", QtInfoMsg)

namespace roster {

namespace {

QString tr(const char *s)
{
    return QCoreApplication::translate("Sealer", s);
}

constexpr qsizetype kKeySize = 32;
constexpr qsizetype kNonceSize = crypto_aead_xchacha20poly1305_ietf_NPUBBYTES; // 24
constexpr qsizetype kTagSize = crypto_aead_xchacha20poly1305_ietf_ABYTES;      // 16
const QString kV2Prefix = QStringLiteral("v2:");

static_assert(crypto_aead_xchacha20poly1305_ietf_KEYBYTES == kKeySize);

bool sodiumReady()
{
    static const bool ready = sodium_init() >= 0;
    return ready;
}

// ---- The format before v2 (kept to open old values once; never written any more).
QByteArray hmac(const QByteArray &key, const QByteArray &data)
{
    return QMessageAuthenticationCode::hash(data, key, QCryptographicHash::Sha256);
}

QByteArray legacyKeystream(const QByteArray &key, const QByteArray &nonce, qsizetype length)
{
    QByteArray out;
    out.reserve(length + 32);
    for (quint32 counter = 0; out.size() < length; ++counter) {
        QByteArray block = nonce;
        block.append(reinterpret_cast<const char *>(&counter), sizeof counter);
        out += hmac(key, block);
    }
    out.truncate(length);
    return out;
}

QString errnoText(int err)
{
    return QString::fromLocal8Bit(std::strerror(err));
}

// Reads a key file: it must be a regular file that only its owner may read.
Result<QByteArray> readKeyFile(const QString &path)
{
    const QByteArray native = QFile::encodeName(path);
    const int fd = ::open(native.constData(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
        return makeError(ErrorKind::Mail,
                         tr("Cannot read the key file %1: %2").arg(path, errnoText(errno)));
    struct stat st = {};
    if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        ::close(fd);
        return makeError(ErrorKind::Mail,
                         tr("The key file %1 is not a regular file: install the organisation's "
                            "key file there (mode 0600).")
                             .arg(path));
    }
    if ((st.st_mode & 077) != 0) {
        ::close(fd);
        return makeError(ErrorKind::Mail,
                         tr("The key file %1 can be read by other users (mode %2): make it "
                            "private with \"chmod 600 %1\".")
                             .arg(path, QString::number(st.st_mode & 0777, 8)));
    }
    QByteArray text(256, '\0');
    qsizetype got = 0;
    while (got < text.size()) {
        const ssize_t n = ::read(fd, text.data() + got, size_t(text.size() - got));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        got += n;
    }
    ::close(fd);
    text.truncate(got);
    const QByteArray key = QByteArray::fromHex(text.trimmed());
    if (key.size() != kKeySize)
        return makeError(ErrorKind::Mail, tr("The key file %1 is damaged.").arg(path));
    return key;
}

// Creates the key file exclusively: a complete 0600 temporary file, then link() onto the
// name, which fails when another process was first. Empty on success; EEXIST means "use
// theirs"; else an error.
Status createKeyFile(const QString &path, const QByteArray &key, bool *lost)
{
    *lost = false;
    const QByteArray native = QFile::encodeName(path);
    QByteArray temp;
    int fd = -1;
    for (int attempt = 0; attempt < 16 && fd < 0; ++attempt) {
        temp = native + ".new-" + QByteArray::number(randombytes_random(), 36);
        fd = ::open(temp.constData(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (fd < 0 && errno != EEXIST)
            break;
    }
    const auto failed = [&path](int err) {
        return makeError(ErrorKind::Mail,
                         tr("Cannot write the key file %1: %2").arg(path, errnoText(err)));
    };
    if (fd < 0)
        return failed(errno);
    const QByteArray text = key.toHex() + '\n';
    const bool written =
        ::write(fd, text.constData(), size_t(text.size())) == text.size() && ::fsync(fd) == 0;
    const int writeErr = errno;
    ::close(fd);
    if (!written) {
        ::unlink(temp.constData());
        return failed(writeErr);
    }
    const int rc = ::link(temp.constData(), native.constData());
    const int linkErr = errno;
    ::unlink(temp.constData());
    if (rc != 0) {
        if (linkErr == EEXIST) {
            *lost = true;
            return ok();
        }
        return failed(linkErr);
    }
    return ok();
}

// Whether the database already holds something sealed with the organisation's key.
Result<bool> holdsSealedData(Database &db)
{
    QSqlQuery q = db.prepare(
        QStringLiteral("SELECT 1 FROM outbox WHERE sealed_token IS NOT NULL AND sealed_token <> '' "
                       "UNION ALL SELECT 1 FROM settings WHERE key = ? AND value <> '' LIMIT 1"));
    q.addBindValue(QStringLiteral("smtp.password_sealed"));
    if (Status s = db.exec(q); !s)
        return s.error();
    return q.next();
}

} // namespace

QString Sealer::keyFilePath(const QString &databaseId)
{
    return QStandardPaths::writableLocation(QStandardPaths::GenericConfigLocation) +
           QStringLiteral("/roster/keys/") + databaseId + QStringLiteral(".key");
}

Result<Sealer> Sealer::forDatabase(Database &db, const QString &keyFile)
{
    if (!sodiumReady())
        return makeError(ErrorKind::Mail, tr("libsodium could not be initialised."));
    QString path = keyFile;
#ifdef ROSTER_TEST_HOOKS
    // Test builds only (CMake option ROSTER_TEST_HOOKS, off by default): the suites point
    // rosterctl processes at their organisation's key file.
    if (path.isEmpty())
        path = qEnvironmentVariable("ROSTER_KEY_FILE");
#endif
    if (path.isEmpty())
        path = keyFilePath(db.databaseId());

    if (!QFileInfo::exists(path)) {
        auto sealed = holdsSealedData(db);
        if (!sealed)
            return sealed.error();
        if (sealed.value())
            return makeError(
                ErrorKind::Mail,
                tr("This organisation already holds sealed data, but this computer has no key "
                   "file %1: copy the organisation's key file there from a computer that "
                   "delivers its mail (chmod 600), instead of making a new key.")
                    .arg(path));
        if (!QDir().mkpath(QFileInfo(path).absolutePath()))
            return makeError(ErrorKind::Mail,
                             tr("Cannot create the folder for the key file %1.").arg(path));
        QByteArray key(kKeySize, '\0');
        randombytes_buf(key.data(), size_t(key.size()));
        bool lost = false;
        if (Status s = createKeyFile(path, key, &lost); !s)
            return s.error();
        sodium_memzero(key.data(), size_t(key.size()));
        if (!lost)
            qCDebug(lcSealer).noquote() << "made a new key file" << path;
    }
    auto key = readKeyFile(path);
    if (!key)
        return key.error();
    Sealer sealer(key.value(), path);
    sealer.resealLegacy(db);
    return sealer;
}

Sealer Sealer::withKey(const QByteArray &key32)
{
    (void)sodiumReady();
    return Sealer(key32);
}

bool Sealer::isLegacy(const QString &sealed)
{
    return !sealed.isEmpty() && !sealed.startsWith(kV2Prefix);
}

QString Sealer::sealWithNonceForTest(const QByteArray &plain, const QByteArray &context,
                                     const QByteArray &nonce24) const
{
    Q_ASSERT(m_key.size() == kKeySize && nonce24.size() == kNonceSize);
    QByteArray out(kNonceSize + plain.size() + kTagSize, '\0');
    std::memcpy(out.data(), nonce24.constData(), size_t(kNonceSize));
    unsigned long long clen = 0;
    crypto_aead_xchacha20poly1305_ietf_encrypt(
        reinterpret_cast<unsigned char *>(out.data() + kNonceSize), &clen,
        reinterpret_cast<const unsigned char *>(plain.constData()), size_t(plain.size()),
        reinterpret_cast<const unsigned char *>(context.constData()), size_t(context.size()),
        nullptr, reinterpret_cast<const unsigned char *>(nonce24.constData()),
        reinterpret_cast<const unsigned char *>(m_key.constData()));
    out.truncate(kNonceSize + qsizetype(clen));
    return kV2Prefix + QString::fromLatin1(out.toBase64());
}

QByteArray Sealer::derivedKey(const QByteArray &purpose) const
{
    return hmac(m_key, QByteArrayLiteral("roster-derive:") + purpose);
}

QString Sealer::seal(const QByteArray &plain, const QByteArray &context) const
{
    QByteArray nonce(kNonceSize, '\0');
    randombytes_buf(nonce.data(), size_t(nonce.size()));
    return sealWithNonceForTest(plain, context, nonce);
}

std::optional<QByteArray> Sealer::unseal(const QString &sealed, const QByteArray &context) const
{
    if (m_key.size() != kKeySize)
        return std::nullopt;
    if (isLegacy(sealed))
        return unsealLegacy(QByteArray::fromBase64(sealed.toLatin1()), context);
    const QByteArray all = QByteArray::fromBase64(sealed.mid(kV2Prefix.size()).toLatin1());
    if (all.size() < kNonceSize + kTagSize)
        return std::nullopt;
    QByteArray plain(all.size() - kNonceSize - kTagSize, '\0');
    unsigned long long plen = 0;
    if (crypto_aead_xchacha20poly1305_ietf_decrypt(
            reinterpret_cast<unsigned char *>(plain.data()), &plen, nullptr,
            reinterpret_cast<const unsigned char *>(all.constData() + kNonceSize),
            size_t(all.size() - kNonceSize),
            reinterpret_cast<const unsigned char *>(context.constData()), size_t(context.size()),
            reinterpret_cast<const unsigned char *>(all.constData()),
            reinterpret_cast<const unsigned char *>(m_key.constData())) != 0)
        return std::nullopt;
    plain.truncate(qsizetype(plen));
    return plain;
}

QString Sealer::sealLegacyForTest(const QByteArray &key32, const QByteArray &nonce16,
                                  const QByteArray &plain, const QByteArray &context)
{
    const QByteArray encKey = hmac(key32, QByteArrayLiteral("roster-seal-enc"));
    const QByteArray macKey = hmac(key32, QByteArrayLiteral("roster-seal-mac"));
    QByteArray ct = plain;
    const QByteArray ks = legacyKeystream(encKey, nonce16, plain.size());
    for (qsizetype i = 0; i < ct.size(); ++i)
        ct[i] = char(ct[i] ^ ks[i]);
    const QByteArray tag = hmac(macKey, context + '\0' + nonce16 + ct).left(16);
    return QString::fromLatin1(QByteArray(nonce16 + ct + tag).toBase64());
}

std::optional<QByteArray> Sealer::unsealLegacy(const QByteArray &all,
                                               const QByteArray &context) const
{
    if (all.size() < 32)
        return std::nullopt;
    const QByteArray nonce = all.left(16);
    const QByteArray ct = all.mid(16, all.size() - 32);
    const QByteArray tag = all.right(16);
    const QByteArray encKey = hmac(m_key, QByteArrayLiteral("roster-seal-enc"));
    const QByteArray macKey = hmac(m_key, QByteArrayLiteral("roster-seal-mac"));
    const QByteArray expect = hmac(macKey, context + '\0' + nonce + ct).left(16);
    if (sodium_memcmp(expect.constData(), tag.constData(), 16) != 0)
        return std::nullopt;
    QByteArray plain = ct;
    const QByteArray ks = legacyKeystream(encKey, nonce, ct.size());
    for (qsizetype i = 0; i < plain.size(); ++i)
        plain[i] = char(plain[i] ^ ks[i]);
    return plain;
}

// Values sealed by an earlier version are opened once and written back as v2. Each update
// names the old value, so a racing writer's newer value is never overwritten; a value this key
// cannot open stays as it is (its reader reports it). Best effort: a read-only database keeps
// the old values, which still open.
void Sealer::resealLegacy(Database &db) const
{
    QSqlQuery settings = db.prepare(QStringLiteral("SELECT value FROM settings WHERE key = ?"));
    settings.addBindValue(QStringLiteral("smtp.password_sealed"));
    if (db.exec(settings) && settings.next()) {
        const QString old = settings.value(0).toString();
        if (isLegacy(old)) {
            if (auto plain = unseal(old, QByteArrayLiteral("smtp-password"))) {
                QSqlQuery u = db.prepare(
                    QStringLiteral("UPDATE settings SET value = ? WHERE key = ? AND value = ?"));
                u.addBindValue(seal(*plain, QByteArrayLiteral("smtp-password")));
                u.addBindValue(QStringLiteral("smtp.password_sealed"));
                u.addBindValue(old);
                (void)db.exec(u);
                sodium_memzero(plain->data(), size_t(plain->size()));
            }
        }
    }
    QSqlQuery rows = db.prepare(
        QStringLiteral("SELECT id, message_id, sealed_token FROM outbox WHERE sealed_token IS NOT "
                       "NULL AND sealed_token <> '' AND sealed_token NOT LIKE 'v2:%'"));
    if (!db.exec(rows))
        return;
    struct Row
    {
        qint64 id;
        QByteArray context;
        QString sealed;
    };
    QList<Row> legacy;
    while (rows.next())
        legacy.append({rows.value(0).toLongLong(), rows.value(1).toString().toLatin1(),
                       rows.value(2).toString()});
    for (const Row &r : std::as_const(legacy)) {
        auto plain = unseal(r.sealed, r.context);
        if (!plain)
            continue;
        QSqlQuery u = db.prepare(
            QStringLiteral("UPDATE outbox SET sealed_token = ? WHERE id = ? AND sealed_token = ?"));
        u.addBindValue(seal(*plain, r.context));
        u.addBindValue(r.id);
        u.addBindValue(r.sealed);
        (void)db.exec(u);
        sodium_memzero(plain->data(), size_t(plain->size()));
    }
}

} // namespace roster
