#include "app/invitationrequests.h"

#include "app/audit.h"
#include "app/invitationlookup.h"
#include "app/tokens.h"
#include "models/changenotifier.h"

#include <QCoreApplication>
#include <QSqlQuery>

namespace roster {

namespace {
QString tr(const char *s)
{
    return QCoreApplication::translate("InvitationRequests", s);
}
} // namespace

Result<RequestOutcome> requestNewInvitation(Database &db, const Clock &clock,
                                            const QByteArray &token)
{
    const QString unknown =
        tr("This invitation link is not valid: check that it was copied whole, or ask your "
           "administrator for a new invitation.");
    const QByteArray t = token.trimmed();
    if (!decodeToken(t))
        return makeError(ErrorKind::NotFound, unknown);
    const QString hash = tokenHash(t);
    const qint64 now = clock.nowMs();

    Transaction tx(db);
    if (!tx.status())
        return tx.status().error();
    auto found = lockInvitation(db, now, hash);
    if (!found)
        return found.error();
    const InvitationLookup &inv = found.value();
    const qint64 invitationId = inv.invitationId;
    const qint64 userId = inv.userId;
    const QString &email = inv.inviteeEmail;
    const QString &name = inv.inviteeName;

    // The same rule as the page and acceptance (invitationState): only an expired or superseded
    // link may ask.
    const InvitationState state = inv.state;
    switch (state) {
    case InvitationState::Expired:
    case InvitationState::Superseded:
        break;
    case InvitationState::Unknown: // no such token
        return makeError(ErrorKind::NotFound, unknown);
    case InvitationState::Used:
        return makeError(ErrorKind::Refused,
                         tr("This invitation was already accepted: sign in instead."));
    case InvitationState::Deactivated:
        return makeError(ErrorKind::Refused,
                         tr("This account is deactivated: ask your administrator."));
    case InvitationState::Valid:
        return makeError(ErrorKind::Refused,
                         tr("This invitation is still valid: use it to set your password."));
    }
    if (inv.requested)
        return RequestOutcome{false, name};

    QSqlQuery mark = db.prepare(QStringLiteral(
        "UPDATE invitations SET requested_at = ? WHERE id = ? AND requested_at IS NULL"));
    mark.addBindValue(now);
    mark.addBindValue(invitationId);
    if (Status s = db.exec(mark); !s)
        return s.error();
    if (mark.numRowsAffected() != 1) // SQLite holds the write lock, PostgreSQL the row: not reached
        return RequestOutcome{false, name};
    // The user's summary: the first request since the latest invitation (a re-invite clears it).
    QSqlQuery user = db.prepare(
        QStringLiteral("UPDATE users SET invite_requested_at = COALESCE(invite_requested_at, ?), "
                       "updated_at = ? WHERE id = ?"));
    user.addBindValue(now);
    user.addBindValue(now);
    user.addBindValue(userId);
    if (Status s = db.exec(user); !s)
        return s.error();
    const AuditEntry e{0,
                       now,
                       userId,
                       email,
                       QStringLiteral("invitation.request"),
                       userId,
                       email,
                       state == InvitationState::Superseded
                           ? tr("invitation %1 (superseded)").arg(invitationId)
                           : tr("invitation %1 (expired)").arg(invitationId)};
    if (Status s = writeAudit(db, e); !s)
        return s.error();
    if (Status s = notifyUsersChanged(db, {userId}); !s)
        return s.error();
    if (Status s = tx.commit(); !s)
        return s.error();
    return RequestOutcome{true, name};
}

} // namespace roster
