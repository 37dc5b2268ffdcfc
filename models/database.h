#pragma once

#include "models/result.h"

#include <QLoggingCategory>
#include <QSqlDatabase>
#include <QSqlQuery>
#include <QString>
#include <QVariant>

#include <memory>

Q_DECLARE_LOGGING_CATEGORY(lcStorage)

namespace roster {

class SqliteStatement;

enum class Dialect { Sqlite, Postgres };

// One connection to the organisation's database (SQLite file or PostgreSQL server), owned by the
// thread that opened it: QtSql connections must not cross threads, so a worker thread opens its
// own.
class Database
{
public:
    // The schema this program writes; a database with a higher number is refused untouched.
    static int schemaVersion();

    // MustExist refuses a missing file or an empty database; CreateIfMissing makes the schema
    // there. ServerOnly connects to a PostgreSQL server's database without reading or writing a
    // schema (maintenance: creating and dropping databases).
    enum class OpenMode { MustExist, CreateIfMissing, ServerOnly };
    // `location` is a file path or a postgresql:// URL (user, password, host, port, database;
    // ?sslmode=…&sslrootcert=…&connect_timeout=…). Without a password in the URL, libpq takes
    // it from PGPASSWORD or ~/.pgpass (PGPASSFILE). Migrates an older schema forward.
    static Result<std::unique_ptr<Database>> open(const QString &location,
                                                  OpenMode mode = OpenMode::MustExist);
    ~Database();
    Database(const Database &) = delete;
    Database &operator=(const Database &) = delete;

    // A new connection to the same database, for the calling thread.
    Result<std::unique_ptr<Database>> reopen() const;

    Dialect dialect() const { return m_dialect; }
    QString location() const { return m_location; }
    // The location without any password (user info or query item) but with every connection
    // option: for messages, window titles, and what the console remembers for the next start.
    QString displayName() const;
    QSqlDatabase connection() const;
    // A random id fixed when the database was created (names the local key file).
    QString databaseId() const { return m_databaseId; }

    QSqlQuery prepare(const QString &sql) const;
    // Runs a prepared query; on failure returns the error in user terms.
    Status exec(QSqlQuery &query) const;
    Status exec(const QString &sql) const;
    Error errorFrom(const QSqlError &error) const;

    // Write transactions: SQLite takes the write lock up front (BEGIN IMMEDIATE) so two writers
    // wait on the busy timeout instead of failing on a lock upgrade.
    Status begin();
    Status commit();
    void rollback();
    bool inTransaction() const { return m_inTransaction; }

    // SQL spelled per dialect, for the few places that differ.
    // " FOR NO KEY UPDATE" on PostgreSQL (row lock inside a transaction); nothing on SQLite,
    // where BEGIN IMMEDIATE already holds the database's write lock. Not FOR UPDATE: no caller
    // deletes a locked row or changes its key, and FOR UPDATE would also block the key-share
    // lock another transaction's foreign-key check takes on it (a user row it references as
    // created_by, say), which made two actions on unrelated users deadlock.
    QString forUpdate() const;
    // "?,?,?": `n` parameter marks, for an IN (…) list bound value by value.
    static QString marks(qsizetype n);
    // A list of ids bound as one value, however long: `column` in the list is
    // inIdList(column) (`= ANY(?::bigint[])` on PostgreSQL, `IN (SELECT value FROM
    // json_each(?))` on SQLite), and idList(ids) is what to bind for its `?`.
    QString inIdList(const QString &column) const;
    QVariant idList(const QVariantList &ids) const;
    // A PostgreSQL array literal of `count` values, every `stride`-th from `first` on, for
    // `?::bigint[]` / `?::text[]` parameters ({1,NULL,"with \"quotes\""}): one bound value
    // carries a whole column of a batch, read by unnest() on the server.
    static QString postgresArray(const QVariant *first, qsizetype count, qsizetype stride = 1);
    static QString postgresArray(const QVariantList &values)
    {
        return postgresArray(values.constData(), values.size());
    }

    // PostgreSQL connections break (server restart, network, pg_terminate_backend). The failing
    // statement reports "Lost the connection to …" and leaves nothing half-written (the server
    // rolls the open transaction back); the next operation reconnects: begin() and prepare()
    // outside a transaction call this. A console may also call it before it reloads.
    Status reconnectIfNeeded();
    bool connectionLost() const { return m_connectionLost; }

private:
    Database() = default;
    Status connectPostgres();
    bool isConnectionError(const QSqlError &error) const;
    Status reconnect();
    // Runs BEGIN IMMEDIATE / COMMIT on SQLite through a statement prepared once per connection
    // (a delivery run commits once a message); plain statements on PostgreSQL, which prepares
    // no transaction control.
    Status execControl(std::unique_ptr<SqliteStatement> &kept, const QString &sql);
    Status initialise(OpenMode mode, bool created);
    Status migrate(int fromVersion);

    QString m_connectionName;
    QString m_location;
    QString m_databaseId;
    QString m_openFileKey; // SQLite: the file's canonical path, while this connection holds it
    Dialect m_dialect = Dialect::Sqlite;
    bool m_inTransaction = false;
    mutable bool m_connectionLost = false;
    std::unique_ptr<SqliteStatement> m_beginStatement;
    std::unique_ptr<SqliteStatement> m_commitStatement;
};

// Commits on commit(), rolls back when it goes out of scope without one.
class Transaction
{
public:
    explicit Transaction(Database &db) : m_db(db), m_status(db.begin()) {}
    ~Transaction()
    {
        if (m_status.ok() && !m_done)
            m_db.rollback();
    }
    const Status &status() const { return m_status; }
    Status commit()
    {
        m_done = true;
        return m_db.commit();
    }

private:
    Database &m_db;
    Status m_status;
    bool m_done = false;
};

} // namespace roster
