#pragma once

#include "app/clock.h"
#include "models/database.h"

#include <QByteArray>
#include <QString>

namespace roster {

struct RequestOutcome
{
    bool recorded = false; // false: this invitation's request was already recorded
    QString invitee;       // the invitee's name, for the page that answers
};

// SPEC §8, "Ask for a new invitation": records, once per invitation and audited, that the invitee
// of an expired or superseded invitation asked for a new one; the user then shows in the console's
// Requested view (users.invite_requested_at) until a re-invite clears it. Refused for an unknown
// or malformed token (NotFound), and for an invitation that is still valid, already accepted, or
// whose user is deactivated (Refused). No session: this is what the accept page does.
Result<RequestOutcome> requestNewInvitation(Database &db, const Clock &clock,
                                            const QByteArray &token);

} // namespace roster
