#include "app/sealer.h"

#include <QCoreApplication>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QMessageAuthenticationCode>
#include <QRandomGenerator>
#include <QSaveFile>
#include <QStandardPaths>

namespace roster {

namespace {
QString tr(const char *s)
{
    return QCoreApplication::translate("Sealer", s);
}

QByteArray hmac(const QByteArray &key, const QByteArray &data)
{
    return QMessageAuthenticationCode::hash(data, key, QCryptographicHash::Sha256);
}

QByteArray keystream(const QByteArray &key, const QByteArray &nonce, qsizetype length)
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
} // namespace

QString Sealer::keyFilePath(const QString &databaseId)
{
    const QString over = qEnvironmentVariable("ROSTER_KEY_FILE");
    if (!over.isEmpty())
        return over;
    return QStandardPaths::writableLocation(QStandardPaths::GenericConfigLocation) +
           QStringLiteral("/roster/keys/") + databaseId + QStringLiteral(".key");
}

Result<Sealer> Sealer::forDatabase(const QString &databaseId)
{
    const QString path = keyFilePath(databaseId);
    QFile f(path);
    if (f.exists()) {
        if (!f.open(QIODevice::ReadOnly))
            return makeError(ErrorKind::Mail,
                             tr("Cannot read the key file %1: %2").arg(path, f.errorString()));
        const QByteArray key = QByteArray::fromHex(f.readAll().trimmed());
        if (key.size() != 32)
            return makeError(ErrorKind::Mail, tr("The key file %1 is damaged.").arg(path));
        return Sealer(key);
    }
    if (!QDir().mkpath(QFileInfo(path).absolutePath()))
        return makeError(ErrorKind::Mail,
                         tr("Cannot create the folder for the key file %1.").arg(path));
    QByteArray key(32, '\0');
    QRandomGenerator::system()->fillRange(reinterpret_cast<quint32 *>(key.data()), 8);
    QSaveFile out(path);
    if (!out.open(QIODevice::WriteOnly) ||
        !out.setPermissions(QFileDevice::ReadOwner | QFileDevice::WriteOwner) ||
        out.write(key.toHex() + '\n') < 0 || !out.commit())
        return makeError(ErrorKind::Mail,
                         tr("Cannot write the key file %1: %2").arg(path, out.errorString()));
    return Sealer(key);
}

Sealer Sealer::withKey(const QByteArray &key32)
{
    return Sealer(key32);
}

QByteArray Sealer::derivedKey(const QByteArray &purpose) const
{
    return hmac(m_key, QByteArrayLiteral("roster-derive:") + purpose);
}

QString Sealer::seal(const QByteArray &plain, const QByteArray &context) const
{
    QByteArray nonce(16, '\0');
    QRandomGenerator::system()->fillRange(reinterpret_cast<quint32 *>(nonce.data()), 4);
    const QByteArray encKey = hmac(m_key, QByteArrayLiteral("roster-seal-enc"));
    const QByteArray macKey = hmac(m_key, QByteArrayLiteral("roster-seal-mac"));
    QByteArray ct = plain;
    const QByteArray ks = keystream(encKey, nonce, plain.size());
    for (qsizetype i = 0; i < ct.size(); ++i)
        ct[i] = char(ct[i] ^ ks[i]);
    const QByteArray tag = hmac(macKey, context + '\0' + nonce + ct).left(16);
    return QString::fromLatin1(QByteArray(nonce + ct + tag).toBase64());
}

std::optional<QByteArray> Sealer::unseal(const QString &sealed, const QByteArray &context) const
{
    const QByteArray all = QByteArray::fromBase64(sealed.toLatin1());
    if (all.size() < 32)
        return std::nullopt;
    const QByteArray nonce = all.left(16);
    const QByteArray ct = all.mid(16, all.size() - 32);
    const QByteArray tag = all.right(16);
    const QByteArray encKey = hmac(m_key, QByteArrayLiteral("roster-seal-enc"));
    const QByteArray macKey = hmac(m_key, QByteArrayLiteral("roster-seal-mac"));
    const QByteArray expect = hmac(macKey, context + '\0' + nonce + ct).left(16);
    // Constant-time compare.
    char diff = 0;
    for (int i = 0; i < 16; ++i)
        diff |= char(expect[i] ^ tag[i]);
    if (diff != 0)
        return std::nullopt;
    QByteArray plain = ct;
    const QByteArray ks = keystream(encKey, nonce, ct.size());
    for (qsizetype i = 0; i < plain.size(); ++i)
        plain[i] = char(plain[i] ^ ks[i]);
    return plain;
}

} // namespace roster
