#pragma once

#include "app/clock.h"
#include "app/invitationlookup.h"
#include "app/orgsettings.h"
#include "models/database.h"
#include "models/userrecord.h"

#include <QByteArray>
#include <QList>

#include <functional>
#include <memory>
#include <optional>

namespace roster {

class Sealer;

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

// The invitations' rules (SPEC §2.2–§2.5): re-invite (one user or many), copy invite link,
// reminders, the history, and acceptance. Every method re-checks the acting user's permission
// first, inside the transaction that acts. Every invitation, whatever path asks for it (add
// user and change email in UserService too), is written by one writer, a batch at a time.
class InvitationService
{
public:
    InvitationService(Database &db, const Clock &clock, qint64 actorId);
    ~InvitationService();

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

    // The one writer, for callers that locked and checked `targets` (distinct users) in their
    // own open transaction (UserService's add user and change email): revokes each target's
    // open invitations and cancels their unsent mail, issues one invitation each (its mail
    // queued with the token sealed, or, without `queueMail`, its link returned), updates the
    // users' invitation columns and writes one `action` audit entry each. A fixed number of
    // statements whatever the batch's size, on both engines.
    Result<QList<InviteOutcome>> issueInTransaction(const QList<UserRecord> &targets,
                                                    const UserRecord &actor,
                                                    const OrgSettings &settings, bool queueMail,
                                                    const QString &action, qint64 now);

private:
    class Writer;
    // For a call that reads before its transactions (or without one): the actor's permission as
    // committed now, then the organisation's settings. Every transaction that acts checks again.
    Result<OrgSettings> authorisedSettings();
    Result<const Sealer *> sealer();
    Result<QList<InviteOutcome>> issue(Writer &w, const QList<UserRecord> &targets,
                                       const UserRecord &actor, const OrgSettings &settings,
                                       bool queueMail, const QString &action, qint64 now);
    // Re-invite and copy-invite-link: one user, locked, checked, a batch of one.
    Result<InviteOutcome> issueOne(qint64 userId, bool queueMail, const QString &action);

    Database &m_db;
    const Clock &m_clock;
    qint64 m_actorId;
    std::unique_ptr<Sealer> m_sealer;
};

} // namespace roster
