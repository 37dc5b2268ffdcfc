#pragma once

// A statement prepared once on an SQLite connection's own handle and run many times, its
// values bound through SQLite's C API. For a batch written row by row: QtSql's work per
// execution (the bound values copied as QVariants and converted again by the driver) and a
// batch handed over as one JSON text for json_each() to parse cost more than writing the rows.
#include "models/result.h"

#include <QByteArray>
#include <QString>
#include <QVariant>

#include <QSqlQuery>

#include <memory>
#include <optional>

struct sqlite3;
struct sqlite3_stmt;

namespace roster {

class Database;

class SqliteStatement
{
public:
    // The connection's sqlite3 handle, or null on PostgreSQL (or a driver without one).
    static sqlite3 *handleOf(const Database &db);
    // Prepared for reuse (SQLITE_PREPARE_PERSISTENT); an error in the terms of
    // Database::errorFrom. Only on an SQLite connection.
    static Result<std::unique_ptr<SqliteStatement>> prepare(const Database &db, const QString &sql);
    ~SqliteStatement();
    SqliteStatement(const SqliteStatement &) = delete;
    SqliteStatement &operator=(const SqliteStatement &) = delete;

    // Parameter `index` (1-based) takes `value` until bound again: a number as an integer, a
    // string as UTF-8 text (a null QString as '', as Database::exec binds it), a null QVariant
    // as NULL.
    void bind(int index, const QVariant &value);
    // Runs the statement to its end (rows it returns are skipped): how many rows it changed.
    Result<int> run();

private:
    SqliteStatement(const Database &db, sqlite3_stmt *statement) : m_db(db), m_statement(statement)
    {}
    Error error(int rc) const;

    const Database &m_db;
    sqlite3_stmt *m_statement;
};

// A statement prepared once (when first run) and run many times with values bound by
// position: through SqliteStatement on SQLite, QtSql elsewhere. A delivery run records each
// result with two of them: QtSql's QSqlQuery::bindValue formats a placeholder name for every
// value (~2,000 instructions each in Qt 6.4), and its execution copies the values twice more.
class BoundStatement
{
public:
    BoundStatement(const Database &db, QString sql) : m_db(db), m_sql(std::move(sql)) {}
    // Value `index` (0-based, the statement's `?` in order) for the next run().
    void bind(int index, const QVariant &value);
    // How many rows it changed. After a failure it is prepared again on the next run (the
    // connection may have been made again).
    Result<int> run();

private:
    const Database &m_db;
    QString m_sql;
    QVariantList m_values;
    std::unique_ptr<SqliteStatement> m_sqlite;
    std::optional<QSqlQuery> m_query;
};

} // namespace roster
