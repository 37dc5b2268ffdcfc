// SPEC §4 and §7: what opening a database refuses, and that a refused file is left as it was.
#include "app/userservice.h"
#include "models/database.h"
#include "models/sqlitestatement.h"
#include "testsupport.h"

#include <QCryptographicHash>
#include <QFile>
#include <QSqlQuery>
#include <QTemporaryDir>
#include <QTest>

#include <unistd.h>

using namespace roster;
using namespace testsupport;

class TestDatabase : public QObject
{
    Q_OBJECT

    static QByteArray digest(const QString &path)
    {
        return QCryptographicHash::hash(readFile(path), QCryptographicHash::Sha256);
    }

private slots:
    void createsSchemaAndReopens()
    {
        TestOrg org;
        QVERIFY2(org.isValid(), qPrintable(org.error()));
        QCOMPARE(org.scalar(QStringLiteral("SELECT count(*) FROM profiles WHERE builtin = 1")), 3);
        auto again = org.db().reopen();
        QVERIFY2(again, again ? "" : qPrintable(again.error().message));
        QCOMPARE(again.value()->databaseId(), org.db().databaseId());
        QSqlQuery q(again.value()->connection());
        QVERIFY(q.exec(QStringLiteral("SELECT value FROM meta WHERE key = 'schema_version'")) &&
                q.next());
        QCOMPARE(q.value(0).toInt(), Database::schemaVersion());
    }

    void sqliteIsWalWithForeignKeys()
    {
        TestOrg org(QStringLiteral("sqlite"));
        QSqlQuery q(org.db().connection());
        QVERIFY(q.exec(QStringLiteral("PRAGMA journal_mode")) && q.next());
        QCOMPARE(q.value(0).toString(), QStringLiteral("wal"));
        q.finish();
        QVERIFY(q.exec(QStringLiteral("PRAGMA foreign_keys")) && q.next());
        QCOMPARE(q.value(0).toInt(), 1);
        q.finish();
        QVERIFY(
            !org.db().exec(QStringLiteral("INSERT INTO invitations (user_id, token_hash, "
                                          "created_at, expires_at) VALUES (999999, 'x', 0, 0)")));
    }

    // A second connection in the same process (the console's view loader and change notifier,
    // roster-web's worker threads) must not cost the first one its SQLite file locks: closing any
    // other descriptor of the file drops every POSIX lock the process holds on it, and then
    // another program closing its connection believes it is the last one, checkpoints and deletes
    // the WAL under this process, whose later commits nobody else sees (sqlite.org/howtocorrupt
    // §2.2). Seen as roster-web's "Ask for a new invitation" missing from rosterctl's list.
    void secondConnectionKeepsTheFirstOnesLocks()
    {
        TestOrg org(QStringLiteral("sqlite"));
        QVERIFY2(org.isValid(), qPrintable(org.error()));
        auto second = org.db().reopen();
        QVERIFY2(second, second ? "" : qPrintable(second.error().message));
        // Another program opens and closes the database.
        const RunResult before = rosterctl({QStringLiteral("user"), QStringLiteral("list")}, {},
                                           org.rosterctlEnvironment());
        QVERIFY2(before.exitCode == 0, qPrintable(before.err));
        QVERIFY(QFile::exists(org.location() + QStringLiteral("-wal")));
        // This process writes on its first connection; the other program must see it.
        QVERIFY(org.addUnconfirmedUser(QStringLiteral("after@example.com")) > 0);
        const RunResult after = rosterctl({QStringLiteral("user"), QStringLiteral("list")}, {},
                                          org.rosterctlEnvironment());
        QVERIFY2(after.exitCode == 0, qPrintable(after.err));
        QVERIFY2(after.out.contains(QStringLiteral("after@example.com")), qPrintable(after.out));
    }

    void newerSchemaIsRefusedUntouched()
    {
        TestOrg org;
        QVERIFY(org.isValid());
        QVERIFY(org.db().exec(
            QStringLiteral("UPDATE meta SET value = '99' WHERE key = 'schema_version'")));
        if (org.engine() == u"sqlite")
            QVERIFY(org.db().exec(QStringLiteral("PRAGMA wal_checkpoint(TRUNCATE)")));
        const QString before = org.dump();
        const QByteArray fileBefore =
            org.engine() == u"sqlite" ? digest(org.location()) : QByteArray();
        auto r = Database::open(org.location());
        QVERIFY(!r);
        QCOMPARE(r.error().kind, ErrorKind::Database);
        QVERIFY2(r.error().message.contains(QStringLiteral("newer Roster")),
                 qPrintable(r.error().message));
        QVERIFY(r.error().message.contains(QStringLiteral("schema 99")));
        QCOMPARE(org.dump(), before);
        if (org.engine() == u"sqlite")
            QCOMPARE(digest(org.location()), fileBefore);
    }

    void fileThatIsNotADatabase()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("notes.db"));
        QFile f(path);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write("These are my notes, not a database.\n");
        f.close();
        const QByteArray before = digest(path);
        auto r = Database::open(path);
        QVERIFY(!r);
        QVERIFY2(r.error().message.contains(QStringLiteral("not a Roster database")),
                 qPrintable(r.error().message));
        QCOMPARE(digest(path), before);
    }

    void truncatedDatabase()
    {
        TestOrg org(QStringLiteral("sqlite"));
        QVERIFY(org.db().exec(QStringLiteral("PRAGMA wal_checkpoint(TRUNCATE)")));
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("cut.db"));
        QFile f(path);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write(readFile(org.location()).left(3000));
        f.close();
        auto r = Database::open(path);
        QVERIFY(!r);
        QVERIFY2(r.error().message.contains(QStringLiteral("damaged")) ||
                     r.error().message.contains(QStringLiteral("not a Roster")),
                 qPrintable(r.error().message));
    }

    void otherProgramsSqliteFile()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("other.db"));
        {
            auto db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), QStringLiteral("other"));
            db.setDatabaseName(path);
            QVERIFY(db.open());
            QSqlQuery q(db);
            QVERIFY(q.exec(QStringLiteral("CREATE TABLE recipes (name TEXT)")));
            db.close();
        }
        QSqlDatabase::removeDatabase(QStringLiteral("other"));
        auto r = Database::open(path);
        QVERIFY(!r);
        QVERIFY2(r.error().message.contains(QStringLiteral("another program")),
                 qPrintable(r.error().message));
    }

    void missingFolderAndMissingFile()
    {
        auto r = Database::open(QStringLiteral("/nonexistent-folder/roster.db"),
                                Database::OpenMode::CreateIfMissing);
        QVERIFY(!r);
        QVERIFY2(r.error().message.contains(QStringLiteral("does not exist")),
                 qPrintable(r.error().message));
        QTemporaryDir dir;
        auto m = Database::open(dir.filePath(QStringLiteral("absent.db")));
        QVERIFY(!m);
        QCOMPARE(m.error().kind, ErrorKind::NotFound);
        QVERIFY(m.error().message.contains(QStringLiteral("rosterctl init")));
        QVERIFY(!QFile::exists(dir.filePath(QStringLiteral("absent.db"))));
        auto d = Database::open(dir.path());
        QVERIFY(!d);
        QVERIFY(d.error().message.contains(QStringLiteral("folder")));
    }

    void unknownSchemeAndUnreachableServer()
    {
        auto r = Database::open(QStringLiteral("mysql://root@localhost/crm"));
        QVERIFY(!r);
        QCOMPARE(r.error().kind, ErrorKind::Invalid);
        QVERIFY(r.error().message.contains(QStringLiteral("Unknown database URL scheme")));
        auto pg = Database::open(QStringLiteral("postgresql://nobody:pw@127.0.0.1:1/roster"));
        QVERIFY(!pg);
        QCOMPARE(pg.error().kind, ErrorKind::Database);
        QVERIFY2(pg.error().message.contains(QStringLiteral("Cannot connect")),
                 qPrintable(pg.error().message));
        QVERIFY(!pg.error().message.contains(QStringLiteral(":pw@"))); // no password in messages
    }

    void lockedByAnotherWriter()
    {
        if (qEnvironmentVariable("ROSTER_TEST_ENGINE") == u"postgresql")
            QSKIP("SQLite's file lock");
        qputenv("ROSTER_BUSY_TIMEOUT_MS", "200");
        TestOrg org(QStringLiteral("sqlite"));
        const qint64 target = org.addUnconfirmedUser(QStringLiteral("lock@acme.example"));
        org.clock().advanceMinutes(10);
        auto other = org.db().reopen();
        QVERIFY(other);
        QVERIFY(other.value()->begin());
        QVERIFY(other.value()->exec(QStringLiteral("UPDATE settings SET value = value")));
        const QString before = org.dump();
        InvitationService s(org.db(), org.clock(), org.adminId());
        auto r = s.reinvite(target);
        QVERIFY(!r);
        QCOMPARE(r.error().kind, ErrorKind::Database);
        QVERIFY2(r.error().message.contains(QStringLiteral("locked by another program")),
                 qPrintable(r.error().message));
        other.value()->rollback();
        QCOMPARE(org.dump(), before);
        QVERIFY(s.reinvite(target));
        qunsetenv("ROSTER_BUSY_TIMEOUT_MS");
    }

    // The bulk writer's statements on SQLite's own handle: values bound as Database::exec binds
    // them, a failed row reported in Database's terms, the statement usable again after it.
    void sqliteStatementBindsRunsAndReportsFailures()
    {
        TestOrg org;
        QVERIFY2(org.isValid(), qPrintable(org.error()));
        if (org.db().dialect() != Dialect::Sqlite) {
            QVERIFY(!SqliteStatement::handleOf(org.db()));
            auto refused = SqliteStatement::prepare(org.db(), QStringLiteral("SELECT 1"));
            QVERIFY(!refused);
            QCOMPARE(refused.error().kind, ErrorKind::Database);
            return;
        }
        QVERIFY(org.db().exec(QStringLiteral(
            "CREATE TABLE probe (id INTEGER PRIMARY KEY, n BIGINT, t TEXT NOT NULL, z TEXT)")));
        auto bad =
            SqliteStatement::prepare(org.db(), QStringLiteral("INSERT INTO nowhere VALUES (1)"));
        QVERIFY(!bad);
        QCOMPARE(bad.error().kind, ErrorKind::Database);
        auto st = SqliteStatement::prepare(
            org.db(), QStringLiteral("INSERT INTO probe (id, n, t, z) VALUES (?1, ?2, ?3, ?4)"));
        QVERIFY2(st, st ? "" : qPrintable(st.error().message));
        SqliteStatement &insert = *st.value();
        insert.bind(1, qint64(1));
        insert.bind(2, qint64(1) << 40);
        insert.bind(3, QStringLiteral("Müller \"quoted\""));
        insert.bind(4, QVariant(QMetaType(QMetaType::QString)));
        auto one = insert.run();
        QVERIFY2(one, one ? "" : qPrintable(one.error().message));
        QCOMPARE(one.value(), 1);
        // The same id again: a constraint failure, one message, nothing written.
        auto again = insert.run();
        QVERIFY(!again);
        QCOMPARE(again.error().kind, ErrorKind::Database);
        QVERIFY(!again.error().message.isEmpty());
        insert.bind(1, qint64(2));
        insert.bind(3, QByteArray("bytes as text"));
        insert.bind(4, QVariant(QMetaType(QMetaType::LongLong)));
        QVERIFY(insert.run());
        QSqlQuery q(org.db().connection());
        QVERIFY(q.exec(QStringLiteral(
            "SELECT id, n, t, z IS NULL, typeof(z), typeof(t) FROM probe ORDER BY id")));
        QVERIFY(q.next());
        QCOMPARE(q.value(1).toLongLong(), qint64(1) << 40);
        QCOMPARE(q.value(2).toString(), QStringLiteral("Müller \"quoted\""));
        QCOMPARE(q.value(4).toString(), QStringLiteral("text")); // a null QString is ''
        QVERIFY(q.next());
        QCOMPARE(q.value(2).toString(), QStringLiteral("bytes as text"));
        QCOMPARE(q.value(3).toInt(), 1); // a null number is NULL
        QCOMPARE(q.value(5).toString(), QStringLiteral("text"));
        QVERIFY(!q.next());
    }

    // The delivery run's statements, on both engines: the rows a run changed, a failure in
    // Database's terms, and the statement usable again after it (prepared anew).
    void boundStatementCountsRowsAndRecoversFromAFailure()
    {
        TestOrg org;
        QVERIFY2(org.isValid(), qPrintable(org.error()));
        QVERIFY(org.db().exec(
            QStringLiteral("CREATE TABLE probe (id BIGINT PRIMARY KEY, t TEXT NOT NULL)")));
        BoundStatement insert(org.db(), QStringLiteral("INSERT INTO probe (id, t) VALUES (?, ?)"));
        insert.bind(0, qint64(1));
        insert.bind(1, QString()); // '' on both engines, not NULL
        auto one = insert.run();
        QVERIFY2(one, one ? "" : qPrintable(one.error().message));
        QCOMPARE(one.value(), 1);
        insert.bind(0, qint64(2));
        insert.bind(1, QVariant(QMetaType(QMetaType::LongLong))); // NULL: NOT NULL fails
        auto refused = insert.run();
        QVERIFY(!refused);
        QCOMPARE(refused.error().kind, ErrorKind::Database);
        QVERIFY(!refused.error().message.isEmpty());
        insert.bind(0, qint64(2));
        insert.bind(1, QStringLiteral("second"));
        auto two = insert.run();
        QVERIFY2(two, two ? "" : qPrintable(two.error().message));
        BoundStatement update(org.db(), QStringLiteral("UPDATE probe SET t = ? WHERE id = ?"));
        update.bind(0, QStringLiteral("changed"));
        update.bind(1, qint64(2));
        QCOMPARE(update.run().value(), 1);
        update.bind(1, qint64(3));
        QCOMPARE(update.run().value(), 0);
        QCOMPARE(org.scalar(QStringLiteral("SELECT count(*) FROM probe WHERE t = ''")), 1);
        QCOMPARE(org.scalar(QStringLiteral("SELECT count(*) FROM probe WHERE t = 'changed'")), 1);
    }
};

QTEST_GUILESS_MAIN(TestDatabase)
#include "tst_database.moc"
