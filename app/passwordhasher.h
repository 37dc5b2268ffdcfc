#pragma once

#include <QString>

namespace roster {

// Argon2id with OWASP's parameters (m = 19 MiB, t = 2, p = 1), in the PHC string format, so the
// parameters of every stored hash can be read back from the hash itself.
namespace PasswordHasher {
inline constexpr quint32 memoryKiB = 19 * 1024;
inline constexpr quint32 iterations = 2;
inline constexpr quint32 parallelism = 1;

QString hash(const QString &password);
bool verify(const QString &encoded, const QString &password);
// A hash to compare against when the account does not exist, so timing does not tell.
const QString &dummyHash();
// Empty when acceptable; else one translated line.
QString passwordProblem(const QString &password);
} // namespace PasswordHasher

} // namespace roster
