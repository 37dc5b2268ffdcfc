#pragma once

#include <QByteArray>
#include <QString>

namespace roster {

class Sealer;

// VERP (issue 15): each invitation goes out with the envelope sender local+TAG@domain of the
// bounce address, TAG tied to its outbox row. The tag is an HMAC of the row id under a key
// derived from this database's key (Sealer::derivedKey("verp-tag")), so nobody can forge the tag
// of another row; 80 bits in lower-case base32 (16 characters, safe through servers that change
// the case of local parts). The outbox stores it (outbox.bounce_tag) to find the row again.
// This is the one place where that derivation lives.
QString verpTag(const Sealer &sealer, qint64 outboxId);
// The same with the key derived once (verpTagKey()), for a run that tags many messages.
QByteArray verpTagKey(const Sealer &sealer);
QString verpTag(const QByteArray &tagKey, qint64 outboxId);
// "bounces@example.com" + tag -> "bounces+tag@example.com"; empty when the address has no '@'.
QByteArray verpAddress(const QString &bounceAddress, const QString &tag);
// RFC 4648 base32 in lower case, without padding.
QString base32Lower(const QByteArray &bytes);

} // namespace roster
