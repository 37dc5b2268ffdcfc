#pragma once

#include "app/clock.h"
#include "app/orgsettings.h"
#include "models/database.h"
#include "models/userrecord.h"

#include <QList>

#include <optional>

namespace roster {

// For service calls that write, first in their transaction: locks the actor's row and `userIds`'
// rows in one statement in id order (two callers never wait on each other in a circle), then,
// with `administrators`, the rows of the administrator profiles, which stand for every
// administrator; then authorises the actor as committed now. A demotion committed before this
// refuses; one started after waits for the commit. The administrators' lock makes "one
// administrator remains" hold under READ COMMITTED: two actions that may each remove an
// administrator serialise, even when they share no user (two administrators demoting
// themselves), and the second counts after the first committed. It is one row, not each
// administrator's: at a million users there are thousands. Every caller takes the users' rows
// before that row. SQLite's BEGIN IMMEDIATE already holds the whole database.
Result<UserRecord> lockActor(Database &db, qint64 actorId, const QList<qint64> &userIds = {},
                             bool administrators = false);

// The user, read after locking it for the rest of the caller's transaction.
Result<UserRecord> lockedUser(Database &db, qint64 userId);

// The actor and the one user an action is about (its target), both read under their locks.
struct ActorAndUser
{
    UserRecord actor;
    UserRecord target;
};

// First in the caller's transaction `tx` (its failure to begin is returned here): lockActor with
// the user (and, with `administrators`, the administrators' lock), then the user, read under
// its lock. The permission is checked after the locks, inside the transaction that acts.
Result<ActorAndUser> lockActorAndUser(const Transaction &tx, Database &db, qint64 actorId,
                                      qint64 userId, bool administrators = false);

// One action of UserService or InvitationService, begun in the order every one of them keeps:
// the organisation's settings and the time, read before the transaction; the transaction; then
// lockActorAndUser on `userId`, or lockActor alone without one (add user: the user does not
// exist yet). Commit it like a Transaction; destroyed uncommitted, it rolls back.
class ActingTransaction
{
public:
    ActingTransaction(Database &db, const Clock &clock, qint64 actorId,
                      std::optional<qint64> userId, bool administrators = false);
    ActingTransaction(const ActingTransaction &) = delete;
    ActingTransaction &operator=(const ActingTransaction &) = delete;

    // ok() when it began; otherwise why not (the database, the actor refused, no such user), and
    // nothing below holds.
    const Status &status() const { return m_status; }
    const OrgSettings &settings() const { return m_settings; }
    qint64 now() const { return m_now; }
    const UserRecord &actor() const { return m_locked.actor; }
    const UserRecord &target() const { return m_locked.target; } // with a `userId` only

    // The actor's audit entry for this action, at now(), in this transaction with the change.
    Status audit(const QString &action, qint64 targetUserId, const QString &targetEmail,
                 const QString &detail);
    // Tells the other consoles which users changed (notifyUsersChanged, inside the transaction;
    // none: every row, for a new user) and commits.
    Status commit(const QList<qint64> &changedUsers);

private:
    Database &m_db;
    Status m_status = ok();
    OrgSettings m_settings;
    qint64 m_now = 0;
    ActorAndUser m_locked;
    std::optional<Transaction> m_tx; // last: rolled back before the rest goes
};

} // namespace roster
