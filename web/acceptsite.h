#pragma once

#include "app/invitationlookup.h"
#include "web/formguard.h"
#include "web/html.h"
#include "web/http.h"
#include "web/ratelimiter.h"

#include <QCoreApplication>
#include <QHash>
#include <QHostAddress>
#include <QList>

namespace roster {
class Database;
struct OrgSettings;
} // namespace roster

namespace roster::web {

struct SiteSettings
{
    // Peers whose X-Forwarded-For names the client (the reverse proxy); nobody else's is read.
    QList<QHostAddress> trustedProxies;
    int refusedPostsPerMinute = 10;
    bool tls = false; // roster-web itself speaks TLS (--tls-cert)
};

// The accept page (SPEC §8): the paths of the organisation's accept-url and portal-accept-url,
// GET/HEAD show, POST accepts or asks for a new invitation. A thin layer: services decide, this
// parses, asks and renders. Called from every worker thread at once.
class AcceptSite
{
    Q_DECLARE_TR_FUNCTIONS(AcceptSite)

public:
    // `database` is the connection main() opened; each worker thread opens its own from it.
    AcceptSite(const Database &database, QByteArray formSecret, SiteSettings settings);
    ~AcceptSite();

    Response handle(const Request &request);

private:
    struct Context;
    Response route(Context &c);
    Response show(Context &c);
    Response post(Context &c);
    Response accept(Context &c, const InvitationLookup &found);
    Response askAgain(Context &c);

    Response invitationForm(Context &c, const InvitationLookup &found, int status,
                            const QString &problem);
    Response stateNotice(Context &c, const InvitationLookup &found);
    Response notice(Context &c, int status, const QString &heading, const QString &message,
                    const QString &advice);
    // The database did not answer: `what` failed with `error` (logged), and the page says that
    // nothing was changed.
    Response unavailable(Context &c, const char *outcome, const char *what, const QString &error);
    Response finish(Context &c, int status, const QString &title, const Html &content);
    QByteArray page(const Context &c, const QString &title, const Html &content) const;
    Response respond(Context &c, int status, QByteArray body);
    HeaderList headersFor(const QString &language) const;

    QByteArray clientOf(const Request &r) const;
    QByteArray browserValue(Context &c);
    QByteArray cookieName(const Context &c) const;
    QString signInUrl(const Context &c, UserKind kind) const;
    QString product(UserKind kind) const;
    QString when(const Context &c, qint64 ms) const;
    void refused(Context &c);

    const Database &m_database;
    FormGuard m_guard;
    SiteSettings m_settings;
    RateLimiter m_limiter;
    Template m_layout;
    Template m_invitation;
    Template m_notice;
    Template m_accepted;
    Html m_style;
    QByteArray m_csp;
    QHash<QString, HeaderList> m_headers; // by language, made at start
};

} // namespace roster::web
