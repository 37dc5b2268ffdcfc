#pragma once

#include <QMetaType>
#include <QString>

#include <optional>

class QSqlQuery;

namespace roster {

enum class UserKind { Crm, Portal };
QString userKindKey(UserKind kind); // "crm" | "portal", as stored

// Exactly one of these at any time (SPEC §1).
enum class UserStatus { Confirmed, Pending, Expired, Inactive };

inline constexpr qint64 msPerDay = 24LL * 60 * 60 * 1000;
inline constexpr qint64 invitationLifetimeMs = 7 * msPerDay;

// One row of the users table as the list and the services see it.
struct UserRecord
{
    qint64 id = 0;
    UserKind kind = UserKind::Crm;
    QString email;
    QString name;
    QString account; // portal users: the contact / account they belong to
    qint64 profileId = 0;
    QString profileName;
    bool isAdmin = false;
    bool manageUsers = false;
    bool active = true;
    std::optional<qint64> confirmedAt;
    qint64 createdAt = 0;
    std::optional<qint64> invitedAt; // latest invitation
    std::optional<qint64> inviteExpiresAt;
    int inviteCount = 0;
    QString lastInvitedBy;
    QString mailState; // queued | sending | sent | deferred | failed, of the latest invitation mail
    QString mailReply;
    // When the user asked for a new invitation from an expired or superseded link (SPEC §8),
    // since their latest invitation was issued; a re-invite clears it.
    std::optional<qint64> inviteRequestedAt;

    UserStatus status(qint64 nowMs) const;
    // "Confirmed", "Unconfirmed · expires in 3 days", "Unconfirmed · expired 2 days ago",
    // "Inactive"
    QString statusText(qint64 nowMs) const;
    bool isValid() const { return id != 0; }
    // The console's marker and the Requested view: asked, and still an active, unconfirmed user.
    bool asksForInvitation() const;
    // The Bounced view and the red row (SPEC §9): the latest invitation's mail bounced after the
    // server took it, and the user has not confirmed since. The diagnostic is in mailReply.
    bool lastInvitationBounced() const;

    // The column list readFrom() expects, for SELECT statements (alias u for users, p for
    // profiles).
    static QString selectColumns();
    static UserRecord readFrom(const QSqlQuery &query);
};

QString userStatusKey(UserStatus status); // "confirmed" | "pending" | "expired" | "inactive"
// Whole days from now until `atMs` (positive) or since it (negative), rounded away from now.
int daysUntil(qint64 nowMs, qint64 atMs);

} // namespace roster

Q_DECLARE_METATYPE(roster::UserRecord)
