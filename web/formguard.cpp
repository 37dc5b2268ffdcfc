#include "web/formguard.h"

#include "app/tokens.h"

#include <QMessageAuthenticationCode>
#include <QRandomGenerator>

#include <array>

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

QByteArray FormGuard::newBrowserValue()
{
    std::array<quint32, 4> words{};
    QRandomGenerator::system()->fillRange(words.data(), words.size());
    return QByteArray(reinterpret_cast<const char *>(words.data()), 16).toBase64(b64);
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

QByteArray FormGuard::mac(const QByteArray &token, const QByteArray &browser, qint64 issuedAt) const
{
    QByteArray message("roster-web form 1\n");
    message += tokenHash(token).toLatin1();
    message += '\n';
    message += browser;
    message += '\n';
    message += QByteArray::number(issuedAt);
    return QMessageAuthenticationCode::hash(message, m_secret, QCryptographicHash::Sha256)
        .toBase64(b64);
}

QByteArray FormGuard::issue(const QByteArray &token, const QByteArray &browser, qint64 nowMs) const
{
    return QByteArray::number(nowMs) + '.' + mac(token, browser, nowMs);
}

FormGuard::Verdict FormGuard::check(const QByteArray &formValue, const QByteArray &token,
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
    if (!numeric || !sameBytes(formValue.sliced(dot + 1), mac(token, browser, issuedAt)))
        return Verdict::Wrong;
    // A value from the future is as wrong as an old one: clocks of the processes agree closely.
    if (nowMs - issuedAt > maxAgeMs || issuedAt - nowMs > 5 * 60 * 1000)
        return Verdict::Stale;
    return Verdict::Ok;
}

} // namespace roster::web
