// Issue 13, migrations: a database written at schema 1, 2 or 3 (built with the very statements
// of those versions) upgrades with its data; two processes upgrading one SQLite file at once; a
// newer schema found under the migration lock is refused; PostgreSQL's key columns compare in
// "C" order whatever the database's locale (the prefix search is a range on them).
// Runs on the engine named by ROSTER_TEST_ENGINE (CTest runs it on SQLite and PostgreSQL).
#include "app/userservice.h"
#include "models/database.h"
#include "models/migrations.h"
#include "models/userfilter.h"
#include "models/userrepository.h"
#include "testsupport.h"

#include <QProcess>
#include <QRandomGenerator>
#include <QSqlError>
#include <QSqlQuery>
#include <QTemporaryDir>
#include <QTest>
#include <QUrl>

using namespace roster;
using namespace testsupport;

namespace {
bool onPostgres()
{
    return qEnvironmentVariable("ROSTER_TEST_ENGINE") == u"postgresql";
}
} // namespace

class TestMigrations : public QObject
{
    Q_OBJECT
    QTemporaryDir m_dir;
    QStringList m_pgDatabases;

    std::unique_ptr<Database> server()
    {
        auto db = Database::open(qEnvironmentVariable("ROSTER_TEST_PG_URL"),
                                 Database::OpenMode::ServerOnly);
        if (!db)
            qWarning() << db.error().message;
        return db ? std::move(db).value() : nullptr;
    }

    // A fresh, empty database's location (a file, or a new database on the test server, made
    // with `createOptions`).
    QString emptyLocation(const QString &createOptions = {})
    {
        static int n = 0;
        if (!onPostgres())
            return m_dir.filePath(QStringLiteral("org%1.db").arg(++n));
        const QString name = QStringLiteral("roster_mig_%1_%2")
                                 .arg(++n)
                                 .arg(QRandomGenerator::global()->bounded(1 << 30));
        auto s = server();
        if (!s || !s->exec(QStringLiteral("CREATE DATABASE ") + name + u' ' + createOptions))
            return {};
        m_pgDatabases << name;
        QUrl url(qEnvironmentVariable("ROSTER_TEST_PG_URL"));
        url.setPath(u'/' + name);
        return url.toString();
    }

    // Runs `statements` on a raw connection to `location` (no schema read or written).
    bool runRaw(const QString &location, const QStringList &statements)
    {
        const QString name = QStringLiteral("raw");
        bool ok = true;
        {
            QSqlDatabase c;
            if (onPostgres()) {
                auto db = Database::open(location, Database::OpenMode::ServerOnly);
                if (!db)
                    return false;
                // In one transaction, as Database::migrate runs them (schema 8 locks a table).
                Transaction tx(*db.value());
                if (!tx.status())
                    return false;
                for (const QString &s : statements)
                    if (!db.value()->exec(s)) {
                        qWarning() << "failed:" << s;
                        return false;
                    }
                return tx.commit().ok();
            }
            c = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), name);
            c.setDatabaseName(location);
            ok = c.open();
            for (const QString &s : statements) {
                if (!ok)
                    break;
                QSqlQuery q(c);
                ok = q.exec(s);
                if (!ok)
                    qWarning() << "failed:" << s << q.lastError().text();
            }
            c.close();
        }
        QSqlDatabase::removeDatabase(name);
        return ok;
    }

    // The schema of `version`, built with that version's statements, and rows of every table.
    bool buildAt(const QString &location, int version)
    {
        const Dialect d = onPostgres() ? Dialect::Postgres : Dialect::Sqlite;
        QStringList statements;
        for (int v = 1; v <= version; ++v)
            statements += migrationStatements(v, d);
        statements << QStringLiteral("INSERT INTO meta (key, value) VALUES ('schema_version', "
                                     "'%1')")
                          .arg(version)
                   << QStringLiteral("INSERT INTO meta (key, value) VALUES ('database_id', "
                                     "'old-%1')")
                          .arg(version)
                   << QStringLiteral("INSERT INTO settings (key, value) VALUES ('organisation', "
                                     "'Old Org')")
                   << QStringLiteral(
                          "INSERT INTO users (kind, email, email_key, name, name_key, profile_id, "
                          "active, confirmed_at, created_at, updated_at) VALUES ('crm', "
                          "'Ada@Old.example', 'ada@old.example', 'Ada Old', 'ada old', (SELECT id "
                          "FROM profiles WHERE name = 'Administrator'), 1, 1000, 1000, 1000)")
                   << QStringLiteral(
                          "INSERT INTO users (kind, email, email_key, name, name_key, profile_id, "
                          "active, created_at, updated_at, invited_at, invite_expires_at, "
                          "invite_count, mail_state) VALUES ('crm', 'bo@old.example', "
                          "'bo@old.example', 'Bo Pending', 'bo pending', (SELECT id FROM profiles "
                          "WHERE name = 'Standard'), 1, 2000, 2000, 2000, 9000000000000, 1, "
                          "'queued')")
                   << QStringLiteral(
                          "INSERT INTO invitations (user_id, token_hash, created_at, expires_at, "
                          "created_by_name) VALUES ((SELECT id FROM users WHERE email_key = "
                          "'bo@old.example'), 'hash-of-bo', 2000, 9000000000000, 'Ada Old')")
                   << QStringLiteral(
                          "INSERT INTO outbox (kind, user_id, invitation_id, recipient, "
                          "message_id, payload, state, attempts, created_at, next_attempt_at) "
                          "VALUES ('invitation', (SELECT id FROM users WHERE email_key = "
                          "'bo@old.example'), (SELECT id FROM invitations), 'bo@old.example', "
                          "'<old@old.example>', '{}', 'queued', 0, 2000, 2000)")
                   << QStringLiteral(
                          "INSERT INTO audit_log (at, actor_email, action, target_email, detail) "
                          "VALUES (2000, 'Ada@Old.example', 'invitation.invite', "
                          "'bo@old.example', 'old entry')");
        return runRaw(location, statements);
    }

private slots:
    void initTestCase() { QVERIFY(m_dir.isValid()); }
    void cleanupTestCase()
    {
        if (m_pgDatabases.isEmpty())
            return;
        auto s = server();
        for (const QString &name : std::as_const(m_pgDatabases))
            if (s)
                (void)s->exec(QStringLiteral("DROP DATABASE IF EXISTS ") + name +
                              QStringLiteral(" WITH (FORCE)"));
    }

    void upgradesFromEveryOlderSchema_data()
    {
        QTest::addColumn<int>("version");
        for (int v = 1; v < latestSchemaVersion(); ++v)
            QTest::addRow("schema %d", v) << v;
    }
    void upgradesFromEveryOlderSchema()
    {
        QFETCH(int, version);
        const QString location = emptyLocation();
        QVERIFY(!location.isEmpty());
        QVERIFY(buildAt(location, version));
        auto opened = Database::open(location);
        QVERIFY2(opened, opened ? "" : qPrintable(opened.error().message));
        Database &db = *opened.value();
        const auto scalar = [&db](const QString &sql) {
            QSqlQuery q = db.prepare(sql);
            return db.exec(q) && q.next() ? q.value(0).toString() : QStringLiteral("<error>");
        };
        QCOMPARE(scalar(QStringLiteral("SELECT value FROM meta WHERE key = 'schema_version'")),
                 QString::number(latestSchemaVersion()));
        QCOMPARE(db.databaseId(), QStringLiteral("old-%1").arg(version));
        QCOMPARE(scalar(QStringLiteral("SELECT value FROM settings WHERE key = 'organisation'")),
                 QStringLiteral("Old Org"));
        QCOMPARE(scalar(QStringLiteral("SELECT count(*) FROM users")), QStringLiteral("2"));
        QCOMPARE(scalar(QStringLiteral("SELECT token_hash FROM invitations")),
                 QStringLiteral("hash-of-bo"));
        QCOMPARE(scalar(QStringLiteral("SELECT message_id FROM outbox WHERE state = 'queued'")),
                 QStringLiteral("<old@old.example>"));
        QCOMPARE(scalar(QStringLiteral("SELECT detail FROM audit_log")),
                 QStringLiteral("old entry"));
        // The upgraded indexes answer: search (substring and prefix) and the views find the old
        // rows.
        UserRepository repo(db);
        for (const QString &search :
             {QStringLiteral("pending"), QStringLiteral("bo"), QStringLiteral("old.exa")}) {
            UserFilter f;
            f.search = search;
            f.nowMs = 5000;
            auto n = repo.count(f);
            QVERIFY2(n, n ? "" : qPrintable(n.error().message));
            QCOMPARE(n.value(), search == u"old.exa" ? 2 : 1);
        }
        if (onPostgres()) {
            // Schema 8: the trigram indexes moved off users, onto users_search.
            QCOMPARE(scalar(QStringLiteral("SELECT count(*) FROM pg_indexes WHERE tablename = "
                                           "'users' AND indexdef LIKE '%gin_trgm_ops%'")),
                     QStringLiteral("0"));
            QCOMPARE(scalar(QStringLiteral("SELECT count(*) FROM pg_indexes WHERE tablename = "
                                           "'users_search' AND indexdef LIKE '%gin_trgm_ops%'")),
                     QStringLiteral("2"));
        }
        UserFilter unconfirmed;
        unconfirmed.view = UserView::Unconfirmed;
        unconfirmed.nowMs = 5000;
        QCOMPARE(repo.count(unconfirmed).value(), 1);
        // And the organisation works on: the old administrator re-invites the old user.
        QVERIFY(db.exec(QStringLiteral("UPDATE users SET invited_at = 0")));
        InvitationService service(
            db, processClock(), repo.byEmail(UserKind::Crm, QStringLiteral("ada@old.example"))->id);
        auto r =
            service.reinvite(repo.byEmail(UserKind::Crm, QStringLiteral("bo@old.example"))->id);
        QVERIFY2(r, r ? "" : qPrintable(r.error().message));
        QCOMPARE(scalar(QStringLiteral("SELECT count(*) FROM outbox WHERE state = 'cancelled'")),
                 QStringLiteral("1"));
    }

    // The search's keys follow every write to users: a multi-row insert, a change of name, email
    // or kind, an update of other columns, a delete (SQLite: the FTS5 triggers of schema 4;
    // PostgreSQL: users_search's triggers of schema 8).
    void searchFollowsEveryWriteToUsers()
    {
        const QString location = emptyLocation();
        QVERIFY(!location.isEmpty());
        auto opened = Database::open(location, Database::OpenMode::CreateIfMissing);
        QVERIFY2(opened, opened ? "" : qPrintable(opened.error().message));
        Database &db = *opened.value();
        UserRepository repo(db);
        const auto matches = [&repo](UserKind kind, const QString &text) {
            UserFilter f;
            f.kind = kind;
            f.search = text;
            auto n = repo.count(f);
            auto rows = repo.fetch(f, 0, 100, false, -1);
            return n && rows && rows->size() == n.value() ? n.value() : -1;
        };
        QVERIFY(db.exec(QStringLiteral(
            "INSERT INTO users (kind, email, email_key, name, name_key, active, created_at, "
            "updated_at) VALUES ('crm', 'a@x.example', 'a@x.example', 'Alma Quist', 'alma quist', "
            "1, 1, 1), ('crm', 'b@x.example', 'b@x.example', 'Berit Quist', 'berit quist', 1, 1, "
            "1), ('portal', 'c@x.example', 'c@x.example', 'Cora Quist', 'cora quist', 1, 1, 1)")));
        QCOMPARE(matches(UserKind::Crm, QStringLiteral("quist")), 2);
        QCOMPARE(matches(UserKind::Portal, QStringLiteral("quist")), 1);
        QVERIFY(db.exec(QStringLiteral("UPDATE users SET name = 'Alma Vinter', name_key = 'alma "
                                       "vinter' WHERE email_key = 'a@x.example'")));
        QCOMPARE(matches(UserKind::Crm, QStringLiteral("quist")), 1);
        QCOMPARE(matches(UserKind::Crm, QStringLiteral("vinter")), 1);
        QVERIFY(db.exec(QStringLiteral("UPDATE users SET email = 'berit@yonder.example', "
                                       "email_key = 'berit@yonder.example' WHERE email_key = "
                                       "'b@x.example'")));
        QCOMPARE(matches(UserKind::Crm, QStringLiteral("yonder")), 1);
        QCOMPARE(matches(UserKind::Crm, QStringLiteral("b@x.ex")), 0);
        QVERIFY(db.exec(QStringLiteral(
            "UPDATE users SET kind = 'portal' WHERE email_key = 'berit@yonder.example'")));
        QCOMPARE(matches(UserKind::Crm, QStringLiteral("yonder")), 0);
        QCOMPARE(matches(UserKind::Portal, QStringLiteral("yonder")), 1);
        QVERIFY(db.exec(QStringLiteral("UPDATE users SET invited_at = 5, updated_at = 6")));
        QCOMPARE(matches(UserKind::Portal, QStringLiteral("quist")), 2);
        QVERIFY(db.exec(QStringLiteral("DELETE FROM users WHERE email_key = 'c@x.example'")));
        QCOMPARE(matches(UserKind::Portal, QStringLiteral("quist")), 1);
        QCOMPARE(matches(UserKind::Portal, QStringLiteral("cora")), 0);
        if (onPostgres()) {
            // Row for row the keys of users, no more, no fewer.
            QSqlQuery q = db.prepare(QStringLiteral(
                "SELECT (SELECT count(*) FROM (SELECT id, kind, name_key, email_key FROM users "
                "EXCEPT SELECT id, kind, name_key, email_key FROM users_search) AS a), (SELECT "
                "count(*) FROM (SELECT id, kind, name_key, email_key FROM users_search EXCEPT "
                "SELECT id, kind, name_key, email_key FROM users) AS b), (SELECT count(*) FROM "
                "users_search)"));
            QVERIFY(db.exec(q) && q.next());
            QCOMPARE(q.value(0).toInt(), 0);
            QCOMPARE(q.value(1).toInt(), 0);
            QCOMPARE(q.value(2).toInt(), 2);
        }
    }

    // The prefix search is a range (name_key >= 'ab' AND name_key < 'ab' || U+FFFF): under a
    // linguistic collation "áb…" falls inside it. The key columns compare in "C" order whatever
    // the database's locale (here ICU en-US; the same holds for glibc's en_US.UTF-8).
    void prefixSearchIgnoresTheDatabaseLocale()
    {
        if (!onPostgres())
            QSKIP("PostgreSQL only: SQLite compares TEXT bytewise (BINARY)");
        const QString location = emptyLocation(QStringLiteral(
            "LOCALE_PROVIDER icu ICU_LOCALE 'en-US' LOCALE 'C.UTF-8' TEMPLATE template0"));
        QVERIFY(!location.isEmpty());
        auto opened = Database::open(location, Database::OpenMode::CreateIfMissing);
        QVERIFY2(opened, opened ? "" : qPrintable(opened.error().message));
        Database &db = *opened.value();
        for (const auto &[name, email] :
             {std::pair{QStringLiteral("Ábner Zed"), QStringLiteral("z1@example.com")},
              std::pair{QStringLiteral("Abby Zed"), QStringLiteral("z2@example.com")},
              std::pair{QStringLiteral("Zoe Zed"), QStringLiteral("áby@example.com")}}) {
            QSqlQuery q = db.prepare(QStringLiteral(
                "INSERT INTO users (kind, email, email_key, name, name_key, active, created_at, "
                "updated_at) VALUES ('crm', ?, ?, ?, ?, 1, 1, 1)"));
            q.addBindValue(email);
            q.addBindValue(email.toCaseFolded());
            q.addBindValue(name);
            q.addBindValue(name.toCaseFolded());
            QVERIFY(db.exec(q));
        }
        UserRepository repo(db);
        UserFilter f;
        f.search = QStringLiteral("ab");
        f.nowMs = 5000;
        auto rows = repo.fetch(f, 0, 10, false, -1);
        QVERIFY2(rows, rows ? "" : qPrintable(rows.error().message));
        QStringList names;
        for (const UserRecord &u : rows.value())
            names << u.name;
        QCOMPARE(names, QStringList{QStringLiteral("Abby Zed")});
        QCOMPARE(repo.count(f).value(), 1);
        // And the list's name order is the same bytewise order as on SQLite.
        UserFilter all;
        all.nowMs = 5000;
        QStringList order;
        const auto allRows = repo.fetch(all, 0, 10, false, -1);
        QVERIFY(allRows);
        for (const UserRecord &u : allRows.value())
            order << u.name;
        QCOMPARE(order, (QStringList{QStringLiteral("Abby Zed"), QStringLiteral("Zoe Zed"),
                                     QStringLiteral("Ábner Zed")}));
    }

    // PostgreSQL: a process waiting for the migration lock while a newer Roster upgrades the
    // database past what it knows must refuse it, not carry on (it compared ">= latest").
    void newerSchemaFoundUnderTheLockIsRefused()
    {
        if (!onPostgres())
            QSKIP("PostgreSQL only (SQLite's write lock is BEGIN IMMEDIATE, not observable here)");
        const QString location = emptyLocation();
        QVERIFY(!location.isEmpty());
        QVERIFY(buildAt(location, latestSchemaVersion() - 1));
        auto holder = Database::open(location, Database::OpenMode::ServerOnly);
        QVERIFY(holder);
        Database &h = *holder.value();
        QVERIFY(h.begin());
        QVERIFY(h.exec(QStringLiteral("SELECT pg_advisory_xact_lock(7326001)")));
        QProcess p;
        p.start(qEnvironmentVariable("ROSTERCTL"),
                {QStringLiteral("--db"), location, QStringLiteral("invitation"),
                 QStringLiteral("accept"), QStringLiteral("--token"), QString(43, u'A')});
        p.write("a good password\n");
        p.closeWriteChannel();
        const QString dbName = QUrl(location).path().mid(1);
        const auto waiting = [&] {
            auto s = server();
            if (!s)
                return false;
            QSqlQuery q = s->prepare(QStringLiteral(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = ? AND wait_event_type = "
                "'Lock' AND wait_event = 'advisory'"));
            q.addBindValue(dbName);
            return s->exec(q) && q.next() && q.value(0).toInt() > 0;
        };
        QTRY_VERIFY_WITH_TIMEOUT(waiting(), 60000);
        // The newer Roster's upgrade, committed while the process waits.
        QVERIFY(h.exec(QStringLiteral("UPDATE meta SET value = '%1' WHERE key = 'schema_version'")
                           .arg(latestSchemaVersion() + 1)));
        QVERIFY(h.commit());
        QVERIFY(p.waitForFinished(60000));
        const QString err = QString::fromUtf8(p.readAllStandardError());
        QCOMPARE(p.exitCode(), 5);
        QVERIFY2(err.contains(QStringLiteral("newer Roster")), qPrintable(err));
    }

    // Two processes open one old database at the same moment: both end up on the latest schema,
    // neither fails (the second used to run the migration again on an upgraded schema).
    void twoProcessesUpgradeOneDatabase()
    {
        constexpr int rounds = 5;
        for (int round = 0; round < rounds; ++round) {
            const QString location = emptyLocation();
            QVERIFY(!location.isEmpty());
            QVERIFY(buildAt(location, 1));
            // Enough rows that an upgrade takes a while (its indexes and search index are
            // built): both processes read the old version before either commits.
            const QString rows = QStringLiteral(
                "INSERT INTO users (kind, email, email_key, name, name_key, active, created_at, "
                "updated_at) SELECT 'crm', 'u' || n || '@bulk.example', 'u' || n || "
                "'@bulk.example', 'User ' || n, 'user ' || n, 1, 1, 1 FROM ");
            QVERIFY(runRaw(
                location,
                {rows + (onPostgres() ? QStringLiteral("generate_series(1, 30000) AS g(n)")
                                      : QStringLiteral("(WITH RECURSIVE c(n) AS (SELECT 1 "
                                                       "UNION ALL SELECT n + 1 FROM c WHERE n "
                                                       "< 30000) SELECT n FROM c)"))}));
            QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
            env.insert(QStringLiteral("ROSTER_DB"), location);
            env.insert(QStringLiteral("ROSTER_KEY_FILE"), m_dir.filePath(QStringLiteral("k.key")));
            std::vector<std::unique_ptr<QProcess>> procs;
            for (int i = 0; i < 2; ++i) {
                auto p = std::make_unique<QProcess>();
                p->setProcessEnvironment(env);
                // Opens the database (upgrading it), then looks up an unknown token: exit 4.
                p->start(qEnvironmentVariable("ROSTERCTL"),
                         {QStringLiteral("invitation"), QStringLiteral("accept"),
                          QStringLiteral("--token"), QString(43, u'A')});
                p->write("a good password\n");
                p->closeWriteChannel();
                procs.push_back(std::move(p));
            }
            for (auto &p : procs) {
                QVERIFY(p->waitForFinished(60000));
                const QString err = QString::fromUtf8(p->readAllStandardError());
                QVERIFY2(p->exitStatus() == QProcess::NormalExit && p->exitCode() == 4,
                         qPrintable(QStringLiteral("round %1: exit %2: %3")
                                        .arg(round)
                                        .arg(p->exitCode())
                                        .arg(err)));
            }
            auto db = Database::open(location);
            QVERIFY2(db, db ? "" : qPrintable(db.error().message));
            QSqlQuery q = db.value()->prepare(
                QStringLiteral("SELECT value FROM meta WHERE key = 'schema_version'"));
            QVERIFY(db.value()->exec(q) && q.next());
            QCOMPARE(q.value(0).toInt(), latestSchemaVersion());
        }
    }
};

QTEST_GUILESS_MAIN(TestMigrations)
#include "tst_migrations.moc"
