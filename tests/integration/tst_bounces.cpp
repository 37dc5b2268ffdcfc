// Issue 15 end to end with a real IMAP server: a private Dovecot (dovecot -F -c FILE, its own
// base_dir, a passwd-file user, a Maildir, implicit TLS and STARTTLS listeners on loopback with
// a certificate made at test time) serves the bounce mailbox; rosterctl sends the invitations
// (file transport, VERP-tagged), reads the mailbox and marks the right user bounced.
#include "../smtp/smtptestservers.h"
#include "app/mail/imap/imapclient.h"
#include "app/mailsettingsservice.h"
#include "testsupport.h"

#include <QDir>
#include <QEventLoop>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSqlQuery>
#include <QStandardPaths>
#include <QTest>

#include <grp.h>
#include <pwd.h>
#include <unistd.h>

using namespace roster;
using namespace testsupport;

class TestBounces : public QObject
{
    Q_OBJECT
    QTemporaryDir dir;
    QProcess dovecot;
    quint16 imapPort = 0, imapsPort = 0;
    QString maildir;
    uid_t mailUid = 0;
    gid_t mailGid = 0;
    std::unique_ptr<TestOrg> org;
    int fileNo = 0;
    QString postfixDir; // set when the private Postfix runs
    quint16 smtpPort = 0;
    QString postfixProblem;

    // A private Postfix (never the system one): its own config, queue and data directories
    // under the test's directory, loopback only, a free smtpd port. bouncing.test is accepted
    // and then bounced by the error transport, so Postfix's own bounce daemon writes the DSN to
    // the bounce address, whose domain it delivers into Dovecot's Maildir.
    bool startPostfix(QString *error)
    {
        const QString bin = QStandardPaths::findExecutable(QStringLiteral("postfix"),
                                                           {QStringLiteral("/usr/sbin")});
        if (bin.isEmpty() || ::getuid() != 0 || !::getpwnam("postfix")) {
            *error = QStringLiteral("needs root and Debian's postfix (mail_owner = postfix)");
            return false;
        }
        const QString d = dir.filePath(QStringLiteral("postfix"));
        for (const char *sub : {"conf", "queue", "data"})
            QDir().mkpath(d + u'/' + QString::fromLatin1(sub));
        if (::chown(QFile::encodeName(d + QStringLiteral("/data")).constData(),
                    ::getpwnam("postfix")->pw_uid, 0) != 0) {
            *error = QStringLiteral("chown data");
            return false;
        }
        QFile master(QStringLiteral("/etc/postfix/master.cf"));
        if (!master.exists())
            master.setFileName(QStringLiteral("/usr/share/postfix/master.cf.dist"));
        if (!master.open(QIODevice::ReadOnly)) {
            *error = QStringLiteral("no master.cf to start from");
            return false;
        }
        smtpPort = freeLocalPort();
        QByteArray out;
        for (QByteArray line : master.readAll().split('\n')) {
            QList<QByteArray> f = line.simplified().split(' ');
            if (!line.isEmpty() && line.front() != '#' && line.front() != ' ' &&
                line.front() != '\t' && f.size() >= 8) {
                if (f.at(0) == "smtp" && f.at(1) == "inet") // our port, loopback only
                    f[0] = "127.0.0.1:" + QByteArray::number(smtpPort);
                f[4] = "n"; // no chroot: the queue has no copies of /etc
                line = f.join(' ');
            }
            out += line + '\n';
        }
        QFile mc(d + QStringLiteral("/conf/master.cf"));
        QFile tr(d + QStringLiteral("/conf/transport"));
        QFile vm(d + QStringLiteral("/conf/vmailbox"));
        QFile main(d + QStringLiteral("/conf/main.cf"));
        if (!mc.open(QIODevice::WriteOnly) || !tr.open(QIODevice::WriteOnly) ||
            !vm.open(QIODevice::WriteOnly) || !main.open(QIODevice::WriteOnly)) {
            *error = QStringLiteral("cannot write the configuration");
            return false;
        }
        mc.write(out);
        tr.write("bouncing.test error:5.1.1 User unknown\nacme.example discard:\n");
        vm.write("bounces@roster.test bounces/Maildir/\n");
        main.write(
            QStringLiteral("compatibility_level = 3.6\nqueue_directory = %1/queue\n"
                           "data_directory = %1/data\nmail_owner = postfix\n"
                           "myhostname = mx.roster.test\nmydomain = roster.test\n"
                           "myorigin = roster.test\nmydestination =\n"
                           "inet_interfaces = loopback-only\ninet_protocols = ipv4\n"
                           "mynetworks = 127.0.0.0/8\nrelayhost =\n"
                           "syslog_name = postfix-roster-test\nmaillog_file = %1/maillog\n"
                           "maillog_file_prefixes = %1\nrecipient_delimiter = +\n"
                           "transport_maps = texthash:%1/conf/transport\n"
                           "smtpd_reject_unlisted_recipient = no\n"
                           "virtual_mailbox_domains = roster.test\nvirtual_mailbox_base = %2\n"
                           "virtual_mailbox_maps = texthash:%1/conf/vmailbox\n"
                           "virtual_uid_maps = static:%3\nvirtual_gid_maps = static:%4\n"
                           "smtpd_relay_restrictions = permit_mynetworks, reject\n"
                           "alias_maps =\nalias_database =\n"
                           "local_transport = error:no local delivery\nbiff = no\n")
                .arg(d, dir.filePath(QStringLiteral("mail")))
                .arg(mailUid)
                .arg(mailGid)
                .toUtf8());
        mc.close();
        tr.close();
        vm.close();
        main.close();
        QProcess p;
        p.setProcessChannelMode(QProcess::MergedChannels);
        p.start(bin, {QStringLiteral("-c"), d + QStringLiteral("/conf"), QStringLiteral("start")});
        if (!p.waitForFinished(60000) || p.exitCode() != 0) {
            QFile log(d + QStringLiteral("/maillog"));
            *error = QStringLiteral("postfix start failed: ") + QString::fromUtf8(p.readAll()) +
                     (log.open(QIODevice::ReadOnly) ? QString::fromUtf8(log.readAll()) : QString());
            return false;
        }
        postfixDir = d;
        if (!waitUntilListening(smtpPort, 20000)) {
            *error = QStringLiteral("postfix does not listen");
            return false;
        }
        return true;
    }

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
    // Delivers a message into the mailbox as an MTA would (Maildir new/).
    void drop(const QByteArray &message)
    {
        ++fileNo;
        const QString path =
            maildir + QStringLiteral("/new/17647%1.M%2P1.roster-test").arg(fileNo).arg(fileNo);
        QFile f(path);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write(message);
        f.close();
        QVERIFY(::chown(QFile::encodeName(path).constData(), mailUid, mailGid) == 0);
    }
    QStringList mailboxFiles() const
    {
        QStringList all;
        for (const char *sub : {"new", "cur"})
            for (const QString &f :
                 QDir(maildir + u'/' + QString::fromLatin1(sub)).entryList(QDir::Files))
                all << QString::fromLatin1(sub) + u'/' + f;
        all.sort();
        return all;
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
                            const QByteArray &password = "bounce-pw")
    {
        QStringList args{QStringLiteral("bounces"),    QStringLiteral("configure"),
                         QStringLiteral("--host"),     QStringLiteral("localhost"),
                         QStringLiteral("--port"),     QString::number(port),
                         QStringLiteral("--security"), security,
                         QStringLiteral("--user"),     QStringLiteral("bounces")};
        if (ca)
            args << QStringLiteral("--ca-file") << dir.filePath(QStringLiteral("ca.pem"));
        return ctl(args, password + '\n');
    }

private Q_SLOTS:
    void initTestCase()
    {
        const QString bin = QStandardPaths::findExecutable(
            QStringLiteral("dovecot"), {QStringLiteral("/usr/sbin"), QStringLiteral("/usr/bin")});
        if (bin.isEmpty())
            QSKIP("dovecot is not installed (Debian: dovecot-imapd; script/bootstrap --test)");
        QString error;
        QVERIFY2(TestPki::makeCa(dir.path(), QStringLiteral("ca"), &error), qPrintable(error));
        QVERIFY2(TestPki::makeServerCert(dir.path(), QStringLiteral("ca"), QStringLiteral("server"),
                                         QStringLiteral("DNS:localhost,IP:127.0.0.1"), &error),
                 qPrintable(error));
        // Root runs the mail processes as nobody; anyone else as themselves.
        QString userName, groupName;
        if (::getuid() == 0) {
            const struct passwd *pw = ::getpwnam("nobody");
            const struct group *gr = ::getgrnam("nogroup");
            QVERIFY(pw && gr);
            mailUid = pw->pw_uid;
            mailGid = gr->gr_gid;
            userName = QStringLiteral("nobody");
            groupName = QStringLiteral("nogroup");
        } else {
            mailUid = ::getuid();
            mailGid = ::getgid();
            userName = QString::fromLocal8Bit(::getpwuid(mailUid)->pw_name);
            groupName = QString::fromLocal8Bit(::getgrgid(mailGid)->gr_name);
        }
        // Dovecot's unprivileged processes read the passwd file and the certificate here.
        QFile::setPermissions(dir.path(), QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner |
                                              QFile::ReadGroup | QFile::ExeGroup |
                                              QFile::ReadOther | QFile::ExeOther);
        const QString home = dir.filePath(QStringLiteral("mail/bounces"));
        maildir = home + QStringLiteral("/Maildir");
        for (const char *sub : {"new", "cur", "tmp"})
            QVERIFY(QDir().mkpath(maildir + u'/' + QString::fromLatin1(sub)));
        for (const QString &p :
             QStringList{dir.filePath(QStringLiteral("mail")), home, maildir,
                         maildir + QStringLiteral("/new"), maildir + QStringLiteral("/cur"),
                         maildir + QStringLiteral("/tmp")})
            QVERIFY(::chown(QFile::encodeName(p).constData(), mailUid, mailGid) == 0);
        QFile pw(dir.filePath(QStringLiteral("passwd")));
        QVERIFY(pw.open(QIODevice::WriteOnly));
        pw.write(QStringLiteral("bounces:{PLAIN}bounce-pw:%1:%2::%3\n")
                     .arg(mailUid)
                     .arg(mailGid)
                     .arg(home)
                     .toUtf8());
        pw.close();
        imapPort = freeLocalPort();
        imapsPort = freeLocalPort();
        QVERIFY(imapPort != imapsPort);
        QFile conf(dir.filePath(QStringLiteral("dovecot.conf")));
        QVERIFY(conf.open(QIODevice::WriteOnly));
        conf.write(QStringLiteral(
                       "base_dir = %1/run\nstate_dir = %1/state\ninstance_name = roster-test-%2\n"
                       "listen = 127.0.0.1\nprotocols = imap\nssl = required\n"
                       "ssl_cert = <%1/server.pem\nssl_key = <%1/server.key\n"
                       "disable_plaintext_auth = yes\nauth_mechanisms = plain login\n"
                       "mail_location = maildir:~/Maildir\nlog_path = %1/dovecot.log\n"
                       "default_login_user = %3\ndefault_internal_user = %3\n"
                       "default_internal_group = %4\n"
                       "passdb {\n  driver = passwd-file\n  args = scheme=PLAIN %1/passwd\n}\n"
                       "userdb {\n  driver = passwd-file\n  args = %1/passwd\n}\n"
                       "service imap-login {\n  chroot =\n"
                       "  inet_listener imap {\n    address = 127.0.0.1\n    port = %5\n  }\n"
                       "  inet_listener imaps {\n    address = 127.0.0.1\n    port = %6\n"
                       "    ssl = yes\n  }\n}\n"
                       "service anvil {\n  chroot =\n}\n")
                       .arg(dir.path())
                       .arg(QCoreApplication::applicationPid())
                       .arg(userName, groupName)
                       .arg(imapPort)
                       .arg(imapsPort)
                       .toUtf8());
        conf.close();
        QDir().mkpath(dir.filePath(QStringLiteral("run")));
        QDir().mkpath(dir.filePath(QStringLiteral("state")));
        dovecot.setProcessChannelMode(QProcess::ForwardedChannels);
        dovecot.start(bin, {QStringLiteral("-F"), QStringLiteral("-c"), conf.fileName()});
        QVERIFY2(dovecot.waitForStarted(10000), qPrintable(dovecot.errorString()));
        QVERIFY2(waitUntilListening(imapPort, 20000) && waitUntilListening(imapsPort, 20000),
                 "dovecot did not listen");
        if (!startPostfix(&postfixProblem))
            qWarning("no private Postfix: %s", qPrintable(postfixProblem));
    }
    void cleanupTestCase()
    {
        if (!postfixDir.isEmpty())
            QProcess::execute(QStringLiteral("postfix"),
                              {QStringLiteral("-c"), postfixDir + QStringLiteral("/conf"),
                               QStringLiteral("stop")});
        if (dovecot.state() != QProcess::NotRunning) {
            dovecot.terminate();
            if (!dovecot.waitForFinished(10000))
                dovecot.kill();
        }
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

        QVERIFY2(configureImap(QStringLiteral("tls"), imapsPort).exitCode == 0, "configure");
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
        QVERIFY2(configureImap(QStringLiteral("starttls"), imapPort).exitCode == 0, "configure");
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
        if (postfixDir.isEmpty())
            QSKIP(qPrintable(postfixProblem));
        // Mail from the earlier cases is read already; this case counts from here.
        const QStringList earlier = mailboxFiles();
        RunResult r =
            ctl({QStringLiteral("mail"), QStringLiteral("configure"), QStringLiteral("--transport"),
                 QStringLiteral("smtp"), QStringLiteral("--host"), QStringLiteral("127.0.0.1"),
                 QStringLiteral("--port"), QString::number(smtpPort), QStringLiteral("--security"),
                 QStringLiteral("none"), QStringLiteral("--from"),
                 QStringLiteral("no-reply@roster.test")});
        QVERIFY2(r.exitCode == 0, qPrintable(show(r)));
        QVERIFY(configureImap(QStringLiteral("tls"), imapsPort).exitCode == 0);
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
            QFile m(maildir + u'/' + f);
            if (m.open(QIODevice::ReadOnly) && m.readAll().contains("Original-Envelope-Id: "))
                envid = true;
        }
        QVERIFY(envid);
        // A second fetch changes nothing; nothing was deleted.
        const QStringList files = mailboxFiles();
        r = ctl({QStringLiteral("bounces"), QStringLiteral("fetch")});
        QVERIFY2(r.exitCode == 0 && r.out.trimmed().isEmpty(), qPrintable(show(r)));
        QCOMPARE(mailboxFiles(), files);
    }

    // The Email settings page's Test button (issue 15): MailSettingsService's settings for the
    // mailbox as saved, an ImapClient session that only counts. It signs in to the real server,
    // counts the unseen messages and leaves them as they were: nothing fetched, flagged or moved.
    void testSessionCountsUnseenAndLeavesThemAlone()
    {
        QVERIFY2(configureImap(QStringLiteral("starttls"), imapPort).exitCode == 0, "configure");
        const auto count = [this](int *unseen) {
            MailServerInput m;
            m.host = QStringLiteral("localhost");
            m.port = imapPort;
            m.security = QStringLiteral("starttls");
            m.user = QStringLiteral("bounces");
            m.caFile = dir.filePath(QStringLiteral("ca.pem"));
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
        QVERIFY(configureImap(QStringLiteral("tls"), imapsPort, true, "wrong").exitCode == 0);
        RunResult r = ctl({QStringLiteral("bounces"), QStringLiteral("fetch")});
        QVERIFY2(r.exitCode == 6, qPrintable(show(r)));
        // No CA: Dovecot's certificate is not trusted.
        QVERIFY(configureImap(QStringLiteral("tls"), imapsPort, false).exitCode == 0);
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
