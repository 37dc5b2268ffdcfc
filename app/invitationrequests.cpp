#include "app/invitationrequests.h"

#include <QCoreApplication>

namespace roster {

// A stand-in until the "Ask for a new invitation" branch (webreq) lands: same API, records
// nothing.
Result<RequestOutcome> requestNewInvitation(Database &, const Clock &, const QByteArray &)
{
    return makeError(ErrorKind::Database,
                     QCoreApplication::translate("InvitationRequests", "not implemented yet"));
}

} // namespace roster
