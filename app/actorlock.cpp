#include "app/actorlock.h"

#include "app/authservice.h"
#include "models/userrepository.h"

#include <QSqlQuery>

namespace roster {

Result<UserRecord> lockActor(Database &db, qint64 actorId, const QList<qint64> &userIds,
                             bool administrators)
{
    if (db.dialect() == Dialect::Postgres) {
        QVariantList ids{actorId};
        for (qint64 id : userIds)
            ids.append(id);
        QSqlQuery lock = db.prepare(QStringLiteral(
            "SELECT u.id FROM users u WHERE u.id = ANY(?::bigint[]) OR (? = 1 AND u.active = 1 "
            "AND u.confirmed_at IS NOT NULL AND u.profile_id IN (SELECT p.id FROM profiles p "
            "WHERE p.is_admin = 1)) ORDER BY u.id FOR UPDATE"));
        lock.addBindValue(Database::postgresArray(ids));
        lock.addBindValue(administrators ? 1 : 0);
        if (Status s = db.exec(lock); !s)
            return s.error();
        lock.finish();
    }
    return AuthService::authorise(db, actorId);
}

Result<UserRecord> lockedUser(Database &db, qint64 userId)
{
    // Inside the caller's transaction: the row is locked (PostgreSQL) or the whole database is
    // (SQLite, BEGIN IMMEDIATE) before it is read, so concurrent changes to one user serialise.
    QSqlQuery lock =
        db.prepare(QStringLiteral("SELECT id FROM users WHERE id = ?") + db.forUpdate());
    lock.addBindValue(userId);
    if (Status s = db.exec(lock); !s)
        return s.error();
    lock.finish();
    return UserRepository(db).byId(userId);
}

} // namespace roster
