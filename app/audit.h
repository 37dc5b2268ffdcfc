#pragma once

#include "models/database.h"

#include <QList>
#include <QString>

namespace roster {

struct AuditEntry
{
    qint64 id = 0;
    qint64 at = 0;
    qint64 actorId = 0;
    QString actorEmail;
    QString action; // e.g. "user.add", "invitation.reinvite", "user.deactivate", "signin.failed"
    qint64 targetUserId = 0;
    QString targetEmail;
    QString detail;
};

// SPEC §2.8: every change to a user is written here, in the same transaction as the change.
Status writeAudit(Database &db, const AuditEntry &entry);
// Newest first; targetUserId 0 means every user.
Result<QList<AuditEntry>> readAudit(const Database &db, int limit, qint64 targetUserId = 0,
                                    qint64 beforeId = 0);

} // namespace roster
