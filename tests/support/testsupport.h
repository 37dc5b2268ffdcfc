#pragma once

#include "app/authservice.h"
#include "app/orgsettings.h"
#include "fakeclock.h"
#include "models/database.h"

#include <QByteArray>
#include <QProcessEnvironment>
#include <QString>
#include <QStringList>
#include <QTemporaryDir>

#include <memory>

namespace testsupport {

// Which engine a parametrised suite runs on: SQLite always; PostgreSQL when ROSTER_TEST_PG_URL
// names a server (the test setup starts one; see tests/support/pg).
QStringList engines();

// A fresh, empty organisation database for one test: a temporary SQLite file, or a new database
// on the test PostgreSQL server (dropped again by the destructor). Mail goes to mailDir() through
// the file transport; the sealing key lives in the temporary folder.
class TestOrg
{
public:
    // The engine comes from ROSTER_TEST_ENGINE (sqlite | postgresql); CTest runs each suite on
    // both.
    explicit TestOrg(QString engine = qEnvironmentVariable("ROSTER_TEST_ENGINE",
                                                           QStringLiteral("sqlite")));
    QString engine() const { return m_engine; }
    ~TestOrg();
    bool isValid() const { return m_db != nullptr; }
    QString error() const { return m_error; }

    roster::Database &db() { return *m_db; }
    QString location() const { return m_location; }
    QString dir() const { return m_dir.path(); }
    QString mailDir() const { return m_dir.path() + QStringLiteral("/mail"); }
    FakeClock &clock() { return m_clock; }

    // The first administrator, made when the org is created.
    qint64 adminId() const { return m_admin.userId; }
    static QString adminEmail() { return QStringLiteral("admin@acme.example"); }
    static QString adminPassword() { return QStringLiteral("correct horse battery"); }

    // A signed-in user with the given profile (created confirmed, with adminPassword()).
    qint64 addConfirmedUser(const QString &email, const QString &profile,
                            roster::UserKind kind = roster::UserKind::Crm);
    // The kind of user the rules suites act on: ROSTER_TEST_KIND (crm | portal), so the same
    // suite proves the rules for CRM and Customer Portal users.
    static roster::UserKind testKind();
    // An unconfirmed user added through the service (first invitation mailed); returns its id.
    qint64 addUnconfirmedUser(const QString &email,
                              const QString &name = QStringLiteral("Test User"),
                              roster::UserKind kind = testKind());
    // Delivers every due outbox message through the file transport; returns how many were sent.
    int deliver();

    // A dump of every table, for "the database is unchanged" checks.
    QString dump();
    qint64 scalar(const QString &sql, const QVariantList &binds = {});

    QProcessEnvironment rosterctlEnvironment() const;

private:
    QTemporaryDir m_dir;
    QString m_engine;
    QString m_location;
    QString m_pgName;
    QString m_error;
    FakeClock m_clock;
    std::unique_ptr<roster::Database> m_db;
    roster::Session m_admin;
};

struct RunResult
{
    int exitCode = -1;
    QString out;
    QString err;
};
// Runs the real rosterctl (path from ROSTERCTL) with `args`, `input` on stdin.
RunResult rosterctl(const QStringList &args, const QByteArray &input = {},
                    const QProcessEnvironment &env = QProcessEnvironment::systemEnvironment());

// Starts every command at once (each in a rosterctl process of its own) and waits for all of
// them: the races of tst_adminrace and tst_concurrency. A process that does not finish within
// `timeoutMs` is killed and reported with exit code -1.
QList<RunResult> rosterctlTogether(const QList<QStringList> &commands,
                                   const QProcessEnvironment &env, int timeoutMs = 300000);

// .eml files in a folder, oldest first.
QStringList emlFiles(const QString &dir);
// Files in `after` that are not in `before`.
QStringList newFiles(const QStringList &before, const QStringList &after);
// The accept token in a message's link (the text part is quoted-printable).
QByteArray tokenFromMessage(const QByteArray &message);
QByteArray readFile(const QString &path);
QByteArray decodeQuotedPrintable(const QByteArray &in);

} // namespace testsupport
