#include "app/bouncetag.h"

#include "app/sealer.h"

#include <QMessageAuthenticationCode>

namespace roster {

QString base32Lower(const QByteArray &bytes)
{
    static const char alphabet[] = "abcdefghijklmnopqrstuvwxyz234567";
    QString out;
    quint32 buffer = 0;
    int bits = 0;
    for (char c : bytes) {
        buffer = (buffer << 8) | quint8(c);
        bits += 8;
        while (bits >= 5) {
            out += QLatin1Char(alphabet[(buffer >> (bits - 5)) & 31]);
            bits -= 5;
        }
    }
    if (bits > 0)
        out += QLatin1Char(alphabet[(buffer << (5 - bits)) & 31]);
    return out;
}

QByteArray verpTagKey(const Sealer &sealer)
{
    return sealer.derivedKey(QByteArrayLiteral("verp-tag"));
}

QString verpTag(const QByteArray &tagKey, qint64 outboxId)
{
    const QByteArray mac = QMessageAuthenticationCode::hash(QByteArrayLiteral("outbox:") +
                                                                QByteArray::number(outboxId),
                                                            tagKey, QCryptographicHash::Sha256);
    return base32Lower(mac.left(10));
}

QString verpTag(const Sealer &sealer, qint64 outboxId)
{
    return verpTag(verpTagKey(sealer), outboxId);
}

QByteArray verpAddress(const QString &bounceAddress, const QString &tag)
{
    const qsizetype at = bounceAddress.lastIndexOf(u'@');
    if (at <= 0 || tag.isEmpty())
        return {};
    return (bounceAddress.left(at) + u'+' + tag + bounceAddress.mid(at)).toUtf8();
}

} // namespace roster
