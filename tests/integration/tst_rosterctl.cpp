// The real rosterctl binary as a process over a temporary database (SPEC §6): the invitation
// lifecycle end to end, the exit codes, one-line errors, and bad input that changes nothing.
#include "app/invitationrequests.h"
#include "testsupport.h"

#include <QDateTime>
#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QRegularExpression>
#include <QStandardPaths>
#include <QTest>
#include <QTimeZone>

#include <unistd.h>

using namespace roster;
using namespace testsupport;

class TestRosterctl : public QObject
{
    Q_OBJECT
    std::unique_ptr<TestOrg> org;

    RunResult ctl(const QStringList &args, const QByteArray &input = {})
    {
        return rosterctl(args, input, org->rosterctlEnvironment());
    }
    static QString show(const RunResult &r)
    {
        return QStringLiteral("exit %1\nstdout: %2\nstderr: %3").arg(r.exitCode).arg(r.out, r.err);
    }
    static bool oneErrorLine(const RunResult &r)
    {
        return r.err.endsWith(u'\n') && r.err.count(u'\n') == 1 &&
               r.err.startsWith(QStringLiteral("rosterctl: "));
    }

private slots:
    void init()
    {
        org = std::make_unique<TestOrg>();
        QVERIFY2(org->isValid(), qPrintable(org->error()));
    }
    void cleanup() { org.reset(); }

    void lifecycleAddAcceptReinvite()
    {
        auto add = ctl({QStringLiteral("user"), QStringLiteral("add"), QStringLiteral("--email"),
                        QStringLiteral("Nina@Example.com"), QStringLiteral("--name"),
                        QStringLiteral("Nina Novák")});
        QVERIFY2(add.exitCode == 0, qPrintable(show(add)));
        QVERIFY(add.out.contains(QStringLiteral("sent Nina@Example.com")));
        QStringList mails = emlFiles(org->mailDir());
        QCOMPARE(mails.size(), 1);
        const QByteArray first = readFile(mails.first());
        QVERIFY(first.contains("To: =?UTF-8?"));
        const QByteArray token1 = tokenFromMessage(first);
        QCOMPARE(token1.size(), 43);

        // Re-invite inside the cooldown: refused, exit 3, one line.
        auto early = ctl({QStringLiteral("user"), QStringLiteral("reinvite"),
                          QStringLiteral("nina@example.com")});
        QCOMPARE(early.exitCode, 3);
        QVERIFY2(oneErrorLine(early), qPrintable(show(early)));
        QVERIFY(early.err.contains(QStringLiteral("re-invite in")));

        org->clock().advanceMinutes(6);
        auto again = ctl({QStringLiteral("user"), QStringLiteral("reinvite"),
                          QStringLiteral("nina@example.com")});
        QVERIFY2(again.exitCode == 0, qPrintable(show(again)));
        QVERIFY(again.out.contains(QStringLiteral("sent Nina@Example.com")));
        const QStringList after = emlFiles(org->mailDir());
        const QStringList fresh = newFiles(mails, after);
        QCOMPARE(fresh.size(), 1);
        const QByteArray token2 = tokenFromMessage(readFile(fresh.first()));
        QCOMPARE(token2.size(), 43);
        QVERIFY(token1 != token2);

        // The old link is dead; the new one works once.
        auto old = ctl({QStringLiteral("invitation"), QStringLiteral("accept"),
                        QStringLiteral("--token"), QString::fromLatin1(token1)},
                       "a strong password\n");
        QCOMPARE(old.exitCode, 3);
        QVERIFY2(oneErrorLine(old), qPrintable(show(old)));
        auto ok = ctl({QStringLiteral("invitation"), QStringLiteral("accept"),
                       QStringLiteral("--token"), QString::fromLatin1(token2)},
                      "a strong password\n");
        QVERIFY2(ok.exitCode == 0, qPrintable(show(ok)));
        auto twice = ctl({QStringLiteral("invitation"), QStringLiteral("accept"),
                          QStringLiteral("--token"), QString::fromLatin1(token2)},
                         "a strong password\n");
        QCOMPARE(twice.exitCode, 3);

        auto list = ctl({QStringLiteral("user"), QStringLiteral("list"), QStringLiteral("--format"),
                         QStringLiteral("json")});
        QCOMPARE(list.exitCode, 0);
        const QJsonObject doc = QJsonDocument::fromJson(list.out.toUtf8()).object();
        QCOMPARE(doc.value(QStringLiteral("count")).toInt(), 2);
        bool found = false;
        for (const auto &v : doc.value(QStringLiteral("users")).toArray()) {
            const QJsonObject u = v.toObject();
            if (u.value(QStringLiteral("email")).toString() == u"Nina@Example.com") {
                found = true;
                QCOMPARE(u.value(QStringLiteral("status")).toString(), QStringLiteral("confirmed"));
                QCOMPARE(u.value(QStringLiteral("name")).toString(), QStringLiteral("Nina Novák"));
                QCOMPARE(u.value(QStringLiteral("invite_count")).toInt(), 2);
            }
        }
        QVERIFY(found);
    }

    void expiredInvitationAfterSevenDays()
    {
        QCOMPARE(ctl({QStringLiteral("user"), QStringLiteral("add"), QStringLiteral("--email"),
                      QStringLiteral("olaf@example.com"), QStringLiteral("--name"),
                      QStringLiteral("Olaf")})
                     .exitCode,
                 0);
        const QByteArray token = tokenFromMessage(readFile(emlFiles(org->mailDir()).first()));
        org->clock().advanceDays(7);
        org->clock().advanceMinutes(1);
        auto list = ctl({QStringLiteral("user"), QStringLiteral("list"), QStringLiteral("--view"),
                         QStringLiteral("unconfirmed"), QStringLiteral("--format"),
                         QStringLiteral("json")});
        const QJsonArray users = QJsonDocument::fromJson(list.out.toUtf8())
                                     .object()
                                     .value(QStringLiteral("users"))
                                     .toArray();
        QCOMPARE(users.size(), 1);
        QCOMPARE(users.first().toObject().value(QStringLiteral("status")).toString(),
                 QStringLiteral("expired"));
        auto r = ctl({QStringLiteral("invitation"), QStringLiteral("accept"),
                      QStringLiteral("--token"), QString::fromLatin1(token)},
                     "a strong password\n");
        QCOMPARE(r.exitCode, 3);
        QVERIFY(r.err.contains(QStringLiteral("expired")));
        auto all = ctl({QStringLiteral("user"), QStringLiteral("reinvite"),
                        QStringLiteral("--all-unconfirmed"), QStringLiteral("--expired-only")});
        QVERIFY2(all.exitCode == 0, qPrintable(show(all)));
        QVERIFY(all.out.contains(QStringLiteral("sent olaf@example.com")));
    }

    // SPEC §8: the users who asked for a new invitation, as `user list --view requested` and the
    // requested_at key (cleared by a re-invite).
    void requestedViewAndRequestedAt()
    {
        for (const char *who : {"quinn", "rosa"})
            QCOMPARE(ctl({QStringLiteral("user"), QStringLiteral("add"), QStringLiteral("--email"),
                          QString::fromLatin1(who) + QStringLiteral("@example.com"),
                          QStringLiteral("--name"), QString::fromLatin1(who)})
                         .exitCode,
                     0);
        QByteArray quinnToken;
        for (const QString &f : emlFiles(org->mailDir()))
            if (readFile(f).contains("quinn@example.com"))
                quinnToken = tokenFromMessage(readFile(f));
        QCOMPARE(quinnToken.size(), 43);
        org->clock().advanceDays(8);
        // What the accept page does when Quinn presses "Ask for a new invitation".
        auto asked = requestNewInvitation(org->db(), org->clock(), quinnToken);
        QVERIFY2(asked, asked ? "" : qPrintable(asked.error().message));
        const QString askedAt =
            QDateTime::fromMSecsSinceEpoch(org->clock().nowMs(), QTimeZone::utc())
                .toString(Qt::ISODate);

        const auto listJson = [&](const QString &view) {
            auto r = ctl({QStringLiteral("user"), QStringLiteral("list"), QStringLiteral("--view"),
                          view, QStringLiteral("--format"), QStringLiteral("json")});
            if (r.exitCode != 0)
                qWarning() << show(r);
            return QJsonDocument::fromJson(r.out.toUtf8()).object();
        };
        QJsonObject doc = listJson(QStringLiteral("requested"));
        QCOMPARE(doc.value(QStringLiteral("view")).toString(), QStringLiteral("requested"));
        QCOMPARE(doc.value(QStringLiteral("count")).toInt(), 1);
        QJsonObject quinn = doc.value(QStringLiteral("users")).toArray().first().toObject();
        QCOMPARE(quinn.value(QStringLiteral("email")).toString(),
                 QStringLiteral("quinn@example.com"));
        QCOMPARE(quinn.value(QStringLiteral("requested_at")).toString(), askedAt);
        // The Unconfirmed list carries the key for everyone: null for Rosa, who did not ask.
        doc = listJson(QStringLiteral("unconfirmed"));
        QCOMPARE(doc.value(QStringLiteral("count")).toInt(), 2);
        for (const auto &v : doc.value(QStringLiteral("users")).toArray()) {
            const QJsonObject u = v.toObject();
            QVERIFY(u.contains(QStringLiteral("requested_at")));
            if (u.value(QStringLiteral("email")).toString() == u"rosa@example.com")
                QVERIFY(u.value(QStringLiteral("requested_at")).isNull());
            else
                QCOMPARE(u.value(QStringLiteral("requested_at")).toString(), askedAt);
        }
        auto csv =
            ctl({QStringLiteral("user"), QStringLiteral("list"), QStringLiteral("--view"),
                 QStringLiteral("requested"), QStringLiteral("--format"), QStringLiteral("csv")});
        QCOMPARE(csv.exitCode, 0);
        const QStringList lines = csv.out.split(QStringLiteral("\r\n"), Qt::SkipEmptyParts);
        QCOMPARE(lines.size(), 2);
        QVERIFY2(lines.at(0).endsWith(QStringLiteral(",requested_at")), qPrintable(lines.at(0)));
        QVERIFY2(lines.at(1).endsWith(u',' + askedAt), qPrintable(lines.at(1)));
        auto table = ctl({QStringLiteral("user"), QStringLiteral("list"), QStringLiteral("--view"),
                          QStringLiteral("requested")});
        QCOMPARE(table.exitCode, 0);
        QVERIFY2(table.out.contains(QStringLiteral("ASKED")), qPrintable(table.out));
        QVERIFY(table.out.contains(QStringLiteral("quinn@example.com")));
        QVERIFY(!table.out.contains(QStringLiteral("rosa@example.com")));

        // A re-invite clears it.
        auto re = ctl({QStringLiteral("user"), QStringLiteral("reinvite"),
                       QStringLiteral("quinn@example.com")});
        QVERIFY2(re.exitCode == 0, qPrintable(show(re)));
        QCOMPARE(listJson(QStringLiteral("requested")).value(QStringLiteral("count")).toInt(), 0);
        for (const auto &v :
             listJson(QStringLiteral("unconfirmed")).value(QStringLiteral("users")).toArray())
            QVERIFY(v.toObject().value(QStringLiteral("requested_at")).isNull());
    }

    void csvAndTableFormats()
    {
        QCOMPARE(ctl({QStringLiteral("user"), QStringLiteral("add"), QStringLiteral("--email"),
                      QStringLiteral("p@example.com"), QStringLiteral("--name"),
                      QStringLiteral("Smith, \"Pat\"")})
                     .exitCode,
                 0);
        auto csv = ctl({QStringLiteral("user"), QStringLiteral("list"), QStringLiteral("--format"),
                        QStringLiteral("csv")});
        QCOMPARE(csv.exitCode, 0);
        QVERIFY(csv.out.startsWith(QStringLiteral("email,name,")));
        QVERIFY2(csv.out.contains(
                     QStringLiteral("p@example.com,\"Smith, \"\"Pat\"\"\",crm,Standard,pending")),
                 qPrintable(csv.out));
        auto table = ctl({QStringLiteral("user"), QStringLiteral("list"),
                          QStringLiteral("--search"), QStringLiteral("smith")});
        QCOMPARE(table.exitCode, 0);
        QVERIFY(table.out.contains(QStringLiteral("p@example.com")));
        QVERIFY(!table.out.contains(TestOrg::adminEmail()));
    }

    void activateDeactivate()
    {
        QCOMPARE(ctl({QStringLiteral("user"), QStringLiteral("add"), QStringLiteral("--email"),
                      QStringLiteral("q@example.com"), QStringLiteral("--name"),
                      QStringLiteral("Quinn")})
                     .exitCode,
                 0);
        QCOMPARE(ctl({QStringLiteral("user"), QStringLiteral("deactivate"),
                      QStringLiteral("q@example.com")})
                     .exitCode,
                 0);
        org->clock().advanceMinutes(10);
        auto r = ctl(
            {QStringLiteral("user"), QStringLiteral("reinvite"), QStringLiteral("q@example.com")});
        QCOMPARE(r.exitCode, 3);
        QVERIFY(r.err.contains(QStringLiteral("activate the user first")));
        QCOMPARE(ctl({QStringLiteral("user"), QStringLiteral("activate"),
                      QStringLiteral("q@example.com")})
                     .exitCode,
                 0);
        QCOMPARE(ctl({QStringLiteral("user"), QStringLiteral("reinvite"),
                      QStringLiteral("q@example.com")})
                     .exitCode,
                 0);
    }

    // SPEC §6 exit codes and §7: one clear line, nothing changed.
    void badInput_data()
    {
        QTest::addColumn<QStringList>("args");
        QTest::addColumn<QByteArray>("input");
        QTest::addColumn<int>("exitCode");
        QTest::addColumn<QString>("needle");
        const auto S = [](const char *s) { return QString::fromUtf8(s); };
        QTest::newRow("no command") << QStringList{} << QByteArray() << 2 << S("No command");
        QTest::newRow("unknown command")
            << QStringList{S("frobnicate")} << QByteArray() << 2 << S("Unknown command");
        QTest::newRow("unknown option") << QStringList{S("user"), S("list"), S("--colour")}
                                        << QByteArray() << 2 << S("Unknown option");
        QTest::newRow("bad view") << QStringList{S("user"), S("list"), S("--view"), S("sleepy")}
                                  << QByteArray() << 2 << S("Unknown view");
        QTest::newRow("bad format") << QStringList{S("user"), S("list"), S("--format"), S("xml")}
                                    << QByteArray() << 2 << S("Unknown format");
        QTest::newRow("invalid email") << QStringList{S("user"),         S("add"),    S("--email"),
                                                      S("not-an-email"), S("--name"), S("X")}
                                       << QByteArray() << 2 << S("@");
        QTest::newRow("crlf in email")
            << QStringList{S("user"),    S("add"),
                           S("--email"), S("a@b.example\r\nBcc: x@y.example"),
                           S("--name"),  S("X")}
            << QByteArray() << 2 << S("");
        QTest::newRow("crlf in name")
            << QStringList{S("user"),        S("add"),    S("--email"),
                           S("a@b.example"), S("--name"), S("X\r\nBcc: y@z.example")}
            << QByteArray() << 2 << S("control character");
        QTest::newRow("long name")
            << QStringList{S("user"),        S("add"),    S("--email"),
                           S("a@b.example"), S("--name"), QString(10000, u'n')}
            << QByteArray() << 2 << S("10000 characters");
        QTest::newRow("empty name") << QStringList{S("user"),        S("add"),    S("--email"),
                                                   S("a@b.example"), S("--name"), S("  ")}
                                    << QByteArray() << 2 << S("empty");
        QTest::newRow("look-alike")
            << QStringList{S("user"),   S("add"), S("--email"), S("аdmin@acme.example"),
                           S("--name"), S("X")}
            << QByteArray() << 2 << S("ASCII");
        QTest::newRow("duplicate case")
            << QStringList{S("user"),   S("add"), S("--email"), S("ADMIN@acme.example"),
                           S("--name"), S("X")}
            << QByteArray() << 3 << S("already a user");
        QTest::newRow("unknown profile")
            << QStringList{S("user"),   S("add"), S("--email"),   S("a@b.example"),
                           S("--name"), S("X"),   S("--profile"), S("Wizard")}
            << QByteArray() << 2 << S("No profile");
        QTest::newRow("reinvite unknown")
            << QStringList{S("user"), S("reinvite"), S("ghost@acme.example")} << QByteArray() << 4
            << S("No user");
        QTest::newRow("reinvite confirmed")
            << QStringList{S("user"), S("reinvite"), S("admin@acme.example")} << QByteArray() << 3
            << S("already confirmed");
        QTest::newRow("reinvite nothing")
            << QStringList{S("user"), S("reinvite")} << QByteArray() << 2 << S("--all-unconfirmed");
        QTest::newRow("sql in search")
            << QStringList{S("user"), S("list"), S("--search"), S("'; DROP TABLE users; --")}
            << QByteArray() << 0 << S("");
        QTest::newRow("token wrong length")
            << QStringList{S("invitation"), S("accept"), S("--token"), S("abc")}
            << QByteArray("a strong password\n") << 2 << S("not valid");
        QTest::newRow("token wrong alphabet")
            << QStringList{S("invitation"), S("accept"), S("--token"), QString(42, u'A') + u'!'}
            << QByteArray("a strong password\n") << 2 << S("not valid");
        QTest::newRow("token unknown")
            << QStringList{S("invitation"), S("accept"), S("--token"), QString(43, u'A')}
            << QByteArray("a strong password\n") << 4 << S("not valid");
        QTest::newRow("accept no password")
            << QStringList{S("invitation"), S("accept"), S("--token"), QString(43, u'A')}
            << QByteArray() << 2 << S("password");
        QTest::newRow("short password")
            << QStringList{S("invitation"), S("accept"), S("--token"), QString(43, u'A')}
            << QByteArray("short\n") << 2 << S("too short");
        QTest::newRow("unknown db scheme")
            << QStringList{S("--db"), S("mysql://x/y"), S("user"), S("list")} << QByteArray() << 2
            << S("scheme");
        QTest::newRow("missing db")
            << QStringList{S("--db"), S("/nonexistent/roster.db"), S("user"), S("list")}
            << QByteArray() << 2 << S("does not exist");
        QTest::newRow("smtp without host")
            << QStringList{S("mail"), S("configure"), S("--transport"), S("smtp")} << QByteArray()
            << 2 << S("--host");
        QTest::newRow("smtp bad security")
            << QStringList{S("mail"),       S("configure"), S("--transport"), S("smtp"),
                           S("--host"),     S("h"),         S("--port"),      S("25"),
                           S("--security"), S("maybe")}
            << QByteArray() << 2 << S("security");
        QTest::newRow("smtp bad port")
            << QStringList{S("mail"),       S("configure"), S("--transport"), S("smtp"),
                           S("--host"),     S("h"),         S("--port"),      S("99999"),
                           S("--security"), S("tls")}
            << QByteArray() << 2 << S("--port");
        QTest::newRow("bad accept url")
            << QStringList{S("mail"), S("configure"), S("--accept-url"), S("javascript:alert(1)")}
            << QByteArray() << 2 << S("accept URL");
        QTest::newRow("mail test bad to")
            << QStringList{S("mail"), S("test"), S("--to"), S("x")} << QByteArray() << 2 << S("");
        QTest::newRow("edit unknown")
            << QStringList{S("user"), S("edit"), S("ghost@acme.example"), S("--name"), S("G")}
            << QByteArray() << 4 << S("No user");
        QTest::newRow("edit nothing") << QStringList{S("user"), S("edit"), S("admin@acme.example")}
                                      << QByteArray() << 2 << S("--name");
        QTest::newRow("edit crlf name")
            << QStringList{S("user"), S("edit"), S("admin@acme.example"), S("--name"), S("A\r\nB")}
            << QByteArray() << 2 << S("control character");
        QTest::newRow("edit portal profile")
            << QStringList{S("user"),     S("edit"),      S("a@b.example"),
                           S("--portal"), S("--profile"), S("Standard")}
            << QByteArray() << 2 << S("no profile");
        QTest::newRow("edit last admin")
            << QStringList{S("user"), S("edit"), S("admin@acme.example"), S("--profile"),
                           S("Standard")}
            << QByteArray() << 3 << S("last active administrator");
        QTest::newRow("outbox bad state")
            << QStringList{S("outbox"), S("list"), S("--state"), S("lost")} << QByteArray() << 2
            << S("Unknown state");
    }
    void badInput()
    {
        QFETCH(QStringList, args);
        QFETCH(QByteArray, input);
        QFETCH(int, exitCode);
        QFETCH(QString, needle);
        const QString before = org->dump();
        auto r = ctl(args, input);
        QVERIFY2(r.exitCode == exitCode, qPrintable(show(r)));
        if (exitCode != 0) {
            QVERIFY2(oneErrorLine(r), qPrintable(show(r)));
            QVERIFY2(r.err.contains(needle), qPrintable(show(r)));
        }
        QCOMPARE(org->dump(), before);
    }

    void wrongPasswordAndStandardUser()
    {
        QProcessEnvironment env = org->rosterctlEnvironment();
        env.insert(QStringLiteral("ROSTER_PASSWORD"), QStringLiteral("not it"));
        auto r = rosterctl({QStringLiteral("user"), QStringLiteral("list")}, {}, env);
        QCOMPARE(r.exitCode, 3);
        QVERIFY(r.err.contains(QStringLiteral("Wrong email or password")));
        org->addConfirmedUser(QStringLiteral("std@acme.example"), QStringLiteral("Standard"));
        env = org->rosterctlEnvironment();
        env.insert(QStringLiteral("ROSTER_AS"), QStringLiteral("std@acme.example"));
        const QString before = org->dump();
        auto s = rosterctl({QStringLiteral("user"), QStringLiteral("add"),
                            QStringLiteral("--email"), QStringLiteral("n@x.example"),
                            QStringLiteral("--name"), QStringLiteral("N")},
                           {}, env);
        QCOMPARE(s.exitCode, 3);
        QVERIFY2(oneErrorLine(s), qPrintable(show(s)));
        QCOMPARE(org->dump(), before);
        env.remove(QStringLiteral("ROSTER_AS"));
        auto noAs = rosterctl({QStringLiteral("user"), QStringLiteral("list")}, {}, env);
        QCOMPARE(noAs.exitCode, 2);
        QVERIFY(noAs.err.contains(QStringLiteral("--as")));
    }

    void passwordFromStdin()
    {
        QProcessEnvironment env = org->rosterctlEnvironment();
        env.remove(QStringLiteral("ROSTER_PASSWORD"));
        auto r = rosterctl({QStringLiteral("user"), QStringLiteral("list")},
                           TestOrg::adminPassword().toUtf8() + '\n', env);
        QVERIFY2(r.exitCode == 0, qPrintable(show(r)));
        auto none = rosterctl({QStringLiteral("user"), QStringLiteral("list")}, {}, env);
        QCOMPARE(none.exitCode, 2);
    }

    void databaseFileProblems()
    {
        if (org->engine() != u"sqlite")
            QSKIP("files");
        QTemporaryDir dir;
        const QString notDb = dir.filePath(QStringLiteral("notes.txt"));
        QFile f(notDb);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write("hello");
        f.close();
        QProcessEnvironment env = org->rosterctlEnvironment();
        env.insert(QStringLiteral("ROSTER_DB"), notDb);
        auto r = rosterctl({QStringLiteral("user"), QStringLiteral("list")}, {}, env);
        QCOMPARE(r.exitCode, 5);
        QVERIFY2(oneErrorLine(r) && r.err.contains(QStringLiteral("not a Roster database")),
                 qPrintable(show(r)));
        QCOMPARE(readFile(notDb), QByteArray("hello"));
    }

    void readOnlyDatabase()
    {
        if (org->engine() != u"sqlite")
            QSKIP("files");
        if (::geteuid() != 0)
            QSKIP("needs root to run rosterctl as the user nobody");
        if (QStandardPaths::findExecutable(QStringLiteral("setpriv")).isEmpty())
            QSKIP("setpriv (util-linux) missing");
        const qint64 id = org->addUnconfirmedUser(QStringLiteral("ro@acme.example"));
        QVERIFY(id > 0);
        QVERIFY(org->db().exec(QStringLiteral("PRAGMA wal_checkpoint(TRUNCATE)")));
        QVERIFY(QFile::setPermissions(
            org->dir(), QFileDevice::ReadOwner | QFileDevice::WriteOwner | QFileDevice::ExeOwner |
                            QFileDevice::ReadOther | QFileDevice::ExeOther));
        const QStringList files{org->location(), org->location() + QStringLiteral("-wal"),
                                org->location() + QStringLiteral("-shm"),
                                org->dir() + QStringLiteral("/sealing.key")};
        for (const QString &f : files)
            QFile::setPermissions(f, QFileDevice::ReadOwner | QFileDevice::WriteOwner |
                                         QFileDevice::ReadOther);
        const QString before = org->dump();
        org->clock().advanceMinutes(10);
        QProcessEnvironment env = org->rosterctlEnvironment();
        env.insert(QStringLiteral("HOME"), QStringLiteral("/tmp"));
        env.insert(QStringLiteral("XDG_CONFIG_HOME"), QStringLiteral("/tmp"));
        QStringList args{QStringLiteral("--reuid=nobody"), QStringLiteral("--regid=nogroup"),
                         QStringLiteral("--clear-groups"), qEnvironmentVariable("ROSTERCTL"),
                         QStringLiteral("user"),           QStringLiteral("reinvite"),
                         QStringLiteral("ro@acme.example")};
        QProcess p;
        p.setProcessEnvironment(env);
        p.start(QStringLiteral("setpriv"), args);
        QVERIFY(p.waitForFinished(60000));
        const QString err = QString::fromUtf8(p.readAllStandardError());
        QCOMPARE(p.exitCode(), 5);
        QVERIFY2(err.contains(QStringLiteral("read-only")) ||
                     err.contains(QStringLiteral("Cannot")),
                 qPrintable(err));
        QCOMPARE(err.count(u'\n'), 1);
        QCOMPARE(org->dump(), before);
    }

    void initAndDemoMakeNewDatabases()
    {
        QTemporaryDir dir;
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(QStringLiteral("ROSTER_KEY_FILE"), dir.filePath(QStringLiteral("k.key")));
        const QString db = dir.filePath(QStringLiteral("new.db"));
        auto init = rosterctl({QStringLiteral("--db"), db, QStringLiteral("init"),
                               QStringLiteral("--admin-email"), QStringLiteral("boss@new.example"),
                               QStringLiteral("--admin-name"), QStringLiteral("Boss")},
                              "long enough password\n", env);
        QVERIFY2(init.exitCode == 0, qPrintable(show(init)));
        auto twice = rosterctl({QStringLiteral("--db"), db, QStringLiteral("init"),
                                QStringLiteral("--admin-email"), QStringLiteral("b2@new.example"),
                                QStringLiteral("--admin-name"), QStringLiteral("B2")},
                               "long enough password\n", env);
        QCOMPARE(twice.exitCode, 3);
        const QString demoDb = dir.filePath(QStringLiteral("demo.db"));
        auto demo = rosterctl({QStringLiteral("--db"), demoDb, QStringLiteral("demo"),
                               QStringLiteral("--users"), QStringLiteral("300")},
                              {}, env);
        QVERIFY2(demo.exitCode == 0, qPrintable(show(demo)));
        const QRegularExpression re(QStringLiteral("Sign in as (\\S+) with the password (\\S+)"));
        const auto m = re.match(demo.out);
        QVERIFY2(m.hasMatch(), qPrintable(demo.out));
        env.insert(QStringLiteral("ROSTER_DB"), demoDb);
        env.insert(QStringLiteral("ROSTER_AS"), m.captured(1));
        env.insert(QStringLiteral("ROSTER_PASSWORD"), m.captured(2));
        QHash<QString, int> byStatus;
        auto list = rosterctl({QStringLiteral("user"), QStringLiteral("list"),
                               QStringLiteral("--format"), QStringLiteral("json")},
                              {}, env);
        QCOMPARE(list.exitCode, 0);
        const QJsonArray users = QJsonDocument::fromJson(list.out.toUtf8())
                                     .object()
                                     .value(QStringLiteral("users"))
                                     .toArray();
        QCOMPARE(users.size(), 301);
        for (const auto &u : users)
            byStatus[u.toObject().value(QStringLiteral("status")).toString()]++;
        QVERIFY2(byStatus.value(QStringLiteral("pending")) >= 5 &&
                     byStatus.value(QStringLiteral("expired")) >= 5 &&
                     byStatus.value(QStringLiteral("inactive")) >= 5 &&
                     byStatus.value(QStringLiteral("confirmed")) >= 200,
                 qPrintable(QString::fromUtf8(
                     QJsonDocument(
                         QJsonObject::fromVariantHash(QVariantHash{
                             {QStringLiteral("p"), byStatus.value(QStringLiteral("pending"))},
                             {QStringLiteral("e"), byStatus.value(QStringLiteral("expired"))},
                             {QStringLiteral("i"), byStatus.value(QStringLiteral("inactive"))},
                             {QStringLiteral("c"), byStatus.value(QStringLiteral("confirmed"))}}))
                         .toJson())));
        auto admins = rosterctl({QStringLiteral("user"), QStringLiteral("list"),
                                 QStringLiteral("--view"), QStringLiteral("admins"),
                                 QStringLiteral("--format"), QStringLiteral("json")},
                                {}, env);
        QVERIFY(QJsonDocument::fromJson(admins.out.toUtf8())
                    .object()
                    .value(QStringLiteral("count"))
                    .toInt() >= 3);
        auto portal =
            rosterctl({QStringLiteral("user"), QStringLiteral("list"), QStringLiteral("--portal"),
                       QStringLiteral("--format"), QStringLiteral("json")},
                      {}, env);
        QCOMPARE(QJsonDocument::fromJson(portal.out.toUtf8())
                     .object()
                     .value(QStringLiteral("count"))
                     .toInt(),
                 30);
    }

    void helpAndVersion()
    {
        auto h = rosterctl({QStringLiteral("--help")});
        QCOMPARE(h.exitCode, 0);
        QVERIFY(h.out.contains(QStringLiteral("user reinvite")));
        QVERIFY(h.out.contains(QStringLiteral("Exit codes")));
        auto v = rosterctl({QStringLiteral("--version")});
        QCOMPARE(v.exitCode, 0);
        QVERIFY(v.out.startsWith(QStringLiteral("rosterctl ")));
    }

    void editUser()
    {
        QCOMPARE(ctl({QStringLiteral("user"), QStringLiteral("add"), QStringLiteral("--email"),
                      QStringLiteral("ron@example.com"), QStringLiteral("--name"),
                      QStringLiteral("Ron")})
                     .exitCode,
                 0);
        auto r =
            ctl({QStringLiteral("user"), QStringLiteral("edit"), QStringLiteral("RON@example.com"),
                 QStringLiteral("--name"), QStringLiteral("Ronald Weasley"),
                 QStringLiteral("--profile"), QStringLiteral("User Manager")});
        QVERIFY2(r.exitCode == 0, qPrintable(show(r)));
        QVERIFY(
            r.out.contains(QStringLiteral("edited ron@example.com: Ronald Weasley, User Manager")));
        QCOMPARE(org->scalar(QStringLiteral(
                     "SELECT count(*) FROM users u JOIN profiles p ON p.id = u.profile_id "
                     "WHERE u.email = 'ron@example.com' AND u.name = 'Ronald Weasley' AND p.name = "
                     "'User Manager'")),
                 1);
        QCOMPARE(org->scalar(
                     QStringLiteral("SELECT count(*) FROM audit_log WHERE action = 'user.edit'")),
                 1);
        QCOMPARE(ctl({QStringLiteral("user"), QStringLiteral("add"), QStringLiteral("--portal"),
                      QStringLiteral("--email"), QStringLiteral("pia@example.com"),
                      QStringLiteral("--name"), QStringLiteral("Pia")})
                     .exitCode,
                 0);
        auto p = ctl({QStringLiteral("user"), QStringLiteral("edit"),
                      QStringLiteral("pia@example.com"), QStringLiteral("--portal"),
                      QStringLiteral("--account"), QStringLiteral("Globex")});
        QVERIFY2(p.exitCode == 0, qPrintable(show(p)));
        QCOMPARE(org->scalar(QStringLiteral(
                     "SELECT count(*) FROM users WHERE kind = 'portal' AND account = 'Globex'")),
                 1);
        auto help = rosterctl({QStringLiteral("user"), QStringLiteral("--help")});
        QVERIFY(help.out.contains(QStringLiteral("user edit EMAIL")));
    }
};

QTEST_GUILESS_MAIN(TestRosterctl)
#include "tst_rosterctl.moc"
