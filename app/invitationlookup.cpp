#include "app/invitationlookup.h"

#include "app/tokens.h"

#include <QSqlQuery>

namespace roster {

InvitationState invitationState(const InvitationFacts &facts, qint64 nowMs)
{
    if (!facts.userActive)
        return InvitationState::Deactivated;
    if (facts.accepted || facts.userConfirmed)
        return InvitationState::Used;
    if (facts.revoked)
        return InvitationState::Superseded;
    if (facts.expiresAt <= nowMs)
        return InvitationState::Expired;
    return InvitationState::Valid;
}

Result<InvitationLookup> lookupInvitation(const Database &db, const Clock &clock,
                                          QByteArrayView token,
                                          std::optional<UserKind> expectedKind)
{
    InvitationLookup out;
    token = token.trimmed();
    if (!decodeToken(token))
        return out;
    QSqlQuery q = db.prepare(QStringLiteral(
        "SELECT i.id, i.user_id, i.expires_at, i.accepted_at, i.revoked_at, u.active, u.kind, "
        "u.confirmed_at, u.email, u.name FROM invitations i JOIN users u ON u.id = i.user_id "
        "WHERE i.token_hash = ?"));
    q.addBindValue(tokenHash(token.toByteArray()));
    if (Status s = db.exec(q); !s)
        return s.error();
    if (!q.next())
        return out;
    const UserKind kind = q.value(6).toString() == u"portal" ? UserKind::Portal : UserKind::Crm;
    if (expectedKind && *expectedKind != kind)
        return out;
    InvitationFacts facts;
    facts.expiresAt = q.value(2).toLongLong();
    facts.accepted = !q.value(3).isNull();
    facts.revoked = !q.value(4).isNull();
    facts.userActive = q.value(5).toInt() != 0;
    facts.userConfirmed = !q.value(7).isNull();
    out.invitationId = q.value(0).toLongLong();
    out.userId = q.value(1).toLongLong();
    out.kind = kind;
    out.inviteeEmail = q.value(8).toString();
    out.inviteeName = q.value(9).toString();
    out.expiresAt = facts.expiresAt;
    out.state = invitationState(facts, clock.nowMs());
    return out;
}

} // namespace roster
