#include "app/actorlock.h"

#include "app/audit.h"
#include "app/authservice.h"
#include "models/changenotifier.h"
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
        QSqlQuery lock = db.prepare(
            QStringLiteral("SELECT id FROM users WHERE id = ANY(?::bigint[]) ORDER BY id") +
            db.forUpdate());
        lock.addBindValue(Database::postgresArray(ids));
        if (Status s = db.exec(lock); !s)
            return s.error();
        lock.finish();
        // The administrators as a whole: the administrator profiles' rows stand for them. Two
        // such callers wait for each other; adding a user with one of those profiles (its
        // foreign key's key-share lock) waits for neither (Database::forUpdate).
        if (administrators) {
            QSqlQuery all = db.prepare(
                QStringLiteral("SELECT id FROM profiles WHERE is_admin = 1 ORDER BY id") +
                db.forUpdate());
            if (Status s = db.exec(all); !s)
                return s.error();
            all.finish();
        }
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

Result<ActorAndUser> lockActorAndUser(const Transaction &tx, Database &db, qint64 actorId,
                                      qint64 userId, bool administrators)
{
    if (!tx.status())
        return tx.status().error();
    auto actor = lockActor(db, actorId, {userId}, administrators);
    if (!actor)
        return actor.error();
    auto target = lockedUser(db, userId);
    if (!target)
        return target.error();
    return ActorAndUser{std::move(actor).value(), std::move(target).value()};
}

ActingTransaction::ActingTransaction(Database &db, const Clock &clock, qint64 actorId,
                                     std::optional<qint64> userId, bool administrators)
    : m_db(db)
{
    auto settings = OrgSettings::load(db);
    if (!settings) {
        m_status = settings.error();
        return;
    }
    m_settings = std::move(settings).value();
    m_now = clock.nowMs();
    m_tx.emplace(db);
    if (!m_tx->status()) {
        m_status = m_tx->status();
        return;
    }
    if (!userId) {
        auto actor = lockActor(db, actorId, {}, administrators);
        if (actor)
            m_locked.actor = std::move(actor).value();
        else
            m_status = actor.error();
        return;
    }
    auto locked = lockActorAndUser(*m_tx, db, actorId, *userId, administrators);
    if (locked)
        m_locked = std::move(locked).value();
    else
        m_status = locked.error();
}

Status ActingTransaction::audit(const QString &action, qint64 targetUserId,
                                const QString &targetEmail, const QString &detail)
{
    return writeAudit(m_db, AuditEntry{0, m_now, m_locked.actor.id, m_locked.actor.email, action,
                                       targetUserId, targetEmail, detail});
}

Status ActingTransaction::commit(const QList<qint64> &changedUsers)
{
    if (!m_status)
        return m_status;
    if (Status s = notifyUsersChanged(m_db, changedUsers); !s)
        return s;
    return m_tx->commit();
}

} // namespace roster
