// Issue 5 on a real PostgreSQL server (ROSTER_TEST_PG_URL, started by the test setup): where the
// password comes from, what an empty database is, a lost connection (pg_terminate_backend) that is
// reported once and re-made on the next operation without a half-written change, and a failure in
// the middle of a re-invite that leaves nothing behind.
#include "app/userservice.h"
#include "models/database.h"
#include "testsupport.h"

#include <QFile>
#include <QRandomGenerator>
#include <QSqlQuery>
#include <QTemporaryDir>
#include <QTest>
#include <QUrl>
#include <QUrlQuery>

using namespace roster;
using namespace testsupport;

class TestPostgres : public QObject
{
    Q_OBJECT
    QUrl server;

    std::unique_ptr<Database> admin()
    {
        auto db = Database::open(server.toString(), Database::OpenMode::ServerOnly);
        return db ? std::move(db).value() : nullptr;
    }
    // Terminates every other session of the database `name` (a server restart, seen from them).
    bool terminateSessions(const QString &name)
    {
        auto a = admin();
        if (!a)
            return false;
        QSqlQuery q = a->prepare(QStringLiteral("SELECT count(pg_terminate_backend(pid)) FROM "
                                                "pg_stat_activity WHERE datname = ? AND pid <> "
                                                "pg_backend_pid()"));
        q.addBindValue(name);
        return a->exec(q) && q.next() && q.value(0).toInt() > 0;
    }
    static QString dbName(const TestOrg &org) { return QUrl(org.location()).path().mid(1); }

private slots:
    void initTestCase()
    {
        if (qEnvironmentVariableIsEmpty("ROSTER_TEST_PG_URL"))
            QSKIP("no test PostgreSQL server (configure with -DROSTER_TEST_POSTGRES=ON)");
        server = QUrl(qEnvironmentVariable("ROSTER_TEST_PG_URL"));
    }

    void passwordFromPgpasswordOrPgpass()
    {
        TestOrg org(QStringLiteral("postgresql"));
        QVERIFY2(org.isValid(), qPrintable(org.error()));
        QUrl url(org.location());
        const QString password = url.password();
        url.setPassword(QString());
        const QString bare = url.toString();
        QVERIFY(!bare.contains(password));
        QTemporaryDir home;
        qputenv("PGPASSFILE", home.filePath(QStringLiteral("none")).toLocal8Bit());
        qunsetenv("PGPASSWORD");
        {
            auto r = Database::open(bare);
            QVERIFY(!r);
            QCOMPARE(r.error().kind, ErrorKind::Database);
            QVERIFY2(r.error().message.contains(QStringLiteral("Cannot connect")),
                     qPrintable(r.error().message));
            QVERIFY(r.error().message.contains(QStringLiteral("password")));
        }
        qputenv("PGPASSWORD", password.toUtf8());
        {
            auto r = Database::open(bare);
            QVERIFY2(r, r ? "" : qPrintable(r.error().message));
            QCOMPARE(r.value()->databaseId(), org.db().databaseId());
        }
        qunsetenv("PGPASSWORD");
        const QString pgpass = home.filePath(QStringLiteral("pgpass"));
        {
            QFile f(pgpass);
            QVERIFY(f.open(QIODevice::WriteOnly));
            f.write(QStringLiteral("%1:%2:*:%3:%4\n")
                        .arg(url.host())
                        .arg(url.port())
                        .arg(url.userName(), password)
                        .toUtf8());
            f.close();
            QVERIFY(f.setPermissions(QFile::ReadOwner | QFile::WriteOwner)); // libpq ignores 0644
        }
        qputenv("PGPASSFILE", pgpass.toLocal8Bit());
        {
            auto r = Database::open(bare);
            QVERIFY2(r, r ? "" : qPrintable(r.error().message));
        }
        // rosterctl too: ROSTER_DB without a password.
        QProcessEnvironment env = org.rosterctlEnvironment();
        env.insert(QStringLiteral("ROSTER_DB"), bare);
        env.insert(QStringLiteral("PGPASSFILE"), pgpass);
        env.remove(QStringLiteral("PGPASSWORD"));
        const RunResult list = rosterctl({QStringLiteral("user"), QStringLiteral("list")}, {}, env);
        QVERIFY2(list.exitCode == 0, qPrintable(list.err));
        QVERIFY(list.out.contains(TestOrg::adminEmail()));
        qunsetenv("PGPASSFILE");
    }

    // Issue 13 point 1: what the console remembers (Database::displayName()) keeps every
    // connection option of the URL and drops only the password: a verify-full organisation
    // reopened with libpq's default sslmode. Here application_name shows the options applied.
    void rememberedLocationKeepsTheConnectionOptions()
    {
        TestOrg org(QStringLiteral("postgresql"));
        QVERIFY2(org.isValid(), qPrintable(org.error()));
        QUrl url(org.location());
        const QString password = url.password();
        url.setQuery(QStringLiteral("sslmode=disable&sslrootcert=/etc/roster/ca.pem&"
                                    "application_name=roster-remembered&connect_timeout=7"));
        auto opened = Database::open(url.toString());
        QVERIFY2(opened, opened ? "" : qPrintable(opened.error().message));
        const QString remembered = opened.value()->displayName();
        QVERIFY2(!remembered.contains(password), qPrintable(remembered));
        const QUrlQuery kept(QUrl(remembered).query());
        QCOMPARE(kept.queryItemValue(QStringLiteral("sslmode")), QStringLiteral("disable"));
        QCOMPARE(kept.queryItemValue(QStringLiteral("sslrootcert"), QUrl::FullyDecoded),
                 QStringLiteral("/etc/roster/ca.pem"));
        QCOMPARE(kept.queryItemValue(QStringLiteral("connect_timeout")), QStringLiteral("7"));
        // A password given as a query item is never remembered either.
        url.setQuery(QStringLiteral("sslmode=disable&password=") + password);
        auto withQueryPassword = Database::open(url.toString());
        QVERIFY2(withQueryPassword,
                 withQueryPassword ? "" : qPrintable(withQueryPassword.error().message));
        QVERIFY2(!withQueryPassword.value()->displayName().contains(password),
                 qPrintable(withQueryPassword.value()->displayName()));
        // The next start opens what was remembered, with the password from libpq's sources.
        qputenv("PGPASSWORD", password.toUtf8());
        auto again = Database::open(remembered);
        qunsetenv("PGPASSWORD");
        QVERIFY2(again, again ? "" : qPrintable(again.error().message));
        QSqlQuery q =
            again.value()->prepare(QStringLiteral("SELECT current_setting('application_name')"));
        QVERIFY(again.value()->exec(q) && q.next());
        QCOMPARE(q.value(0).toString(), QStringLiteral("roster-remembered"));
    }

    void emptyDatabaseIsNotAnOrganisation()
    {
        auto a = admin();
        QVERIFY(a);
        const QString name = QStringLiteral("roster_test_empty_%1")
                                 .arg(QRandomGenerator::global()->generate() % 1000000);
        QVERIFY(a->exec(QStringLiteral("CREATE DATABASE ") + name));
        QUrl url = server;
        url.setPath(u'/' + name);
        auto r = Database::open(url.toString());
        QVERIFY(!r);
        QCOMPARE(r.error().kind, ErrorKind::NotFound);
        QVERIFY2(r.error().message.contains(QStringLiteral("rosterctl init")),
                 qPrintable(r.error().message));
        QVERIFY(!r.error().message.contains(server.password()));
        {
            auto check = Database::open(url.toString(), Database::OpenMode::ServerOnly);
            QVERIFY(check);
            QSqlQuery q(check.value()->connection());
            QVERIFY(q.exec(QStringLiteral(
                "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'")));
            QVERIFY(q.next());
            QCOMPARE(q.value(0).toInt(), 0); // refused untouched
        }
        QVERIFY(a->exec(QStringLiteral("DROP DATABASE ") + name + QStringLiteral(" WITH (FORCE)")));
    }

    void lostConnectionIsReportedThenReconnected()
    {
        TestOrg org(QStringLiteral("postgresql"));
        QVERIFY2(org.isValid(), qPrintable(org.error()));
        const qint64 id = org.addUnconfirmedUser(QStringLiteral("flaky@acme.example"));
        QVERIFY(id);
        org.clock().advanceMinutes(10);
        InvitationService service(org.db(), org.clock(), org.adminId());

        // Idle connection killed (server restart overnight): the next action reconnects by itself,
        // since nothing had been written yet.
        QVERIFY(terminateSessions(dbName(org)));
        auto first = service.reinvite(id);
        QVERIFY2(first, first ? "" : qPrintable(first.error().message));
        QVERIFY(!org.db().connectionLost());

        // Killed in the middle of a transaction: one clear message, nothing half-written...
        org.clock().advanceMinutes(10);
        const QString before = org.dump();
        QVERIFY(org.db().begin());
        QVERIFY(org.db().exec(QStringLiteral("UPDATE users SET name = 'half written'")));
        QVERIFY(terminateSessions(dbName(org)));
        const Status s = org.db().exec(QStringLiteral("UPDATE invitations SET revoked_at = 1"));
        QVERIFY(!s);
        QVERIFY2(
            s.error().message.startsWith(QStringLiteral("Lost the connection to postgresql://")),
            qPrintable(s.error().message));
        QVERIFY(!s.error().message.contains(QUrl(org.location()).password()));
        QVERIFY(org.db().connectionLost());
        org.db().rollback();
        // ... and the next operation reconnects and finds the data as it was.
        QVERIFY(org.db().reconnectIfNeeded()); // dump() reads through raw queries
        QCOMPARE(org.dump(), before);
        QVERIFY(!org.db().connectionLost());
        auto again = service.reinvite(id);
        QVERIFY2(again, again ? "" : qPrintable(again.error().message));
        QCOMPARE(
            org.scalar(QStringLiteral(
                           "SELECT count(*) FROM invitations WHERE user_id = ? AND accepted_at IS "
                           "NULL AND revoked_at IS NULL"),
                       {id}),
            1);
    }

    void lostConnectionDuringAServiceCall()
    {
        TestOrg org(QStringLiteral("postgresql"));
        QVERIFY2(org.isValid(), qPrintable(org.error()));
        const qint64 id = org.addUnconfirmedUser(QStringLiteral("mid@acme.example"));
        org.clock().advanceMinutes(10);
        // The connection dies when the audit entry is written, i.e. after the invitation rows.
        QVERIFY(org.db().exec(
            QStringLiteral("CREATE FUNCTION die() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                           "PERFORM pg_terminate_backend(pg_backend_pid()); RETURN NEW; END $$")));
        QVERIFY(org.db().exec(QStringLiteral(
            "CREATE TRIGGER die BEFORE INSERT ON audit_log FOR EACH ROW WHEN (NEW.action = "
            "'invitation.reinvite') EXECUTE FUNCTION die()")));
        const QString before = org.dump();
        InvitationService service(org.db(), org.clock(), org.adminId());
        auto r = service.reinvite(id);
        QVERIFY(!r);
        QCOMPARE(r.error().kind, ErrorKind::Database);
        QVERIFY2(r.error().message.startsWith(QStringLiteral("Lost the connection")),
                 qPrintable(r.error().message));
        QVERIFY(org.db().reconnectIfNeeded());
        QCOMPARE(org.dump(), before); // no half-done re-invite survived
        QVERIFY(org.db().exec(QStringLiteral("DROP TRIGGER die ON audit_log")));
        QVERIFY(service.reinvite(id));
    }

    // SPEC §2 rule 3 on PostgreSQL: a failure in the last step undoes the first ones.
    void reinviteIsOneTransaction()
    {
        TestOrg org(QStringLiteral("postgresql"));
        QVERIFY2(org.isValid(), qPrintable(org.error()));
        const qint64 id = org.addUnconfirmedUser(QStringLiteral("atomic@acme.example"));
        org.clock().advanceMinutes(10);
        QVERIFY(org.db().exec(
            QStringLiteral("CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                           "RAISE EXCEPTION 'injected failure'; END $$")));
        QVERIFY(org.db().exec(QStringLiteral(
            "CREATE TRIGGER refuse BEFORE INSERT ON audit_log FOR EACH ROW WHEN (NEW.action = "
            "'invitation.reinvite') EXECUTE FUNCTION refuse()")));
        const QString before = org.dump();
        InvitationService service(org.db(), org.clock(), org.adminId());
        auto r = service.reinvite(id);
        QVERIFY(!r);
        QVERIFY2(r.error().message.contains(QStringLiteral("injected failure")),
                 qPrintable(r.error().message));
        QCOMPARE(org.dump(), before);
        // The aborted transaction is gone: the same connection works on.
        QVERIFY(org.db().exec(QStringLiteral("DROP TRIGGER refuse ON audit_log")));
        QVERIFY(service.reinvite(id));
    }

    void twoProgramsMigrateAtOnce()
    {
        auto a = admin();
        QVERIFY(a);
        const QString name = QStringLiteral("roster_test_mig_%1")
                                 .arg(QRandomGenerator::global()->generate() % 1000000);
        QVERIFY(a->exec(QStringLiteral("CREATE DATABASE ") + name));
        QUrl url = server;
        url.setPath(u'/' + name);
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(QStringLiteral("ROSTER_DB"), url.toString());
        QTemporaryDir keys;
        env.insert(QStringLiteral("ROSTER_KEY_FILE"), keys.filePath(QStringLiteral("k")));
        std::vector<std::unique_ptr<QProcess>> procs;
        for (int i = 0; i < 4; ++i) {
            auto p = std::make_unique<QProcess>();
            p->setProcessEnvironment(env);
            p->start(qEnvironmentVariable("ROSTERCTL"),
                     {QStringLiteral("init"), QStringLiteral("--admin-email"),
                      QStringLiteral("a%1@acme.example").arg(i), QStringLiteral("--admin-name"),
                      QStringLiteral("Admin %1").arg(i)});
            p->write("correct horse battery\n");
            p->closeWriteChannel();
            procs.push_back(std::move(p));
        }
        int succeeded = 0;
        for (auto &p : procs) {
            QVERIFY(p->waitForFinished(60000));
            succeeded += p->exitCode() == 0;
        }
        QCOMPARE(succeeded, 1); // one organisation, one first administrator
        auto db = Database::open(url.toString());
        QVERIFY2(db, db ? "" : qPrintable(db.error().message));
        QSqlQuery q(db.value()->connection());
        QVERIFY(q.exec(QStringLiteral("SELECT count(*) FROM users")) && q.next());
        QCOMPARE(q.value(0).toInt(), 1);
        db = makeError(ErrorKind::Database, QString());
        QVERIFY(a->exec(QStringLiteral("DROP DATABASE ") + name + QStringLiteral(" WITH (FORCE)")));
    }
};

QTEST_GUILESS_MAIN(TestPostgres)
#include "tst_postgres.moc"
