#include "app/passwordhasher.h"

#include <QCoreApplication>
#include <QRandomGenerator>

#include <argon2.h>

#include <array>

namespace roster::PasswordHasher {

QString hash(const QString &password)
{
    const QByteArray pwd = password.toUtf8();
    std::array<quint32, 4> salt{};
    QRandomGenerator::system()->fillRange(salt.data(), salt.size());
    constexpr size_t hashLen = 32;
    const size_t encodedLen =
        argon2_encodedlen(iterations, memoryKiB, parallelism, sizeof(salt), hashLen, Argon2_id);
    QByteArray encoded(qsizetype(encodedLen), '\0');
    const int rc = argon2id_hash_encoded(iterations, memoryKiB, parallelism, pwd.constData(),
                                         size_t(pwd.size()), salt.data(), sizeof(salt), hashLen,
                                         encoded.data(), encodedLen);
    if (rc != ARGON2_OK)
        qFatal("argon2id_hash_encoded failed: %s", argon2_error_message(rc));
    return QString::fromLatin1(encoded.constData());
}

bool verify(const QString &encoded, const QString &password)
{
    if (!encoded.startsWith(u"$argon2id$"))
        return false;
    const QByteArray enc = encoded.toLatin1();
    const QByteArray pwd = password.toUtf8();
    return argon2id_verify(enc.constData(), pwd.constData(), size_t(pwd.size())) == ARGON2_OK;
}

const QString &dummyHash()
{
    // Made once with the parameters above (a fixed salt; the password is no secret): computing
    // it on first use made the first unknown email of a process pay a hash and a verification.
    static const QString h = QStringLiteral("$argon2id$v=19$m=19456,t=2,p=1$Um9zdGVyLWR1bW15LWtleQ$"
                                            "ls3FQIzGNyXyYTmESYSO5iHRMYjvFGMn/FL9Da8UJtI");
    static_assert(memoryKiB == 19456 && iterations == 2 && parallelism == 1,
                  "dummyHash() must be made anew with the new parameters");
    return h;
}

QString passwordProblem(const QString &password)
{
    if (password.size() < 8)
        return QCoreApplication::translate("PasswordHasher",
                                           "The password is too short: use at least 8 characters.");
    if (password.size() > 1024)
        return QCoreApplication::translate(
            "PasswordHasher", "The password is too long: use at most 1,024 characters.");
    for (QChar c : password)
        if (c.category() == QChar::Other_Control)
            return QCoreApplication::translate(
                "PasswordHasher", "The password holds a control character (such as a line break).");
    return {};
}

} // namespace roster::PasswordHasher
