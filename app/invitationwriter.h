#pragma once

// InvitationService's writer, private to app/invitation*.cpp.
#include "app/invitationservice.h"

#include <QSqlQuery>

#include <unordered_map>

namespace roster {

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
    // For statements without rows: how many rows they wrote.
    Result<int> write(const QString &sql, const QVariantList &binds)
    {
        auto q = run(sql, binds);
        if (!q)
            return q.error();
        const int rows = q.value()->numRowsAffected();
        q.value()->finish();
        return rows;
    }

private:
    Database &m_db;
    std::unordered_map<QString, QSqlQuery> m_statements;
};

} // namespace roster
