// Issue 3 end to end: rosterctl and the outbox against real SMTP servers on loopback —
// aiosmtpd with STARTTLS (a CA made at test time) and Postfix's smtp-sink with faults.
#include "../smtp/smtptestservers.h"
#include "testsupport.h"

#include "app/orgsettings.h"

#include <QDir>
#include <QRegularExpression>
#include <QSet>
#include <QSqlQuery>
#include <QTest>

using namespace roster;
using namespace testsupport;

class TestMailDelivery : public QObject
{
    Q_OBJECT
    QTemporaryDir pki;
    std::unique_ptr<TestOrg> org;

    RunResult ctl(const QStringList &args, const QByteArray &input = {},
                  QProcessEnvironment env = {})
    {
        if (env.isEmpty())
            env = org->rosterctlEnvironment();
        return rosterctl(args, input, env);
    }
    static QString show(const RunResult &r)
    {
        return QStringLiteral("exit %1\nstdout: %2\nstderr: %3").arg(r.exitCode).arg(r.out, r.err);
    }
    RunResult configureSmtp(quint16 port, const QString &security, const QStringList &extra = {},
                            const QByteArray &password = {})
    {
        QStringList args{QStringLiteral("mail"),        QStringLiteral("configure"),
                         QStringLiteral("--transport"), QStringLiteral("smtp"),
                         QStringLiteral("--host"),      QStringLiteral("127.0.0.1"),
                         QStringLiteral("--port"),      QString::number(port),
                         QStringLiteral("--security"),  security,
                         QStringLiteral("--from"),      QStringLiteral("invites@acme.example")};
        return ctl(args + extra, password);
    }
    RunResult addUser(const QString &email, const QStringList &extra = {})
    {
        return ctl(QStringList{QStringLiteral("user"), QStringLiteral("add"),
                               QStringLiteral("--email"), email, QStringLiteral("--name"),
                               QStringLiteral("Zoë Ünal")} +
                   extra);
    }

private slots:
    void initTestCase()
    {
        QString error;
        QVERIFY2(TestPki::makeCa(pki.path(), QStringLiteral("ca"), &error), qPrintable(error));
        QVERIFY2(TestPki::makeServerCert(pki.path(), QStringLiteral("ca"), QStringLiteral("server"),
                                         QStringLiteral("DNS:localhost,IP:127.0.0.1"), &error),
                 qPrintable(error));
        QVERIFY2(TestPki::makeServerCert(pki.path(), QStringLiteral("ca"),
                                         QStringLiteral("elsewhere"),
                                         QStringLiteral("DNS:mail.example.com"), &error),
                 qPrintable(error));
    }
    void init()
    {
        org = std::make_unique<TestOrg>();
        QVERIFY2(org->isValid(), qPrintable(org->error()));
    }
    void cleanup() { org.reset(); }

    // The "done when": a re-invite over STARTTLS delivers a mail whose link accepts.
    void reinviteOverStartTlsWithAuthDeliversAWorkingLink()
    {
        AiosmtpdServer server;
        QString error;
        QVERIFY2(server.start({QStringLiteral("--starttls"), QStringLiteral("--cert"),
                               pki.filePath(QStringLiteral("server.pem")), QStringLiteral("--key"),
                               pki.filePath(QStringLiteral("server.key")), QStringLiteral("--auth"),
                               QStringLiteral("mailer:s3cret-smtp")},
                              &error),
                 qPrintable(error));
        auto conf =
            configureSmtp(server.port(), QStringLiteral("starttls"),
                          {QStringLiteral("--user"), QStringLiteral("mailer"),
                           QStringLiteral("--ca-file"), pki.filePath(QStringLiteral("ca.pem"))},
                          "s3cret-smtp\n");
        QVERIFY2(conf.exitCode == 0, qPrintable(show(conf)));
        // The SMTP password is not in the database in clear.
        QVERIFY(!org->dump().contains(QStringLiteral("s3cret-smtp")));

        auto add = addUser(QStringLiteral("zoe@example.net"));
        QVERIFY2(add.exitCode == 0, qPrintable(show(add)));
        QVERIFY(add.out.contains(QStringLiteral("sent zoe@example.net")));
        org->clock().advanceMinutes(6);
        auto re = ctl({QStringLiteral("user"), QStringLiteral("reinvite"),
                       QStringLiteral("zoe@example.net")});
        QVERIFY2(re.exitCode == 0, qPrintable(show(re)));

        const QList<StoredMessage> stored = server.messages();
        QCOMPARE(stored.size(), 2);
        for (const StoredMessage &m : stored) {
            QVERIFY(m.meta.value(QStringLiteral("tls")).toBool());
            QVERIFY(m.meta.value(QStringLiteral("authenticated")).toBool());
            QCOMPARE(m.meta.value(QStringLiteral("mail_from")).toString(),
                     QStringLiteral("invites@acme.example"));
            QVERIFY(m.data.contains("Subject: "));
            QVERIFY(m.data.contains("Message-ID: <"));
            QVERIFY(m.data.contains("=?UTF-8?")); // the recipient's name, RFC 2047
        }
        const QByteArray oldToken = tokenFromMessage(stored.at(0).data);
        const QByteArray newToken = tokenFromMessage(stored.at(1).data);
        QCOMPARE(newToken.size(), 43);
        QVERIFY(oldToken != newToken);
        QVERIFY(stored.at(1).data.contains("https://crm.acme.example/accept?token="));
        auto old = ctl({QStringLiteral("invitation"), QStringLiteral("accept"),
                        QStringLiteral("--token"), QString::fromLatin1(oldToken)},
                       "a strong password\n");
        QCOMPARE(old.exitCode, 3);
        auto ok = ctl({QStringLiteral("invitation"), QStringLiteral("accept"),
                       QStringLiteral("--token"), QString::fromLatin1(newToken)},
                      "a strong password\n");
        QVERIFY2(ok.exitCode == 0, qPrintable(show(ok)));

        auto test = ctl({QStringLiteral("mail"), QStringLiteral("test"), QStringLiteral("--to"),
                         QStringLiteral("ops@acme.example")});
        QVERIFY2(test.exitCode == 0, qPrintable(show(test)));
        QCOMPARE(server.messages().size(), 3);
    }

    void wrongSmtpPasswordDefersAndMailTestSaysWhy()
    {
        AiosmtpdServer server;
        QString error;
        QVERIFY2(server.start({QStringLiteral("--starttls"), QStringLiteral("--cert"),
                               pki.filePath(QStringLiteral("server.pem")), QStringLiteral("--key"),
                               pki.filePath(QStringLiteral("server.key")), QStringLiteral("--auth"),
                               QStringLiteral("mailer:right")},
                              &error),
                 qPrintable(error));
        QCOMPARE(
            configureSmtp(server.port(), QStringLiteral("starttls"),
                          {QStringLiteral("--user"), QStringLiteral("mailer"),
                           QStringLiteral("--ca-file"), pki.filePath(QStringLiteral("ca.pem"))},
                          "wrong\n")
                .exitCode,
            0);
        auto add = addUser(QStringLiteral("amy@example.net"));
        QCOMPARE(add.exitCode, 1);
        QVERIFY2(add.out.contains(QStringLiteral("deferred amy@example.net")),
                 qPrintable(show(add)));
        auto test = ctl({QStringLiteral("mail"), QStringLiteral("test"), QStringLiteral("--to"),
                         QStringLiteral("ops@acme.example")});
        QCOMPARE(test.exitCode, 6);
        QCOMPARE(test.err.count(u'\n'), 1);
        QVERIFY2(test.err.contains(QStringLiteral("password"), Qt::CaseInsensitive) ||
                     test.err.contains(QStringLiteral("authentic"), Qt::CaseInsensitive),
                 qPrintable(show(test)));
        QCOMPARE(server.messages().size(), 0);
    }

    // Issue 13 #5: what the console used to leave behind after a keyring save (a user, no
    // sealed password) is a configuration error: exit 6, one line saying what to do, no AUTH
    // attempt, and the mail stays queued. The same for a sealed password that is empty.
    void smtpUserWithoutPasswordIsAConfigurationError()
    {
        AiosmtpdServer server;
        QString error;
        QVERIFY2(server.start({QStringLiteral("--starttls"), QStringLiteral("--cert"),
                               pki.filePath(QStringLiteral("server.pem")), QStringLiteral("--key"),
                               pki.filePath(QStringLiteral("server.key")), QStringLiteral("--auth"),
                               QStringLiteral("mailer:right")},
                              &error),
                 qPrintable(error));
        auto conf =
            configureSmtp(server.port(), QStringLiteral("starttls"),
                          {QStringLiteral("--user"), QStringLiteral("mailer"),
                           QStringLiteral("--ca-file"), pki.filePath(QStringLiteral("ca.pem"))},
                          "right\n");
        QVERIFY2(conf.exitCode == 0, qPrintable(show(conf)));
        {
            OrgSettings s = OrgSettings::load(org->db()).value();
            s.smtpPasswordSealed.clear();
            QVERIFY(s.save(org->db()));
        }
        auto add = addUser(QStringLiteral("amy@example.net"));
        QCOMPARE(add.exitCode, 6);
        QVERIFY2(add.err.count(u'\n') == 1, qPrintable(show(add)));
        QVERIFY2(add.err.contains(QStringLiteral("no password")), qPrintable(show(add)));
        QVERIFY2(add.err.contains(QStringLiteral("mail configure")), qPrintable(show(add)));
        QVERIFY2(add.err.contains(QStringLiteral("stays queued")), qPrintable(show(add)));
        auto deliver = ctl({QStringLiteral("outbox"), QStringLiteral("deliver")});
        QCOMPARE(deliver.exitCode, 6);
        QVERIFY2(deliver.err.count(u'\n') == 1, qPrintable(show(deliver)));
        QCOMPARE(server.authAttempts(), QList<QByteArray>());
        QCOMPARE(server.messages().size(), 0);
        auto queued = ctl({QStringLiteral("outbox"), QStringLiteral("list"),
                           QStringLiteral("--state"), QStringLiteral("queued")});
        QVERIFY2(queued.out.contains(QStringLiteral("amy@example.net")), qPrintable(show(queued)));

        // Giving the password again delivers what waited, with AUTH.
        conf = configureSmtp(server.port(), QStringLiteral("starttls"),
                             {QStringLiteral("--user"), QStringLiteral("mailer"),
                              QStringLiteral("--ca-file"), pki.filePath(QStringLiteral("ca.pem"))},
                             "right\n");
        QVERIFY2(conf.exitCode == 0, qPrintable(show(conf)));
        org->clock().advanceMinutes(1); // rosterctl runs on the test's clock: past the queueing
        deliver = ctl({QStringLiteral("outbox"), QStringLiteral("deliver")});
        QVERIFY2(deliver.exitCode == 0, qPrintable(show(deliver)));
        QVERIFY2(deliver.out.contains(QStringLiteral("sent amy@example.net")),
                 qPrintable(show(deliver)));
        QCOMPARE(server.authAttempts(), QList<QByteArray>{"mailer ok"});
        QCOMPARE(server.messages().size(), 1);
    }

    void certificateForAnotherNameIsRefused()
    {
        AiosmtpdServer server;
        QString error;
        QVERIFY2(
            server.start({QStringLiteral("--tls"), QStringLiteral("--cert"),
                          pki.filePath(QStringLiteral("elsewhere.pem")), QStringLiteral("--key"),
                          pki.filePath(QStringLiteral("elsewhere.key"))},
                         &error),
            qPrintable(error));
        QCOMPARE(
            configureSmtp(server.port(), QStringLiteral("tls"),
                          {QStringLiteral("--ca-file"), pki.filePath(QStringLiteral("ca.pem"))})
                .exitCode,
            0);
        auto test = ctl({QStringLiteral("mail"), QStringLiteral("test"), QStringLiteral("--to"),
                         QStringLiteral("ops@acme.example")});
        QCOMPARE(test.exitCode, 6);
        QVERIFY2(test.err.contains(QStringLiteral("host name"), Qt::CaseInsensitive),
                 qPrintable(show(test)));
        QCOMPARE(server.messages().size(), 0);
    }

    void serverDownThenBackEachMessageExactlyOnce()
    {
        // 1. Nothing listens: invitations are deferred, the command says so and exits 1.
        const quint16 deadPort = freeLocalPort();
        QCOMPARE(configureSmtp(deadPort, QStringLiteral("none")).exitCode, 0);
        QProcessEnvironment env = org->rosterctlEnvironment();
        env.insert(QStringLiteral("ROSTER_SMTP_TIMEOUT_MS"), QStringLiteral("3000"));
        for (int i = 0; i < 10; ++i) {
            auto r = ctl({QStringLiteral("user"), QStringLiteral("add"), QStringLiteral("--email"),
                          QStringLiteral("u%1@example.net").arg(i), QStringLiteral("--name"),
                          QStringLiteral("User %1").arg(i)},
                         {}, env);
            QCOMPARE(r.exitCode, 1);
            QVERIFY2(r.out.contains(QStringLiteral("deferred u%1@example.net").arg(i)),
                     qPrintable(show(r)));
        }
        auto down = ctl({QStringLiteral("mail"), QStringLiteral("test"), QStringLiteral("--to"),
                         QStringLiteral("ops@acme.example")},
                        {}, env);
        QCOMPARE(down.exitCode, 6);
        // 2. A server that soft-fails every recipient: still deferred, backing off.
        SmtpSink flaky;
        QString error;
        QVERIFY2(flaky.start({QStringLiteral("-r"), QStringLiteral("RCPT")}, &error),
                 qPrintable(error));
        QCOMPARE(configureSmtp(flaky.port(), QStringLiteral("none")).exitCode, 0);
        org->clock().advanceMinutes(2);
        auto soft = ctl({QStringLiteral("outbox"), QStringLiteral("deliver")});
        QCOMPARE(soft.exitCode, 1);
        QVERIFY2(soft.out.count(QStringLiteral("deferred")) >= 10, qPrintable(show(soft)));
        QVERIFY(soft.out.contains(QStringLiteral("4")));
        flaky.stop();
        // 3. The fault is lifted: every deferred message goes out exactly once.
        SmtpSink sink;
        QVERIFY2(sink.start({}, &error), qPrintable(error));
        QCOMPARE(configureSmtp(sink.port(), QStringLiteral("none")).exitCode, 0);
        org->clock().advanceMinutes(10);
        auto ok = ctl({QStringLiteral("outbox"), QStringLiteral("deliver")});
        QVERIFY2(ok.exitCode == 0, qPrintable(show(ok)));
        QCOMPARE(ok.out.count(QStringLiteral("sent ")), 11); // 10 invitations and the test mail
        QTRY_COMPARE(sink.messageCount(), 11);
        org->clock().advanceDays(1);
        auto again = ctl({QStringLiteral("outbox"), QStringLiteral("deliver")});
        QCOMPARE(again.exitCode, 0);
        QCOMPARE(again.out.count(QStringLiteral("sent ")), 0);
        QCOMPARE(sink.messageCount(), 11);
        QCOMPARE(org->scalar(QStringLiteral("SELECT count(*) FROM outbox WHERE state = 'sent'")),
                 11);
        QCOMPARE(org->scalar(QStringLiteral("SELECT count(DISTINCT message_id) FROM outbox")), 11);
    }

    // Issue 9: faults in the middle of a transaction. The messages are retried and each arrives
    // once at the healthy server; a duplicate is possible only where the faulty server had the
    // whole message (no reply after the final dot) and then carries the same Message-ID.
    void faultMidTransaction_data()
    {
        QTest::addColumn<QStringList>("fault");
        QTest::newRow("dropped after the final dot")
            << QStringList{QStringLiteral("-q"), QStringLiteral(".")};
        QTest::newRow("dropped at DATA")
            << QStringList{QStringLiteral("-q"), QStringLiteral("DATA")};
        QTest::newRow("421 after RCPT")
            << QStringList{QStringLiteral("-Q"), QStringLiteral("RCPT")};
        QTest::newRow("stall past the timeout")
            << QStringList{QStringLiteral("-w"), QStringLiteral("4")};
    }
    void faultMidTransaction()
    {
        QFETCH(QStringList, fault);
        constexpr int users = 6;
        for (int i = 0; i < users; ++i)
            QCOMPARE(ctl({QStringLiteral("user"), QStringLiteral("add"), QStringLiteral("--email"),
                          QStringLiteral("f%1@example.net").arg(i), QStringLiteral("--name"),
                          QStringLiteral("F %1").arg(i), QStringLiteral("--queue-only")})
                         .exitCode,
                     0);
        QProcessEnvironment env = org->rosterctlEnvironment();
        env.insert(QStringLiteral("ROSTER_SMTP_TIMEOUT_MS"), QStringLiteral("1500"));
        SmtpSink faulty;
        QString error;
        QVERIFY2(faulty.start(fault, &error), qPrintable(error));
        QCOMPARE(configureSmtp(faulty.port(), QStringLiteral("none")).exitCode, 0);
        auto bad = ctl({QStringLiteral("outbox"), QStringLiteral("deliver")}, {}, env);
        QVERIFY2(bad.exitCode == 1, qPrintable(show(bad)));
        QVERIFY2(bad.out.contains(QStringLiteral("deferred")), qPrintable(show(bad)));
        QVERIFY(!bad.out.contains(QStringLiteral("sent ")));
        faulty.stop();

        SmtpSink healthy;
        QVERIFY2(healthy.start({}, &error), qPrintable(error));
        QCOMPARE(configureSmtp(healthy.port(), QStringLiteral("none")).exitCode, 0);
        for (int round = 0;
             round < 4 &&
             org->scalar(QStringLiteral("SELECT count(*) FROM outbox WHERE state <> 'sent'")) > 0;
             ++round) {
            org->clock().advanceMinutes(5);
            env = org->rosterctlEnvironment(); // the new time
            env.insert(QStringLiteral("ROSTER_SMTP_TIMEOUT_MS"), QStringLiteral("1500"));
            auto r = ctl({QStringLiteral("outbox"), QStringLiteral("deliver")}, {}, env);
            QVERIFY2(r.exitCode == 0 || r.exitCode == 1, qPrintable(show(r)));
        }
        QCOMPARE(org->scalar(QStringLiteral("SELECT count(*) FROM outbox WHERE state = 'sent'")),
                 users);

        // Every Message-ID the outbox holds reached the healthy server exactly once.
        QSqlQuery q = org->db().prepare(QStringLiteral("SELECT message_id FROM outbox"));
        QVERIFY(org->db().exec(q));
        QSet<QByteArray> ids;
        while (q.next())
            ids.insert(q.value(0).toString().toLatin1());
        QCOMPARE(ids.size(), users);
        const auto messageIdOf = [](const QByteArray &m) {
            static const QRegularExpression re(QStringLiteral("Message-ID: <([^>]+)>"),
                                               QRegularExpression::CaseInsensitiveOption);
            return re.match(QString::fromLatin1(m)).captured(1).toLatin1();
        };
        QHash<QByteArray, int> seen;
        QTRY_COMPARE(healthy.messageCount(), users);
        for (const QByteArray &m : healthy.messages())
            seen[messageIdOf(m)]++;
        for (const QByteArray &id : ids)
            QCOMPARE(seen.value(id), 1);
        // What the faulty server may have kept carries the same Message-IDs: a duplicate is
        // recognisable as one.
        int duplicates = 0;
        for (const QByteArray &m : faulty.messages()) {
            const QByteArray id = messageIdOf(m);
            if (!id.isEmpty()) {
                QVERIFY2(ids.contains(id), id.constData());
                ++duplicates;
            }
        }
        qInfo("fault %s: %d of %d messages possibly seen twice (same Message-ID)",
              qPrintable(fault.join(u' ')), duplicates, users);
    }

    void hardFailureFailsAtOnceWithTheReply()
    {
        SmtpSink sink;
        QString error;
        QVERIFY2(sink.start({QStringLiteral("-f"), QStringLiteral("RCPT")}, &error),
                 qPrintable(error));
        QCOMPARE(configureSmtp(sink.port(), QStringLiteral("none")).exitCode, 0);
        auto r = addUser(QStringLiteral("gone@example.net"));
        QCOMPARE(r.exitCode, 1);
        QVERIFY2(r.out.contains(QStringLiteral("failed gone@example.net: 5")), qPrintable(show(r)));
        auto list = ctl({QStringLiteral("user"), QStringLiteral("list"), QStringLiteral("--view"),
                         QStringLiteral("unconfirmed"), QStringLiteral("--format"),
                         QStringLiteral("json")});
        QVERIFY(list.out.contains(QStringLiteral("\"mail_state\":\"failed\"")));
    }
};

QTEST_GUILESS_MAIN(TestMailDelivery)
#include "tst_maildelivery.moc"
