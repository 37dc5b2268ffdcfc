#include "app/userservice.h"

#include "app/audit.h"
#include "app/authservice.h"
#include "app/invitationlookup.h"
#include "app/mail/emailaddress.h"
#include "app/mail/mimemessage.h"
#include "app/outbox.h"
#include "app/passwordhasher.h"
#include "app/sealer.h"
#include "app/tokens.h"
#include "app/validation.h"
#include "models/changenotifier.h"
#include "models/userfilter.h"
#include "models/userrepository.h"

#include <QCoreApplication>
#include <QDateTime>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLocale>
#include <QScopeGuard>
#include <QSqlQuery>
#include <QTimeZone>
#include <QUrl>
#include <QUrlQuery>

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

QString forUpdate(const Database &db)
{
    return db.dialect() == Dialect::Postgres ? QStringLiteral(" FOR UPDATE") : QString();
}
// The invitation mail's fields, as the outbox stores them (the token travels sealed beside it).
QString invitationPayload(const UserRecord &target, const UserRecord &actor,
                          const OrgSettings &settings, qint64 expires, qint64 now)
{
    const QJsonObject payload{
        {QStringLiteral("portal"), target.kind == UserKind::Portal},
        {QStringLiteral("organisation"), settings.organisation},
        {QStringLiteral("inviter"), actor.name},
        {QStringLiteral("to_name"), target.name},
        {QStringLiteral("to_email"), target.email},
        {QStringLiteral("from_name"),
         settings.senderName.isEmpty() ? settings.organisation : settings.senderName},
        {QStringLiteral("from_email"), settings.senderAddress},
        {QStringLiteral("accept_url"),
         target.kind == UserKind::Portal ? settings.portalAcceptUrl : settings.acceptUrl},
        {QStringLiteral("expires_at"), QString::number(expires)},
        {QStringLiteral("date"), QString::number(now)},
    };
    return QString::fromUtf8(QJsonDocument(payload).toJson(QJsonDocument::Compact));
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

// The statements one invitation needs, prepared once per transaction and reused (bulk speed).
struct UserService::Writer
{
    explicit Writer(Database &db)
        : cancelMail(db.prepare(QStringLiteral(
              "UPDATE outbox SET state = 'cancelled', sealed_token = NULL, last_reply = ? "
              "WHERE user_id = ? AND state IN ('queued', 'deferred', 'sending')"))),
          revoke(db.prepare(QStringLiteral(
              "UPDATE invitations SET revoked_at = ? WHERE user_id = ? AND accepted_at IS NULL "
              "AND revoked_at IS NULL"))),
          insertInvitation(db.prepare(QStringLiteral(
              "INSERT INTO invitations (user_id, token_hash, created_at, expires_at, created_by, "
              "created_by_name) VALUES (?, ?, ?, ?, ?, ?) RETURNING id"))),
          insertOutbox(db.prepare(QStringLiteral(
              "INSERT INTO outbox (kind, user_id, invitation_id, recipient, message_id, payload, "
              "sealed_token, state, attempts, created_at, next_attempt_at) "
              "VALUES (?, ?, ?, ?, ?, ?, ?, 'queued', 0, ?, ?) RETURNING id"))),
          linkOutbox(
              db.prepare(QStringLiteral("UPDATE invitations SET outbox_id = ? WHERE id = ?"))),
          updateUser(db.prepare(QStringLiteral(
              "UPDATE users SET invited_at = ?, invite_expires_at = ?, "
              "invite_count = invite_count + 1, last_invited_by = ?, mail_state = ?, "
              "mail_reply = NULL, last_outbox_id = ?, invite_requested_at = NULL, "
              "updated_at = ? WHERE id = ?"))),
          audit(db.prepare(QStringLiteral(
              "INSERT INTO audit_log (at, actor_id, actor_email, action, target_user_id, "
              "target_email, detail) VALUES (?, ?, ?, ?, ?, ?, ?)"))),
          db(db)
    {}
    QSqlQuery cancelMail, revoke, insertInvitation, insertOutbox, linkOutbox, updateUser, audit;
    Database &db;
};

UserService::UserService(Database &db, const Clock &clock, qint64 actorId)
    : m_db(db), m_clock(clock), m_actorId(actorId)
{}

UserService::~UserService() = default;

Result<UserRecord> UserService::actor()
{
    return AuthService::authorise(m_db, m_actorId);
}

Result<UserRecord> UserService::lockActor(const QList<qint64> &userIds, bool administrators)
{
    if (m_db.dialect() == Dialect::Postgres) {
        QVariantList ids{m_actorId};
        for (qint64 id : userIds)
            ids.append(id);
        QSqlQuery lock = m_db.prepare(QStringLiteral(
            "SELECT u.id FROM users u WHERE u.id = ANY(?::bigint[]) OR (? = 1 AND u.active = 1 "
            "AND u.confirmed_at IS NOT NULL AND u.profile_id IN (SELECT p.id FROM profiles p "
            "WHERE p.is_admin = 1)) ORDER BY u.id FOR UPDATE"));
        lock.addBindValue(Database::postgresArray(ids));
        lock.addBindValue(administrators ? 1 : 0);
        if (Status s = m_db.exec(lock); !s)
            return s.error();
        lock.finish();
    }
    return AuthService::authorise(m_db, m_actorId);
}

Status UserService::keepsAnAdministrator(const UserRecord &target, const QString &refusal)
{
    // Counted after lockActor(…, true): every active administrator's row is locked, and under
    // READ COMMITTED this statement sees every change committed before the locks were granted.
    QSqlQuery c = m_db.prepare(
        QStringLiteral("SELECT count(*) FROM users u JOIN profiles p ON p.id = u.profile_id "
                       "WHERE p.is_admin = 1 "
                       "AND u.active = 1 AND u.confirmed_at IS NOT NULL AND u.id <> ?"));
    c.addBindValue(target.id);
    if (Status s = m_db.exec(c); !s)
        return s;
    const bool none = c.next() && c.value(0).toLongLong() == 0;
    c.finish();
    if (none)
        return makeError(ErrorKind::Refused, refusal);
    return ok();
}

Result<UserRecord> UserService::lockedUser(qint64 userId)
{
    // Inside the caller's transaction: the row is locked (PostgreSQL) or the whole database is
    // (SQLite, BEGIN IMMEDIATE) before it is read, so concurrent changes to one user serialise.
    QSqlQuery lock =
        m_db.prepare(QStringLiteral("SELECT id FROM users WHERE id = ?") + forUpdate(m_db));
    lock.addBindValue(userId);
    if (Status s = m_db.exec(lock); !s)
        return s.error();
    lock.finish();
    return UserRepository(m_db).byId(userId);
}

Result<OrgSettings> UserService::settings()
{
    return OrgSettings::load(m_db);
}

Result<const Sealer *> UserService::sealer()
{
    if (!m_sealer) {
        auto s = Sealer::forDatabase(m_db);
        if (!s)
            return s.error();
        m_sealer = std::make_unique<Sealer>(s.value());
    }
    return static_cast<const Sealer *>(m_sealer.get());
}

Result<InviteOutcome> UserService::issue(Writer &w, const UserRecord &target,
                                         const UserRecord &actor, const OrgSettings &settings,
                                         bool queueMail, const QString &action, qint64 now)
{
    const IssuedToken token = issueToken();
    const qint64 expires = now + invitationLifetimeMs;
    const QString reason = tr("superseded by a newer invitation");

    w.cancelMail.addBindValue(reason);
    w.cancelMail.addBindValue(target.id);
    if (Status s = m_db.exec(w.cancelMail); !s)
        return s.error();
    w.revoke.addBindValue(now);
    w.revoke.addBindValue(target.id);
    if (Status s = m_db.exec(w.revoke); !s)
        return s.error();

    w.insertInvitation.addBindValue(target.id);
    w.insertInvitation.addBindValue(token.hash);
    w.insertInvitation.addBindValue(now);
    w.insertInvitation.addBindValue(expires);
    w.insertInvitation.addBindValue(actor.id);
    w.insertInvitation.addBindValue(actor.name);
    if (Status s = m_db.exec(w.insertInvitation); !s)
        return s.error();
    if (!w.insertInvitation.next())
        return makeError(ErrorKind::Database, tr("The invitation was not stored."));
    InviteOutcome out;
    out.invitationId = w.insertInvitation.value(0).toLongLong();
    w.insertInvitation.finish();

    if (queueMail) {
        auto sealerResult = sealer();
        if (!sealerResult)
            return sealerResult.error();
        const QByteArray messageId = newMessageId(settings.senderAddress.section(u'@', 1));
        w.insertOutbox.addBindValue(QStringLiteral("invitation"));
        w.insertOutbox.addBindValue(target.id);
        w.insertOutbox.addBindValue(out.invitationId);
        w.insertOutbox.addBindValue(target.email);
        w.insertOutbox.addBindValue(QString::fromLatin1(messageId));
        w.insertOutbox.addBindValue(invitationPayload(target, actor, settings, expires, now));
        w.insertOutbox.addBindValue(sealerResult.value()->seal(token.token, messageId));
        w.insertOutbox.addBindValue(now);
        w.insertOutbox.addBindValue(now);
        if (Status s = m_db.exec(w.insertOutbox); !s)
            return s.error();
        if (!w.insertOutbox.next())
            return makeError(ErrorKind::Database, tr("The invitation mail was not queued."));
        out.outboxId = w.insertOutbox.value(0).toLongLong();
        w.insertOutbox.finish();
        w.linkOutbox.addBindValue(out.outboxId);
        w.linkOutbox.addBindValue(out.invitationId);
        if (Status s = m_db.exec(w.linkOutbox); !s)
            return s.error();
    } else {
        out.token = token.token;
        out.link = invitationLink(target.kind == UserKind::Portal ? settings.portalAcceptUrl
                                                                  : settings.acceptUrl,
                                  token.token);
    }

    w.updateUser.addBindValue(now);
    w.updateUser.addBindValue(expires);
    w.updateUser.addBindValue(actor.name);
    w.updateUser.addBindValue(queueMail ? QVariant(QStringLiteral("queued")) : QVariant(QString()));
    w.updateUser.addBindValue(out.outboxId ? QVariant(out.outboxId) : nullInt());
    w.updateUser.addBindValue(now);
    w.updateUser.addBindValue(target.id);
    if (Status s = m_db.exec(w.updateUser); !s)
        return s.error();

    w.audit.addBindValue(now);
    w.audit.addBindValue(actor.id);
    w.audit.addBindValue(actor.email);
    w.audit.addBindValue(action);
    w.audit.addBindValue(target.id);
    w.audit.addBindValue(target.email);
    w.audit.addBindValue(
        tr("invitation %1, expires %2")
            .arg(out.invitationId)
            .arg(QDateTime::fromMSecsSinceEpoch(expires, QTimeZone::utc()).toString(Qt::ISODate)));
    if (Status s = m_db.exec(w.audit); !s)
        return s.error();

    out.user = target;
    out.user.invitedAt = now;
    out.user.inviteExpiresAt = expires;
    out.user.inviteCount += 1;
    out.user.lastInvitedBy = actor.name;
    out.user.mailState = queueMail ? QStringLiteral("queued") : QString();
    out.user.mailReply.clear();
    return out;
}

Result<QList<InviteOutcome>> UserService::issueMany(const QList<UserRecord> &targets,
                                                    const UserRecord &actor,
                                                    const OrgSettings &settings,
                                                    const QString &action, qint64 now)
{
    QList<InviteOutcome> outs;
    if (targets.isEmpty())
        return outs;
    auto sealerResult = sealer();
    if (!sealerResult)
        return sealerResult.error();
    const qint64 expires = now + invitationLifetimeMs;
    const auto arrayOf = [](auto &&valueOf, const auto &items) {
        QVariantList values;
        values.reserve(items.size());
        for (const auto &item : items)
            values.append(valueOf(item));
        return Database::postgresArray(values);
    };
    const auto run = [this](const QString &sql, const QVariantList &binds) -> Status {
        QSqlQuery q = m_db.prepare(sql);
        for (const QVariant &v : binds)
            q.addBindValue(v);
        Status s = m_db.exec(q);
        q.finish();
        return s;
    };
    const QString userIds = arrayOf([](const UserRecord &u) { return QVariant(u.id); }, targets);

    // As issue(): the pending mail of an older invitation is cancelled, the invitation revoked.
    if (Status s = run(QStringLiteral("UPDATE outbox SET state = 'cancelled', sealed_token = NULL, "
                                      "last_reply = ? WHERE user_id = ANY(?::bigint[]) "
                                      "AND state IN ('queued', 'deferred', 'sending')"),
                       {tr("superseded by a newer invitation"), userIds});
        !s)
        return s.error();
    if (Status s = run(QStringLiteral("UPDATE invitations SET revoked_at = ? "
                                      "WHERE user_id = ANY(?::bigint[]) AND accepted_at IS NULL "
                                      "AND revoked_at IS NULL"),
                       {now, userIds});
        !s)
        return s.error();

    QList<IssuedToken> tokens;
    tokens.reserve(targets.size());
    for (qsizetype i = 0; i < targets.size(); ++i)
        tokens.append(issueToken());
    // RETURNING gives rows in no promised order: they are matched back by user id.
    QHash<qint64, qsizetype> indexOf;
    for (qsizetype i = 0; i < targets.size(); ++i)
        indexOf.insert(targets[i].id, i);
    const auto returned = [&](QSqlQuery &q, QList<qint64> &ids) -> Status {
        ids = QList<qint64>(targets.size(), 0);
        qsizetype rows = 0;
        while (q.next()) {
            const auto it = indexOf.constFind(q.value(1).toLongLong());
            if (it == indexOf.cend() || ids[*it])
                return makeError(ErrorKind::Database, tr("The invitation was not stored."));
            ids[*it] = q.value(0).toLongLong();
            ++rows;
        }
        q.finish();
        if (rows != targets.size())
            return makeError(ErrorKind::Database, tr("The invitation was not stored."));
        return ok();
    };

    QList<qint64> invitationIds;
    {
        QSqlQuery q = m_db.prepare(QStringLiteral(
            "INSERT INTO invitations (user_id, token_hash, created_at, expires_at, created_by, "
            "created_by_name) SELECT v.u, v.h, ?, ?, ?, ? "
            "FROM unnest(?::bigint[], ?::text[]) AS v(u, h) RETURNING id, user_id"));
        for (const QVariant &v :
             {QVariant(now), QVariant(expires), QVariant(actor.id), QVariant(actor.name),
              QVariant(userIds),
              QVariant(arrayOf([](const IssuedToken &t) { return QVariant(t.hash); }, tokens))})
            q.addBindValue(v);
        if (Status s = m_db.exec(q); !s)
            return s.error();
        if (Status s = returned(q, invitationIds); !s)
            return s.error();
    }

    QVariantList recipients, messageIds, payloads, sealed;
    for (qsizetype i = 0; i < targets.size(); ++i) {
        const UserRecord &target = targets[i];
        const QByteArray messageId = newMessageId(settings.senderAddress.section(u'@', 1));
        recipients.append(target.email);
        messageIds.append(QString::fromLatin1(messageId));
        payloads.append(invitationPayload(target, actor, settings, expires, now));
        sealed.append(sealerResult.value()->seal(tokens[i].token, messageId));
    }
    // Each column encoded once, whichever statements read it.
    const QString invitationArray =
        Database::postgresArray(QVariantList(invitationIds.cbegin(), invitationIds.cend()));
    const QString recipientArray = Database::postgresArray(recipients);
    QList<qint64> outboxIds;
    {
        QSqlQuery q = m_db.prepare(QStringLiteral(
            "INSERT INTO outbox (kind, user_id, invitation_id, recipient, message_id, payload, "
            "sealed_token, state, attempts, created_at, next_attempt_at) "
            "SELECT 'invitation', v.u, v.i, v.r, v.m, v.p, v.s, 'queued', 0, ?, ? "
            "FROM unnest(?::bigint[], ?::bigint[], ?::text[], ?::text[], ?::text[], ?::text[]) "
            "AS v(u, i, r, m, p, s) RETURNING id, user_id"));
        for (const QVariant &v :
             {QVariant(now), QVariant(now), QVariant(userIds), QVariant(invitationArray),
              QVariant(recipientArray), QVariant(Database::postgresArray(messageIds)),
              QVariant(Database::postgresArray(payloads)),
              QVariant(Database::postgresArray(sealed))})
            q.addBindValue(v);
        if (Status s = m_db.exec(q); !s)
            return s.error();
        if (Status s = returned(q, outboxIds); !s)
            return s.error();
    }
    const QString outboxArray =
        Database::postgresArray(QVariantList(outboxIds.cbegin(), outboxIds.cend()));
    if (Status s = run(QStringLiteral("UPDATE invitations SET outbox_id = v.o "
                                      "FROM unnest(?::bigint[], ?::bigint[]) AS v(i, o) "
                                      "WHERE invitations.id = v.i"),
                       {invitationArray, outboxArray});
        !s)
        return s.error();
    if (Status s = run(QStringLiteral("UPDATE users SET invited_at = ?, invite_expires_at = ?, "
                                      "invite_count = invite_count + 1, last_invited_by = ?, "
                                      "mail_state = 'queued', mail_reply = NULL, "
                                      "last_outbox_id = v.o, invite_requested_at = NULL, "
                                      "updated_at = ? "
                                      "FROM unnest(?::bigint[], ?::bigint[]) AS v(u, o) "
                                      "WHERE users.id = v.u"),
                       {now, expires, actor.name, now, userIds, outboxArray});
        !s)
        return s.error();

    QVariantList details;
    for (qint64 invitationId : std::as_const(invitationIds))
        details.append(tr("invitation %1, expires %2")
                           .arg(invitationId)
                           .arg(QDateTime::fromMSecsSinceEpoch(expires, QTimeZone::utc())
                                    .toString(Qt::ISODate)));
    if (Status s = run(QStringLiteral("INSERT INTO audit_log (at, actor_id, actor_email, action, "
                                      "target_user_id, target_email, detail) "
                                      "SELECT ?, ?, ?, ?, v.u, v.e, v.d "
                                      "FROM unnest(?::bigint[], ?::text[], ?::text[]) "
                                      "AS v(u, e, d)"),
                       {now, actor.id, actor.email, action, userIds, recipientArray,
                        Database::postgresArray(details)});
        !s)
        return s.error();

    outs.reserve(targets.size());
    for (qsizetype i = 0; i < targets.size(); ++i) {
        InviteOutcome out;
        out.invitationId = invitationIds[i];
        out.outboxId = outboxIds[i];
        out.user = targets[i];
        out.user.invitedAt = now;
        out.user.inviteExpiresAt = expires;
        out.user.inviteCount += 1;
        out.user.lastInvitedBy = actor.name;
        out.user.mailState = QStringLiteral("queued");
        out.user.mailReply.clear();
        outs.append(std::move(out));
    }
    return outs;
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
    auto cfg = settings();
    if (!cfg)
        return cfg.error();
    const qint64 now = m_clock.nowMs();
    Transaction tx(m_db);
    if (!tx.status())
        return tx.status().error();
    auto a = lockActor();
    if (!a)
        return a.error();
    UserRepository repo(m_db);
    qint64 profileId = 0;
    if (nu.kind == UserKind::Crm) {
        auto profile =
            repo.profileByName(nu.profile.isEmpty() ? QStringLiteral("Standard") : nu.profile);
        if (!profile)
            return makeError(ErrorKind::Invalid, profile.error().message);
        if (profile->isAdmin && !a->isAdmin)
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
    q.addBindValue(now);
    q.addBindValue(a->id);
    q.addBindValue(now);
    if (Status s = m_db.exec(q); !s)
        return s.error();
    if (!q.next())
        return makeError(ErrorKind::Database, tr("The new user was not stored."));
    const qint64 id = q.value(0).toLongLong();
    q.finish();
    auto created = repo.byId(id);
    if (!created)
        return created.error();
    {
        AuditEntry e{0,
                     now,
                     a->id,
                     a->email,
                     QStringLiteral("user.add"),
                     id,
                     created->email,
                     nu.kind == UserKind::Portal ? tr("portal user") : created->profileName};
        if (Status s = writeAudit(m_db, e); !s)
            return s.error();
    }
    Writer w(m_db);
    auto out = issue(w, created.value(), a.value(), cfg.value(), true,
                     QStringLiteral("invitation.invite"), now);
    if (!out)
        return out.error();
    if (Status s = notifyUsersChanged(m_db); !s) // a new row: consoles reload
        return s.error();
    if (Status s = tx.commit(); !s)
        return s.error();
    return out;
}

Result<InviteOutcome> UserService::reinvite(qint64 userId)
{
    return issueOne(userId, true, QStringLiteral("invitation.reinvite"));
}

Result<InviteOutcome> UserService::copyInviteLink(qint64 userId)
{
    return issueOne(userId, false, QStringLiteral("invitation.link"));
}

Result<InviteOutcome> UserService::issueOne(qint64 userId, bool queueMail, const QString &action)
{
    auto cfg = settings();
    if (!cfg)
        return cfg.error();
    const qint64 now = m_clock.nowMs();
    Transaction tx(m_db);
    if (!tx.status())
        return tx.status().error();
    auto a = lockActor({userId});
    if (!a)
        return a.error();
    // Two administrators re-inviting at once make one invitation; the second meets the cooldown.
    auto target = lockedUser(userId);
    if (!target)
        return target.error();
    if (auto refusal = reinviteRefusal(target.value(), now, cfg->cooldownMinutes))
        return *refusal;
    Writer w(m_db);
    auto out = issue(w, target.value(), a.value(), cfg.value(), queueMail, action, now);
    if (!out)
        return out.error();
    if (Status s = notifyUsersChanged(m_db, {userId}); !s)
        return s.error();
    if (Status s = tx.commit(); !s)
        return s.error();
    return out;
}

Result<UserService::Plan> UserService::planReinvite(const QList<qint64> &userIds)
{
    auto a = actor();
    if (!a)
        return a.error();
    auto cfg = settings();
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

Result<UserService::BulkResult>
UserService::reinviteMany(const QList<qint64> &userIds,
                          const std::function<bool(qsizetype, qsizetype)> &progress)
{
    auto a = actor();
    if (!a)
        return a.error();
    auto cfg = settings();
    if (!cfg)
        return cfg.error();
    if (auto s = sealer(); !s)
        return s.error();
    // At a million users the re-invited rows sit on pages all over the file. With SQLite's
    // default 2 MB page cache every batch spilled and re-read pages, and every commit ran a WAL
    // checkpoint with an fsync (half of the 3.5 s of 10,000 re-invites). The batches run with a
    // 64 MB cache and one checkpoint at the end, inside this call rather than left to the next
    // writer; the connection gets its settings back.
    const bool tuneSqlite = m_db.dialect() == Dialect::Sqlite;
    int cacheSize = -2000, autoCheckpoint = 1000;
    if (tuneSqlite) {
        QSqlQuery q(m_db.connection());
        if (q.exec(QStringLiteral("PRAGMA cache_size")) && q.next())
            cacheSize = q.value(0).toInt();
        if (q.exec(QStringLiteral("PRAGMA wal_autocheckpoint")) && q.next())
            autoCheckpoint = q.value(0).toInt();
        q.finish();
        (void)m_db.exec(QStringLiteral("PRAGMA cache_size = -65536"));
        (void)m_db.exec(QStringLiteral("PRAGMA wal_autocheckpoint = 0"));
    }
    const auto restore = qScopeGuard([&] {
        if (!tuneSqlite)
            return;
        (void)m_db.exec(QStringLiteral("PRAGMA wal_autocheckpoint = %1").arg(autoCheckpoint));
        (void)m_db.exec(QStringLiteral("PRAGMA wal_checkpoint(PASSIVE)"));
        (void)m_db.exec(QStringLiteral("PRAGMA cache_size = %1").arg(cacheSize));
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
    constexpr qsizetype batch = 500;
    UserRepository repo(m_db);
    for (qsizetype i = 0; i < userIds.size(); i += batch) {
        const qint64 now = m_clock.nowMs();
        Transaction tx(m_db);
        if (!tx.status())
            return failed(tx.status().error());
        const QList<qint64> ids = userIds.mid(i, batch);
        // The batch's users locked first, in id order, with the actor, as a single re-invite
        // locks its one user first: a re-invite racing this batch waits for it and then sees
        // the cooldown (without the lock the two deadlocked on the user's outbox and invitation
        // rows). The actor is authorised again for every batch: a demotion stops the next one.
        auto actorNow = lockActor(ids);
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
        const QString action = QStringLiteral("invitation.reinvite");
        QList<InviteOutcome> done;
        if (m_db.dialect() == Dialect::Postgres) {
            // A statement is a round trip to the server: the batch is written by column.
            auto outs = issueMany(eligible, actorNow.value(), cfg.value(), action, now);
            if (!outs)
                return failed(outs.error());
            done = std::move(outs).value();
        } else {
            // In-process: statements prepared once and run per user are as fast.
            Writer w(m_db);
            for (const UserRecord &u : std::as_const(eligible)) {
                auto out = issue(w, u, actorNow.value(), cfg.value(), true, action, now);
                if (!out)
                    return failed(out.error());
                done.append(std::move(out).value());
            }
        }
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

Result<UserRecord> UserService::setActive(qint64 userId, bool active)
{
    const qint64 now = m_clock.nowMs();
    Transaction tx(m_db);
    if (!tx.status())
        return tx.status().error();
    auto a = lockActor({userId}, !active);
    if (!a)
        return a.error();
    auto target = lockedUser(userId);
    if (!target)
        return target.error();
    if (target->active == active)
        return makeError(ErrorKind::Refused,
                         active ? tr("%1 is already active.").arg(target->email)
                                : tr("%1 is already deactivated.").arg(target->email));
    if (auto refusal = activeChangeRefusal({a->id, a->isAdmin}, target.value(), active))
        return *refusal;
    if (!active && target->isAdmin && target->confirmedAt) {
        if (Status s = keepsAnAdministrator(
                target.value(), tr("%1 is the last active administrator: add another one first.")
                                    .arg(target->email));
            !s)
            return s.error();
    }
    QSqlQuery q =
        m_db.prepare(QStringLiteral("UPDATE users SET active = ?, updated_at = ? WHERE id = ?"));
    q.addBindValue(active ? 1 : 0);
    q.addBindValue(now);
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
        revoke.addBindValue(now);
        revoke.addBindValue(userId);
        if (Status s = m_db.exec(revoke); !s)
            return s.error();
        const int revoked = revoke.numRowsAffected();
        QSqlQuery summary = m_db.prepare(QStringLiteral(
            "UPDATE users SET invite_expires_at = CASE WHEN invite_expires_at > ? THEN ? ELSE "
            "invite_expires_at END, mail_state = CASE WHEN mail_state IN ('queued', "
            "'deferred') THEN 'cancelled' ELSE mail_state END WHERE id = ? AND confirmed_at IS "
            "NULL"));
        summary.addBindValue(now);
        summary.addBindValue(now);
        summary.addBindValue(userId);
        if (Status s = m_db.exec(summary); !s)
            return s.error();
        if (revoked > 0 || cancelled > 0)
            detail = tr("%n open invitation(s) revoked", revoked) + QStringLiteral("; ") +
                     tr("%n unsent mail(s) cancelled", cancelled);
    }
    AuditEntry e{0,
                 now,
                 a->id,
                 a->email,
                 active ? QStringLiteral("user.activate") : QStringLiteral("user.deactivate"),
                 target->id,
                 target->email,
                 detail};
    if (Status s = writeAudit(m_db, e); !s)
        return s.error();
    if (Status s = notifyUsersChanged(m_db, {userId}); !s)
        return s.error();
    auto updated = UserRepository(m_db).byId(userId);
    if (!updated)
        return updated.error();
    if (Status s = tx.commit(); !s)
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
    const qint64 now = m_clock.nowMs();
    Transaction tx(m_db);
    if (!tx.status())
        return tx.status().error();
    // Two administrators editing at once: the second reads what the first wrote. The
    // administrators are locked too: a demotion counts the others after they are.
    auto a = lockActor({userId}, true);
    if (!a)
        return a.error();
    UserRepository repo(m_db);
    auto target = lockedUser(userId);
    if (!target)
        return target.error();
    const UserRecord old = target.value();

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
            auto p = repo.profileByName(profile);
            if (!p)
                return makeError(ErrorKind::Invalid, p.error().message);
            profileId = p->id;
            profileName = p->name;
            toAdmin = p->isAdmin;
            toManage = p->manageUsers;
        }
    }
    // A Manage Users profile neither touches administrators nor makes or unmakes them.
    if (!a->isAdmin) {
        if (auto refusal = editRefusal({a->id, a->isAdmin}, old))
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
    q.addBindValue(now);
    q.addBindValue(userId);
    if (Status s = m_db.exec(q); !s)
        return s.error();
    AuditEntry e{0,
                 now,
                 a->id,
                 a->email,
                 QStringLiteral("user.edit"),
                 old.id,
                 old.email,
                 changes.join(QStringLiteral("; "))};
    if (Status s = writeAudit(m_db, e); !s)
        return s.error();
    if (Status s = notifyUsersChanged(m_db, {userId}); !s)
        return s.error();
    if (Status s = tx.commit(); !s)
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

Result<QList<InvitationInfo>> UserService::invitationHistory(qint64 userId)
{
    if (auto a = actor(); !a)
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

Result<QList<InviteOutcome>> UserService::sendDueReminders()
{
    auto a = actor();
    if (!a)
        return a.error();
    auto cfg = settings();
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
    for (qint64 id : ids) {
        Transaction tx(m_db);
        if (!tx.status())
            return tx.status().error();
        // Locked, then asked again: another console's worker may have reminded this user since
        // the list was read (without the lock both would, or deadlock on PostgreSQL).
        auto actorNow = lockActor({id});
        if (!actorNow)
            return actorNow.error();
        auto target = lockedUser(id);
        if (!target)
            return target.error();
        QSqlQuery still =
            m_db.prepare(QStringLiteral("SELECT 1 FROM users u WHERE u.id = ? AND ") + due);
        still.addBindValue(id);
        still.addBindValue(now);
        still.addBindValue(horizon);
        if (Status s = m_db.exec(still); !s)
            return s.error();
        const bool stillDue = still.next();
        still.finish();
        if (!stillDue || reinviteRefusal(target.value(), now, cfg->cooldownMinutes))
            continue;
        Writer w(m_db);
        auto issued = issue(w, target.value(), actorNow.value(), cfg.value(), true,
                            QStringLiteral("invitation.reminder"), now);
        if (!issued)
            return issued.error();
        if (Status s = notifyUsersChanged(m_db, {id}); !s)
            return s.error();
        if (Status s = tx.commit(); !s)
            return s.error();
        out.append(std::move(issued).value());
    }
    return out;
}

Result<AcceptOutcome> UserService::acceptInvitation(Database &db, const Clock &clock,
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
    QSqlQuery q = db.prepare(
        QStringLiteral(
            "SELECT i.id, i.user_id, i.expires_at, i.accepted_at, i.revoked_at, u.active, "
            "u.kind, u.confirmed_at, u.email FROM invitations i JOIN users u ON u.id = "
            "i.user_id WHERE i.token_hash = ?") +
        forUpdate(db));
    q.addBindValue(hash);
    if (Status s = db.exec(q); !s)
        return s.error();
    if (!q.next()) {
        why = InvitationState::Unknown;
        return makeError(ErrorKind::NotFound, invalid);
    }
    const qint64 invitationId = q.value(0).toLongLong();
    const qint64 userId = q.value(1).toLongLong();
    InvitationFacts facts;
    facts.expiresAt = q.value(2).toLongLong();
    facts.accepted = !q.value(3).isNull();
    facts.revoked = !q.value(4).isNull();
    facts.userActive = q.value(5).toInt() != 0;
    const UserKind kind = q.value(6).toString() == u"portal" ? UserKind::Portal : UserKind::Crm;
    facts.userConfirmed = !q.value(7).isNull();
    const QString email = q.value(8).toString();
    q.finish();

    if (expectedKind && *expectedKind != kind) {
        why = InvitationState::Unknown;
        return makeError(ErrorKind::NotFound, invalid);
    }
    why = invitationState(facts, now);
    switch (why) {
    case InvitationState::Valid:
        break;
    case InvitationState::Unknown:
        return makeError(ErrorKind::NotFound, invalid);
    case InvitationState::Used:
        return makeError(ErrorKind::Refused,
                         tr("This invitation was already accepted: sign in instead."));
    case InvitationState::Superseded: {
        // Revoked by a newer invitation, or by a deactivation (which leaves none newer).
        QSqlQuery newer =
            db.prepare(QStringLiteral("SELECT 1 FROM invitations WHERE user_id = ? AND id > ?"));
        newer.addBindValue(userId);
        newer.addBindValue(invitationId);
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
        return makeError(
            ErrorKind::Refused,
            tr("This invitation expired on %1: ask your administrator to invite you "
               "again.")
                .arg(QLocale().toString(QDateTime::fromMSecsSinceEpoch(facts.expiresAt),
                                        QLocale::LongFormat)));
    case InvitationState::Deactivated:
        return makeError(ErrorKind::Refused,
                         tr("This account is deactivated: ask your administrator."));
    }

    QSqlQuery acc = db.prepare(QStringLiteral(
        "UPDATE invitations SET accepted_at = ? WHERE id = ? AND accepted_at IS NULL AND "
        "revoked_at IS NULL"));
    acc.addBindValue(now);
    acc.addBindValue(invitationId);
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
    u.addBindValue(userId);
    if (Status s = db.exec(u); !s)
        return s.error();
    AuditEntry e{0,
                 now,
                 userId,
                 email,
                 QStringLiteral("invitation.accept"),
                 userId,
                 email,
                 tr("invitation %1").arg(invitationId)};
    if (Status s = writeAudit(db, e); !s)
        return s.error();
    if (Status s = notifyUsersChanged(db, {userId}); !s)
        return s.error();
    if (Status s = tx.commit(); !s)
        return s.error();
    return AcceptOutcome{userId, email, kind};
}

Result<InviteOutcome> UserService::changeEmail(qint64 userId, const QString &newEmail)
{
    auto a = actor();
    if (!a)
        return a.error();
    const QString email = newEmail.trimmed();
    if (const QString p = emailAddressProblem(email); !p.isEmpty())
        return makeError(ErrorKind::Invalid, p);
    auto cfg = settings();
    if (!cfg)
        return cfg.error();
    const qint64 now = m_clock.nowMs();
    Transaction tx(m_db);
    if (!tx.status())
        return tx.status().error();
    auto target = lockedUser(userId);
    if (!target)
        return target.error();
    const QString old = target->email;
    if (!target->active)
        return makeError(ErrorKind::Refused,
                         tr("%1 is deactivated: activate the user first.").arg(old));
    if (target->confirmedAt)
        return makeError(ErrorKind::Refused,
                         tr("%1 has confirmed the invitation: a confirmed user's address is not "
                            "changed by a new invitation.")
                             .arg(old));
    if (emailKey(email) == emailKey(old))
        return makeError(ErrorKind::Invalid, tr("%1 is already this user's address.").arg(old));
    UserRepository repo(m_db);
    if (auto existing = repo.byEmail(target->kind, email))
        return makeError(ErrorKind::Refused,
                         tr("%1 is already a user (%2).").arg(existing->email, existing->name));
    else if (existing.error().kind != ErrorKind::NotFound)
        return existing.error();
    QSqlQuery q = m_db.prepare(
        QStringLiteral("UPDATE users SET email = ?, email_key = ?, updated_at = ? WHERE id = ?"));
    q.addBindValue(email);
    q.addBindValue(emailKey(email));
    q.addBindValue(now);
    q.addBindValue(userId);
    if (Status s = m_db.exec(q); !s)
        return s.error();
    Writer w(m_db);
    w.audit.addBindValue(now);
    w.audit.addBindValue(a->id);
    w.audit.addBindValue(a->email);
    w.audit.addBindValue(QStringLiteral("user.change_email"));
    w.audit.addBindValue(userId);
    w.audit.addBindValue(email);
    w.audit.addBindValue(tr("%1 → %2").arg(old, email));
    if (Status s = m_db.exec(w.audit); !s)
        return s.error();
    UserRecord changed = target.value();
    changed.email = email;
    auto out =
        issue(w, changed, a.value(), cfg.value(), true, QStringLiteral("invitation.reinvite"), now);
    if (!out)
        return out.error();
    if (Status s = notifyUsersChanged(m_db, {userId}); !s)
        return s.error();
    if (Status s = tx.commit(); !s)
        return s.error();
    return out;
}

} // namespace roster
