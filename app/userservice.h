#pragma once

#include "app/clock.h"
#include "app/invitationlookup.h"
#include "app/orgsettings.h"
#include "models/database.h"
#include "models/userrecord.h"

#include <QByteArray>
#include <QList>
#include <QPair>

#include <functional>
#include <optional>

namespace roster {

class Sealer;

struct NewUser
{
    UserKind kind = UserKind::Crm;
    QString email;
    QString name;
    QString profile; // CRM users; empty: Standard
    QString account; // portal users: the contact / account they belong to
};

// What issuing an invitation produced.
struct InviteOutcome
{
    UserRecord user; // as it is after the change
    qint64 invitationId = 0;
    qint64 outboxId = 0; // 0 when no mail was queued (copy invite link)
    QByteArray token;    // only for copy invite link; otherwise it lives sealed in the outbox
    QString link;        // likewise
};

struct AcceptOutcome
{
    qint64 userId = 0;
    QString email;
    UserKind kind = UserKind::Crm;
};

// One invitation of a user, for the invitation history.
struct InvitationInfo
{
    qint64 id = 0;
    qint64 createdAt = 0;
    qint64 expiresAt = 0;
    QString createdBy;
    std::optional<qint64> acceptedAt;
    std::optional<qint64> revokedAt;
    QString mailState; // empty: no mail (a copied link)
    QString mailReply;
    QString state(qint64 nowMs) const; // accepted | revoked | expired | open
};

// Why a re-invite of this user would be refused right now (SPEC §2.2, §2.4), or nothing.
// The console greys out the menu entry with the same words the service refuses with.
std::optional<Error> reinviteRefusal(const UserRecord &user, qint64 nowMs, int cooldownMinutes);

// Who acts, as far as the rules below need to know.
struct ActorFacts
{
    qint64 id = 0;
    bool isAdmin = false;
};
// Why `actor` may not activate (active = true) or deactivate `user`, or nothing. setActive refuses
// with these words (inside its transaction, after the locks) and the row menu greys out with
// them. The last-administrator rule needs the database, so only setActive asks it.
std::optional<Error> activeChangeRefusal(const ActorFacts &actor, const UserRecord &user,
                                         bool active);
// Why `actor` may not edit `user` at all, or nothing (updateUser and the row menu).
std::optional<Error> editRefusal(const ActorFacts &actor, const UserRecord &user);

// The users' rules (SPEC §2), enforced here for every caller: console, rosterctl, tests.
// Every method re-checks the acting user's permission first.
class UserService
{
public:
    UserService(Database &db, const Clock &clock, qint64 actorId);
    ~UserService();

    Result<InviteOutcome> addUser(const NewUser &user);
    Result<InviteOutcome> reinvite(qint64 userId);
    // A fresh invitation whose link is returned instead of mailed (same rules, same audit).
    Result<InviteOutcome> copyInviteLink(qint64 userId);

    struct Skipped
    {
        UserRecord user;
        QString reason;
    };
    struct Plan
    {
        QList<UserRecord> eligible;
        QList<Skipped> skipped;
    };
    // Who a bulk re-invite would invite and who it would skip, and why; writes nothing.
    Result<Plan> planReinvite(const QList<qint64> &userIds);
    struct BulkResult
    {
        QList<InviteOutcome> invited;
        QList<Skipped> skipped;
        bool cancelled = false;
        // Set when a batch failed after earlier ones committed: invited and skipped hold what
        // those batches did (it stays; deliver it), and this says why the rest was not done.
        std::optional<Error> error;
    };
    // Re-invites in transactions of a few hundred users; progress(done, total) returning false
    // stops after the current transaction (what was committed stays, and is reported). A
    // failure before any batch committed is the call's error; after one, it is the result's
    // `error`, beside what was committed.
    Result<BulkResult> reinviteMany(const QList<qint64> &userIds,
                                    const std::function<bool(qsizetype, qsizetype)> &progress = {});

    Result<UserRecord> setActive(qint64 userId, bool active);

    // Edit user: the name, and the profile (CRM users) or the account (portal users, who have no
    // profile). An empty profile keeps the current one; no account keeps it. The email is not
    // editable: a new address is a new invitation (add the user anew). Writes "user.edit" with
    // old → new to the audit log; nothing when nothing changed.
    Result<UserRecord> updateUser(qint64 userId, const QString &name, const QString &profile,
                                  const std::optional<QString> &account = std::nullopt);

    // SPEC §9: a bounced address is usually a typo. Changes an unconfirmed user's address, revokes
    // their open invitations and queues a new invitation to the new address, in one transaction,
    // audited with the old and new address ("user.change_email"). Refused, with the reason, for a
    // confirmed or deactivated user, an invalid address, the same address, or one another user
    // has. The re-invite cooldown does not apply: the old address never got the mail.
    Result<InviteOutcome> changeEmail(qint64 userId, const QString &newEmail);

    // Every invitation of the user, newest first, with its mail's state.
    Result<QList<InvitationInfo>> invitationHistory(qint64 userId);

    // The automatic reminder: re-invites, once, unconfirmed users whose invitation expires within
    // the organisation's reminderDaysBefore. Returns how many were queued.
    Result<QList<InviteOutcome>> sendDueReminders();

    // SPEC §2.5. No session: this is what the accept page does. `refusal`, when given, says
    // what the invitation was when it refused (roster-web answers 404, 410 or 403 from it); it
    // stays Valid when the invitation was accepted or the refusal was about something else (the
    // password, the database).
    static Result<AcceptOutcome> acceptInvitation(Database &db, const Clock &clock,
                                                  const QByteArray &token, const QString &password,
                                                  std::optional<UserKind> expectedKind = {},
                                                  InvitationState *refusal = nullptr);

private:
    struct Writer;
    // The actor re-read and authorised: for calls that only read.
    Result<UserRecord> actor();
    // For calls that write, first in their transaction: locks the actor's row, `userIds`' rows
    // and, with `administrators`, every active administrator's row, in one statement in id
    // order (two callers never wait on each other in a circle), then authorises the actor as
    // committed now. A demotion committed before this refuses; one started after waits for the
    // commit. The administrators' locks make "one administrator remains" hold under READ
    // COMMITTED (two administrators removing each other serialise). SQLite's BEGIN IMMEDIATE
    // already holds the whole database.
    Result<UserRecord> lockActor(const QList<qint64> &userIds = {}, bool administrators = false);
    // Refuses when `target` is the last active administrator and would stop being one.
    Status keepsAnAdministrator(const UserRecord &target, const QString &refusal);
    // The user, read after locking it for the rest of the caller's transaction.
    Result<UserRecord> lockedUser(qint64 userId);
    Result<OrgSettings> settings();
    Result<const Sealer *> sealer();
    // Re-invite and copy-invite-link: one user, locked, checked, one invitation.
    Result<InviteOutcome> issueOne(qint64 userId, bool queueMail, const QString &action);
    Result<InviteOutcome> issue(Writer &w, const UserRecord &target, const UserRecord &actor,
                                const OrgSettings &settings, bool queueMail, const QString &action,
                                qint64 now);
    // The same as issue() with mail for each of `targets` (distinct users, in the caller's
    // transaction), in seven statements whatever their number: PostgreSQL's round trips made a
    // row-by-row bulk re-invite five times slower there than on SQLite.
    Result<QList<InviteOutcome>> issueMany(const QList<UserRecord> &targets,
                                           const UserRecord &actor, const OrgSettings &settings,
                                           const QString &action, qint64 now);

    Database &m_db;
    const Clock &m_clock;
    qint64 m_actorId;
    std::unique_ptr<Sealer> m_sealer;
};

} // namespace roster
