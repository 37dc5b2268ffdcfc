#pragma once

#include "models/database.h"
#include "models/userrecord.h"

#include <QList>

namespace roster {

// For service calls that write, first in their transaction: locks the actor's row, `userIds`'
// rows and, with `administrators`, every active administrator's row, in one statement in id
// order (two callers never wait on each other in a circle), then authorises the actor as
// committed now. A demotion committed before this refuses; one started after waits for the
// commit. The administrators' locks make "one administrator remains" hold under READ COMMITTED
// (two administrators removing each other serialise). SQLite's BEGIN IMMEDIATE already holds the
// whole database.
Result<UserRecord> lockActor(Database &db, qint64 actorId, const QList<qint64> &userIds = {},
                             bool administrators = false);

// The user, read after locking it for the rest of the caller's transaction.
Result<UserRecord> lockedUser(Database &db, qint64 userId);

} // namespace roster
