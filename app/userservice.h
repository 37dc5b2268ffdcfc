#pragma once

#include "app/clock.h"
#include "app/invitationservice.h"
#include "app/orgsettings.h"
#include "models/database.h"
#include "models/userrecord.h"

#include <QByteArray>
#include <QList>

#include <optional>

namespace roster {

struct NewUser
{
    UserKind kind = UserKind::Crm;
    QString email;
    QString name;
    QString profile; // CRM users; empty: Standard
    QString account; // portal users: the contact / account they belong to
};

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

// The users' rules (SPEC §2): add, edit, activate and deactivate, change email, enforced here
// for every caller: console, rosterctl, tests. Every method re-checks the acting user's
// permission first, inside the transaction that acts. Invitations (re-invite, copy invite link,
// reminders, history, acceptance) are InvitationService's; add user and change email issue
// theirs through its writer, in their own transaction.
class UserService
{
public:
    UserService(Database &db, const Clock &clock, qint64 actorId);
    ~UserService();

    Result<InviteOutcome> addUser(const NewUser &user);

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
    // confirmed or deactivated user, an administrator when the actor is not one (editRefusal), an
    // invalid address, the same address, or one another user has. The re-invite cooldown does
    // not apply: the old address never got the mail.
    Result<InviteOutcome> changeEmail(qint64 userId, const QString &newEmail);

private:
    // Refuses when `target` is the last active administrator and would stop being one.
    Status keepsAnAdministrator(const UserRecord &target, const QString &refusal);

    Database &m_db;
    const Clock &m_clock;
    qint64 m_actorId;
};

} // namespace roster
