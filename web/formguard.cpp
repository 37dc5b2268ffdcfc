#include "web/formguard.h"

#include <array>
#include <cstring>

namespace roster::web {

namespace {
constexpr auto b64 = QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals;

bool sameBytes(const QByteArray &a, const QByteArray &b)
{
    if (a.size() != b.size())
        return false;
    unsigned char diff = 0;
    for (qsizetype i = 0; i < a.size(); ++i)
        diff |= static_cast<unsigned char>(a[i] ^ b[i]);
    return diff == 0;
}
} // namespace

FormGuard::FormGuard(const QByteArray &secret)
{
    // libsodium asks for sodium_init() first; HMAC-SHA256 itself needs nothing it sets up (no
    // random bytes, no CPU dispatch), so a failure there is no reason to stop.
    if (sodium_init() < 0)
        qWarning("libsodium did not initialise; the form check goes on without it");
    crypto_auth_hmacsha256_init(&m_keyed, reinterpret_cast<const unsigned char *>(secret.data()),
                                size_t(secret.size()));
}

QByteArray FormGuard::newBrowserValue()
{
    // A keystream generator per thread: ChaCha20 under a key from the system's generator, one
    // nonce per value, never reused. QRandomGenerator::system() costs a few microseconds per
    // value here (it takes RDSEED straight from the CPU), which was a GET's largest single
    // cost without the cookie; a ChaCha20 block costs a fraction of that and is as unguessable.
    struct Stream
    {
        std::array<unsigned char, crypto_stream_chacha20_KEYBYTES> key{};
        quint64 next = 0;
        Stream()
        {
            if (sodium_init() < 0)
                qWarning("libsodium did not initialise; the form check goes on without it");
            randombytes_buf(key.data(), key.size());
        }
        ~Stream() { sodium_memzero(key.data(), key.size()); }
    };
    thread_local Stream stream;
    std::array<unsigned char, crypto_stream_chacha20_NONCEBYTES> nonce{};
    const quint64 n = stream.next++;
    std::memcpy(nonce.data(), &n, sizeof n);
    std::array<unsigned char, 16> value{};
    crypto_stream_chacha20(value.data(), value.size(), nonce.data(), stream.key.data());
    return QByteArray(reinterpret_cast<const char *>(value.data()), int(value.size()))
        .toBase64(b64);
}

bool FormGuard::isBrowserValue(const QByteArray &value)
{
    if (value.size() != 22)
        return false;
    for (char c : value)
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_'))
            return false;
    return true;
}

QByteArray FormGuard::mac(const QString &tokenHash, const QByteArray &browser,
                          qint64 issuedAt) const
{
    QByteArray message("roster-web form 1\n");
    message += tokenHash.toLatin1();
    message += '\n';
    message += browser;
    message += '\n';
    message += QByteArray::number(issuedAt);
    crypto_auth_hmacsha256_state state = m_keyed;
    crypto_auth_hmacsha256_update(&state, reinterpret_cast<const unsigned char *>(message.data()),
                                  size_t(message.size()));
    QByteArray out(crypto_auth_hmacsha256_BYTES, Qt::Uninitialized);
    crypto_auth_hmacsha256_final(&state, reinterpret_cast<unsigned char *>(out.data()));
    return out.toBase64(b64);
}

QByteArray FormGuard::issue(const QString &tokenHash, const QByteArray &browser, qint64 nowMs) const
{
    return QByteArray::number(nowMs) + '.' + mac(tokenHash, browser, nowMs);
}

FormGuard::Verdict FormGuard::check(const QByteArray &formValue, const QString &tokenHash,
                                    const QByteArray &browser, qint64 nowMs) const
{
    if (formValue.isEmpty() || browser.isEmpty())
        return Verdict::Missing;
    if (!isBrowserValue(browser))
        return Verdict::Wrong;
    const qsizetype dot = formValue.indexOf('.');
    if (dot <= 0)
        return Verdict::Wrong;
    bool numeric = false;
    const qint64 issuedAt = formValue.first(dot).toLongLong(&numeric);
    if (!numeric || !sameBytes(formValue.sliced(dot + 1), mac(tokenHash, browser, issuedAt)))
        return Verdict::Wrong;
    // A value from the future is as wrong as an old one: clocks of the processes agree closely.
    if (nowMs - issuedAt > maxAgeMs || issuedAt - nowMs > 5 * 60 * 1000)
        return Verdict::Stale;
    return Verdict::Ok;
}

} // namespace roster::web
