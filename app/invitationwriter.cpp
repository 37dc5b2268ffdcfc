// The one writer of invitations (issue 17): a batch of users, one user being a batch of one, in
// a fixed number of statements on both engines.
#include "app/invitationwriter.h"

#include "app/mail/mimemessage.h"
#include "app/outbox.h"
#include "app/sealer.h"
#include "app/tokens.h"

#include <QCoreApplication>
#include <QDateTime>
#include <QSqlQuery>
#include <QTimeZone>

namespace roster {

namespace {
// The strings kept their translation context when the invitations left UserService.
QString tr(const char *s, int n = -1)
{
    return QCoreApplication::translate("UserService", s, nullptr, n);
}

// A JSON string literal of `text`, appended to `out`: the quote, the backslash and the control
// characters escaped (what JSON requires; QJsonDocument reads it back as `text`), the rest copied
// in runs.
void appendJsonString(QString &out, QStringView text)
{
    out += u'"';
    qsizetype run = 0;
    for (qsizetype i = 0; i < text.size(); ++i) {
        const char16_t ch = text[i].unicode();
        if (ch != u'"' && ch != u'\\' && ch >= 0x20)
            continue;
        out += text.mid(run, i - run);
        run = i + 1;
        if (ch == u'"' || ch == u'\\') {
            out += u'\\';
            out += QChar(ch);
        } else {
            out += QStringLiteral("\\u%1").arg(int(ch), 4, 16, QLatin1Char('0'));
        }
    }
    out += text.mid(run);
    out += u'"';
}

// The invitation mail's fields, as the outbox stores them (the token travels sealed beside it):
// a JSON object. What every mail of a batch shares is written once per kind of user, as far as
// "portal"; each user adds "to_email" and "to_name" (the keys in QJsonDocument's order). It cost
// a QJsonObject per user before: 17 % of a bulk re-invite's instructions.
class InvitationPayloads
{
public:
    InvitationPayloads(const UserRecord &actor, const OrgSettings &settings, qint64 expires,
                       qint64 now)
    {
        for (const bool portal : {false, true}) {
            QString &p = m_prefix[portal];
            p = QStringLiteral("{\"accept_url\":");
            appendJsonString(p, portal ? settings.portalAcceptUrl : settings.acceptUrl);
            p += QStringLiteral(",\"date\":");
            appendJsonString(p, QString::number(now));
            p += QStringLiteral(",\"expires_at\":");
            appendJsonString(p, QString::number(expires));
            p += QStringLiteral(",\"from_email\":");
            appendJsonString(p, settings.senderAddress);
            p += QStringLiteral(",\"from_name\":");
            appendJsonString(p, settings.senderName.isEmpty() ? settings.organisation
                                                              : settings.senderName);
            p += QStringLiteral(",\"inviter\":");
            appendJsonString(p, actor.name);
            p += QStringLiteral(",\"organisation\":");
            appendJsonString(p, settings.organisation);
            p += portal ? QStringLiteral(",\"portal\":true") : QStringLiteral(",\"portal\":false");
            p += QStringLiteral(",\"to_email\":");
        }
    }
    QString operator()(const UserRecord &target) const
    {
        QString p = m_prefix[target.kind == UserKind::Portal];
        p.reserve(p.size() + target.email.size() + target.name.size() + 16);
        appendJsonString(p, target.email);
        p += QStringLiteral(",\"to_name\":");
        appendJsonString(p, target.name);
        p += u'}';
        return p;
    }

private:
    QString m_prefix[2];
};

// appendJsonString's twin for text already in UTF-8 (bytes of a multi-byte character are all
// 0x80 or more: none is escaped).
void appendJsonUtf8(QByteArray &out, const QByteArray &utf8)
{
    out += '"';
    qsizetype run = 0;
    for (qsizetype i = 0; i < utf8.size(); ++i) {
        const uchar ch = uchar(utf8[i]);
        if (ch != '"' && ch != '\\' && ch >= 0x20)
            continue;
        out.append(utf8.constData() + run, i - run);
        run = i + 1;
        if (ch == '"' || ch == '\\') {
            out += '\\';
            out += char(ch);
        } else {
            static const char hex[] = "0123456789abcdef";
            out += "\\u00";
            out += hex[ch >> 4];
            out += hex[ch & 15];
        }
    }
    out.append(utf8.constData() + run, utf8.size() - run);
    out += '"';
}

// One column of a batch, with the PostgreSQL array type it is bound as.
struct Column
{
    const char *name;
    const char *pgType; // "bigint" or "text"
    QVariantList values;
};

// The batch's columns as a FROM item `v` whose columns have the columns' names: on PostgreSQL
// unnest() of one array parameter per column; on SQLite json_each() of one parameter holding
// the rows as a JSON array of arrays. Appends what to bind to `binds`.
QString batchRows(Dialect dialect, const QList<const Column *> &columns, QVariantList &binds)
{
    QStringList names;
    for (const Column *c : columns)
        names << QLatin1String(c->name);
    if (dialect == Dialect::Postgres) {
        QStringList params;
        for (const Column *c : columns) {
            params << QStringLiteral("?::%1[]").arg(QLatin1String(c->pgType));
            binds << Database::postgresArray(c->values);
        }
        return QStringLiteral("unnest(%1) AS v(%2)")
            .arg(params.join(QStringLiteral(", ")), names.join(QStringLiteral(", ")));
    }
    QStringList picks;
    for (qsizetype i = 0; i < columns.size(); ++i)
        picks << QStringLiteral("json_extract(j.value, '$[%1]') AS %2").arg(i).arg(names[i]);
    // The rows' JSON is made in UTF-8 and bound as bytes that SQL casts to text: SQLite stores
    // UTF-8, and a QString parameter is bound as UTF-16 that SQLite converts first (the batch
    // of outbox rows is ~0.5 MB).
    const qsizetype rows = columns.isEmpty() ? 0 : columns.first()->values.size();
    QByteArray json;
    json.reserve(rows * columns.size() * 24 + 2);
    json += '[';
    for (qsizetype r = 0; r < rows; ++r) {
        json += r ? ",[" : "[";
        for (qsizetype i = 0; i < columns.size(); ++i) {
            if (i)
                json += ',';
            const QVariant &v = columns[i]->values[r];
            if (v.isNull())
                json += "null";
            else if (v.typeId() == QMetaType::QString)
                appendJsonUtf8(json, v.toString().toUtf8());
            else
                json += QByteArray::number(v.toLongLong());
        }
        json += ']';
    }
    json += ']';
    binds << json;
    return QStringLiteral("(SELECT %1 FROM json_each(CAST(? AS TEXT)) AS j) AS v")
        .arg(picks.join(QStringLiteral(", ")));
}
// `column IN` the batch's ids: `= ANY(?::bigint[])` on PostgreSQL, json_each() of a JSON array
// on SQLite. Appends what to bind to `binds`.
QString inIds(Dialect dialect, const char *column, const Column &ids, QVariantList &binds)
{
    if (dialect == Dialect::Postgres) {
        binds << Database::postgresArray(ids.values);
        return QStringLiteral("%1 = ANY(?::bigint[])").arg(QLatin1String(column));
    }
    QString json = QStringLiteral("[");
    for (qsizetype i = 0; i < ids.values.size(); ++i) {
        if (i)
            json += u',';
        json += QString::number(ids.values[i].toLongLong());
    }
    json += u']';
    binds << json;
    return QStringLiteral("%1 IN (SELECT value FROM json_each(?))").arg(QLatin1String(column));
}
} // namespace

Result<const Sealer *> InvitationService::sealer()
{
    if (!m_sealer) {
        auto s = Sealer::forDatabase(m_db);
        if (!s)
            return s.error();
        m_sealer = std::make_unique<Sealer>(s.value());
    }
    return static_cast<const Sealer *>(m_sealer.get());
}

Result<QList<InviteOutcome>>
InvitationService::issueInTransaction(const QList<UserRecord> &targets, const UserRecord &actor,
                                      const OrgSettings &settings, bool queueMail,
                                      const QString &action, qint64 now)
{
    Writer w(m_db);
    return issue(w, targets, actor, settings, queueMail, action, now);
}

Result<QList<InviteOutcome>> InvitationService::issue(Writer &w, const QList<UserRecord> &targets,
                                                      const UserRecord &actor,
                                                      const OrgSettings &settings, bool queueMail,
                                                      const QString &action, qint64 now)
{
    QList<InviteOutcome> outs;
    if (targets.isEmpty())
        return outs;
    const Sealer *seal = nullptr;
    if (queueMail) {
        auto s = sealer();
        if (!s)
            return s.error();
        seal = s.value();
    }
    const Dialect dialect = m_db.dialect();
    const qsizetype n = targets.size();
    const qint64 expires = now + invitationLifetimeMs;

    Column userIds{"u", "bigint", {}};
    userIds.values.reserve(n);
    for (const UserRecord &t : targets)
        userIds.values.append(t.id);

    // The pending mail of an older invitation is cancelled (its sealed token erased), and every
    // open invitation revoked: one link works, the newest.
    {
        // SQLite's planner, left alone, read every unsent message for a list of ids (a single
        // re-invite at 10,000 queued mails took 3 ms instead of 0.9). The state condition is
        // outbox_pending_by_user's, written as that index's is (schema 9).
        QVariantList binds{tr("superseded by a newer invitation")};
        const QString ids = inIds(dialect, "user_id", userIds, binds);
        if (auto s = w.write(
                QStringLiteral("UPDATE outbox%1 SET state = 'cancelled', sealed_token = NULL, "
                               "last_reply = ? WHERE (state = 'queued' OR state = 'deferred' OR "
                               "state = 'sending') AND %2")
                    .arg(dialect == Dialect::Sqlite
                             ? QStringLiteral(" INDEXED BY outbox_pending_by_user")
                             : QString(),
                         ids),
                binds);
            !s)
            return s.error();
    }
    {
        QVariantList binds{now};
        const QString ids = inIds(dialect, "user_id", userIds, binds);
        if (auto s = w.write(
                QStringLiteral("UPDATE invitations SET revoked_at = ? WHERE accepted_at IS NULL "
                               "AND revoked_at IS NULL AND %1")
                    .arg(ids),
                binds);
            !s)
            return s.error();
    }

    // The new rows' ids, taken before they are written, so that each row is written once with
    // its links (no RETURNING to match back, no UPDATE to link the invitation to its mail).
    // PostgreSQL: the identity columns' sequences. SQLite: what it would choose itself, the
    // largest id plus one, under the write lock BEGIN IMMEDIATE took.
    Column invitationIds{"i", "bigint", {}}, outboxIds{"o", "bigint", {}};
    {
        const QString sql =
            dialect == Dialect::Postgres
                ? (queueMail ? QStringLiteral(
                                   "SELECT nextval(pg_get_serial_sequence('invitations', 'id')), "
                                   "nextval(pg_get_serial_sequence('outbox', 'id')) "
                                   "FROM generate_series(1, ?)")
                             : QStringLiteral(
                                   "SELECT nextval(pg_get_serial_sequence('invitations', 'id')), "
                                   "0 FROM generate_series(1, ?)"))
                : QStringLiteral("SELECT (SELECT COALESCE(max(id), 0) FROM invitations), "
                                 "(SELECT COALESCE(max(id), 0) FROM outbox), ?");
        auto q = w.run(sql, {qint64(n)});
        if (!q)
            return q.error();
        QSqlQuery &ids = *q.value();
        invitationIds.values.reserve(n);
        outboxIds.values.reserve(n);
        if (dialect == Dialect::Postgres) {
            while (ids.next()) {
                invitationIds.values.append(ids.value(0).toLongLong());
                outboxIds.values.append(queueMail ? QVariant(ids.value(1).toLongLong())
                                                  : QVariant(QMetaType(QMetaType::LongLong)));
            }
        } else if (ids.next()) {
            const qint64 invitationBase = ids.value(0).toLongLong();
            const qint64 outboxBase = ids.value(1).toLongLong();
            for (qsizetype i = 1; i <= n; ++i) {
                invitationIds.values.append(invitationBase + i);
                outboxIds.values.append(queueMail ? QVariant(outboxBase + i)
                                                  : QVariant(QMetaType(QMetaType::LongLong)));
            }
        }
        ids.finish();
        if (invitationIds.values.size() != n)
            return makeError(ErrorKind::Database, tr("The invitation was not stored."));
    }

    QList<IssuedToken> tokens;
    tokens.reserve(n);
    Column hashes{"h", "text", {}};
    hashes.values.reserve(n);
    for (qsizetype i = 0; i < n; ++i) {
        tokens.append(issueToken());
        hashes.values.append(tokens.last().hash);
    }
    {
        QVariantList binds{now, expires, actor.id, actor.name};
        const QString rows =
            batchRows(dialect, {&invitationIds, &userIds, &hashes, &outboxIds}, binds);
        if (auto s = w.write(
                QStringLiteral("INSERT INTO invitations (id, user_id, token_hash, created_at, "
                               "expires_at, created_by, created_by_name, outbox_id) "
                               "SELECT v.i, v.u, v.h, ?, ?, ?, ?, v.o FROM %1")
                    .arg(rows),
                binds);
            !s)
            return s.error();
        else if (s.value() != n) // a row the database skipped (a trigger) is not a success
            return makeError(ErrorKind::Database, tr("The invitation was not stored."));
    }

    Column recipients{"r", "text", {}};
    recipients.values.reserve(n);
    for (const UserRecord &t : targets)
        recipients.values.append(t.email);
    if (queueMail) {
        Column messageIds{"m", "text", {}}, payloads{"p", "text", {}}, sealed{"s", "text", {}};
        const InvitationPayloads payload(actor, settings, expires, now);
        for (qsizetype i = 0; i < n; ++i) {
            const QByteArray messageId = newMessageId(settings.senderAddress.section(u'@', 1));
            messageIds.values.append(QString::fromLatin1(messageId));
            payloads.values.append(payload(targets[i]));
            sealed.values.append(seal->seal(tokens[i].token, messageId));
        }
        QVariantList binds{now, now};
        const QString rows = batchRows(
            dialect,
            {&outboxIds, &userIds, &invitationIds, &recipients, &messageIds, &payloads, &sealed},
            binds);
        if (auto s = w.write(
                QStringLiteral("INSERT INTO outbox (id, kind, user_id, invitation_id, recipient, "
                               "message_id, payload, sealed_token, state, attempts, created_at, "
                               "next_attempt_at) SELECT v.o, 'invitation', v.u, v.i, v.r, v.m, "
                               "v.p, v.s, 'queued', 0, ?, ? FROM %1")
                    .arg(rows),
                binds);
            !s)
            return s.error();
        else if (s.value() != n)
            return makeError(ErrorKind::Database, tr("The invitation mail was not queued."));
    }

    {
        QVariantList binds{now, expires, actor.name,
                           queueMail ? QVariant(QStringLiteral("queued")) : QVariant(QString()),
                           now};
        const QString rows = batchRows(dialect, {&userIds, &outboxIds}, binds);
        if (auto s =
                w.write(QStringLiteral("UPDATE users SET invited_at = ?, invite_expires_at = ?, "
                                       "invite_count = invite_count + 1, last_invited_by = ?, "
                                       "mail_state = ?, mail_reply = NULL, last_outbox_id = v.o, "
                                       "invite_requested_at = NULL, updated_at = ? FROM %1 "
                                       "WHERE users.id = v.u")
                            .arg(rows),
                        binds);
            !s)
            return s.error();
    }

    {
        const QString expiry =
            QDateTime::fromMSecsSinceEpoch(expires, QTimeZone::utc()).toString(Qt::ISODate);
        Column details{"d", "text", {}};
        details.values.reserve(n);
        for (const QVariant &id : std::as_const(invitationIds.values))
            details.values.append(tr("invitation %1, expires %2").arg(id.toLongLong()).arg(expiry));
        QVariantList binds{now, actor.id, actor.email, action};
        const QString rows = batchRows(dialect, {&userIds, &recipients, &details}, binds);
        if (auto s =
                w.write(QStringLiteral("INSERT INTO audit_log (at, actor_id, actor_email, action, "
                                       "target_user_id, target_email, detail) "
                                       "SELECT ?, ?, ?, ?, v.u, v.r, v.d FROM %1")
                            .arg(rows),
                        binds);
            !s)
            return s.error();
    }

    outs.reserve(n);
    for (qsizetype i = 0; i < n; ++i) {
        InviteOutcome out;
        out.invitationId = invitationIds.values[i].toLongLong();
        out.outboxId = queueMail ? outboxIds.values[i].toLongLong() : 0;
        if (!queueMail) {
            out.token = tokens[i].token;
            out.link = invitationLink(targets[i].kind == UserKind::Portal ? settings.portalAcceptUrl
                                                                          : settings.acceptUrl,
                                      tokens[i].token);
        }
        out.user = targets[i];
        out.user.invitedAt = now;
        out.user.inviteExpiresAt = expires;
        out.user.inviteCount += 1;
        out.user.lastInvitedBy = actor.name;
        out.user.mailState = queueMail ? QStringLiteral("queued") : QString();
        out.user.mailReply.clear();
        outs.append(std::move(out));
    }
    return outs;
}

} // namespace roster
