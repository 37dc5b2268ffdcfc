#include "app/audit.h"

#include <QSqlQuery>

namespace roster {

Status writeAudit(Database &db, const AuditEntry &e)
{
    QSqlQuery q = db.prepare(QStringLiteral(
        "INSERT INTO audit_log (at, actor_id, actor_email, action, target_user_id, target_email, "
        "detail) VALUES (?, ?, ?, ?, ?, ?, ?)"));
    q.addBindValue(e.at);
    q.addBindValue(e.actorId ? QVariant(e.actorId) : QVariant(QMetaType(QMetaType::LongLong)));
    q.addBindValue(e.actorEmail);
    q.addBindValue(e.action);
    q.addBindValue(e.targetUserId ? QVariant(e.targetUserId)
                                  : QVariant(QMetaType(QMetaType::LongLong)));
    q.addBindValue(e.targetEmail);
    q.addBindValue(e.detail);
    return db.exec(q);
}

Result<QList<AuditEntry>> readAudit(const Database &db, int limit, qint64 targetUserId,
                                    qint64 beforeId)
{
    QString sql = QStringLiteral("SELECT id, at, actor_id, actor_email, action, target_user_id, "
                                 "target_email, detail FROM audit_log WHERE 1 = 1");
    if (targetUserId)
        sql += QStringLiteral(" AND target_user_id = ?");
    if (beforeId)
        sql += QStringLiteral(" AND id < ?");
    sql += QStringLiteral(" ORDER BY id DESC LIMIT ?");
    QSqlQuery q = db.prepare(sql);
    if (targetUserId)
        q.addBindValue(targetUserId);
    if (beforeId)
        q.addBindValue(beforeId);
    q.addBindValue(limit);
    if (Status s = db.exec(q); !s)
        return s.error();
    QList<AuditEntry> out;
    while (q.next())
        out.append(AuditEntry{q.value(0).toLongLong(), q.value(1).toLongLong(),
                              q.value(2).toLongLong(), q.value(3).toString(), q.value(4).toString(),
                              q.value(5).toLongLong(), q.value(6).toString(),
                              q.value(7).toString()});
    return out;
}

} // namespace roster
