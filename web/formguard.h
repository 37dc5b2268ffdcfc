#pragma once

#include <QByteArray>
#include <QString>

#include <sodium.h>

namespace roster::web {

// CSRF protection for the accept form, two parts that must agree:
//  - a browser value: 16 random bytes in a cookie (SameSite=Strict, HttpOnly), so a form posted
//    from another site or another browser lacks it;
//  - the form value: when it was issued and an HMAC-SHA256, under the organisation's form
//    secret, of that time, the link's token hash and the browser value. It is bound to this
//    form's invitation, this browser, and an age; any roster-web process of the organisation
//    checks it, because the secret lives in the database (app/formsecret.h).
class FormGuard
{
public:
    explicit FormGuard(const QByteArray &secret);

    static constexpr qint64 maxAgeMs = 12LL * 60 * 60 * 1000;

    static QByteArray newBrowserValue();
    // Whether a cookie's value has the shape of one newBrowserValue() made (so it can be sent
    // back in a header as it is).
    static bool isBrowserValue(const QByteArray &value);

    // `tokenHash`: the link's token as stored (tokenHash(), InvitationLookup::tokenHash).
    QByteArray issue(const QString &tokenHash, const QByteArray &browser, qint64 nowMs) const;

    enum class Verdict { Ok, Missing, Wrong, Stale };
    Verdict check(const QByteArray &formValue, const QString &tokenHash, const QByteArray &browser,
                  qint64 nowMs) const;

private:
    QByteArray mac(const QString &tokenHash, const QByteArray &browser, qint64 issuedAt) const;
    // HMAC-SHA256 keyed with the secret once: each form value copies it and hashes its message.
    crypto_auth_hmacsha256_state m_keyed;
};

} // namespace roster::web
