#pragma once

#include <QByteArray>
#include <QString>

#include <optional>

namespace roster {

// SPEC §2.6: 32 bytes from QRandomGenerator::system(), base64url without padding (43 characters).
struct IssuedToken
{
    QByteArray token; // what goes into the link; never stored
    QString hash;     // hex SHA-256 of the token: what the database keeps
};

IssuedToken issueToken();
QString tokenHash(const QByteArray &token);
// The 32 bytes behind a link's token, or nothing when it is not 43 base64url characters.
std::optional<QByteArray> decodeToken(QByteArrayView text);

} // namespace roster
