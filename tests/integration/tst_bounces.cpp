// Issue 15 end to end with real mail servers (tests/support/privatemail.h): a private Dovecot
// serves the bounce mailbox over implicit TLS and STARTTLS with a certificate made at test time;
// rosterctl sends the invitations (file transport, or through a private Postfix whose bounce
// daemon writes the DSN), reads the mailbox and marks the right user bounced.
#include "../smtp/smtptestservers.h"
#include "app/mail/imap/imapclient.h"
#include "app/mailsettingsservice.h"
#include "privatemail.h"
#include "testsupport.h"

#include <QDir>
#include <QEventLoop>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSqlQuery>
#include <QTest>

using namespace roster;
using namespace testsupport;

class TestBounces : public QObject
{
    Q_OBJECT
    PrivateDovecot dovecot;
    PrivatePostfix postfix; // stopped before the Dovecot, whose directory holds its queue
    bool postfixRuns = false;
    QString postfixProblem;
    std::unique_ptr<TestOrg> org;

    RunResult ctl(const QStringList &args, const QByteArray &input = {})
    {
        return rosterctl(args, input, org->rosterctlEnvironment());
    }
    static QString show(const RunResult &r)
    {
        return QStringLiteral("exit %1\nstdout: %2\nstderr: %3").arg(r.exitCode).arg(r.out, r.err);
    }
    static QByteArray sample(const char *name)
    {
        QFile f(qEnvironmentVariable("ROSTER_SOURCE_DIR") + QStringLiteral("/tests/mail/bounces/") +
                QString::fromLatin1(name));
        return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
    }
    void drop(const QByteArray &message)
    {
        QString error;
        QVERIFY2(dovecot.drop(message, &error), qPrintable(error));
    }
    QStringList mailboxFiles() const { return dovecot.files(); }
    // The accept token of the (newest) invitation to `to` in one of Postfix's Maildirs.
    QByteArray tokenOfMailTo(const QString &mailbox, const QByteArray &to) const
    {
        const QString md = postfix.mailboxMaildir(mailbox);
        QByteArray token;
        for (const QString &f : PrivateDovecot::maildirFiles(md)) {
            const QByteArray m = readFile(md + u'/' + f);
            bool toIt = false;
            for (const QByteArray &line : m.left(m.indexOf("\n\n")).split('\n'))
                toIt = toIt || (line.startsWith("To: ") && line.contains(to));
            if (toIt && !tokenFromMessage(m).isEmpty())
                token = tokenFromMessage(m);
        }
        return token;
    }
    QString tagOf(const QString &email)
    {
        QSqlQuery q = org->db().prepare(QStringLiteral(
            "SELECT o.bounce_tag FROM outbox o JOIN users u ON u.last_outbox_id = o.id WHERE "
            "u.email = ?"));
        q.addBindValue(email);
        if (!org->db().exec(q) || !q.next())
            return {};
        return q.value(0).toString();
    }
    RunResult configureImap(const QString &security, quint16 port, bool ca = true,
                            const QByteArray &password = PrivateDovecot::password())
    {
        QStringList args{QStringLiteral("bounces"),    QStringLiteral("configure"),
                         QStringLiteral("--host"),     QStringLiteral("localhost"),
                         QStringLiteral("--port"),     QString::number(port),
                         QStringLiteral("--security"), security,
                         QStringLiteral("--user"),     QStringLiteral("bounces")};
        if (ca)
            args << QStringLiteral("--ca-file") << dovecot.caFile();
        return ctl(args, password + '\n');
    }

private Q_SLOTS:
    void initTestCase()
    {
        if (!PrivateDovecot::installed())
            QSKIP("dovecot is not installed (Debian: dovecot-imapd; script/bootstrap --test)");
        QString error;
        QVERIFY2(dovecot.start(&error), qPrintable(error));
        postfixRuns = postfix.start(dovecot, &postfixProblem);
        if (!postfixRuns)
            qWarning("no private Postfix: %s", qPrintable(postfixProblem));
    }
    void cleanupTestCase()
    {
        postfix.stop();
        dovecot.stop();
    }
    void init()
    {
        org = std::make_unique<TestOrg>();
        QVERIFY2(org->isValid(), qPrintable(org->error()));
        RunResult r =
            ctl({QStringLiteral("mail"), QStringLiteral("configure"), QStringLiteral("--transport"),
                 QStringLiteral("file"), QStringLiteral("--dir"), org->mailDir()});
        QVERIFY2(r.exitCode == 0, qPrintable(show(r)));
        r = ctl({QStringLiteral("bounces"), QStringLiteral("configure"),
                 QStringLiteral("--address"), QStringLiteral("bounces@roster.test")});
        QVERIFY2(r.exitCode == 0, qPrintable(show(r)));
    }
    void cleanup() { org.reset(); }

    void failureAndDelayOverTlsAndStartTls()
    {
        for (const char *e : {"jon.smiht@bouncing.test", "ann@acme.example"}) {
            const RunResult r =
                ctl({QStringLiteral("user"), QStringLiteral("add"), QStringLiteral("--email"),
                     QString::fromLatin1(e), QStringLiteral("--name"), QStringLiteral("Someone")});
            QVERIFY2(r.exitCode == 0, qPrintable(show(r)));
        }
        const QString jonTag = tagOf(QStringLiteral("jon.smiht@bouncing.test"));
        const QString annTag = tagOf(QStringLiteral("ann@acme.example"));
        QCOMPARE(jonTag.size(), 16);
        QByteArray dsn = sample("postfix-dsn-failure.eml");
        dsn.replace("k7m2qx4ab5cd6efg", jonTag.toLatin1());
        drop(dsn);
        drop(sample("out-of-office.eml"));
        drop(sample("ordinary-mail.eml"));

        QVERIFY2(configureImap(QStringLiteral("tls"), dovecot.imapsPort()).exitCode == 0,
                 "configure");
        RunResult r = ctl({QStringLiteral("bounces"), QStringLiteral("fetch")});
        QVERIFY2(r.exitCode == 0, qPrintable(show(r)));
        QCOMPARE(r.out.trimmed().split(u'\n').size(), 1);
        QVERIFY2(r.out.startsWith(QStringLiteral("bounced jon.smiht@bouncing.test: 550 5.1.1")),
                 qPrintable(show(r)));

        r = ctl({QStringLiteral("user"), QStringLiteral("list"), QStringLiteral("--view"),
                 QStringLiteral("bounced"), QStringLiteral("--format"), QStringLiteral("json")});
        QVERIFY2(r.exitCode == 0, qPrintable(show(r)));
        const QJsonArray users = QJsonDocument::fromJson(r.out.toUtf8())[u"users"].toArray();
        QCOMPARE(users.size(), 1);
        QCOMPARE(users.at(0)[u"email"].toString(), QStringLiteral("jon.smiht@bouncing.test"));
        QCOMPARE(users.at(0)[u"mail_state"].toString(), QStringLiteral("bounced"));
        QVERIFY(users.at(0)[u"mail_reply"].toString().contains(QStringLiteral("5.1.1")));

        // Only the report is \Seen; the others stay unseen, nothing is deleted.
        const QStringList files = mailboxFiles();
        QCOMPARE(files.size(), 3);
        int seen = 0;
        for (const QString &f : files)
            seen += f.section(u':', 1).contains(u'S') ? 1 : 0;
        QCOMPARE(seen, 1);

        // A second fetch changes nothing (but the time of the mailbox's last check).
        auto dumpWithoutCheckTime = [this] {
            QSqlQuery q =
                org->db().prepare(QStringLiteral("UPDATE bounce_mailbox SET checked_at = 0"));
            return org->db().exec(q) ? org->dump() : QString();
        };
        const QString before = dumpWithoutCheckTime();
        r = ctl({QStringLiteral("bounces"), QStringLiteral("fetch")});
        QVERIFY2(r.exitCode == 0 && r.out.trimmed().isEmpty(), qPrintable(show(r)));
        QCOMPARE(dumpWithoutCheckTime(), before);
        QCOMPARE(mailboxFiles(), files);
        QCOMPARE(mailboxFiles().size(), 3);

        // STARTTLS, and a delay report for the other user: history, not a state.
        QByteArray delay = sample("postfix-dsn-delay.eml");
        delay.replace("p3qrs7tuv2wxyz45", annTag.toLatin1());
        drop(delay);
        QVERIFY2(configureImap(QStringLiteral("starttls"), dovecot.imapPort()).exitCode == 0,
                 "configure");
        r = ctl({QStringLiteral("bounces"), QStringLiteral("fetch"), QStringLiteral("--format"),
                 QStringLiteral("json")});
        QVERIFY2(r.exitCode == 0, qPrintable(show(r)));
        const QJsonArray lines = QJsonDocument::fromJson(r.out.toUtf8()).array();
        QCOMPARE(lines.size(), 1);
        QCOMPARE(lines.at(0)[u"outcome"].toString(), QStringLiteral("delayed"));
        QCOMPARE(lines.at(0)[u"email"].toString(), QStringLiteral("ann@acme.example"));
        r = ctl({QStringLiteral("user"), QStringLiteral("list"), QStringLiteral("--view"),
                 QStringLiteral("bounced"), QStringLiteral("--format"), QStringLiteral("json")});
        QCOMPARE(QJsonDocument::fromJson(r.out.toUtf8())[u"users"].toArray().size(), 1);
        QCOMPARE(mailboxFiles().size(), 4);
    }

    void endToEndThroughPostfix()
    {
        if (!postfixRuns)
            QSKIP(qPrintable(postfixProblem));
        // Mail from the earlier cases is read already; this case counts from here.
        const QStringList earlier = mailboxFiles();
        RunResult r =
            ctl({QStringLiteral("mail"), QStringLiteral("configure"), QStringLiteral("--transport"),
                 QStringLiteral("smtp"), QStringLiteral("--host"), QStringLiteral("127.0.0.1"),
                 QStringLiteral("--port"), QString::number(postfix.smtpPort()),
                 QStringLiteral("--security"), QStringLiteral("none"), QStringLiteral("--from"),
                 QStringLiteral("no-reply@roster.test")});
        QVERIFY2(r.exitCode == 0, qPrintable(show(r)));
        QVERIFY(configureImap(QStringLiteral("tls"), dovecot.imapsPort()).exitCode == 0);
        // Anything still unseen from the earlier cases is read (and left) first.
        QVERIFY2(ctl({QStringLiteral("bounces"), QStringLiteral("fetch")}).exitCode == 0, "fetch");
        for (const char *e : {"lee@bouncing.test", "kai@acme.example"}) {
            r = ctl({QStringLiteral("user"), QStringLiteral("add"), QStringLiteral("--email"),
                     QString::fromLatin1(e), QStringLiteral("--name"), QStringLiteral("Someone")});
            // Postfix accepts both: the bounce comes later, from its bounce daemon.
            QVERIFY2(r.exitCode == 0 &&
                         r.out.contains(QStringLiteral("sent ") + QString::fromLatin1(e)),
                     qPrintable(show(r)));
        }
        // Wait for Postfix's DSN in the Maildir (polled, bounded).
        QTRY_VERIFY_WITH_TIMEOUT(mailboxFiles().size() > earlier.size(), 60000);
        r = ctl({QStringLiteral("bounces"), QStringLiteral("fetch"), QStringLiteral("--format"),
                 QStringLiteral("json")});
        QVERIFY2(r.exitCode == 0, qPrintable(show(r)));
        const QJsonArray lines = QJsonDocument::fromJson(r.out.toUtf8()).array();
        QCOMPARE(lines.size(), 1);
        QCOMPARE(lines.at(0)[u"outcome"].toString(), QStringLiteral("bounced"));
        QCOMPARE(lines.at(0)[u"email"].toString(), QStringLiteral("lee@bouncing.test"));
        QCOMPARE(lines.at(0)[u"matched_by"].toString(), QStringLiteral("verp"));
        QVERIFY(lines.at(0)[u"diagnostic"].toString().contains(QStringLiteral("5.1.1")));
        r = ctl({QStringLiteral("user"), QStringLiteral("list"), QStringLiteral("--format"),
                 QStringLiteral("json")});
        for (const QJsonValue u : QJsonDocument::fromJson(r.out.toUtf8())[u"users"].toArray()) {
            const QString email = u[u"email"].toString();
            if (email == u"lee@bouncing.test") {
                QCOMPARE(u[u"mail_state"].toString(), QStringLiteral("bounced"));
                QVERIFY(u[u"mail_reply"].toString().contains(QStringLiteral("5.1.1")));
            } else {
                QVERIFY2(u[u"mail_state"].toString() != u"bounced", qPrintable(email));
            }
        }
        // The DSN carried our ENVID back: the server was asked for DSN (Postfix offers it).
        bool envid = false;
        for (const QString &f : mailboxFiles()) {
            QFile m(dovecot.maildir() + u'/' + f);
            if (m.open(QIODevice::ReadOnly) && m.readAll().contains("Original-Envelope-Id: "))
                envid = true;
        }
        QVERIFY(envid);
        // A second fetch changes nothing; nothing was deleted.
        const QStringList files = mailboxFiles();
        r = ctl({QStringLiteral("bounces"), QStringLiteral("fetch")});
        QVERIFY2(r.exitCode == 0 && r.out.trimmed().isEmpty(), qPrintable(show(r)));
        QCOMPARE(mailboxFiles(), files);

        // Step 7: change the email. The link of the mail that bounced (its blind copy in the
        // archive) is refused, the new invitation arrives through Postfix and its link accepts,
        // through the accept code roster-web runs; the old link stays refused.
        const QByteArray oldToken = tokenOfMailTo(QStringLiteral("archive"), "lee@bouncing.test");
        QCOMPARE(oldToken.size(), 43);
        r = ctl({QStringLiteral("user"), QStringLiteral("change-email"),
                 QStringLiteral("lee@bouncing.test"), QStringLiteral("lee@inbox.test")});
        QVERIFY2(r.exitCode == 0 && r.out.contains(QStringLiteral("sent lee@inbox.test")),
                 qPrintable(show(r)));
        QTRY_VERIFY_WITH_TIMEOUT(
            !PrivateDovecot::maildirFiles(postfix.mailboxMaildir(QStringLiteral("inbox")))
                 .isEmpty(),
            60000);
        const QByteArray newToken = tokenOfMailTo(QStringLiteral("inbox"), "lee@inbox.test");
        QCOMPARE(newToken.size(), 43);
        QVERIFY(newToken != oldToken);
        auto accept = [this](const QByteArray &token) {
            return ctl({QStringLiteral("invitation"), QStringLiteral("accept"),
                        QStringLiteral("--token"), QString::fromLatin1(token)},
                       "a strong password\n");
        };
        r = accept(oldToken);
        QVERIFY2(r.exitCode == 3 && r.err.contains(QStringLiteral("replaced by a newer one")),
                 qPrintable(show(r)));
        r = accept(newToken);
        QVERIFY2(r.exitCode == 0 && r.out.contains(QStringLiteral("accepted lee@inbox.test")),
                 qPrintable(show(r)));
        r = accept(oldToken);
        QVERIFY2(r.exitCode == 3, qPrintable(show(r)));
        r = ctl({QStringLiteral("user"), QStringLiteral("list"), QStringLiteral("--view"),
                 QStringLiteral("bounced"), QStringLiteral("--format"), QStringLiteral("json")});
        QVERIFY2(r.exitCode == 0, qPrintable(show(r)));
        for (const QJsonValue u : QJsonDocument::fromJson(r.out.toUtf8())[u"users"].toArray())
            QVERIFY2(!u[u"email"].toString().startsWith(u"lee@"), qPrintable(show(r)));
        r = ctl({QStringLiteral("user"), QStringLiteral("list"), QStringLiteral("--view"),
                 QStringLiteral("confirmed"), QStringLiteral("--search"),
                 QStringLiteral("lee@inbox.test"), QStringLiteral("--format"),
                 QStringLiteral("json")});
        QCOMPARE(QJsonDocument::fromJson(r.out.toUtf8())[u"users"].toArray().size(), 1);
    }

    // The Email settings page's Test button (issue 15): MailSettingsService's settings for the
    // mailbox as saved, an ImapClient session that only counts. It signs in to the real server,
    // counts the unseen messages and leaves them as they were: nothing fetched, flagged or moved.
    // Issue 15: one `bounces fetch` reads the whole backlog. With the sessions' cap lowered to
    // two messages (ROSTER_IMAP_MAX_MESSAGES, read in test builds only), five new messages take
    // three sessions: every report is printed, the other mail stays unseen, and nothing is left
    // waiting for a second run.
    void fetchGoesOnUntilNothingIsWaiting()
    {
        QVERIFY2(configureImap(QStringLiteral("tls"), dovecot.imapsPort()).exitCode == 0,
                 "configure");
        // What earlier cases left unseen is read (and left) first, without the cap.
        RunResult r = ctl({QStringLiteral("bounces"), QStringLiteral("fetch")});
        QVERIFY2(r.exitCode == 0, qPrintable(show(r)));
        const QStringList emails{
            QStringLiteral("una@bouncing.test"), QStringLiteral("uli@bouncing.test"),
            QStringLiteral("ugo@bouncing.test"), QStringLiteral("uma@bouncing.test")};
        for (const QString &e : emails) {
            r = ctl({QStringLiteral("user"), QStringLiteral("add"), QStringLiteral("--email"), e,
                     QStringLiteral("--name"), QStringLiteral("Someone")});
            QVERIFY2(r.exitCode == 0, qPrintable(show(r)));
            QByteArray dsn = sample("postfix-dsn-failure.eml");
            dsn.replace("k7m2qx4ab5cd6efg", tagOf(e).toLatin1());
            drop(dsn);
            if (e == emails.at(1))
                drop(sample("ordinary-mail.eml"));
        }
        QProcessEnvironment env = org->rosterctlEnvironment();
        env.insert(QStringLiteral("ROSTER_IMAP_MAX_MESSAGES"), QStringLiteral("2"));
        r = rosterctl({QStringLiteral("bounces"), QStringLiteral("fetch")}, {}, env);
        QVERIFY2(r.exitCode == 0, qPrintable(show(r)));
        QVERIFY2(r.err.isEmpty(), qPrintable(show(r)));
        const QStringList lines = r.out.trimmed().split(u'\n');
        QCOMPARE(lines.size(), emails.size());
        for (int i = 0; i < emails.size(); ++i)
            QVERIFY2(lines.at(i).startsWith(QStringLiteral("bounced ") + emails.at(i)),
                     qPrintable(show(r)));
        r = ctl({QStringLiteral("user"), QStringLiteral("list"), QStringLiteral("--view"),
                 QStringLiteral("bounced"), QStringLiteral("--format"), QStringLiteral("json")});
        QCOMPARE(QJsonDocument::fromJson(r.out.toUtf8())[u"users"].toArray().size(), emails.size());
        // Nothing is waiting: the next fetch reads nothing.
        r = rosterctl({QStringLiteral("bounces"), QStringLiteral("fetch")}, {}, env);
        QVERIFY2(r.exitCode == 0 && r.out.trimmed().isEmpty() && r.err.isEmpty(),
                 qPrintable(show(r)));
    }

    void testSessionCountsUnseenAndLeavesThemAlone()
    {
        QVERIFY2(configureImap(QStringLiteral("starttls"), dovecot.imapPort()).exitCode == 0,
                 "configure");
        const auto count = [this](int *unseen) {
            MailServerInput m;
            m.host = QStringLiteral("localhost");
            m.port = dovecot.imapPort();
            m.security = QStringLiteral("starttls");
            m.user = QStringLiteral("bounces");
            m.caFile = dovecot.caFile();
            auto settings = MailSettingsService(org->db(), org->clock(), org->adminId())
                                .imapSettingsFor(m, QStringLiteral("INBOX"));
            QVERIFY2(settings, settings ? "" : qPrintable(settings.error().message));
            ImapSettings s = settings.value();
            s.countOnly = true;
            ImapClient client(s);
            QEventLoop loop;
            connect(&client, &ImapClient::finished, &loop, &QEventLoop::quit);
            bool fetched = false;
            client.start({}, [&](quint32, const QByteArray &) { return fetched = true; });
            if (!client.isFinished())
                loop.exec();
            QVERIFY2(client.error() == ImapClient::Error::NoError,
                     qPrintable(client.errorString()));
            QVERIFY(!fetched);
            QCOMPARE(client.summary().fetched, 0);
            QCOMPARE(client.summary().flagged, 0);
            *unseen = client.summary().unseen;
        };
        int before = -1;
        count(&before);
        if (QTest::currentTestFailed())
            return;
        drop(sample("ordinary-mail.eml"));
        drop(sample("out-of-office.eml"));
        int after = -1;
        count(&after);
        if (QTest::currentTestFailed())
            return;
        QCOMPARE(after, before + 2);
        int again = -1;
        count(&again);
        if (QTest::currentTestFailed())
            return;
        QCOMPARE(again, after); // still unseen
    }

    void mailboxAndConnectionErrorsExitSix()
    {
        QVERIFY(configureImap(QStringLiteral("tls"), dovecot.imapsPort(), true, "wrong").exitCode ==
                0);
        RunResult r = ctl({QStringLiteral("bounces"), QStringLiteral("fetch")});
        QVERIFY2(r.exitCode == 6, qPrintable(show(r)));
        // No CA: Dovecot's certificate is not trusted.
        QVERIFY(configureImap(QStringLiteral("tls"), dovecot.imapsPort(), false).exitCode == 0);
        r = ctl({QStringLiteral("bounces"), QStringLiteral("fetch")});
        QVERIFY2(r.exitCode == 6 && r.err.contains(QStringLiteral("TLS")), qPrintable(show(r)));
        // Nobody listens.
        QVERIFY(configureImap(QStringLiteral("tls"), freeLocalPort()).exitCode == 0);
        r = ctl({QStringLiteral("bounces"), QStringLiteral("fetch")});
        QVERIFY2(r.exitCode == 6, qPrintable(show(r)));
        // Not configured at all is a configuration error too.
        QSqlQuery q = org->db().prepare(
            QStringLiteral("UPDATE settings SET value = '' WHERE key = 'imap.host'"));
        QVERIFY(org->db().exec(q));
        r = ctl({QStringLiteral("bounces"), QStringLiteral("fetch")});
        QVERIFY2(r.exitCode == 6, qPrintable(show(r)));
    }
};

QTEST_GUILESS_MAIN(TestBounces)
#include "tst_bounces.moc"
