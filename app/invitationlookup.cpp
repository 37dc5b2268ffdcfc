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
    return InvitationLookupStatement(db).run(clock, token, expectedKind);
}

Result<InvitationLookup> InvitationLookupStatement::run(const Clock &clock, QByteArrayView token,
                                                        std::optional<UserKind> expectedKind)
{
    InvitationLookup out;
    token = token.trimmed();
    if (!decodeToken(token))
        return out;
    const QString hash = tokenHash(token.toByteArray());
    out.tokenHash = hash;
    // A read: when it fails (a connection re-made since it was prepared, a lost one) it is
    // prepared and run once more.
    for (int attempt = 0;; ++attempt) {
        if (!m_prepared) {
            m_query = m_db.prepare(QStringLiteral(
                "SELECT i.id, i.user_id, i.expires_at, i.accepted_at, i.revoked_at, u.active, "
                "u.kind, u.confirmed_at, u.email, u.name FROM invitations i JOIN users u ON u.id "
                "= i.user_id WHERE i.token_hash = ?"));
            m_prepared = true;
        }
        m_query.bindValue(0, hash);
        Status s = m_db.exec(m_query);
        if (s)
            break;
        m_query = QSqlQuery();
        m_prepared = false;
        if (attempt > 0)
            return s.error();
    }
    QSqlQuery &q = m_query;
    if (!q.next()) {
        q.finish();
        return out;
    }
    const UserKind kind = q.value(6).toString() == u"portal" ? UserKind::Portal : UserKind::Crm;
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
    // Done with the row: SQLite ends the statement's read (it would hold back checkpoints between
    // requests), PostgreSQL's result is freed; the statement stays prepared.
    q.finish();
    if (expectedKind && *expectedKind != kind)
        return InvitationLookup();
    out.state = invitationState(facts, clock.nowMs());
    return out;
}

} // namespace roster
