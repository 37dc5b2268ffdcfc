// roster-web over real HTTP (SPEC §8): the real binary on loopback, an organisation made through
// the services, every status code and header of the contract checked on the wire.
#include "app/passwordhasher.h"
#include "app/tokens.h"
#include "app/userservice.h"
#include "testsupport.h"
#include "webtest.h"

#include <QDeadlineTimer>
#include <QElapsedTimer>
#include <QMessageAuthenticationCode>
#include <QRegularExpression>
#include <QSet>
#include <QSqlQuery>
#include <QTcpSocket>
#include <QTest>
#include <QTimer>

using namespace roster;
using namespace testsupport;
using namespace webtest;

namespace {
const QByteArray goodPassword = "a fine new password";
// Stored texts full of markup and quotes: a page must show them, never run them.
const QString hostileOrg =
    QStringLiteral("Acme <b>&amp;</b> \"Sons\" 'n' <script>alert(1)</script>");
const QString hostileName = QStringLiteral(
    "Zoë <img src=x onerror=alert(1)> \"Q\" O'Brien </p><script>alert('x')</script>");
} // namespace

class TestWeb : public QObject
{
    Q_OBJECT

private:
    std::unique_ptr<TestOrg> m_org;
    WebProcess m_web;
    int m_client = 0; // each test speaks from its own loopback address (its own rate limit)
    QList<QByteArray> m_tokens; // every token the tests used: none may reach the log
    int m_users = 0;

    Target target() const
    {
        Target t;
        t.port = m_web.port();
        t.source = QHostAddress(QStringLiteral("127.0.1.%1").arg(m_client % 250 + 1));
        return t;
    }
    static QByteArray link(const QByteArray &token) { return "/accept?token=" + token; }

    // A new user with an invitation in the mail; returns the mailed link's token.
    QByteArray invite(qint64 *userId = nullptr, const QString &name = QStringLiteral("Test User"),
                      UserKind kind = UserKind::Crm)
    {
        const QString email = QStringLiteral("user%1@acme.example").arg(++m_users);
        const qint64 id = m_org->addUnconfirmedUser(email, name, kind);
        if (userId)
            *userId = id;
        if (!id || m_org->deliver() < 1)
            return {};
        QByteArray token;
        for (const QString &f : emlFiles(m_org->mailDir())) {
            const QByteArray m = readFile(f);
            if (m.contains("To: ") && m.contains(email.toLatin1()))
                token = tokenFromMessage(m);
        }
        m_tokens << token;
        return token;
    }
    QByteArray expiredToken(qint64 *userId = nullptr)
    {
        m_org->clock().advanceDays(-8);
        const QByteArray token = invite(userId);
        m_org->clock().advanceDays(8);
        return token;
    }
    // The first token, replaced by a newer invitation.
    QByteArray supersededToken(qint64 *userId = nullptr)
    {
        qint64 id = 0;
        const QByteArray token = invite(&id);
        m_org->clock().advanceMinutes(10);
        InvitationService s(m_org->db(), m_org->clock(), m_org->adminId());
        auto fresh = s.copyInviteLink(id);
        if (!fresh)
            qWarning() << fresh.error().message;
        else
            m_tokens << fresh->token;
        if (userId)
            *userId = id;
        return token;
    }
    bool confirmed(qint64 userId)
    {
        return m_org->scalar(
                   QStringLiteral("SELECT count(*) FROM users WHERE id = ? AND confirmed_at IS "
                                  "NOT NULL"),
                   {userId}) == 1;
    }
    QList<QPair<QByteArray, QByteArray>> acceptFields(const Reply &form,
                                                      const QByteArray &password = goodPassword,
                                                      const QByteArray &confirm = goodPassword)
    {
        return {{"token", form.field("token")}, {"csrf", form.field("csrf")},
                {"action", "accept"},           {"username", form.field("username")},
                {"password", password},         {"confirm", confirm}};
    }
    static void checkHeaders(const Reply &r)
    {
        QVERIFY2(r.complete, qPrintable(r.error));
        const QByteArray csp = r.header("Content-Security-Policy");
        QVERIFY2(csp.contains("frame-ancestors 'none'"), csp.constData());
        QVERIFY(csp.contains("default-src 'none'"));
        QVERIFY(csp.contains("form-action 'self'"));
        QVERIFY(!csp.contains("unsafe-inline"));
        QCOMPARE(r.header("Referrer-Policy"), QByteArray("no-referrer"));
        QCOMPARE(r.header("Cache-Control"), QByteArray("no-store"));
        QCOMPARE(r.header("X-Content-Type-Options"), QByteArray("nosniff"));
        QVERIFY(r.header("Content-Type").startsWith("text/html; charset=utf-8"));
    }

private slots:
    void initTestCase()
    {
        m_org = std::make_unique<TestOrg>();
        QVERIFY2(m_org->isValid(), qPrintable(m_org->error()));
        auto s = OrgSettings::load(m_org->db());
        QVERIFY(s);
        OrgSettings st = s.value();
        st.organisation = hostileOrg;
        QVERIFY(st.save(m_org->db()));
        QVERIFY2(m_web.start(m_org->location()), qPrintable(m_web.startError()));
    }
    void init() { ++m_client; }
    void cleanupTestCase() { m_web.stop(); }

    void invitationPageShowsTheForm()
    {
        const QByteArray token = invite(nullptr, QStringLiteral("Ingrid Invitee"));
        const Reply r = get(target(), link(token));
        QCOMPARE(r.status, 200);
        checkHeaders(r);
        const QString html = QString::fromUtf8(r.body);
        QVERIFY(html.contains(QStringLiteral("Ingrid Invitee")));
        QVERIFY(html.contains(QStringLiteral("Acme &lt;b&gt;")));
        QVERIFY(html.contains(QStringLiteral("<form method=\"post\" action=\"/accept\">")));
        QCOMPARE(r.field("token"), token);
        QVERIFY(!r.field("csrf").isEmpty());
        QCOMPARE(html.count(QStringLiteral("autocomplete=\"new-password\"")), 2);
        QVERIFY(html.contains(QStringLiteral("<label for=\"password\">")));
        QVERIFY(html.contains(QStringLiteral("<label for=\"confirm\">")));
        QVERIFY(html.contains(QStringLiteral("<html lang=\"en\">")));
        QVERIFY(!html.contains(QStringLiteral("<script")));
        // The browser value of the double submit: HttpOnly, SameSite=Strict, and Secure with
        // the __Host- prefix because the organisation's accept-url is https.
        const QByteArray cookie = r.header("Set-Cookie");
        QVERIFY2(cookie.startsWith("__Host-roster_form="), cookie.constData());
        QVERIFY(cookie.contains("; HttpOnly"));
        QVERIFY(cookie.contains("; SameSite=Strict"));
        QVERIFY(cookie.contains("; Secure"));
        QVERIFY(cookie.contains("; Path=/"));
    }

    // The invitation page is rendered once per link and language and kept (the CSRF value is
    // filled in per request): one worker thread, so that every GET meets what the last one kept.
    // Each GET still reads the invitation, so any change shows on the next one, and each
    // browser gets its own CSRF value.
    void keptPageFollowsEveryChange()
    {
        WebProcess one;
        QVERIFY2(one.start(m_org->location(), {QStringLiteral("--threads"), QStringLiteral("1")}),
                 qPrintable(one.startError()));
        Target t = target();
        t.port = one.port();
        qint64 id = 0;
        const QByteArray token = invite(&id, QStringLiteral("Carla Kept"));
        const Reply a = get(t, link(token));
        const Reply b = get(t, link(token));
        QCOMPARE(a.status, 200);
        QCOMPARE(b.status, 200);
        checkHeaders(b);
        QVERIFY(b.body.contains("Carla Kept"));
        QCOMPARE(b.field("token"), token);
        QVERIFY(!a.cookie().isEmpty());
        QVERIFY(a.cookie() != b.cookie());
        QVERIFY(a.field("csrf") != b.field("csrf"));
        // Each value is bound to its own browser: crossed, they are refused.
        const QString before = m_org->dump();
        QCOMPARE(postForm(t, "/accept", acceptFields(b), a.cookie()).status, 403);
        QCOMPARE(postForm(t, "/accept", acceptFields(a), b.cookie()).status, 403);
        QCOMPARE(m_org->dump(), before);
        // Every browser without the cookie gets its own: no two alike, each of the documented
        // shape (16 random bytes, base64url).
        QSet<QByteArray> browsers{a.cookie(), b.cookie()};
        for (int i = 0; i < 50; ++i) {
            const QByteArray cookie = get(t, link(token)).cookie();
            QVERIFY2(QRegularExpression(QStringLiteral("^roster_form=[A-Za-z0-9_-]{22}$|^__Host-"
                                                       "roster_form=[A-Za-z0-9_-]{22}$"))
                         .match(QString::fromLatin1(cookie))
                         .hasMatch(),
                     cookie.constData());
            browsers.insert(cookie);
        }
        QCOMPARE(browsers.size(), 52);
        // A browser that has the cookie gets no new one, and a value bound to that cookie.
        const Reply again = get(t, link(token), {{"Cookie", a.cookie()}});
        QCOMPARE(again.status, 200);
        QVERIFY(again.header("Set-Cookie").isNull());

        // Stored texts changed behind roster-web's back: the next GET shows them.
        auto run = [this](const QString &sql, const QVariantList &binds) {
            QSqlQuery q = m_org->db().prepare(sql);
            for (const QVariant &v : binds)
                q.addBindValue(v);
            return bool(m_org->db().exec(q));
        };
        QVERIFY(run(QStringLiteral("UPDATE users SET name = ? WHERE id = ?"),
                    {QStringLiteral("Carla <Renamed>"), id}));
        const Reply renamed = get(t, link(token));
        QCOMPARE(renamed.status, 200);
        QVERIFY2(renamed.body.contains("Carla &lt;Renamed&gt;"), renamed.body.constData());
        QVERIFY(!renamed.body.contains("Carla Kept"));
        const auto until = [](const Reply &r) {
            const qsizetype at = r.body.indexOf("This link works until");
            return at < 0 ? QByteArray() : r.body.mid(at, r.body.indexOf('<', at) - at);
        };
        QVERIFY(!until(renamed).isEmpty());
        QVERIFY(run(QStringLiteral("UPDATE invitations SET expires_at = expires_at + ? WHERE "
                                   "user_id = ?"),
                    {qint64(3) * 24 * 60 * 60 * 1000, id}));
        const Reply later = get(t, link(token));
        QCOMPARE(later.status, 200);
        QVERIFY(!until(later).isEmpty());
        QVERIFY2(until(later) != until(renamed), until(later).constData());
        // Another language, and back.
        const Reply de = get(t, link(token), {{"Accept-Language", "de"}});
        QVERIFY(de.body.contains("<html lang=\"de\">"));
        QVERIFY(de.body.contains("Carla &lt;Renamed&gt;"));
        QVERIFY(get(t, link(token)).body.contains("<html lang=\"en\">"));

        // Accepted by someone else (another process, rosterctl): the next GET says so.
        QVERIFY(InvitationService::acceptInvitation(m_org->db(), m_org->clock(), token,
                                                    QString::fromLatin1(goodPassword)));
        const Reply used = get(t, link(token));
        QCOMPARE(used.status, 410);
        QVERIFY(used.body.contains("already used"));
        QVERIFY(confirmed(id));
        one.stop();
    }

    // The connection memory (32 KiB: request line, headers and buffers) holds what browsers
    // and proxies send, with room to spare: on a host shared with the CRM, its cookies come
    // along too. 16 KiB of headers still get the page (16 KiB of memory would answer 431 from
    // about 10 KiB).
    void largeHeadersStillGetThePage()
    {
        const QByteArray token = invite();
        QByteArray cookies;
        for (int i = 0; i < 40; ++i)
            cookies += "other_cookie_" + QByteArray::number(i) + '=' + QByteArray(40, 'c') + "; ";
        const Reply r = get(target(), link(token),
                            {{"User-Agent", QByteArray(400, 'u')},
                             {"Accept-Language", "fr-CH, fr;q=0.9, en;q=0.8, de;q=0.7, *;q=0.5"},
                             {"Cookie", cookies + "last=1"},
                             {"X-Filler-One", QByteArray(6500, 'x')},
                             {"X-Filler-Two", QByteArray(6500, 'y')}});
        QCOMPARE(r.status, 200);
        checkHeaders(r);
        QCOMPARE(r.field("token"), token);
        QVERIFY(r.body.contains("<html lang=\"fr\">"));
    }

    void everyResponseCarriesTheHeaders_data()
    {
        QTest::addColumn<QByteArray>("kind");
        QTest::addColumn<int>("status");
        QTest::newRow("invitation page") << QByteArray("valid") << 200;
        QTest::newRow("HEAD") << QByteArray("head") << 200;
        QTest::newRow("unknown token") << QByteArray("unknown") << 404;
        QTest::newRow("no token") << QByteArray("none") << 404;
        QTest::newRow("no such page") << QByteArray("path") << 404;
        QTest::newRow("expired") << QByteArray("expired") << 410;
        QTest::newRow("POST without form") << QByteArray("post") << 403;
        QTest::newRow("PUT") << QByteArray("put") << 405;
        QTest::newRow("1 MiB body") << QByteArray("big") << 413;
    }
    void everyResponseCarriesTheHeaders()
    {
        QFETCH(QByteArray, kind);
        QFETCH(int, status);
        Reply r;
        if (kind == "valid")
            r = get(target(), link(invite()));
        else if (kind == "head")
            r = head(target(), link(invite()));
        else if (kind == "unknown")
            r = get(target(), link(issueToken().token));
        else if (kind == "none")
            r = get(target(), "/accept");
        else if (kind == "path")
            r = get(target(), "/admin?token=" + invite());
        else if (kind == "expired")
            r = get(target(), link(expiredToken()));
        else if (kind == "post")
            r = postForm(target(), "/accept", {{"token", invite()}});
        else if (kind == "put")
            r = exchange(target(), requestBytes("PUT", link(invite()), {}, "x"));
        else if (kind == "big")
            r = exchange(target(),
                         requestBytes("POST", "/accept",
                                      {{"Content-Type", "application/x-www-form-urlencoded"}},
                                      QByteArray(1024 * 1024, 'a')));
        QCOMPARE(r.status, status);
        checkHeaders(r);
        if (kind == "put")
            QCOMPARE(r.header("Allow"), QByteArray("GET, HEAD, POST"));
    }

    // "Sign in" on the success page points at the accept-url's origin; where that is roster-web
    // itself (the demo) it lands on "/": a page that says where to sign in, not a 404. Every
    // other path is still not found, and "/" takes no form.
    void frontPageSaysWhereToSignIn()
    {
        const Reply r = get(target(), "/");
        QCOMPARE(r.status, 200);
        checkHeaders(r);
        const QString html = QString::fromUtf8(r.body);
        QVERIFY2(html.contains(QStringLiteral("Sign in where you work")), r.body.constData());
        QVERIFY(html.contains(QStringLiteral("Sign in from Acme &lt;b&gt;")));
        QVERIFY(!html.contains(QStringLiteral("<form")));
        const Reply h = head(target(), "/");
        QCOMPARE(h.status, 200);
        QVERIFY(h.body.isEmpty());
        QCOMPARE(postForm(target(), "/", {{"token", invite()}}).status, 404);
        QCOMPARE(get(target(), "/admin").status, 404);
    }

    void getAndHeadConsumeNothing()
    {
        qint64 id = 0;
        const QByteArray token = invite(&id);
        const QString before = m_org->dump();
        for (int i = 0; i < 3; ++i) {
            QCOMPARE(get(target(), link(token)).status, 200);
            const Reply h = head(target(), link(token));
            QCOMPARE(h.status, 200);
            QVERIFY(h.body.isEmpty());
            checkHeaders(h);
        }
        QCOMPARE(m_org->dump(), before);
        QVERIFY(!confirmed(id));
        // And the link still works for the person it is for.
        const Reply form = get(target(), link(token));
        const Reply done = postForm(target(), "/accept", acceptFields(form), form.cookie());
        QCOMPARE(done.status, 200);
        QVERIFY(confirmed(id));
    }

    void postAcceptsOnce()
    {
        qint64 id = 0;
        const QByteArray token = invite(&id, QStringLiteral("Paula Poster"));
        const Reply form = get(target(), link(token));
        QCOMPARE(form.status, 200);
        const Reply done = postForm(target(), "/accept", acceptFields(form), form.cookie());
        QCOMPARE(done.status, 200);
        checkHeaders(done);
        const QString html = QString::fromUtf8(done.body);
        QVERIFY2(html.contains(QStringLiteral("Your account is ready")), qPrintable(html));
        // Where to sign in: the accept-url's origin, from the settings.
        QVERIFY(html.contains(QStringLiteral("href=\"https://crm.acme.example/\"")));
        QVERIFY(confirmed(id));
        QSqlQuery q =
            m_org->db().prepare(QStringLiteral("SELECT password_hash FROM users WHERE id = ?"));
        q.addBindValue(id);
        QVERIFY(m_org->db().exec(q) && q.next());
        QVERIFY(PasswordHasher::verify(q.value(0).toString(), QString::fromLatin1(goodPassword)));
        QCOMPARE(m_org->scalar(QStringLiteral("SELECT count(*) FROM audit_log WHERE action = "
                                              "'invitation.accept' AND target_user_id = ?"),
                               {id}),
                 1);
        // The same form again: used.
        const QString after = m_org->dump();
        const Reply again = postForm(target(), "/accept", acceptFields(form), form.cookie());
        QCOMPARE(again.status, 410);
        QVERIFY(again.body.contains("already used"));
        QCOMPARE(m_org->dump(), after);
        // The user left the Unconfirmed view.
        QCOMPARE(m_org->scalar(QStringLiteral("SELECT count(*) FROM users WHERE id = ? AND "
                                              "confirmed_at IS NULL"),
                               {id}),
                 0);
    }

    void refusalsSayWhatHappened_data()
    {
        QTest::addColumn<QByteArray>("kind");
        QTest::addColumn<int>("status");
        QTest::addColumn<QString>("words");
        QTest::addColumn<bool>("offersRequest");
        QTest::newRow("unknown") << QByteArray("unknown") << 404
                                 << QStringLiteral("This link does not work") << false;
        QTest::newRow("malformed")
            << QByteArray("malformed") << 404 << QStringLiteral("This link does not work") << false;
        QTest::newRow("expired") << QByteArray("expired") << 410
                                 << QStringLiteral("This invitation has expired") << true;
        QTest::newRow("superseded") << QByteArray("superseded") << 410
                                    << QStringLiteral("This invitation was replaced") << true;
        QTest::newRow("used") << QByteArray("used") << 410
                              << QStringLiteral("This invitation was already used") << false;
        QTest::newRow("deactivated") << QByteArray("deactivated") << 403
                                     << QStringLiteral("This account is deactivated") << false;
        // SPEC §1: deactivated, whatever else holds.
        QTest::newRow("deactivated and expired")
            << QByteArray("deactivated expired") << 403
            << QStringLiteral("This account is deactivated") << false;
    }
    void refusalsSayWhatHappened()
    {
        QFETCH(QByteArray, kind);
        QFETCH(int, status);
        QFETCH(QString, words);
        QFETCH(bool, offersRequest);
        qint64 id = 0;
        QByteArray token;
        Reply validForm;
        if (kind == "unknown") {
            token = issueToken().token;
        } else if (kind == "malformed") {
            token = "abc%3Cscript%3E";
        } else if (kind == "expired") {
            token = expiredToken(&id);
        } else if (kind == "superseded") {
            token = supersededToken(&id);
        } else if (kind == "used") {
            token = invite(&id);
            validForm = get(target(), link(token));
            QCOMPARE(
                postForm(target(), "/accept", acceptFields(validForm), validForm.cookie()).status,
                200);
        } else if (kind.startsWith("deactivated")) {
            token = kind.contains("expired") ? expiredToken(&id) : invite(&id);
            validForm = get(target(), link(token));
            UserService s(m_org->db(), m_org->clock(), m_org->adminId());
            QVERIFY(s.setActive(id, false));
        }
        const QString before = m_org->dump();
        const Reply page = get(target(), link(token));
        QCOMPARE(page.status, status);
        checkHeaders(page);
        const QString html = QString::fromUtf8(page.body);
        QVERIFY2(html.contains(words), qPrintable(html));
        QCOMPARE(html.contains(QStringLiteral("value=\"request\"")), offersRequest);
        QVERIFY(!html.contains(QStringLiteral("<script")));
        // A POST of the form (the one shown before the refusal, or the request form's CSRF
        // value) is refused the same way, and consumes nothing.
        const Reply &source = validForm.complete ? validForm : page;
        QList<QPair<QByteArray, QByteArray>> fields = {{"token", token},
                                                       {"csrf", source.field("csrf")},
                                                       {"action", "accept"},
                                                       {"password", goodPassword},
                                                       {"confirm", goodPassword}};
        const Reply post = postForm(target(), "/accept", fields, source.cookie());
        QCOMPARE(post.status, status);
        QVERIFY(QString::fromUtf8(post.body).contains(words));
        QCOMPARE(m_org->dump(), before);
        if (id && kind != "used")
            QVERIFY(!confirmed(id));
    }

    void askForANewInvitation_data()
    {
        QTest::addColumn<bool>("expired");
        QTest::newRow("expired") << true;
        QTest::newRow("superseded") << false;
    }
    void askForANewInvitation()
    {
        QFETCH(bool, expired);
        qint64 id = 0;
        const QByteArray token = expired ? expiredToken(&id) : supersededToken(&id);
        const Reply page = get(target(), link(token));
        QCOMPARE(page.status, 410);
        const QList<QPair<QByteArray, QByteArray>> ask = {
            {"token", token}, {"csrf", page.field("csrf")}, {"action", "request"}};
        const QString auditCount =
            QStringLiteral("SELECT count(*) FROM audit_log WHERE action = 'invitation.request' AND "
                           "target_user_id = ?");
        // Without the right CSRF value: refused, nothing recorded.
        const QString before = m_org->dump();
        const Reply forged = postForm(
            target(), "/accept", {{"token", token}, {"csrf", "1.forged"}, {"action", "request"}},
            page.cookie());
        QCOMPARE(forged.status, 403);
        QCOMPARE(m_org->dump(), before);
        const Reply asked = postForm(target(), "/accept", ask, page.cookie());
        QCOMPARE(asked.status, 200);
        checkHeaders(asked);
        QVERIFY2(asked.body.contains("Your administrator has been told"), asked.body.constData());
        QCOMPARE(m_org->scalar(auditCount, {id}), 1);
        QCOMPARE(m_org->scalar(QStringLiteral("SELECT count(*) FROM users WHERE id = ? AND "
                                              "invite_requested_at IS NOT NULL"),
                               {id}),
                 1);
        // Once per invitation: asking again says so and records nothing more.
        const Reply again = postForm(target(), "/accept", ask, page.cookie());
        QCOMPARE(again.status, 200);
        QVERIFY(again.body.contains("You have already asked"));
        QCOMPARE(m_org->scalar(auditCount, {id}), 1);
        QVERIFY(!confirmed(id));
    }

    void aValidLinkCannotAskForANewInvitation()
    {
        qint64 id = 0;
        const QByteArray token = invite(&id);
        const Reply form = get(target(), link(token));
        const QString before = m_org->dump();
        const Reply r = postForm(
            target(), "/accept",
            {{"token", token}, {"csrf", form.field("csrf")}, {"action", "request"}}, form.cookie());
        // It gets its password form instead.
        QCOMPARE(r.status, 200);
        QCOMPARE(r.field("token"), token);
        QCOMPARE(m_org->dump(), before);
    }

    void csrfMissingOrWrongIsRefused_data()
    {
        QTest::addColumn<QByteArray>("how");
        QTest::newRow("no field") << QByteArray("no field");
        QTest::newRow("empty field") << QByteArray("empty field");
        QTest::newRow("no cookie") << QByteArray("no cookie");
        QTest::newRow("tampered field") << QByteArray("tampered");
        QTest::newRow("another browser's cookie") << QByteArray("other cookie");
        QTest::newRow("another invitation's field") << QByteArray("other invitation");
        QTest::newRow("moved issue time") << QByteArray("moved time");
    }
    void csrfMissingOrWrongIsRefused()
    {
        QFETCH(QByteArray, how);
        qint64 id = 0;
        const QByteArray token = invite(&id);
        const Reply form = get(target(), link(token));
        QCOMPARE(form.status, 200);
        auto fields = acceptFields(form);
        QByteArray cookie = form.cookie();
        QByteArray &csrf = fields[1].second;
        if (how == "no field")
            fields.removeAt(1);
        else if (how == "empty field")
            csrf.clear();
        else if (how == "no cookie")
            cookie.clear();
        else if (how == "tampered")
            csrf[csrf.size() - 2] = csrf[csrf.size() - 2] == 'A' ? 'B' : 'A';
        else if (how == "other cookie")
            cookie = get(target(), link(invite())).cookie();
        else if (how == "other invitation")
            csrf = get(target(), link(invite())).field("csrf");
        else if (how == "moved time")
            csrf = QByteArray::number(csrf.left(csrf.indexOf('.')).toLongLong() + 1) +
                   csrf.mid(csrf.indexOf('.'));
        QVERIFY(cookie != form.cookie() || how != "other cookie");
        const QString before = m_org->dump();
        const Reply r = postForm(target(), "/accept", fields, cookie);
        QCOMPARE(r.status, 403);
        checkHeaders(r);
        QVERIFY(r.body.contains("This form cannot be used"));
        QCOMPARE(m_org->dump(), before);
        QVERIFY(!confirmed(id));
        // The right form still works.
        QCOMPARE(postForm(target(), "/accept", acceptFields(form), form.cookie()).status, 200);
        QVERIFY(confirmed(id));
    }

    void passwordsThatDifferOrBreakTheRules_data()
    {
        QTest::addColumn<QByteArray>("password");
        QTest::addColumn<QByteArray>("confirm");
        QTest::addColumn<QString>("words");
        QTest::newRow("differ") << QByteArray("a fine new password")
                                << QByteArray("a fine new passw0rd")
                                << QStringLiteral("The two passwords differ");
        QTest::newRow("too short") << QByteArray("short") << QByteArray("short")
                                   << PasswordHasher::passwordProblem(QStringLiteral("short"));
        QTest::newRow("control character")
            << QByteArray("line\nbreak password") << QByteArray("line\nbreak password")
            << PasswordHasher::passwordProblem(QStringLiteral("line\nbreak password"));
        QTest::newRow("empty") << QByteArray() << QByteArray()
                               << PasswordHasher::passwordProblem(QString());
    }
    void passwordsThatDifferOrBreakTheRules()
    {
        QFETCH(QByteArray, password);
        QFETCH(QByteArray, confirm);
        QFETCH(QString, words);
        QVERIFY(!words.isEmpty());
        qint64 id = 0;
        const QByteArray token = invite(&id);
        const Reply form = get(target(), link(token));
        const QString before = m_org->dump();
        const Reply r =
            postForm(target(), "/accept", acceptFields(form, password, confirm), form.cookie());
        QCOMPARE(r.status, 422);
        checkHeaders(r);
        const QString html = QString::fromUtf8(r.body);
        QVERIFY2(html.contains(words.toHtmlEscaped()), qPrintable(html));
        QVERIFY(html.contains(QStringLiteral("role=\"alert\"")));
        QVERIFY(html.contains(QStringLiteral("aria-invalid=\"true\"")));
        // The form again, ready to use.
        QCOMPARE(r.field("token"), token);
        QVERIFY(!r.field("csrf").isEmpty());
        QCOMPARE(m_org->dump(), before);
        QVERIFY(!confirmed(id));
        const Reply ok = postForm(target(), "/accept", acceptFields(r),
                                  r.cookie().isEmpty() ? form.cookie() : r.cookie());
        QCOMPARE(ok.status, 200);
        QVERIFY(confirmed(id));
    }

    void storedTextIsEscaped()
    {
        qint64 id = 0;
        const QByteArray token = invite(&id, hostileName);
        QVERIFY(id);
        const Reply form = get(target(), link(token));
        const Reply mismatch = postForm(
            target(), "/accept", acceptFields(form, goodPassword, "something else"), form.cookie());
        const Reply done = postForm(target(), "/accept", acceptFields(form), form.cookie());
        const Reply used = get(target(), link(token));
        QCOMPARE(form.status, 200);
        QCOMPARE(mismatch.status, 422);
        QCOMPARE(done.status, 200);
        QCOMPARE(used.status, 410);
        for (const Reply *r : {&form, &mismatch, &done, &used}) {
            const QString html = QString::fromUtf8(r->body);
            QVERIFY2(!html.contains(QStringLiteral("<script")), qPrintable(html));
            QVERIFY(!html.contains(QStringLiteral("<img")));
            QVERIFY(!html.contains(QStringLiteral("<b>")));
            QVERIFY(!html.contains(QStringLiteral("\"Sons\"")));
            QVERIFY(html.contains(
                QStringLiteral("Acme &lt;b&gt;&amp;amp;&lt;/b&gt; &quot;Sons&quot; &#39;n&#39; "
                               "&lt;script&gt;alert(1)&lt;/script&gt;")));
        }
        QVERIFY(QString::fromUtf8(form.body).contains(
            QStringLiteral("Zoë &lt;img src=x onerror=alert(1)&gt; &quot;Q&quot; "
                           "O&#39;Brien &lt;/p&gt;&lt;script&gt;")));
    }

    void bodyOver64KiBGets413()
    {
        qint64 id = 0;
        const QByteArray token = invite(&id);
        const Reply form = get(target(), link(token));
        const QString before = m_org->dump();
        // A whole valid form, padded past 64 KiB: refused, read and thrown away (so that the
        // client sees the 413, not a reset) up to 1 MiB, unread past that.
        for (const int pad : {200 * 1024, 2 * 1024 * 1024}) {
            const Reply r = exchange(
                target(),
                requestBytes("POST", "/accept",
                             {{"Content-Type", "application/x-www-form-urlencoded"},
                              {"Cookie", form.cookie()}},
                             formBody(acceptFields(form)) + "&pad=" + QByteArray(pad, 'x')));
            QCOMPARE(r.status, 413);
            checkHeaders(r);
        }
        QVERIFY(!confirmed(id));
        QByteArray body = formBody(acceptFields(form)) + "&pad=" + QByteArray(1024 * 1024, 'x');
        const Reply big =
            exchange(target(), requestBytes("POST", "/accept",
                                            {{"Content-Type", "application/x-www-form-urlencoded"},
                                             {"Cookie", form.cookie()}},
                                            body));
        QCOMPARE(big.status, 413);
        checkHeaders(big);
        // Without a Content-Length (chunked), the connection is dropped past 1 MiB.
        QString error;
        auto s = connectTo(target(), &error);
        QVERIFY2(s, qPrintable(error));
        QByteArray chunked = "POST /accept HTTP/1.1\r\nHost: localhost\r\nContent-Type: "
                             "application/x-www-form-urlencoded\r\nCookie: " +
                             form.cookie() + "\r\nTransfer-Encoding: chunked\r\n\r\n";
        const QByteArray chunk(16 * 1024, 'x');
        for (int i = 0; i < 80 && s->state() == QAbstractSocket::ConnectedState; ++i) {
            s->write(QByteArray::number(chunk.size(), 16) + "\r\n" + chunk + "\r\n");
            s->waitForBytesWritten(5000);
        }
        const Reply dropped = readReply(*s, 15000);
        QVERIFY(dropped.status != 200);
        QCOMPARE(m_org->dump(), before);
        // Just under the limit is read and judged on its merits.
        body = formBody(acceptFields(form)) + "&pad=" + QByteArray(60 * 1024, 'x');
        const Reply fits =
            exchange(target(), requestBytes("POST", "/accept",
                                            {{"Content-Type", "application/x-www-form-urlencoded"},
                                             {"Cookie", form.cookie()}},
                                            body));
        QCOMPARE(fits.status, 200);
        QVERIFY(confirmed(id));
    }

    void idleAndSlowConnections()
    {
        const QByteArray token = invite();
        // 200 sockets from one address that connect and say nothing.
        Target idle = target();
        idle.source = QHostAddress(QStringLiteral("127.0.0.2"));
        std::vector<std::unique_ptr<QTcpSocket>> sockets;
        for (int i = 0; i < 200; ++i) {
            QString error;
            auto s = connectTo(idle, &error);
            QVERIFY2(s, qPrintable(error));
            sockets.push_back(std::move(s));
        }
        // Someone else is still answered at once.
        QElapsedTimer timer;
        timer.start();
        const Reply r = get(target(), link(token));
        const qint64 ms = timer.elapsed();
        QCOMPARE(r.status, 200);
        qInfo("with 200 idle connections open, a GET took %lld ms", qlonglong(ms));
        // And a slow client, trickling its request a byte at a time, does not keep its
        // connection past the request deadline.
        Target slowTarget = target();
        slowTarget.source = QHostAddress(QStringLiteral("127.0.0.3"));
        QString error;
        auto slow = connectTo(slowTarget, &error);
        QVERIFY2(slow, qPrintable(error));
        const QByteArray request = requestBytes("GET", link(token));
        qsizetype sent = 0;
        QTimer trickle;
        connect(&trickle, &QTimer::timeout, slow.get(), [&] {
            if (sent < request.size() - 1) // never the last byte
                slow->write(request.mid(sent++, 1));
        });
        trickle.start(400);
        // The idle ones are closed after the idle timeout (or at once, past the per-address
        // connection limit), the slow one after the request deadline.
        QTRY_VERIFY_WITH_TIMEOUT(std::all_of(sockets.begin(), sockets.end(),
                                             [](const auto &s) {
                                                 s->waitForReadyRead(0);
                                                 return s->state() !=
                                                        QAbstractSocket::ConnectedState;
                                             }),
                                 60000);
        QTRY_VERIFY_WITH_TIMEOUT(slow->state() != QAbstractSocket::ConnectedState, 60000);
        trickle.stop();
        QVERIFY2(sent < request.size() - 1, "the slow request was never cut off");
        QVERIFY(!slow->readAll().startsWith("HTTP/1.1 200"));
        qInfo("the trickling client was cut off after %lld of %lld bytes", qlonglong(sent),
              qlonglong(request.size()));
        // The service is still there.
        QCOMPARE(get(target(), link(token)).status, 200);
    }

    void hostHeaderIsNeverUsed()
    {
        const QByteArray token = invite();
        const Reply form = get(target(), link(token), {{"Host", "evil.example"}});
        QCOMPARE(form.status, 200);
        const Reply done =
            postForm(target(), "/accept", acceptFields(form), form.cookie(),
                     {{"Host", "evil.example"}, {"X-Forwarded-Host", "evil.example"}});
        QCOMPARE(done.status, 200);
        for (const Reply *r : {&form, &done})
            QVERIFY(!r->body.contains("evil.example"));
        QVERIFY(done.body.contains("href=\"https://crm.acme.example/\""));
    }

    void portalLinksAreWordedForThePortal()
    {
        const QByteArray token = invite(nullptr, QStringLiteral("Pat Portal"), UserKind::Portal);
        const Reply form = get(target(), link(token));
        QCOMPARE(form.status, 200);
        QVERIFY(form.body.contains("Customer Portal"));
        const Reply done = postForm(target(), "/accept", acceptFields(form), form.cookie());
        QCOMPARE(done.status, 200);
        QVERIFY(done.body.contains("href=\"https://portal.acme.example/\""));
        QVERIFY(done.body.contains("Customer Portal"));
    }

    void languageFollowsAcceptLanguage_data()
    {
        QTest::addColumn<QByteArray>("header");
        QTest::addColumn<QByteArray>("language");
        QTest::addColumn<QString>("heading");
        QTest::newRow("none") << QByteArray() << QByteArray("en")
                              << QStringLiteral("Choose your password");
        QTest::newRow("de") << QByteArray("de-DE,de;q=0.9") << QByteArray("de")
                            << QStringLiteral("Wählen Sie Ihr Passwort");
        QTest::newRow("fr") << QByteArray("fr-CH, fr;q=0.9, en;q=0.8") << QByteArray("fr")
                            << QStringLiteral("Choisissez votre mot de passe");
        QTest::newRow("q-values") << QByteArray("de;q=0.2, fr;q=0.7") << QByteArray("fr")
                                  << QStringLiteral("Choisissez votre mot de passe");
        QTest::newRow("unknown language") << QByteArray("es-ES, it;q=0.5") << QByteArray("en")
                                          << QStringLiteral("Choose your password");
        QTest::newRow("english first") << QByteArray("en-GB, de;q=0.5") << QByteArray("en")
                                       << QStringLiteral("Choose your password");
    }
    void languageFollowsAcceptLanguage()
    {
        QFETCH(QByteArray, header);
        QFETCH(QByteArray, language);
        QFETCH(QString, heading);
        QList<QPair<QByteArray, QByteArray>> headers;
        if (!header.isEmpty())
            headers.append({"Accept-Language", header});
        const Reply form = get(target(), link(invite()), headers);
        QCOMPARE(form.status, 200);
        QCOMPARE(form.header("Content-Language"), language);
        const QString html = QString::fromUtf8(form.body);
        QVERIFY(html.contains(QStringLiteral("<html lang=\"%1\">").arg(QLatin1String(language))));
        QVERIFY2(html.contains(heading), qPrintable(html));
        // The refusals too, and the password rules' own words (the service's tr()).
        const Reply expired = get(target(), link(expiredToken()), headers);
        QCOMPARE(expired.status, 410);
        QCOMPARE(expired.header("Content-Language"), language);
        const Reply shortPassword = postForm(
            target(), "/accept", acceptFields(form, "short", "short"), form.cookie(), headers);
        QCOMPARE(shortPassword.status, 422);
        if (language != "en")
            QVERIFY2(!shortPassword.body.contains("The password is too short"),
                     shortPassword.body.constData());
    }

    void tooManyRefusedPostsGet429()
    {
        qint64 id = 0;
        const QByteArray token = invite(&id);
        const Reply form = get(target(), link(token));
        const QString before = m_org->dump();
        int refused = 0;
        Reply r;
        // Wrong forms until the limit; then even a right one is turned away for a while.
        for (int i = 0; i < 50; ++i) {
            r = postForm(target(), "/accept", {{"token", token}, {"csrf", "1.x"}}, form.cookie());
            if (r.status == 429)
                break;
            QCOMPARE(r.status, 403);
            ++refused;
        }
        QCOMPARE(r.status, 429);
        qInfo("429 after %d refused POSTs", refused);
        QVERIFY(refused >= 3);
        checkHeaders(r);
        QCOMPARE(r.header("Retry-After"), QByteArray("60"));
        const Reply right = postForm(target(), "/accept", acceptFields(form), form.cookie());
        QCOMPARE(right.status, 429);
        // X-Forwarded-For from a client that is not a trusted proxy changes nothing.
        const Reply spoofed = postForm(target(), "/accept", acceptFields(form), form.cookie(),
                                       {{"X-Forwarded-For", "203.0.113.9"}});
        QCOMPARE(spoofed.status, 429);
        QCOMPARE(m_org->dump(), before);
        // Reading is not limited, and other clients are not affected.
        QCOMPARE(get(target(), link(token)).status, 200);
        ++m_client;
        QCOMPARE(postForm(target(), "/accept", acceptFields(form), form.cookie()).status, 200);
        QVERIFY(confirmed(id));
    }

    void formValueIsTheDocumentedHmac()
    {
        // docs/web.md: issued-at "." HMAC-SHA256(secret, "roster-web form 1\n" token-hash "\n"
        // cookie "\n" issued-at), base64url. Every roster-web of the organisation, older ones
        // included, must make and accept the same value.
        const QByteArray token = invite();
        const Reply r = get(target(), link(token));
        QCOMPARE(r.status, 200);
        const QByteArray csrf = r.field("csrf");
        const QByteArray cookie = r.cookie();
        const qsizetype dot = csrf.indexOf('.');
        QVERIFY2(dot > 0 && cookie.contains('='), csrf.constData());
        QSqlQuery q = m_org->db().prepare(
            QStringLiteral("SELECT value FROM settings WHERE key = 'web.form_secret'"));
        QVERIFY(m_org->db().exec(q));
        QVERIFY(q.next());
        const QByteArray secret = QByteArray::fromHex(q.value(0).toString().toLatin1());
        QCOMPARE(secret.size(), 32);
        const QByteArray message = "roster-web form 1\n" + tokenHash(token).toLatin1() + '\n' +
                                   cookie.mid(cookie.indexOf('=') + 1) + '\n' + csrf.left(dot);
        QCOMPARE(csrf.mid(dot + 1),
                 QMessageAuthenticationCode::hash(message, secret, QCryptographicHash::Sha256)
                     .toBase64(QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals));
    }

    void libmicrohttpdRefusalsReflectNothing_data()
    {
        // Requests libmicrohttpd refuses itself, before roster-web sees them (docs/web.md, "The
        // one exception"): their responses cannot carry the headers of §8, so they must hold
        // nothing of the request and close the connection.
        QTest::addColumn<QByteArray>("request");
        QTest::addColumn<int>("status");
        const QByteArray marker = "Marker<script>" + invite();
        QTest::newRow("header line without colon")
            << QByteArray("GET /accept?token=" + marker + " HTTP/1.1\r\nHost: localhost\r\n" +
                          marker + "\r\n\r\n")
            << 400;
        QTest::newRow("Content-Length past 64 bits")
            << QByteArray("POST /accept?token=" + marker +
                          " HTTP/1.1\r\nHost: localhost\r\nContent-Length: "
                          "123456789012345678901234567890\r\n\r\n")
            << 413;
        QTest::newRow("HTTP version it does not speak")
            << QByteArray("GET /accept?token=" + marker + " HTTP/2.0\r\nHost: localhost\r\n\r\n")
            << 505;
    }
    void libmicrohttpdRefusalsReflectNothing()
    {
        QFETCH(QByteArray, request);
        QFETCH(int, status);
        QString error;
        auto s = connectTo(target(), &error);
        QVERIFY2(s, qPrintable(error));
        s->write(request);
        // Everything until the server closes: a connection left open would fail here.
        QByteArray data;
        const QDeadlineTimer deadline(30000);
        while (!deadline.hasExpired() && s->state() == QAbstractSocket::ConnectedState) {
            s->waitForReadyRead(500);
            data += s->readAll();
        }
        data += s->readAll();
        QCOMPARE(s->state(), QAbstractSocket::UnconnectedState);
        QVERIFY2(data.startsWith(QByteArray("HTTP/1.1 " + QByteArray::number(status) + ' ')),
                 data.left(200).constData());
        const QByteArray lower = data.toLower();
        QVERIFY(lower.contains("\r\nconnection: close\r\n"));
        QVERIFY(!lower.contains("set-cookie"));
        QVERIFY(!data.contains("Marker"));
        QVERIFY(!data.contains("<script>"));
        QVERIFY(!data.contains(m_tokens.last()));
    }

    void commandLineSpeaksTheSystemLanguage_data()
    {
        QTest::addColumn<QString>("language");
        QTest::addColumn<QString>("usage");
        QTest::addColumn<QString>("help");
        QTest::newRow("de") << QStringLiteral("de_DE.UTF-8")
                            << QStringLiteral("--listen HOST:PORT ist erforderlich")
                            << QStringLiteral("Die Datenbank der Organisation");
        QTest::newRow("fr") << QStringLiteral("fr_FR.UTF-8")
                            << QStringLiteral("--listen HÔTE:PORT est obligatoire")
                            << QStringLiteral("La base de données de l’organisation");
        QTest::newRow("en") << QStringLiteral("en_GB.UTF-8")
                            << QStringLiteral("--listen HOST:PORT is required")
                            << QStringLiteral("The organisation's database");
    }
    void commandLineSpeaksTheSystemLanguage()
    {
        // Like rosterctl, the command line follows the locale (the pages follow Accept-Language).
        QFETCH(QString, language);
        QFETCH(QString, usage);
        QFETCH(QString, help);
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.remove(QStringLiteral("LANGUAGE"));
        env.insert(QStringLiteral("LC_ALL"), language);
        const QString binary = qEnvironmentVariable("ROSTER_WEB");
        QProcess p;
        p.setProcessEnvironment(env);
        p.start(binary, {QStringLiteral("--db"), m_org->location()});
        QVERIFY(p.waitForFinished(30000));
        QCOMPARE(p.exitCode(), 2);
        const QString error = QString::fromUtf8(p.readAllStandardError());
        QVERIFY2(error.contains(usage), qPrintable(error));
        p.start(binary, {QStringLiteral("--help")});
        QVERIFY(p.waitForFinished(30000));
        QCOMPARE(p.exitCode(), 0);
        const QString text = QString::fromUtf8(p.readAllStandardOutput());
        QVERIFY2(text.contains(help), qPrintable(text));
    }

    void environmentDoesNotMoveTheClock()
    {
        // rosterctl honours ROSTER_CLOCK_OFFSET_MS for the integration tests; roster-web must
        // not: a valid link stays valid, an expired one expired.
        const QByteArray valid = invite();
        const QByteArray expired = expiredToken();
        for (const qint64 days : {8, -8}) {
            WebProcess web;
            QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
            env.insert(QStringLiteral("ROSTER_CLOCK_OFFSET_MS"), QString::number(days * msPerDay));
            web.process().setProcessEnvironment(env);
            QVERIFY2(web.start(m_org->location()), qPrintable(web.startError()));
            Target t = target();
            t.port = web.port();
            QCOMPARE(get(t, link(valid)).status, 200);
            QCOMPARE(get(t, link(expired)).status, 410);
        }
    }

    // Last: nothing the service wrote to its log holds a token.
    void logHoldsNoToken()
    {
        const QString log = m_web.log();
        QVERIFY(log.contains(QStringLiteral("POST /accept")));
        QVERIFY(m_tokens.size() > 20);
        for (const QByteArray &t : std::as_const(m_tokens)) {
            QVERIFY(!t.isEmpty());
            QVERIFY2(!log.contains(QString::fromLatin1(t)), "a token reached the log");
            QVERIFY(!log.contains(QString::fromLatin1(t.left(20))));
        }
        QVERIFY(!log.contains(QStringLiteral("token=")));
        QVERIFY(!log.contains(QStringLiteral("csrf")));
    }
};

QTEST_GUILESS_MAIN(TestWeb)
#include "tst_web.moc"
