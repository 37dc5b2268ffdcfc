#pragma once

// InvitationService's writer, private to app/invitation*.cpp.
#include "app/invitationservice.h"
#include "models/sqlitestatement.h"

#include <QSqlQuery>

#include <memory>
#include <unordered_map>

namespace roster {

// One column of a batch: its name in a statement's {name} marks, the PostgreSQL array type it
// is bound as ("bigint" or "text"), a value per row.
struct BatchColumn
{
    const char *name;
    const char *pgType;
    QVariantList values;
};

// Statements prepared the first time a writer runs them and reused for the rest of its life
// (a bulk re-invite's batches all run the same seven).
class InvitationService::Writer
{
public:
    explicit Writer(Database &db) : m_db(db) {}
    Result<QSqlQuery *> run(const QString &sql, const QVariantList &binds)
    {
        auto it = m_statements.find(sql);
        if (it == m_statements.end())
            it = m_statements.emplace(sql, m_db.prepare(sql)).first;
        QSqlQuery &q = it->second;
        for (const QVariant &v : binds)
            q.addBindValue(v);
        if (Status s = m_db.exec(q); !s)
            return s.error();
        return &q;
    }

    // A statement over every row of a batch; how many rows it wrote. In `statement`, `?` takes
    // the next of `shared` (the same for every row), `{x}` the row's value of column x,
    // `{= ANY x}` compares with any of column x's values (ids), and `{from}` is where the rows
    // come from. PostgreSQL runs it once: each column is one array that unnest() reads
    // (`{from}` is `FROM unnest(…) AS v(…)`, `{x}` is `v.x`, `{= ANY x}` is `= ANY(?::bigint[])`).
    // SQLite runs a statement with `{from}` once a row, prepared once on SQLite's own handle and
    // bound through its C API (`{x}` is a parameter, `{from}` nothing, and INSERT … SELECT is
    // INSERT … VALUES): cheaper than one statement reading the batch as JSON with json_each(),
    // and a statement that writes one row keeps no statement journal. One without `{from}` runs
    // once, `{= ANY x}` being `IN (SELECT value FROM json_each(?))` of the ids: an UPDATE
    // through the partial index its SET changes (the old invitations, the pending mail) would
    // otherwise build a temporary table for every row.
    Result<int> writeRows(const QString &statement, const QVariantList &shared,
                          const QList<const BatchColumn *> &columns);

private:
    Database &m_db;
    std::unordered_map<QString, QSqlQuery> m_statements;
    std::unordered_map<QString, std::unique_ptr<SqliteStatement>> m_rowStatements;
};

} // namespace roster
