#include "app/userservice.h"

#include "app/actorlock.h"
#include "app/bouncerules.h"
#include "app/invitationlookup.h"
#include "app/mail/emailaddress.h"
#include "app/validation.h"
#include "models/userfilter.h"
#include "models/userrepository.h"

#include <QCoreApplication>
#include <QSqlQuery>

namespace roster {

namespace {
QString tr(const char *s, int n = -1)
{
    return QCoreApplication::translate("UserService", s, nullptr, n);
}

QVariant nullInt()
{
    return QVariant(QMetaType(QMetaType::LongLong));
}

} // namespace

std::optional<Error> activeChangeRefusal(const ActorFacts &actor, const UserRecord &user,
                                         bool active)
{
    if (!active && user.id == actor.id)
        return makeError(ErrorKind::Refused, tr("You cannot deactivate yourself."));
    if (user.isAdmin && !actor.isAdmin)
        return makeError(ErrorKind::Refused,
                         tr("Only an Administrator can activate or deactivate an administrator."));
    return std::nullopt;
}

std::optional<Error> editRefusal(const ActorFacts &actor, const UserRecord &user)
{
    if (user.isAdmin && !actor.isAdmin)
        return makeError(ErrorKind::Refused,
                         tr("Only an Administrator can edit an administrator."));
    return std::nullopt;
}

UserService::UserService(Database &db, const Clock &clock, qint64 actorId)
    : m_db(db), m_clock(clock), m_actorId(actorId)
{}

UserService::~UserService() = default;

Status UserService::keepsAnAdministrator(const UserRecord &target, const QString &refusal)
{
    // Counted after lockActor(…, true): the administrators' lock is held, and under READ
    // COMMITTED this statement sees every change committed before it was granted.
    // Whether another one exists, not how many: the first match ends it. A count read all
    // 8,753 administrators of the 1M demo (180 ms on PostgreSQL, 260 ms on SQLite).
    QSqlQuery c = m_db.prepare(QStringLiteral(
        "SELECT EXISTS (SELECT 1 FROM users u JOIN profiles p ON p.id = u.profile_id "
        "WHERE p.is_admin = 1 AND u.active = 1 AND u.confirmed_at IS NOT NULL AND u.id <> ?)"));
    c.addBindValue(target.id);
    if (Status s = m_db.exec(c); !s)
        return s;
    const bool none = c.next() && !c.value(0).toBool();
    c.finish();
    if (none)
        return makeError(ErrorKind::Refused, refusal);
    return ok();
}

Result<InviteOutcome> UserService::addUser(const NewUser &nu)
{
    if (const QString p = emailAddressProblem(nu.email.trimmed()); !p.isEmpty())
        return makeError(ErrorKind::Invalid, p);
    if (const QString p = userNameProblem(nu.name); !p.isEmpty())
        return makeError(ErrorKind::Invalid, p);
    if (const QString p = textFieldProblem(tr("The account"), nu.account, 200); !p.isEmpty())
        return makeError(ErrorKind::Invalid, p);
    // profileByName() trims: without this, "Administrator\n" from a script would be taken as
    // Administrator instead of being refused like a control character in any other field.
    if (const QString p = textFieldProblem(tr("The profile"), nu.profile, 200); !p.isEmpty())
        return makeError(ErrorKind::Invalid, p);
    ActingTransaction tx(m_db, m_clock, m_actorId, std::nullopt);
    if (!tx.status())
        return tx.status().error();
    UserRepository repo(m_db);
    qint64 profileId = 0;
    if (nu.kind == UserKind::Crm) {
        auto profile =
            repo.profileByName(nu.profile.isEmpty() ? QStringLiteral("Standard") : nu.profile);
        if (!profile)
            return makeError(ErrorKind::Invalid, profile.error().message);
        if (profile->isAdmin && !tx.actor().isAdmin)
            return makeError(ErrorKind::Refused,
                             tr("Only an Administrator can add users with the Administrator "
                                "profile."));
        profileId = profile->id;
    } else if (!nu.profile.isEmpty()) {
        return makeError(ErrorKind::Invalid,
                         tr("Portal users have no CRM profile: leave the profile out."));
    }
    {
        auto existing = repo.byEmail(nu.kind, nu.email);
        if (existing)
            return makeError(ErrorKind::Refused,
                             tr("%1 is already a user (%2): re-invite them instead.")
                                 .arg(existing->email, existing->name));
        if (existing.error().kind != ErrorKind::NotFound)
            return existing.error();
    }
    QSqlQuery q = m_db.prepare(QStringLiteral(
        "INSERT INTO users (kind, email, email_key, name, name_key, profile_id, account, active, "
        "created_at, created_by, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, 1, ?, ?, ?) RETURNING "
        "id"));
    q.addBindValue(userKindKey(nu.kind));
    q.addBindValue(nu.email.trimmed());
    q.addBindValue(userEmailKey(nu.email));
    q.addBindValue(nu.name.trimmed());
    q.addBindValue(nameKey(nu.name.trimmed()));
    q.addBindValue(profileId ? QVariant(profileId) : nullInt());
    q.addBindValue(nu.account.trimmed());
    q.addBindValue(tx.now());
    q.addBindValue(tx.actor().id);
    q.addBindValue(tx.now());
    if (Status s = m_db.exec(q); !s)
        return s.error();
    if (!q.next())
        return makeError(ErrorKind::Database, tr("The new user was not stored."));
    const qint64 id = q.value(0).toLongLong();
    q.finish();
    auto created = repo.byId(id);
    if (!created)
        return created.error();
    if (Status s = tx.audit(QStringLiteral("user.add"), id, created->email,
                            nu.kind == UserKind::Portal ? tr("portal user") : created->profileName);
        !s)
        return s.error();
    auto out = InvitationService(m_db, m_clock, m_actorId)
                   .issueInTransaction({created.value()}, tx.actor(), tx.settings(), true,
                                       QStringLiteral("invitation.invite"), tx.now());
    if (!out)
        return out.error();
    if (Status s = tx.commit({}); !s) // a new row: every console reloads
        return s.error();
    return out->constFirst();
}

Result<UserRecord> UserService::setActive(qint64 userId, bool active)
{
    ActingTransaction tx(m_db, m_clock, m_actorId, userId, !active);
    if (!tx.status())
        return tx.status().error();
    if (tx.target().active == active)
        return makeError(ErrorKind::Refused,
                         active ? tr("%1 is already active.").arg(tx.target().email)
                                : tr("%1 is already deactivated.").arg(tx.target().email));
    if (auto refusal =
            activeChangeRefusal({tx.actor().id, tx.actor().isAdmin}, tx.target(), active))
        return *refusal;
    if (!active && tx.target().isAdmin && tx.target().confirmedAt) {
        if (Status s = keepsAnAdministrator(
                tx.target(), tr("%1 is the last active administrator: add another one first.")
                                 .arg(tx.target().email));
            !s)
            return s.error();
    }
    QSqlQuery q =
        m_db.prepare(QStringLiteral("UPDATE users SET active = ?, updated_at = ? WHERE id = ?"));
    q.addBindValue(active ? 1 : 0);
    q.addBindValue(tx.now());
    q.addBindValue(userId);
    if (Status s = m_db.exec(q); !s)
        return s.error();
    QString detail;
    if (!active) {
        // The links stop working now, and unsent mail stays unsent (its sealed token erased).
        // Re-activating revives neither: the user needs a re-invite, so an unconfirmed user
        // shows as expired from here on. Mail a worker is sending already carries a revoked
        // link.
        QSqlQuery cancel = m_db.prepare(QStringLiteral(
            "UPDATE outbox SET state = 'cancelled', sealed_token = NULL, last_reply = ? "
            "WHERE user_id = ? AND state IN ('queued', 'deferred')"));
        cancel.addBindValue(tr("the user was deactivated"));
        cancel.addBindValue(userId);
        if (Status s = m_db.exec(cancel); !s)
            return s.error();
        const int cancelled = cancel.numRowsAffected();
        QSqlQuery revoke = m_db.prepare(
            QStringLiteral("UPDATE invitations SET revoked_at = ? WHERE user_id = ? AND "
                           "accepted_at IS NULL AND revoked_at IS NULL"));
        revoke.addBindValue(tx.now());
        revoke.addBindValue(userId);
        if (Status s = m_db.exec(revoke); !s)
            return s.error();
        const int revoked = revoke.numRowsAffected();
        QSqlQuery summary = m_db.prepare(QStringLiteral(
            "UPDATE users SET invite_expires_at = CASE WHEN invite_expires_at > ? THEN ? ELSE "
            "invite_expires_at END, mail_state = CASE WHEN mail_state IN ('queued', "
            "'deferred') THEN 'cancelled' ELSE mail_state END WHERE id = ? AND confirmed_at IS "
            "NULL"));
        summary.addBindValue(tx.now());
        summary.addBindValue(tx.now());
        summary.addBindValue(userId);
        if (Status s = m_db.exec(summary); !s)
            return s.error();
        if (revoked > 0 || cancelled > 0)
            detail = (revoked == 1 ? tr("1 open invitation revoked")
                                   : tr("%1 open invitations revoked").arg(revoked)) +
                     QStringLiteral("; ") +
                     (cancelled == 1 ? tr("1 unsent mail cancelled")
                                     : tr("%1 unsent mails cancelled").arg(cancelled));
    }
    if (Status s =
            tx.audit(active ? QStringLiteral("user.activate") : QStringLiteral("user.deactivate"),
                     tx.target().id, tx.target().email, detail);
        !s)
        return s.error();
    auto updated = UserRepository(m_db).byId(userId);
    if (!updated)
        return updated.error();
    if (Status s = tx.commit({userId}); !s)
        return s.error();
    return updated;
}

Result<UserRecord> UserService::updateUser(qint64 userId, const QString &name,
                                           const QString &profile,
                                           const std::optional<QString> &account)
{
    if (const QString p = userNameProblem(name); !p.isEmpty())
        return makeError(ErrorKind::Invalid, p);
    if (const QString p = textFieldProblem(tr("The profile"), profile, 200); !p.isEmpty())
        return makeError(ErrorKind::Invalid, p);
    if (account) {
        if (const QString p = textFieldProblem(tr("The account"), *account, 200); !p.isEmpty())
            return makeError(ErrorKind::Invalid, p);
    }
    // Two administrators editing at once: the second reads what the first wrote. The
    // administrators are locked too: a demotion counts the others after they are.
    ActingTransaction tx(m_db, m_clock, m_actorId, userId, true);
    if (!tx.status())
        return tx.status().error();
    const UserRecord &old = tx.target();

    qint64 profileId = old.profileId;
    QString profileName = old.profileName;
    bool toAdmin = old.isAdmin;
    bool toManage = old.manageUsers;
    if (old.kind == UserKind::Portal) {
        if (!profile.trimmed().isEmpty())
            return makeError(ErrorKind::Invalid,
                             tr("Portal users have no profile: change their account instead."));
    } else {
        if (account && account->trimmed() != old.account)
            return makeError(ErrorKind::Invalid,
                             tr("Only portal users belong to an account: give a profile "
                                "instead."));
        if (!profile.trimmed().isEmpty()) {
            auto p = UserRepository(m_db).profileByName(profile);
            if (!p)
                return makeError(ErrorKind::Invalid, p.error().message);
            profileId = p->id;
            profileName = p->name;
            toAdmin = p->isAdmin;
            toManage = p->manageUsers;
        }
    }
    // A Manage Users profile neither touches administrators nor makes or unmakes them.
    if (!tx.actor().isAdmin) {
        if (auto refusal = editRefusal({tx.actor().id, tx.actor().isAdmin}, old))
            return *refusal;
        if (toAdmin)
            return makeError(ErrorKind::Refused,
                             tr("Only an Administrator can give the Administrator profile."));
    }
    if (old.isAdmin && !toAdmin && old.active && old.confirmedAt) {
        if (Status s = keepsAnAdministrator(old, tr("%1 is the last active administrator: make "
                                                    "another user an administrator first.")
                                                     .arg(old.email));
            !s)
            return s.error();
    }

    const QString newName = name.trimmed();
    const QString newAccount = account ? account->trimmed() : old.account;
    QStringList changes;
    const auto quoted = [](const QString &v) { return QString(u'"' + v + u'"'); };
    if (newName != old.name)
        changes << tr("name: %1 → %2").arg(quoted(old.name), quoted(newName));
    if (profileId != old.profileId)
        changes << tr("profile: %1 → %2").arg(old.profileName, profileName);
    if (newAccount != old.account)
        changes << tr("account: %1 → %2").arg(quoted(old.account), quoted(newAccount));
    if (changes.isEmpty())
        return old; // nothing to write, nothing to audit

    QSqlQuery q = m_db.prepare(QStringLiteral(
        "UPDATE users SET name = ?, name_key = ?, profile_id = ?, account = ?, updated_at = ? "
        "WHERE id = ?"));
    q.addBindValue(newName);
    q.addBindValue(nameKey(newName));
    q.addBindValue(profileId ? QVariant(profileId) : nullInt());
    q.addBindValue(newAccount);
    q.addBindValue(tx.now());
    q.addBindValue(userId);
    if (Status s = m_db.exec(q); !s)
        return s.error();
    if (Status s = tx.audit(QStringLiteral("user.edit"), old.id, old.email,
                            changes.join(QStringLiteral("; ")));
        !s)
        return s.error();
    if (Status s = tx.commit({userId}); !s)
        return s.error();
    UserRecord updated = old;
    updated.name = newName;
    updated.profileId = profileId;
    updated.profileName = profileName;
    updated.isAdmin = toAdmin;
    updated.manageUsers = toManage;
    updated.account = newAccount;
    return updated;
}

Result<InviteOutcome> UserService::changeEmail(qint64 userId, const QString &newEmail)
{
    const QString email = newEmail.trimmed();
    if (const QString p = emailAddressProblem(email); !p.isEmpty())
        return makeError(ErrorKind::Invalid, p);
    // The actor is locked and authorised inside the transaction, like every other action's: a
    // demotion committed meanwhile refuses.
    ActingTransaction tx(m_db, m_clock, m_actorId, userId);
    if (!tx.status())
        return tx.status().error();
    const QString old = tx.target().email;
    // The row menu and the dialog ask the same functions (app/bouncerules.h).
    if (auto refusal = changeEmailRefusal({tx.actor().id, tx.actor().isAdmin}, tx.target()))
        return *refusal;
    if (const QString p = newEmailProblem(tx.target(), email); !p.isEmpty())
        return makeError(ErrorKind::Invalid, p);
    UserRepository repo(m_db);
    if (auto existing = repo.byEmail(tx.target().kind, email))
        return makeError(ErrorKind::Refused,
                         tr("%1 is already a user (%2).").arg(existing->email, existing->name));
    else if (existing.error().kind != ErrorKind::NotFound)
        return existing.error();
    QSqlQuery q = m_db.prepare(
        QStringLiteral("UPDATE users SET email = ?, email_key = ?, updated_at = ? WHERE id = ?"));
    q.addBindValue(email);
    q.addBindValue(userEmailKey(email));
    q.addBindValue(tx.now());
    q.addBindValue(userId);
    if (Status s = m_db.exec(q); !s)
        return s.error();
    if (Status s = tx.audit(QStringLiteral("user.change_email"), userId, email,
                            tr("%1 → %2").arg(old, email));
        !s)
        return s.error();
    UserRecord changed = tx.target();
    changed.email = email;
    auto out = InvitationService(m_db, m_clock, m_actorId)
                   .issueInTransaction({changed}, tx.actor(), tx.settings(), true,
                                       QStringLiteral("invitation.reinvite"), tx.now());
    if (!out)
        return out.error();
    if (Status s = tx.commit({userId}); !s)
        return s.error();
    return out->constFirst();
}

} // namespace roster
