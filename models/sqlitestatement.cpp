#include "models/sqlitestatement.h"

#include "models/database.h"

#include <QSqlDriver>
#include <QSqlError>

#include <sqlite3.h>

namespace roster {

sqlite3 *SqliteStatement::handleOf(const Database &db)
{
    if (db.dialect() != Dialect::Sqlite)
        return nullptr;
    const QVariant handle = db.connection().driver()->handle();
    if (!handle.isValid() || qstrcmp(handle.typeName(), "sqlite3*") != 0)
        return nullptr;
    return *static_cast<sqlite3 *const *>(handle.constData());
}

Result<std::unique_ptr<SqliteStatement>> SqliteStatement::prepare(const Database &db,
                                                                  const QString &sql)
{
    sqlite3 *handle = handleOf(db);
    if (!handle)
        return makeError(ErrorKind::Database,
                         QStringLiteral("No SQLite connection for a prepared statement."));
    const QByteArray text = sql.toUtf8();
    sqlite3_stmt *statement = nullptr;
    const int rc = sqlite3_prepare_v3(handle, text.constData(), int(text.size()),
                                      SQLITE_PREPARE_PERSISTENT, &statement, nullptr);
    if (rc != SQLITE_OK) {
        qCWarning(lcStorage) << "prepare failed:" << sqlite3_errmsg(handle) << sql;
        const Error e = db.errorFrom(QSqlError(QString(), QString::fromUtf8(sqlite3_errmsg(handle)),
                                               QSqlError::StatementError,
                                               QString::number(sqlite3_extended_errcode(handle))));
        sqlite3_finalize(statement);
        return e;
    }
    return std::unique_ptr<SqliteStatement>(new SqliteStatement(db, statement));
}

SqliteStatement::~SqliteStatement()
{
    sqlite3_finalize(m_statement);
}

void SqliteStatement::bind(int index, const QVariant &value)
{
    if (value.isNull() && value.typeId() != QMetaType::QString) {
        sqlite3_bind_null(m_statement, index);
        return;
    }
    switch (value.typeId()) {
    case QMetaType::LongLong:
    case QMetaType::Int:
    case QMetaType::UInt:
    case QMetaType::Bool:
        sqlite3_bind_int64(m_statement, index, value.toLongLong());
        return;
    case QMetaType::QByteArray: {
        const QByteArray bytes = value.toByteArray();
        sqlite3_bind_text(m_statement, index, bytes.constData(), int(bytes.size()),
                          SQLITE_TRANSIENT);
        return;
    }
    default: {
        const QByteArray utf8 = value.toString().toUtf8();
        sqlite3_bind_text(m_statement, index, utf8.constData(), int(utf8.size()), SQLITE_TRANSIENT);
        return;
    }
    }
}

Result<int> SqliteStatement::run()
{
    int rc;
    do
        rc = sqlite3_step(m_statement);
    while (rc == SQLITE_ROW);
    if (rc != SQLITE_DONE) {
        const Error e = error(rc);
        sqlite3_reset(m_statement);
        return e;
    }
    // The statement's read ends here; its bindings stay.
    sqlite3_reset(m_statement);
    return sqlite3_changes(sqlite3_db_handle(m_statement));
}

Error SqliteStatement::error(int rc) const
{
    sqlite3 *handle = sqlite3_db_handle(m_statement);
    const QString message = QString::fromUtf8(sqlite3_errmsg(handle));
    const Error e = m_db.errorFrom(QSqlError(QString(), message, QSqlError::StatementError,
                                             QString::number(sqlite3_extended_errcode(handle))));
    if (e.kind != ErrorKind::Cancelled)
        qCWarning(lcStorage) << "query failed:" << message << sqlite3_sql(m_statement) << rc;
    return e;
}

void BoundStatement::bind(int index, const QVariant &value)
{
    if (index >= m_values.size())
        m_values.resize(index + 1);
    m_values[index] = value;
}

Result<int> BoundStatement::run()
{
    if (m_db.dialect() == Dialect::Sqlite) {
        if (!m_sqlite) {
            auto prepared = SqliteStatement::prepare(m_db, m_sql);
            if (!prepared)
                return prepared.error();
            m_sqlite = std::move(prepared).value();
        }
        for (qsizetype i = 0; i < m_values.size(); ++i)
            m_sqlite->bind(int(i + 1), m_values[i]);
        auto rows = m_sqlite->run();
        if (!rows)
            m_sqlite.reset();
        return rows;
    }
    if (!m_query)
        m_query = m_db.prepare(m_sql);
    for (qsizetype i = 0; i < m_values.size(); ++i)
        m_query->bindValue(int(i), m_values[i]);
    if (Status s = m_db.exec(*m_query); !s) {
        m_query.reset();
        return s.error();
    }
    const int rows = m_query->numRowsAffected();
    m_query->finish();
    return rows;
}

} // namespace roster
