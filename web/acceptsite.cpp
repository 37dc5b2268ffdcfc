#include "web/acceptsite.h"

#include "app/clock.h"
#include "app/invitationrequests.h"
#include "app/orgsettings.h"
#include "app/passwordhasher.h"
#include "app/userservice.h"
#include "models/database.h"
#include "web/httpserver.h"
#include "web/languages.h"

#include <QCryptographicHash>
#include <QDateTime>
#include <QElapsedTimer>
#include <QHash>
#include <QLocale>
#include <QTimeZone>
#include <QUrl>

#include <memory>
#include <optional>

namespace roster::web {

namespace {
// The real clock, always: no environment variable moves roster-web's time (tests backdate rows
// instead).
const SystemClock systemClock;

constexpr qint64 settingsTtlMs = 5000;

// What a worker thread keeps between requests: its own connection (QtSql connections belong to
// the thread that opened them) and the organisation's settings, read again every few seconds so
// that a changed accept-url or name shows without a restart.
struct ThreadState
{
    std::unique_ptr<Database> db;
    std::optional<InvitationLookupStatement> lookup; // on db, prepared once
    std::optional<OrgSettings> settings;
    qint64 settingsAt = 0;
    // From the settings, parsed once per read of them, not once per request.
    QString crmPath;
    QString portalPath;
    bool crmHttps = false;
    bool portalHttps = false;

    // The invitation page as this thread last rendered it for a token, in bytes around the CSRF
    // value (new per request): kept with everything it was rendered from, and used only while
    // all of that is still what this request's lookup and settings say. The lookup itself runs
    // on every request, so a change anywhere (another process, rosterctl) shows at once; the
    // entries only save the rendering. Bounded in number and in age.
    struct FormPage
    {
        QByteArray token;
        QString language;
        QString path;
        QString organisation;
        QString name;
        QString email;
        qint64 expiresAt = 0;
        UserKind kind = UserKind::Crm;
        qint64 madeAt = 0;
        QByteArray before;
        QByteArray after;
    };
    QHash<QString, FormPage> forms; // by token hash
};
thread_local ThreadState threadState;

constexpr qsizetype maxFormPages = 256; // per thread; when full, all are dropped
constexpr qint64 formPageTtlMs = 60 * 1000;

QString pathOf(const QString &url)
{
    const QString p = QUrl(url).path(QUrl::FullyEncoded);
    return p.isEmpty() ? QStringLiteral("/") : p;
}

// The origin of a configured URL, where the invitee signs in: from configuration, never from
// the request's Host.
QString originOf(const QString &url)
{
    const QUrl u(url);
    if (!u.isValid() || u.host().isEmpty())
        return {};
    QUrl origin;
    origin.setScheme(u.scheme());
    origin.setHost(u.host());
    origin.setPort(u.port());
    origin.setPath(QStringLiteral("/"));
    return origin.toString();
}

const char *stateName(InvitationState s)
{
    switch (s) {
    case InvitationState::Valid:
        return "valid";
    case InvitationState::Unknown:
        return "unknown";
    case InvitationState::Deactivated:
        return "deactivated";
    case InvitationState::Used:
        return "used";
    case InvitationState::Superseded:
        return "superseded";
    case InvitationState::Expired:
        return "expired";
    }
    return "?";
}
} // namespace

struct AcceptSite::Context
{
    explicit Context(const Request &r) : request(r) {}
    const Request &request;
    QString language;
    Database *db = nullptr;
    InvitationLookupStatement *lookup = nullptr;
    const OrgSettings *org = nullptr;
    std::optional<UserKind> kind; // the kind of user the requested path serves, when only one
    QString path;                 // the configured path the request came in on
    QByteArray newBrowserValue;   // set: a Set-Cookie goes out with the response
    QByteArray token;             // the link's token (query of a GET, field of a POST)
    HeaderList form;              // a POST's fields
    bool secure = false;          // the browser speaks TLS to us or to our proxy
    QByteArray client;
    QByteArray outcome; // for the log line
    qint64 now = 0;
};

AcceptSite::AcceptSite(const Database &database, QByteArray formSecret, SiteSettings settings)
    : m_database(database), m_guard(std::move(formSecret)), m_settings(std::move(settings)),
      m_limiter(m_settings.refusedPostsPerMinute),
      m_layout(Template::fromResource(QStringLiteral(":/web/layout.html"))),
      m_invitation(Template::fromResource(QStringLiteral(":/web/invitation.html"))),
      m_notice(Template::fromResource(QStringLiteral(":/web/notice.html"))),
      m_accepted(Template::fromResource(QStringLiteral(":/web/accepted.html"))),
      m_style(Template::verbatim(QStringLiteral(":/web/style.css")))
{
    // The stylesheet is inline, allowed by its hash: nothing else may style, script, frame or
    // load anything, and forms only post back here.
    const QByteArray styleHash =
        QCryptographicHash::hash(m_style.markup().toUtf8(), QCryptographicHash::Sha256).toBase64();
    m_csp = "default-src 'none'; style-src 'sha256-" + styleHash +
            "'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";
    for (const QString &language : Languages::available())
        m_headers.insert(language, headersFor(language));
}

AcceptSite::~AcceptSite() = default;

QByteArray AcceptSite::clientOf(const Request &r) const
{
    const QByteArray peer = r.peer.toString().toLatin1();
    if (!m_settings.trustedProxies.contains(r.peer))
        return peer;
    // The proxy appends the address it saw: the last entry is the one it vouches for.
    const QByteArray forwarded = r.header("X-Forwarded-For");
    if (forwarded.isEmpty())
        return peer;
    const QByteArray last = forwarded.split(',').last().trimmed();
    QHostAddress client;
    if (!client.setAddress(QString::fromLatin1(last)))
        return peer;
    return client.toString().toLatin1();
}

Response AcceptSite::handle(const Request &request)
{
    QElapsedTimer timer;
    timer.start();
    Context c(request);
    c.language = Languages::choose(request.header("Accept-Language"));
    LanguageScope speak(c.language);
    c.now = systemClock.nowMs();
    // The client (for the rate limit and the log): only POSTs and logged answers need it.
    if (request.method == "POST")
        c.client = clientOf(request);

    Response r = route(c);
    // Logged without the query (the token is there) and never with a form field.
    if (r.status != 200 || request.method == "POST") {
        if (c.client.isNull())
            c.client = clientOf(request);
        qCInfo(lcWeb, "%s %s %d %s %s %lld ms", request.method.constData(),
               request.path.left(200).constData(), r.status, c.outcome.constData(),
               c.client.constData(), qlonglong(timer.elapsed()));
    }
    return r;
}

Response AcceptSite::route(Context &c)
{
    const Request &r = c.request;
    if (r.bodyTooLarge) {
        c.outcome = "body too large";
        if (r.method == "POST")
            refused(c);
        return notice(c, 413, tr("The form is too large"),
                      tr("What your browser sent is larger than this page accepts."),
                      tr("Go back, and send the form again without adding anything to it."));
    }
    ThreadState &t = threadState;
    if (!t.db) {
        auto db = m_database.reopen();
        if (!db)
            return unavailable(c, "no database", "cannot open the database", db.error().message);
        t.db = std::move(db).value();
        t.lookup.emplace(*t.db);
    }
    if (!t.settings || c.now - t.settingsAt > settingsTtlMs) {
        auto s = OrgSettings::load(*t.db);
        if (!s)
            return unavailable(c, "no database", "cannot read the settings", s.error().message);
        t.settings = std::move(s).value();
        t.settingsAt = c.now;
        t.crmPath = pathOf(t.settings->acceptUrl);
        t.portalPath = pathOf(t.settings->portalAcceptUrl);
        t.crmHttps = QUrl(t.settings->acceptUrl).scheme() == u"https";
        t.portalHttps = QUrl(t.settings->portalAcceptUrl).scheme() == u"https";
    }
    c.db = t.db.get();
    c.lookup = &*t.lookup;
    c.org = &*t.settings;

    const QString &crmPath = t.crmPath;
    const QString &portalPath = t.portalPath;
    const QString path = QString::fromUtf8(r.path);
    if (path != crmPath && path != portalPath) {
        // "Sign in" on the success page points at the accept-url's origin (signInUrl). Behind a
        // proxy that is the CRM's own front page; where roster-web is the origin itself (the
        // demo, a host of its own) the link lands here: say where to sign in, not "not found".
        if (path == u"/" && (r.method == "GET" || r.method == "HEAD")) {
            c.outcome = "front page";
            return notice(c, 200, tr("Sign in where you work"),
                          tr("If you have just chosen your password, your account is ready. "
                             "This address only opens the links in invitation mails."),
                          tr("Sign in from %1's CRM or Customer Portal, at the address you "
                             "usually open it from.")
                              .arg(c.org->organisation));
        }
        c.outcome = "no such page";
        return notice(c, 404, tr("Page not found"), tr("There is no page at this address."),
                      tr("Open the link in your invitation mail."));
    }
    c.path = path;
    // The scheme of the link being served is configuration (TLS ends at the proxy), and so is
    // TLS here: either makes the cookie Secure.
    c.secure = m_settings.tls || (path == crmPath ? t.crmHttps : t.portalHttps);
    // The default accept-urls differ only in their host, which roster-web does not trust: a path
    // shared by both serves both kinds of link.
    if (crmPath != portalPath)
        c.kind = path == crmPath ? UserKind::Crm : UserKind::Portal;

    if (r.method == "GET" || r.method == "HEAD")
        return show(c);
    if (r.method == "POST")
        return post(c);
    c.outcome = "method not allowed";
    Response out = notice(c, 405, tr("This page cannot do that"),
                          tr("This page only opens invitation links and takes their form."),
                          tr("Open the link in your invitation mail."));
    out.headers.emplaceBack("Allow", "GET, HEAD, POST");
    return out;
}

QByteArray AcceptSite::browserValue(Context &c)
{
    const QByteArray existing = c.request.cookie(cookieName(c));
    if (FormGuard::isBrowserValue(existing))
        return existing;
    if (c.newBrowserValue.isEmpty())
        c.newBrowserValue = FormGuard::newBrowserValue();
    return c.newBrowserValue;
}

Response AcceptSite::show(Context &c)
{
    c.token = c.request.queryValue("token").trimmed();
    auto found = c.lookup->run(systemClock, c.token, c.kind);
    if (!found)
        return unavailable(c, "database error", "lookup failed", found.error().message);
    c.outcome = stateName(found->state);
    if (found->state == InvitationState::Valid)
        return invitationForm(c, found.value(), 200, {});
    return stateNotice(c, found.value());
}

Response AcceptSite::post(Context &c)
{
    if (m_limiter.blocked(c.client, c.now)) {
        c.outcome = "rate limited";
        Response out = notice(c, 429, tr("Too many attempts"),
                              tr("Too many attempts from your network failed in the last minute."),
                              tr("Wait a minute, then open the link in your invitation mail "
                                 "again."));
        out.headers.emplaceBack("Retry-After", "60");
        return out;
    }
    const QByteArray type = c.request.header("Content-Type").toLower();
    if (type.startsWith("application/x-www-form-urlencoded"))
        c.form = parseFormBody(c.request.body);
    c.token = valueOf(c.form, "token");
    if (c.token.isNull())
        c.token = c.request.queryValue("token");
    c.token = c.token.trimmed();
    auto found = c.lookup->run(systemClock, c.token, c.kind);
    if (!found)
        return unavailable(c, "database error", "lookup failed", found.error().message);
    const QByteArray action = valueOf(c.form, "action");
    const bool asking = action == "request";
    const InvitationState state = found->state;
    if (asking ? state != InvitationState::Expired && state != InvitationState::Superseded
               : state != InvitationState::Valid) {
        c.outcome = QByteArray(asking ? "request refused: " : "refused: ") + stateName(state);
        if (state == InvitationState::Valid)
            return invitationForm(c, found.value(), 200, {});
        refused(c);
        return stateNotice(c, found.value());
    }
    const auto verdict = m_guard.check(valueOf(c.form, "csrf"), found->tokenHash,
                                       c.request.cookie(cookieName(c)), c.now);
    if (verdict != FormGuard::Verdict::Ok) {
        c.outcome = verdict == FormGuard::Verdict::Missing ? "form check missing"
                    : verdict == FormGuard::Verdict::Stale ? "form check stale"
                                                           : "form check wrong";
        refused(c);
        return notice(c, 403, tr("This form cannot be used"),
                      verdict == FormGuard::Verdict::Stale
                          ? tr("The form was open for too long.")
                          : tr("The form could not be checked: it did not come from this page "
                               "in this browser, or your browser does not keep this page's "
                               "cookie."),
                      tr("Nothing was changed. Open the link in your invitation mail again, and "
                         "fill in the form once more."));
    }
    return asking ? askAgain(c) : accept(c, found.value());
}

Response AcceptSite::accept(Context &c, const InvitationLookup &found)
{
    const QString password = QString::fromUtf8(valueOf(c.form, "password"));
    const QString confirm = QString::fromUtf8(valueOf(c.form, "confirm"));
    if (password != confirm) {
        c.outcome = "passwords differ";
        refused(c);
        return invitationForm(c, found, 422,
                              tr("The two passwords differ: type the same password twice."));
    }
    if (const QString problem = PasswordHasher::passwordProblem(password); !problem.isEmpty()) {
        c.outcome = "password refused";
        refused(c);
        return invitationForm(c, found, 422, problem);
    }
    // The same code as `rosterctl invitation accept`: it checks everything again inside its
    // transaction, so of two processes posting the same form only one accepts.
    InvitationState why = InvitationState::Valid;
    auto accepted =
        InvitationService::acceptInvitation(*c.db, systemClock, c.token, password, c.kind, &why);
    if (!accepted) {
        if (why != InvitationState::Valid) {
            c.outcome = QByteArray("refused at acceptance: ") + stateName(why);
            refused(c);
            InvitationLookup now = found;
            now.state = why;
            return stateNotice(c, now);
        }
        if (accepted.error().kind == ErrorKind::Invalid) {
            c.outcome = "password refused";
            refused(c);
            return invitationForm(c, found, 422, accepted.error().message);
        }
        return unavailable(c, "database error", "acceptance failed", accepted.error().message);
    }
    c.outcome = "accepted invitation " + QByteArray::number(found.invitationId);
    Fill fill;
    fill.set(QStringLiteral("heading"), tr("Your account is ready"))
        .set(QStringLiteral("message"),
             tr("You can now sign in as %1 with the password you have just chosen.")
                 .arg(accepted->email))
        .set(QStringLiteral("signinLabel"),
             found.kind == UserKind::Portal
                 ? tr("Sign in to %1's Customer Portal").arg(c.org->organisation)
                 : tr("Sign in to %1's CRM").arg(c.org->organisation))
        .set(QStringLiteral("signinUrl"), signInUrl(c, found.kind));
    return finish(c, 200, tr("Your account is ready"), m_accepted.render(fill));
}

Response AcceptSite::askAgain(Context &c)
{
    auto asked = requestNewInvitation(*c.db, systemClock, c.token);
    if (!asked) {
        if (asked.error().kind == ErrorKind::Refused || asked.error().kind == ErrorKind::NotFound) {
            // The invitation changed since the lookup (a re-invite, an acceptance): say what it
            // is now.
            auto again = c.lookup->run(systemClock, c.token, c.kind);
            if (again && again->state != InvitationState::Expired &&
                again->state != InvitationState::Superseded) {
                c.outcome = QByteArray("request refused: ") + stateName(again->state);
                refused(c);
                if (again->state == InvitationState::Valid)
                    return invitationForm(c, again.value(), 200, {});
                return stateNotice(c, again.value());
            }
        }
        qCWarning(lcWeb, "asking for a new invitation failed: %s",
                  qPrintable(asked.error().message));
        c.outcome = "request failed";
        return notice(c, 503, tr("Your request could not be recorded"),
                      tr("The invitation service cannot record it right now."),
                      tr("Try again in a few minutes, or ask your administrator directly."));
    }
    c.outcome = asked->recorded ? "new invitation requested" : "new invitation requested again";
    return notice(
        c, 200,
        asked->recorded ? tr("Your administrator has been told") : tr("You have already asked"),
        asked->recorded ? tr("%1's administrators can see that you asked for a new invitation.")
                              .arg(c.org->organisation)
                        : tr("You asked for a new invitation with this link before; %1's "
                             "administrators can see it.")
                              .arg(c.org->organisation),
        tr("The new invitation will come by mail, with a new link. You can close this "
           "page."));
}

Response AcceptSite::invitationForm(Context &c, const InvitationLookup &found, int status,
                                    const QString &problem)
{
    // A page without a problem to tell is the same for every GET of the link in one language, but
    // for its CSRF value: rendered once, then only that value is filled in.
    auto &forms = threadState.forms;
    const ThreadState::FormPage *cached = nullptr;
    if (problem.isEmpty()) {
        const auto it = forms.constFind(found.tokenHash);
        if (it != forms.cend() && it->token == c.token && it->language == c.language &&
            it->path == c.path && it->organisation == c.org->organisation &&
            it->name == found.inviteeName && it->email == found.inviteeEmail &&
            it->expiresAt == found.expiresAt && it->kind == found.kind && c.now >= it->madeAt &&
            c.now - it->madeAt < formPageTtlMs)
            cached = &*it;
    }
    ThreadState::FormPage made;
    if (!cached) {
        Fill fill;
        fill.set(QStringLiteral("heading"), tr("Choose your password"))
            .set(QStringLiteral("lead"),
                 found.kind == UserKind::Portal
                     ? tr("Hello %1, you are invited to %2's Customer Portal. Choose a password "
                          "to finish setting up your account.")
                           .arg(found.inviteeName, c.org->organisation)
                     : tr("Hello %1, you are invited to %2's CRM. Choose a password to finish "
                          "setting up your account.")
                           .arg(found.inviteeName, c.org->organisation))
            .set(QStringLiteral("action"), c.path)
            .set(QStringLiteral("token"), QString::fromLatin1(c.token))
            .put(QStringLiteral("csrf"), Template::hole())
            .set(QStringLiteral("emailLabel"), tr("Email address"))
            .set(QStringLiteral("email"), found.inviteeEmail)
            .set(QStringLiteral("passwordLabel"), tr("New password"))
            .set(QStringLiteral("passwordRules"), tr("At least 8 characters."))
            .set(QStringLiteral("confirmLabel"), tr("New password again"))
            .set(QStringLiteral("submit"), tr("Set password"))
            .set(QStringLiteral("expires"),
                 tr("This link works until %1.").arg(when(c, found.expiresAt)));
        if (!problem.isEmpty())
            fill.section(QStringLiteral("problem"))
                .set(QStringLiteral("problemHeading"), tr("The password was not set"))
                .set(QStringLiteral("problem"), problem);
        const QByteArray body = page(c, tr("Choose your password"), m_invitation.render(fill));
        static const QByteArray hole = Template::holeMarkup().toUtf8();
        const qsizetype at = body.indexOf(hole);
        made.before = at < 0 ? body : body.first(at);
        made.after = at < 0 ? QByteArray() : body.sliced(at + hole.size());
        if (problem.isEmpty()) {
            made.token = c.token;
            made.language = c.language;
            made.path = c.path;
            made.organisation = c.org->organisation;
            made.name = found.inviteeName;
            made.email = found.inviteeEmail;
            made.expiresAt = found.expiresAt;
            made.kind = found.kind;
            made.madeAt = c.now;
            if (forms.size() >= maxFormPages && !forms.contains(found.tokenHash))
                forms.clear();
            cached = &(forms[found.tokenHash] = std::move(made));
        } else {
            cached = &made;
        }
    }
    // Per request, never cached: the value bound to this link, this browser and this time.
    const QByteArray csrf = m_guard.issue(found.tokenHash, browserValue(c), c.now);
    QByteArray body;
    body.reserve(cached->before.size() + csrf.size() + cached->after.size());
    body.append(cached->before).append(csrf).append(cached->after);
    return respond(c, status, std::move(body));
}

Response AcceptSite::stateNotice(Context &c, const InvitationLookup &found)
{
    switch (found.state) {
    case InvitationState::Valid:
        break;
    case InvitationState::Unknown:
        return notice(c, 404, tr("This link does not work"),
                      tr("This invitation link is not valid. Perhaps it was not copied whole."),
                      tr("Open the link from your invitation mail again, or ask your "
                         "administrator for a new invitation."));
    case InvitationState::Deactivated:
        return notice(c, 403, tr("This account is deactivated"),
                      tr("Your administrator has deactivated this account, so its invitation "
                         "cannot be accepted."),
                      tr("Ask your administrator to activate the account again."));
    case InvitationState::Used: {
        Fill fill;
        fill.set(QStringLiteral("heading"), tr("This invitation was already used"))
            .set(QStringLiteral("message"),
                 tr("The account %1 was already set up with this invitation.")
                     .arg(found.inviteeEmail))
            .set(QStringLiteral("advice"),
                 tr("Sign in with your email address and your password. If you did not set up "
                    "this account, tell your administrator."))
            .section(QStringLiteral("signin"))
            .set(QStringLiteral("signinUrl"), signInUrl(c, found.kind))
            .set(QStringLiteral("signinLabel"),
                 found.kind == UserKind::Portal
                     ? tr("Sign in to %1's Customer Portal").arg(c.org->organisation)
                     : tr("Sign in to %1's CRM").arg(c.org->organisation));
        return finish(c, 410, tr("This invitation was already used"), m_notice.render(fill));
    }
    case InvitationState::Superseded:
    case InvitationState::Expired: {
        const bool expired = found.state == InvitationState::Expired;
        Fill fill;
        fill.set(QStringLiteral("heading"),
                 expired ? tr("This invitation has expired") : tr("This invitation was replaced"))
            .set(QStringLiteral("message"),
                 expired ? tr("The invitation expired on %1.").arg(when(c, found.expiresAt))
                         : tr("A newer invitation was sent to you after this one, so this link "
                              "no longer works."))
            .set(QStringLiteral("advice"),
                 expired ? tr("Ask for a new invitation, and the administrators of %1 will see "
                              "your request.")
                               .arg(c.org->organisation)
                         : tr("Use the link in the latest invitation mail. If you cannot find "
                              "it, ask for a new invitation."))
            .section(QStringLiteral("request"))
            .set(QStringLiteral("action"), c.path)
            .set(QStringLiteral("token"), QString::fromLatin1(c.token))
            .set(QStringLiteral("csrf"),
                 QString::fromLatin1(m_guard.issue(found.tokenHash, browserValue(c), c.now)))
            .set(QStringLiteral("requestButton"), tr("Ask for a new invitation"));
        return finish(c, 410,
                      expired ? tr("This invitation has expired")
                              : tr("This invitation was replaced"),
                      m_notice.render(fill));
    }
    }
    return notice(c, 500, tr("Something went wrong"), QString(), QString());
}

Response AcceptSite::notice(Context &c, int status, const QString &heading, const QString &message,
                            const QString &advice)
{
    Fill fill;
    fill.set(QStringLiteral("heading"), heading)
        .set(QStringLiteral("message"), message)
        .set(QStringLiteral("advice"), advice);
    return finish(c, status, heading, m_notice.render(fill));
}

Response AcceptSite::finish(Context &c, int status, const QString &title, const Html &content)
{
    return respond(c, status, page(c, title, content));
}

QByteArray AcceptSite::page(const Context &c, const QString &title, const Html &content) const
{
    Fill fill;
    fill.set(QStringLiteral("lang"), c.language)
        .set(QStringLiteral("title"),
             c.org ? title + QStringLiteral(" · ") + c.org->organisation : title)
        .set(QStringLiteral("organisation"), c.org ? c.org->organisation : QString())
        .put(QStringLiteral("style"), m_style)
        .put(QStringLiteral("content"), content);
    return m_layout.render(fill).markup().toUtf8();
}

Response AcceptSite::unavailable(Context &c, const char *outcome, const char *what,
                                 const QString &error)
{
    qCWarning(lcWeb, "%s: %s", what, qPrintable(error));
    c.outcome = outcome;
    return notice(c, 503, tr("The invitation service is unavailable"),
                  tr("It cannot reach its database right now."),
                  tr("Nothing was changed. Try again in a few minutes."));
}

HeaderList AcceptSite::headersFor(const QString &language) const
{
    return {
        {"Content-Security-Policy", m_csp},
        {"Referrer-Policy", "no-referrer"},
        {"Cache-Control", "no-store"},
        {"X-Content-Type-Options", "nosniff"},
        {"X-Frame-Options", "DENY"},
        {"Cross-Origin-Opener-Policy", "same-origin"},
        {"Content-Language", language.toLatin1()},
        {"Vary", "Accept-Language, Cookie"},
    };
}

Response AcceptSite::respond(Context &c, int status, QByteArray body)
{
    Response r;
    r.status = status;
    r.body = std::move(body);
    // The headers every response carries, made once per language (the list is shared, not
    // copied): only a new cookie is added per request.
    const auto known = m_headers.constFind(c.language);
    r.headers = known != m_headers.cend() ? *known : headersFor(c.language);
    if (!c.newBrowserValue.isEmpty()) {
        // __Host-: only over TLS, for this host alone, on every path.
        r.headers.append({"Set-Cookie", cookieName(c) + '=' + c.newBrowserValue +
                                            "; Path=/; HttpOnly; SameSite=Strict" +
                                            (c.secure ? "; Secure" : "")});
    }
    return r;
}

QString AcceptSite::signInUrl(const Context &c, UserKind kind) const
{
    return originOf(kind == UserKind::Portal ? c.org->portalAcceptUrl : c.org->acceptUrl);
}

QString AcceptSite::when(const Context &c, qint64 ms) const
{
    const QDateTime at = QDateTime::fromMSecsSinceEpoch(ms, QTimeZone::utc());
    const QLocale locale(c.language);
    return locale.toString(at.date(), QLocale::LongFormat) + QStringLiteral(", ") +
           locale.toString(at.time(), QLocale::ShortFormat) + QStringLiteral(" UTC");
}

QByteArray AcceptSite::cookieName(const Context &c) const
{
    return c.secure ? QByteArrayLiteral("__Host-roster_form") : QByteArrayLiteral("roster_form");
}

void AcceptSite::refused(Context &c)
{
    m_limiter.refused(c.client, c.now);
}

} // namespace roster::web
