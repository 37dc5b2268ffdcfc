// roster-web as it is deployed (SPEC §8): direct TLS, several processes on one organisation, and
// nginx from Debian terminating TLS in front of two of them. Runs on SQLite and, as
// tst_webdeploy_pg, on the test PostgreSQL server.
#include "app/orgsettings.h"
#include "testsupport.h"
#include "webtest.h"

#include <QDir>
#include <QFile>
#include <QSslSocket>
#include <QTcpSocket>
#include <QTemporaryDir>
#include <QTest>

#include <algorithm>

using namespace roster;
using namespace testsupport;
using namespace webtest;

namespace {
const QByteArray password = "a fine new password";
}

class TestWebDeploy : public QObject
{
    Q_OBJECT

private:
    std::unique_ptr<TestOrg> m_org;
    QTemporaryDir m_tmp;
    QString m_cert;
    QString m_key;
    int m_users = 0;

    QByteArray invite(qint64 *userId = nullptr, UserKind kind = UserKind::Crm)
    {
        const QString email = QStringLiteral("deploy%1@acme.example").arg(++m_users);
        const qint64 id = m_org->addUnconfirmedUser(email, QStringLiteral("Dee Ploy"), kind);
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
        return token;
    }
    bool confirmed(qint64 id)
    {
        return m_org->scalar(QStringLiteral("SELECT count(*) FROM users WHERE id = ? AND "
                                            "confirmed_at IS NOT NULL"),
                             {id}) == 1;
    }
    static QList<QPair<QByteArray, QByteArray>> acceptFields(const Reply &form)
    {
        return {{"token", form.field("token")},
                {"csrf", form.field("csrf")},
                {"action", "accept"},
                {"password", password},
                {"confirm", password}};
    }
    static Target plain(quint16 port, const QString &source = QStringLiteral("127.0.0.1"))
    {
        Target t;
        t.port = port;
        t.source = QHostAddress(source);
        return t;
    }
    Target tls(quint16 port, const QString &source = QStringLiteral("127.0.0.1")) const
    {
        Target t = plain(port, source);
        t.tls = true;
        t.ca = QSslCertificate::fromPath(m_cert);
        return t;
    }
    void setAcceptUrl(const QString &url)
    {
        auto s = OrgSettings::load(m_org->db());
        OrgSettings st = s.value();
        st.acceptUrl = url;
        st.portalAcceptUrl = QStringLiteral("https://portal.acme.example/portal-accept");
        QVERIFY(st.save(m_org->db()));
    }

private slots:
    void initTestCase()
    {
        QVERIFY(m_tmp.isValid());
        QVERIFY2(QSslSocket::supportsSsl(), "Qt has no TLS backend");
        m_org = std::make_unique<TestOrg>();
        QVERIFY2(m_org->isValid(), qPrintable(m_org->error()));
        QString error;
        QVERIFY2(makeCertificate(m_tmp.path(), &m_cert, &m_key, &error), qPrintable(error));
    }

    // --tls-cert/--tls-key: roster-web speaks TLS itself (GnuTLS inside libmicrohttpd).
    void directTls()
    {
        // An http accept-url, so that only TLS here makes the cookie Secure.
        setAcceptUrl(QStringLiteral("http://crm.acme.example/accept"));
        WebProcess web;
        QVERIFY2(web.start(m_org->location(), {QStringLiteral("--tls-cert"), m_cert,
                                               QStringLiteral("--tls-key"), m_key}),
                 qPrintable(web.startError()));
        QVERIFY(web.log().contains(QStringLiteral("(TLS)")));
        qint64 id = 0;
        const QByteArray token = invite(&id);
        const Reply form = get(tls(web.port()), "/accept?token=" + token);
        QVERIFY2(form.complete, qPrintable(form.error));
        QCOMPARE(form.status, 200);
        QVERIFY(form.header("Content-Security-Policy").contains("frame-ancestors 'none'"));
        const QByteArray cookie = form.header("Set-Cookie");
        QVERIFY2(cookie.startsWith("__Host-roster_form=") && cookie.contains("; Secure"),
                 cookie.constData());
        const Reply done = postForm(tls(web.port()), "/accept", acceptFields(form), form.cookie());
        QCOMPARE(done.status, 200);
        QVERIFY(confirmed(id));
        // Plain HTTP on the TLS port gets no page.
        const Reply clear = exchange(plain(web.port()), requestBytes("GET", "/accept"), 10000);
        QVERIFY(clear.status != 200);
        // And a plain roster-web on the same organisation sets no Secure cookie.
        WebProcess http;
        QVERIFY2(http.start(m_org->location()), qPrintable(http.startError()));
        const Reply plainForm = get(plain(http.port()), "/accept?token=" + invite());
        QCOMPARE(plainForm.status, 200);
        QVERIFY(plainForm.header("Set-Cookie").startsWith("roster_form="));
        QVERIFY(!plainForm.header("Set-Cookie").contains("Secure"));
        // The portal's accept-url is https (behind a proxy): its links get the Secure cookie, and
        // as the two paths differ, each serves its own kind of link only.
        qint64 portalId = 0;
        const QByteArray portalToken = invite(&portalId, UserKind::Portal);
        const Reply portalForm = get(plain(http.port()), "/portal-accept?token=" + portalToken);
        QCOMPARE(portalForm.status, 200);
        QVERIFY2(portalForm.header("Set-Cookie").startsWith("__Host-roster_form=") &&
                     portalForm.header("Set-Cookie").contains("; Secure"),
                 portalForm.header("Set-Cookie").constData());
        QCOMPARE(get(plain(http.port()), "/accept?token=" + portalToken).status, 404);
        QCOMPARE(get(plain(http.port()), "/portal-accept?token=" + invite()).status, 404);
        QCOMPARE(postForm(plain(http.port()), "/portal-accept", acceptFields(portalForm),
                          portalForm.cookie())
                     .status,
                 200);
        QVERIFY(confirmed(portalId));
    }

    // The same form posted to two processes at the same instant: one accepts, the other says the
    // invitation was used (SPEC §8: a token accepts exactly once), round after round.
    void twoProcessesAcceptOnce()
    {
        setAcceptUrl(QStringLiteral("https://crm.acme.example/accept"));
        WebProcess a;
        WebProcess b;
        QVERIFY2(a.start(m_org->location()), qPrintable(a.startError()));
        QVERIFY2(b.start(m_org->location()), qPrintable(b.startError()));
        const int rounds = 20;
        int firstWasA = 0;
        for (int round = 0; round < rounds; ++round) {
            qint64 id = 0;
            const QByteArray token = invite(&id);
            QVERIFY(!token.isEmpty());
            // Rendered by one process; the form secret is the organisation's, so both check it.
            const Reply form =
                get(plain(round % 2 ? a.port() : b.port()), "/accept?token=" + token);
            QCOMPARE(form.status, 200);
            const QByteArray bytes = requestBytes(
                "POST", "/accept",
                {{"Content-Type", "application/x-www-form-urlencoded"}, {"Cookie", form.cookie()}},
                formBody(acceptFields(form)));
            QString error;
            // A client of its own each round: the loser's 410 counts as a refused POST.
            const QString source = QStringLiteral("127.0.3.%1").arg(round + 1);
            auto toA = connectTo(plain(a.port(), source), &error);
            QVERIFY2(toA, qPrintable(error));
            auto toB = connectTo(plain(b.port(), source), &error);
            QVERIFY2(toB, qPrintable(error));
            toA->write(bytes);
            toB->write(bytes);
            toA->flush();
            toB->flush();
            const Reply ra = readReply(*toA);
            const Reply rb = readReply(*toB);
            QVERIFY2(ra.complete && rb.complete, qPrintable(ra.error + rb.error));
            QList<int> statuses{ra.status, rb.status};
            std::sort(statuses.begin(), statuses.end());
            QCOMPARE(statuses, (QList<int>{200, 410}));
            const Reply &refused = ra.status == 410 ? ra : rb;
            QVERIFY(refused.body.contains("already used"));
            firstWasA += ra.status == 200;
            QVERIFY(confirmed(id));
            QCOMPARE(m_org->scalar(QStringLiteral("SELECT count(*) FROM audit_log WHERE action = "
                                                  "'invitation.accept' AND target_user_id = ?"),
                                   {id}),
                     1);
        }
        qInfo("%d rounds: process A accepted %d times, B %d times", rounds, firstWasA,
              rounds - firstWasA);
    }

    // X-Forwarded-For is read only from a configured proxy, and then its last entry: the
    // address the proxy itself saw.
    void forwardedForOnlyFromTrustedProxies()
    {
        WebProcess web;
        QVERIFY2(web.start(m_org->location(),
                           {QStringLiteral("--trusted-proxy"), QStringLiteral("127.0.0.1")}),
                 qPrintable(web.startError()));
        const QByteArray token = invite();
        const auto refuse = [&](const QString &source, const QByteArray &forwarded) {
            QList<QPair<QByteArray, QByteArray>> h;
            if (!forwarded.isEmpty())
                h.append({"X-Forwarded-For", forwarded});
            return postForm(plain(web.port(), source), "/accept",
                            {{"token", token}, {"csrf", "1.x"}}, {}, h)
                .status;
        };
        // One client behind the proxy uses up its refusals...
        int n = 0;
        while (n < 50 && refuse(QStringLiteral("127.0.0.1"), "198.51.100.1") == 403)
            ++n;
        QCOMPARE(refuse(QStringLiteral("127.0.0.1"), "198.51.100.1"), 429);
        // ...a spoofed first entry does not get it out of that...
        QCOMPARE(refuse(QStringLiteral("127.0.0.1"), "203.0.113.50, 198.51.100.1"), 429);
        // ...another client behind the same proxy is not limited...
        QCOMPARE(refuse(QStringLiteral("127.0.0.1"), "198.51.100.2"), 403);
        // ...and a peer that is not a proxy cannot borrow a fresh address.
        n = 0;
        while (n < 50 &&
               refuse(QStringLiteral("127.0.0.8"), QByteArray::number(n) + ".0.0.1") == 403)
            ++n;
        QCOMPARE(refuse(QStringLiteral("127.0.0.8"), "192.0.2.99"), 429);
    }

    // nginx from Debian on loopback terminates TLS (a certificate made at test time) in front of
    // two roster-web processes; the page works through it, headers and all.
    void behindNginx()
    {
        const QString nginx = QStringLiteral("/usr/sbin/nginx");
        if (!QFile::exists(nginx))
            QSKIP("nginx is not installed (Debian: nginx-light; script/bootstrap --test)");
        setAcceptUrl(QStringLiteral("https://localhost/accept"));
        WebProcess a;
        WebProcess b;
        const QStringList proxyArgs{QStringLiteral("--trusted-proxy"), QStringLiteral("127.0.0.1")};
        QVERIFY2(a.start(m_org->location(), proxyArgs), qPrintable(a.startError()));
        QVERIFY2(b.start(m_org->location(), proxyArgs), qPrintable(b.startError()));

        const QString dir = m_tmp.path() + QStringLiteral("/nginx");
        QVERIFY(QDir().mkpath(dir + QStringLiteral("/temp")));
        const quint16 port = freePort();
        QVERIFY(port);
        QString conf = QStringLiteral(R"(daemon off;
master_process off;
worker_processes 1;
pid %1/nginx.pid;
error_log %1/error.log info;
events { worker_connections 512; }
http {
    access_log off;
    client_body_temp_path %1/temp/body;
    proxy_temp_path %1/temp/proxy;
    fastcgi_temp_path %1/temp/fastcgi;
    uwsgi_temp_path %1/temp/uwsgi;
    scgi_temp_path %1/temp/scgi;
    upstream roster_web {
        server 127.0.0.1:%2;
        server 127.0.0.1:%3;
    }
    server {
        listen 127.0.0.1:%4 ssl;
        server_name localhost;
        ssl_certificate %5;
        ssl_certificate_key %6;
        client_max_body_size 1m;
        location = /accept {
            proxy_pass http://roster_web;
            proxy_set_header Host $host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto https;
        }
        location / { return 404; }
    }
}
)")
                           .arg(dir)
                           .arg(a.port())
                           .arg(b.port())
                           .arg(port)
                           .arg(m_cert, m_key);
        QFile f(dir + QStringLiteral("/nginx.conf"));
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write(conf.toUtf8());
        f.close();
        QProcess proxy;
        proxy.setProcessChannelMode(QProcess::MergedChannels);
        proxy.start(nginx, {QStringLiteral("-c"), f.fileName(), QStringLiteral("-p"), dir,
                            QStringLiteral("-e"), dir + QStringLiteral("/error.log")});
        QVERIFY(proxy.waitForStarted(10000));
        const auto stopProxy = qScopeGuard([&] {
            proxy.terminate();
            if (!proxy.waitForFinished(10000))
                proxy.kill();
        });
        // Ready when it answers.
        Reply probe;
        for (int i = 0; i < 100 && !probe.complete; ++i) {
            probe = get(tls(port), "/nothing");
            if (!probe.complete)
                QTest::qWait(100);
        }
        QVERIFY2(probe.complete, qPrintable(probe.error + QString::fromUtf8(proxy.readAll())));

        for (int round = 0; round < 4; ++round) {
            qint64 id = 0;
            const QByteArray token = invite(&id);
            const Reply form = get(tls(port), "/accept?token=" + token);
            QCOMPARE(form.status, 200);
            QVERIFY(form.header("Content-Security-Policy").contains("frame-ancestors 'none'"));
            QCOMPARE(form.header("Referrer-Policy"), QByteArray("no-referrer"));
            QCOMPARE(form.header("Cache-Control"), QByteArray("no-store"));
            QCOMPARE(form.header("X-Content-Type-Options"), QByteArray("nosniff"));
            QVERIFY(form.header("Set-Cookie").contains("; Secure"));
            // Round robin: the POST goes to the other process from the GET.
            const Reply done = postForm(tls(port), "/accept", acceptFields(form), form.cookie());
            QCOMPARE(done.status, 200);
            QVERIFY(done.body.contains("href=\"https://localhost/\""));
            QVERIFY(confirmed(id));
            const Reply used = postForm(tls(port), "/accept", acceptFields(form), form.cookie());
            QCOMPARE(used.status, 410);
        }
        // A body over 64 KiB: roster-web's 413 through the proxy, with its headers.
        const Reply big = exchange(
            tls(port),
            requestBytes("POST", "/accept", {{"Content-Type", "application/x-www-form-urlencoded"}},
                         QByteArray(512 * 1024, 'a')));
        QCOMPARE(big.status, 413);
        QVERIFY(big.header("Content-Security-Policy").contains("frame-ancestors 'none'"));
        // The client behind the proxy is who gets limited, not the proxy: 127.0.0.5 uses up
        // its refusals (on both processes), 127.0.0.6 is still heard.
        const QByteArray token = invite();
        int refused = 0;
        Reply r;
        for (int i = 0; i < 60; ++i) {
            r = postForm(tls(port, QStringLiteral("127.0.0.5")), "/accept",
                         {{"token", token}, {"csrf", "1.x"}}, {},
                         {{"X-Forwarded-For", "203.0.113.1"}});
            if (r.status == 429)
                break;
            QCOMPARE(r.status, 403);
            ++refused;
        }
        QCOMPARE(r.status, 429);
        const Reply other = postForm(tls(port, QStringLiteral("127.0.0.6")), "/accept",
                                     {{"token", token}, {"csrf", "1.x"}});
        QCOMPARE(other.status, 403);
        // No token in either process's log.
        for (WebProcess *w : {&a, &b})
            QVERIFY(!w->log().contains(QString::fromLatin1(token)));
    }
};

QTEST_GUILESS_MAIN(TestWebDeploy)
#include "tst_webdeploy.moc"
