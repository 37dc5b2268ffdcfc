#pragma once

#include "app/clock.h"
#include "models/database.h"

#include <QByteArray>
#include <QString>

namespace roster {

struct RequestOutcome
{
    bool recorded = false; // false: was already recorded
    QString invitee;
};

// Records "asked for a new invitation" once per invitation, audited; only for an expired or
// superseded invitation of an active, unconfirmed user.
Result<RequestOutcome> requestNewInvitation(Database &db, const Clock &clock,
                                            const QByteArray &token);

} // namespace roster
