#include "models/userrecord.h"

#include <QCoreApplication>
#include <QSqlQuery>
#include <QVariant>

namespace roster {

QString userKindKey(UserKind kind)
{
    return kind == UserKind::Portal ? QStringLiteral("portal") : QStringLiteral("crm");
}

UserStatus UserRecord::status(qint64 nowMs) const
{
    if (!active)
        return UserStatus::Inactive;
    if (confirmedAt)
        return UserStatus::Confirmed;
    if (inviteExpiresAt && *inviteExpiresAt > nowMs)
        return UserStatus::Pending;
    return UserStatus::Expired;
}

int daysUntil(qint64 nowMs, qint64 atMs)
{
    const qint64 delta = atMs - nowMs;
    if (delta >= 0)
        return int((delta + msPerDay - 1) / msPerDay);
    return -int((-delta) / msPerDay);
}

QString UserRecord::statusText(qint64 nowMs) const
{
    switch (status(nowMs)) {
    case UserStatus::Inactive:
        return QCoreApplication::translate("UserStatus", "Inactive");
    case UserStatus::Confirmed:
        return QCoreApplication::translate("UserStatus", "Confirmed");
    case UserStatus::Pending: {
        const int left = daysUntil(nowMs, *inviteExpiresAt);
        return left == 1
                   ? QCoreApplication::translate("UserStatus", "Unconfirmed · expires in 1 day")
                   : QCoreApplication::translate("UserStatus", "Unconfirmed · expires in %1 days")
                         .arg(left);
    }
    case UserStatus::Expired:
        if (!inviteExpiresAt)
            return QCoreApplication::translate("UserStatus", "Unconfirmed · never invited");
        {
            const int ago = -daysUntil(nowMs, *inviteExpiresAt);
            if (ago == 0)
                return QCoreApplication::translate("UserStatus", "Unconfirmed · expired today");
            return ago == 1 ? QCoreApplication::translate("UserStatus",
                                                          "Unconfirmed · expired 1 day ago")
                            : QCoreApplication::translate("UserStatus",
                                                          "Unconfirmed · expired %1 days ago")
                                  .arg(ago);
        }
    }
    return {};
}

bool UserRecord::lastInvitationBounced() const
{
    return mailState == u"bounced" && !confirmedAt;
}

bool UserRecord::asksForInvitation() const
{
    return inviteRequestedAt && active && !confirmedAt;
}

QString userStatusKey(UserStatus status)
{
    switch (status) {
    case UserStatus::Confirmed:
        return QStringLiteral("confirmed");
    case UserStatus::Pending:
        return QStringLiteral("pending");
    case UserStatus::Expired:
        return QStringLiteral("expired");
    case UserStatus::Inactive:
        return QStringLiteral("inactive");
    }
    return {};
}

QString UserRecord::selectColumns()
{
    return QStringLiteral(
        "u.id, u.kind, u.email, u.name, u.account, u.profile_id, p.name, p.is_admin, "
        "p.manage_users, u.active, u.confirmed_at, u.created_at, u.invited_at, "
        "u.invite_expires_at, "
        "u.invite_count, u.last_invited_by, u.mail_state, u.mail_reply, u.invite_requested_at");
}

UserRecord UserRecord::readFrom(const QSqlQuery &q)
{
    UserRecord r;
    r.id = q.value(0).toLongLong();
    r.kind = q.value(1).toString() == u"portal" ? UserKind::Portal : UserKind::Crm;
    r.email = q.value(2).toString();
    r.name = q.value(3).toString();
    r.account = q.value(4).toString();
    r.profileId = q.value(5).toLongLong();
    r.profileName = q.value(6).toString();
    r.isAdmin = q.value(7).toInt() != 0;
    r.manageUsers = q.value(8).toInt() != 0;
    r.active = q.value(9).toInt() != 0;
    if (!q.value(10).isNull())
        r.confirmedAt = q.value(10).toLongLong();
    r.createdAt = q.value(11).toLongLong();
    if (!q.value(12).isNull())
        r.invitedAt = q.value(12).toLongLong();
    if (!q.value(13).isNull())
        r.inviteExpiresAt = q.value(13).toLongLong();
    r.inviteCount = q.value(14).toInt();
    r.lastInvitedBy = q.value(15).toString();
    r.mailState = q.value(16).toString();
    r.mailReply = q.value(17).toString();
    if (!q.value(18).isNull())
        r.inviteRequestedAt = q.value(18).toLongLong();
    return r;
}

} // namespace roster
