#include "app/invitationservice.h"

#include "app/invitationwriter.h"

#include "app/actorlock.h"
#include "app/audit.h"
#include "app/authservice.h"
#include "app/invitationlookup.h"
#include "app/passwordhasher.h"
#include "app/sealer.h"
#include "app/tokens.h"
#include "models/changenotifier.h"
#include "models/userrepository.h"

#include <QCoreApplication>
#include <QDateTime>
#include <QLocale>
#include <QScopeGuard>
#include <QSqlQuery>
#include <QTimeZone>

namespace roster {

namespace {
// The strings kept their translation context when the invitations left UserService.
QString tr(const char *s, int n = -1)
{
    return QCoreApplication::translate("UserService", s, nullptr, n);
}

} // namespace

std::optional<Error> reinviteRefusal(const UserRecord &user, qint64 nowMs, int cooldownMinutes)
{
    if (!user.active)
        return makeError(ErrorKind::Refused,
                         tr("%1 is deactivated: activate the user first.").arg(user.email));
    if (user.confirmedAt)
        return makeError(ErrorKind::Refused,
                         tr("%1 has already confirmed the invitation.").arg(user.email));
    if (user.invitedAt && cooldownMinutes > 0) {
        const qint64 readyAt = *user.invitedAt + qint64(cooldownMinutes) * 60000;
        if (readyAt > nowMs) {
            const int minutes = int((readyAt - nowMs + 59999) / 60000);
            return makeError(ErrorKind::Refused,
                             tr("%1 was invited moments ago: you can re-invite in %2 min.")
                                 .arg(user.email)
                                 .arg(minutes));
        }
    }
    return std::nullopt;
}

QString InvitationInfo::state(qint64 nowMs) const
{
    if (acceptedAt)
        return QStringLiteral("accepted");
    if (revokedAt)
        return QStringLiteral("revoked");
    if (expiresAt <= nowMs)
        return QStringLiteral("expired");
    return QStringLiteral("open");
}

InvitationService::InvitationService(Database &db, const Clock &clock, qint64 actorId)
    : m_db(db), m_clock(clock), m_actorId(actorId)
{}

InvitationService::~InvitationService() = default;

Result<OrgSettings> InvitationService::authorisedSettings()
{
    if (auto a = AuthService::authorise(m_db, m_actorId); !a)
        return a.error();
    return OrgSettings::load(m_db);
}

Result<InviteOutcome> InvitationService::reinvite(qint64 userId)
{
    return issueOne(userId, true, QStringLiteral("invitation.reinvite"));
}

Result<InviteOutcome> InvitationService::copyInviteLink(qint64 userId)
{
    return issueOne(userId, false, QStringLiteral("invitation.link"));
}

Result<InviteOutcome> InvitationService::issueOne(qint64 userId, bool queueMail,
                                                  const QString &action)
{
    // Two administrators re-inviting at once make one invitation; the second meets the cooldown.
    ActingTransaction tx(m_db, m_clock, m_actorId, userId);
    if (!tx.status())
        return tx.status().error();
    if (auto refusal = reinviteRefusal(tx.target(), tx.now(), tx.settings().cooldownMinutes))
        return *refusal;
    Writer w(m_db);
    auto out = issue(w, {tx.target()}, tx.actor(), tx.settings(), queueMail, action, tx.now());
    if (!out)
        return out.error();
    if (Status s = tx.commit({userId}); !s)
        return s.error();
    return out->constFirst();
}

Result<InvitationService::Plan> InvitationService::planReinvite(const QList<qint64> &userIds)
{
    auto cfg = authorisedSettings();
    if (!cfg)
        return cfg.error();
    auto users = UserRepository(m_db).byIds(userIds);
    if (!users)
        return users.error();
    const qint64 now = m_clock.nowMs();
    Plan plan;
    for (const UserRecord &u : users.value()) {
        if (auto refusal = reinviteRefusal(u, now, cfg->cooldownMinutes))
            plan.skipped.append(Skipped{u, refusal->message});
        else
            plan.eligible.append(u);
    }
    return plan;
}

Result<InvitationService::BulkResult>
InvitationService::reinviteMany(const QList<qint64> &userIds,
                                const std::function<bool(qsizetype, qsizetype)> &progress)
{
    auto cfg = authorisedSettings();
    if (!cfg)
        return cfg.error();
    if (auto s = sealer(); !s)
        return s.error();
    // At a million users the re-invited rows sit on pages all over the file. With SQLite's
    // default 2 MB page cache every batch spilled and re-read pages, and every commit ran a WAL
    // checkpoint with an fsync (half of the 3.5 s of 10,000 re-invites). The batches run with a
    // 64 MB cache and one checkpoint at the end, inside this call rather than left to the next
    // writer; the connection gets its settings back.
    // Each multi-row statement of a batch (INSERT … SELECT, UPDATE … FROM) keeps a statement
    // journal, the pages it changes as they were, to undo just that statement on an error.
    // Past 64 KiB SQLite spills it to a temporary file: 37,600 pages (150 MB of write() calls)
    // for 10,000 re-invites at 1M users, a quarter of the phase's CPU. With temp_store = MEMORY
    // it stays in memory.
    const bool tuneSqlite = m_db.dialect() == Dialect::Sqlite;
    int cacheSize = -2000, autoCheckpoint = 1000, tempStore = 0;
    if (tuneSqlite) {
        QSqlQuery q(m_db.connection());
        if (q.exec(QStringLiteral("PRAGMA cache_size")) && q.next())
            cacheSize = q.value(0).toInt();
        if (q.exec(QStringLiteral("PRAGMA wal_autocheckpoint")) && q.next())
            autoCheckpoint = q.value(0).toInt();
        if (q.exec(QStringLiteral("PRAGMA temp_store")) && q.next())
            tempStore = q.value(0).toInt();
        q.finish();
        (void)m_db.exec(QStringLiteral("PRAGMA cache_size = -65536"));
        (void)m_db.exec(QStringLiteral("PRAGMA wal_autocheckpoint = 0"));
        (void)m_db.exec(QStringLiteral("PRAGMA temp_store = MEMORY"));
    }
    const auto restore = qScopeGuard([&] {
        if (!tuneSqlite)
            return;
        (void)m_db.exec(QStringLiteral("PRAGMA wal_autocheckpoint = %1").arg(autoCheckpoint));
        (void)m_db.exec(QStringLiteral("PRAGMA wal_checkpoint(PASSIVE)"));
        (void)m_db.exec(QStringLiteral("PRAGMA cache_size = %1").arg(cacheSize));
        (void)m_db.exec(QStringLiteral("PRAGMA temp_store = %1").arg(tempStore));
    });
    BulkResult result;
    // After a batch committed, a failure is reported beside what was committed (which stays):
    // the caller reports and delivers that part. Before any commit it is the call's error.
    const auto failed = [&result](const Error &e) -> Result<BulkResult> {
        if (result.invited.isEmpty() && result.skipped.isEmpty())
            return e;
        result.error = e;
        return result;
    };
    // The first batch is small, so that the first progress (and on PostgreSQL the first mail)
    // comes early. On SQLite the batches then grow: each commit writes every page it dirtied to
    // the WAL, and the pages of the indexes (token hashes, a user's invitations) are dirtied
    // again by every batch, so fewer commits write fewer pages: 10,000 re-invites at 1M users,
    // 123k pwrite() calls in batches of 500, 84k in batches of 2,500 (issue 16). On PostgreSQL
    // the batches stay at 500: the next batch's mail goes out while one is written.
    qsizetype batch = 500;
    const qsizetype largestBatch = tuneSqlite ? 4000 : 500;
    UserRepository repo(m_db);
    Writer w(m_db); // the same statements for every batch
    for (qsizetype i = 0; i < userIds.size();
         i += batch, batch = std::min(batch * 2, largestBatch)) {
        const qint64 now = m_clock.nowMs();
        Transaction tx(m_db);
        if (!tx.status())
            return failed(tx.status().error());
        const QList<qint64> ids = userIds.mid(i, batch);
        // The batch's users locked first, in id order, with the actor, as a single re-invite
        // locks its one user first: a re-invite racing this batch waits for it and then sees
        // the cooldown (without the lock the two deadlocked on the user's outbox and invitation
        // rows). The actor is authorised again for every batch: a demotion stops the next one.
        auto actorNow = lockActor(m_db, m_actorId, ids);
        if (!actorNow)
            return failed(actorNow.error());
        // Read inside the transaction: another console may have changed these users meanwhile.
        auto users = repo.byIds(ids);
        if (!users)
            return failed(users.error());
        QList<UserRecord> eligible;
        QList<Skipped> skipped;
        for (const UserRecord &u : users.value()) {
            if (auto refusal = reinviteRefusal(u, now, cfg->cooldownMinutes))
                skipped.append(Skipped{u, refusal->message});
            else
                eligible.append(u);
        }
        auto outs = issue(w, eligible, actorNow.value(), cfg.value(), true,
                          QStringLiteral("invitation.reinvite"), now);
        if (!outs)
            return failed(outs.error());
        QList<InviteOutcome> done = std::move(outs).value();
        if (!done.isEmpty()) {
            QList<qint64> changed;
            for (const InviteOutcome &o : std::as_const(done))
                changed.append(o.user.id);
            if (Status s = notifyUsersChanged(m_db, changed); !s)
                return failed(s.error());
        }
        if (Status s = tx.commit(); !s)
            return failed(s.error());
        result.invited += done;
        result.skipped += skipped;
        const qsizetype processed = std::min(i + batch, userIds.size());
        if (progress && !progress(processed, userIds.size()) && processed < userIds.size()) {
            result.cancelled = true;
            break;
        }
    }
    return result;
}

Result<QList<InvitationInfo>> InvitationService::invitationHistory(qint64 userId)
{
    if (auto a = AuthService::authorise(m_db, m_actorId); !a)
        return a.error();
    QSqlQuery q = m_db.prepare(QStringLiteral(
        "SELECT i.id, i.created_at, i.expires_at, i.created_by_name, i.accepted_at, i.revoked_at, "
        "o.state, o.last_reply FROM invitations i LEFT JOIN outbox o ON o.id = i.outbox_id "
        "WHERE i.user_id = ? ORDER BY i.created_at DESC, i.id DESC"));
    q.addBindValue(userId);
    if (Status s = m_db.exec(q); !s)
        return s.error();
    QList<InvitationInfo> out;
    while (q.next()) {
        InvitationInfo i;
        i.id = q.value(0).toLongLong();
        i.createdAt = q.value(1).toLongLong();
        i.expiresAt = q.value(2).toLongLong();
        i.createdBy = q.value(3).toString();
        if (!q.value(4).isNull())
            i.acceptedAt = q.value(4).toLongLong();
        if (!q.value(5).isNull())
            i.revokedAt = q.value(5).toLongLong();
        i.mailState = q.value(6).toString();
        i.mailReply = q.value(7).toString();
        out.append(i);
    }
    return out;
}

Result<QList<InviteOutcome>> InvitationService::sendDueReminders()
{
    auto cfg = authorisedSettings();
    if (!cfg)
        return cfg.error();
    QList<InviteOutcome> out;
    if (cfg->reminderDaysBefore <= 0)
        return out;
    const qint64 now = m_clock.nowMs();
    // Once: no reminder since the last invitation an administrator sent (a reminder's own new
    // invitation does not earn another reminder). A user with no such invitation in the audit
    // log (demo data) counts from 0: any reminder is theirs (a NULL max() compared as never).
    const QString due = QStringLiteral(
        "u.active = 1 AND u.confirmed_at IS NULL "
        "AND u.invite_expires_at > ? AND u.invite_expires_at <= ? AND NOT EXISTS ("
        "SELECT 1 FROM audit_log l WHERE l.target_user_id = u.id AND l.action = "
        "'invitation.reminder' AND l.at >= COALESCE((SELECT max(m.at) FROM audit_log m WHERE "
        "m.target_user_id = u.id AND m.action IN ('invitation.invite', 'invitation.reinvite')), "
        "0))");
    const qint64 horizon = now + qint64(cfg->reminderDaysBefore) * msPerDay;
    QSqlQuery q = m_db.prepare(QStringLiteral("SELECT u.id FROM users u WHERE ") + due);
    q.addBindValue(now);
    q.addBindValue(horizon);
    if (Status s = m_db.exec(q); !s)
        return s.error();
    QList<qint64> ids;
    while (q.next())
        ids.append(q.value(0).toLongLong());
    q.finish();
    Writer w(m_db);
    for (qint64 id : ids) {
        Transaction tx(m_db);
        // Locked, then asked again: another console's worker may have reminded this user since
        // the list was read (without the lock both would, or deadlock on PostgreSQL).
        auto locked = lockActorAndUser(tx, m_db, m_actorId, id);
        if (!locked)
            return locked.error();
        QSqlQuery still =
            m_db.prepare(QStringLiteral("SELECT 1 FROM users u WHERE u.id = ? AND ") + due);
        still.addBindValue(id);
        still.addBindValue(now);
        still.addBindValue(horizon);
        if (Status s = m_db.exec(still); !s)
            return s.error();
        const bool stillDue = still.next();
        still.finish();
        if (!stillDue || reinviteRefusal(locked->target, now, cfg->cooldownMinutes))
            continue;
        auto issued = issue(w, {locked->target}, locked->actor, cfg.value(), true,
                            QStringLiteral("invitation.reminder"), now);
        if (!issued)
            return issued.error();
        if (Status s = notifyUsersChanged(m_db, {id}); !s)
            return s.error();
        if (Status s = tx.commit(); !s)
            return s.error();
        out.append(issued->constFirst());
    }
    return out;
}

Result<AcceptOutcome> InvitationService::acceptInvitation(Database &db, const Clock &clock,
                                                          const QByteArray &token,
                                                          const QString &password,
                                                          std::optional<UserKind> expectedKind,
                                                          InvitationState *refusal)
{
    InvitationState ignored = InvitationState::Valid;
    InvitationState &why = refusal ? *refusal : ignored;
    why = InvitationState::Valid;
    const QString invalid =
        tr("This invitation link is not valid: check that it was copied whole, or ask for a new "
           "invitation.");
    if (!decodeToken(token.trimmed())) {
        why = InvitationState::Unknown;
        return makeError(ErrorKind::Invalid, invalid);
    }
    if (const QString p = PasswordHasher::passwordProblem(password); !p.isEmpty())
        return makeError(ErrorKind::Invalid, p);
    const QString hash = tokenHash(token.trimmed());
    const QString passwordHash = PasswordHasher::hash(password);
    const qint64 now = clock.nowMs();

    Transaction tx(db);
    if (!tx.status())
        return tx.status().error();
    auto found = lockInvitation(db, now, hash, expectedKind);
    if (!found)
        return found.error();
    const InvitationLookup &inv = found.value();
    why = inv.state;
    switch (why) {
    case InvitationState::Valid:
        break;
    case InvitationState::Unknown: // no such token, or a link of the other kind of user
        return makeError(ErrorKind::NotFound, invalid);
    case InvitationState::Used:
        return makeError(ErrorKind::Refused,
                         tr("This invitation was already accepted: sign in instead."));
    case InvitationState::Superseded: {
        // Revoked by a newer invitation, or by a deactivation (which leaves none newer).
        QSqlQuery newer =
            db.prepare(QStringLiteral("SELECT 1 FROM invitations WHERE user_id = ? AND id > ?"));
        newer.addBindValue(inv.userId);
        newer.addBindValue(inv.invitationId);
        if (Status s = db.exec(newer); !s)
            return s.error();
        if (newer.next())
            return makeError(ErrorKind::Refused,
                             tr("This invitation was replaced by a newer one: use the link in "
                                "the latest invitation mail."));
        return makeError(ErrorKind::Refused,
                         tr("This invitation was withdrawn: ask your administrator to invite you "
                            "again."));
    }
    case InvitationState::Expired:
        return makeError(ErrorKind::Refused,
                         tr("This invitation expired on %1: ask your administrator to invite you "
                            "again.")
                             .arg(QLocale().toString(QDateTime::fromMSecsSinceEpoch(inv.expiresAt),
                                                     QLocale::LongFormat)));
    case InvitationState::Deactivated:
        return makeError(ErrorKind::Refused,
                         tr("This account is deactivated: ask your administrator."));
    }
    QSqlQuery acc = db.prepare(QStringLiteral(
        "UPDATE invitations SET accepted_at = ? WHERE id = ? AND accepted_at IS NULL AND "
        "revoked_at IS NULL"));
    acc.addBindValue(now);
    acc.addBindValue(inv.invitationId);
    if (Status s = db.exec(acc); !s)
        return s.error();
    if (acc.numRowsAffected() != 1) {
        why = InvitationState::Used;
        return makeError(ErrorKind::Refused, tr("This invitation was already accepted."));
    }
    QSqlQuery u = db.prepare(QStringLiteral(
        "UPDATE users SET confirmed_at = ?, password_hash = ?, updated_at = ? WHERE id = ?"));
    u.addBindValue(now);
    u.addBindValue(passwordHash);
    u.addBindValue(now);
    u.addBindValue(inv.userId);
    if (Status s = db.exec(u); !s)
        return s.error();
    AuditEntry e{0,
                 now,
                 inv.userId,
                 inv.inviteeEmail,
                 QStringLiteral("invitation.accept"),
                 inv.userId,
                 inv.inviteeEmail,
                 tr("invitation %1").arg(inv.invitationId)};
    if (Status s = writeAudit(db, e); !s)
        return s.error();
    if (Status s = notifyUsersChanged(db, {inv.userId}); !s)
        return s.error();
    if (Status s = tx.commit(); !s)
        return s.error();
    return AcceptOutcome{inv.userId, inv.inviteeEmail, inv.kind};
}

} // namespace roster
