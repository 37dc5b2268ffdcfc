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

// `statement` spelled for `dialect` (Writer::writeRows says how); on PostgreSQL `pgBinds` gets
// the values to bind, in their order.
QString spelled(Dialect dialect, const QString &statement, const QVariantList &shared,
                const QList<const BatchColumn *> &columns, QVariantList &pgBinds)
{
    const bool postgres = dialect == Dialect::Postgres;
    const auto column = [&](QStringView name) -> qsizetype {
        for (qsizetype c = 0; c < columns.size(); ++c)
            if (name == QLatin1String(columns[c]->name))
                return c;
        qFatal("writeRows: no column %s", qPrintable(name.toString()));
    };
    const auto rowParameter = [&](qsizetype c) {
        return postgres ? QStringLiteral("v.") + QLatin1String(columns[c]->name)
                        : QStringLiteral("?%1").arg(shared.size() + c + 1);
    };
    QString out;
    qsizetype used = 0;
    bool quoted = false;
    // SQLite: INSERT … SELECT of one row is written INSERT … VALUES (…), which SQLite knows
    // writes one row (an INSERT … SELECT may write many: each would keep a statement journal).
    const qsizetype values = !postgres && statement.startsWith(u"INSERT ")
                                 ? statement.indexOf(QStringLiteral(" SELECT "))
                                 : -1;
    for (qsizetype i = 0; i < statement.size(); ++i) {
        if (i == values) {
            out += QStringLiteral(" VALUES (");
            i += 7;
            continue;
        }
        const QChar ch = statement[i];
        if (ch == u'\'')
            quoted = !quoted;
        if (quoted || (ch != u'?' && ch != u'{')) {
            out += ch;
            continue;
        }
        if (ch == u'?') {
            Q_ASSERT(used < shared.size());
            if (postgres) {
                pgBinds << shared[used++];
                out += u'?';
            } else {
                out += QStringLiteral("?%1").arg(++used);
            }
            continue;
        }
        const qsizetype close = statement.indexOf(u'}', i);
        Q_ASSERT(close > i);
        const QStringView mark = QStringView(statement).mid(i + 1, close - i - 1);
        i = close;
        if (mark == u"from") {
            if (values >= 0)
                out += u')';
            if (!postgres)
                continue;
            QStringList arrays, names;
            for (const BatchColumn *c : columns) {
                arrays << QStringLiteral("?::%1[]").arg(QLatin1String(c->pgType));
                names << QLatin1String(c->name);
                pgBinds << Database::postgresArray(c->values);
            }
            out += QStringLiteral(" FROM unnest(%1) AS v(%2)")
                       .arg(arrays.join(QStringLiteral(", ")), names.join(QStringLiteral(", ")));
        } else if (mark.startsWith(u"= ANY ")) {
            const qsizetype c = column(mark.mid(6));
            out +=
                postgres
                    ? QStringLiteral("= ANY(?::%1[])").arg(QLatin1String(columns[c]->pgType))
                    : QStringLiteral("IN (SELECT value FROM json_each(%1))").arg(rowParameter(c));
            if (postgres)
                pgBinds << Database::postgresArray(columns[c]->values);
        } else {
            out += rowParameter(column(mark));
        }
    }
    Q_ASSERT(used == shared.size());
    return out;
}
} // namespace

Result<int> InvitationService::Writer::writeRows(const QString &statement,
                                                 const QVariantList &shared,
                                                 const QList<const BatchColumn *> &columns)
{
    if (m_db.dialect() == Dialect::Postgres) {
        QVariantList binds;
        const QString sql = spelled(Dialect::Postgres, statement, shared, columns, binds);
        auto q = run(sql, binds);
        if (!q)
            return q.error();
        const int rows = q.value()->numRowsAffected();
        q.value()->finish();
        return rows;
    }
    auto it = m_rowStatements.find(statement);
    if (it == m_rowStatements.end()) {
        QVariantList unused;
        auto prepared = SqliteStatement::prepare(
            m_db, spelled(Dialect::Sqlite, statement, shared, columns, unused));
        if (!prepared)
            return prepared.error();
        it = m_rowStatements.emplace(statement, std::move(prepared).value()).first;
    }
    SqliteStatement &st = *it->second;
    for (qsizetype k = 0; k < shared.size(); ++k)
        st.bind(int(k + 1), shared[k]);
    if (!statement.contains(QStringLiteral("{from}"))) {
        // Once for the batch: each column is bound as one list of ids (Database::idList).
        for (qsizetype c = 0; c < columns.size(); ++c) {
            Q_ASSERT(qstrcmp(columns[c]->pgType, "bigint") == 0);
            st.bind(int(shared.size() + c + 1), m_db.idList(columns[c]->values));
        }
        return st.run();
    }
    const qsizetype rows = columns.isEmpty() ? 0 : columns.first()->values.size();
    int written = 0;
    for (qsizetype r = 0; r < rows; ++r) {
        for (qsizetype c = 0; c < columns.size(); ++c)
            st.bind(int(shared.size() + c + 1), columns[c]->values[r]);
        auto n = st.run();
        if (!n)
            return n.error();
        written += n.value();
    }
    return written;
}

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

    BatchColumn userIds{"u", "bigint", {}};
    userIds.values.reserve(n);
    for (const UserRecord &t : targets)
        userIds.values.append(t.id);

    // The pending mail of an older invitation is cancelled (its sealed token erased), and every
    // open invitation revoked: one link works, the newest.
    {
        // SQLite's planner, left alone, read every unsent message for a list of ids (a single
        // re-invite at 10,000 queued mails took 3 ms instead of 0.9). The state condition is
        // outbox_pending_by_user's, written as that index's is (schema 9).
        if (auto s = w.writeRows(
                QStringLiteral("UPDATE outbox%1 SET state = 'cancelled', sealed_token = NULL, "
                               "last_reply = ? WHERE (state = 'queued' OR state = 'deferred' OR "
                               "state = 'sending') AND user_id {= ANY u}")
                    .arg(dialect == Dialect::Sqlite
                             ? QStringLiteral(" INDEXED BY outbox_pending_by_user")
                             : QString()),
                {tr("superseded by a newer invitation")}, {&userIds});
            !s)
            return s.error();
    }
    if (auto s = w.writeRows(QStringLiteral("UPDATE invitations SET revoked_at = ? WHERE "
                                            "accepted_at IS NULL AND revoked_at IS NULL AND "
                                            "user_id {= ANY u}"),
                             {now}, {&userIds});
        !s)
        return s.error();

    // The new rows' ids, taken before they are written, so that each row is written once with
    // its links (no RETURNING to match back, no UPDATE to link the invitation to its mail).
    // PostgreSQL: the identity columns' sequences. SQLite: what it would choose itself, the
    // largest id plus one, under the write lock BEGIN IMMEDIATE took.
    BatchColumn invitationIds{"i", "bigint", {}}, outboxIds{"o", "bigint", {}};
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
    BatchColumn hashes{"h", "text", {}};
    hashes.values.reserve(n);
    for (qsizetype i = 0; i < n; ++i) {
        tokens.append(issueToken());
        hashes.values.append(tokens.last().hash);
    }
    if (auto s = w.writeRows(
            QStringLiteral("INSERT INTO invitations (id, user_id, token_hash, "
                           "created_at, expires_at, created_by, created_by_name, "
                           "outbox_id) SELECT {i}, {u}, {h}, ?, ?, ?, ?, {o}{from}"),
            {now, expires, actor.id, actor.name}, {&invitationIds, &userIds, &hashes, &outboxIds});
        !s)
        return s.error();
    else if (s.value() != n) // a row the database skipped (a trigger) is not a success
        return makeError(ErrorKind::Database, tr("The invitation was not stored."));

    BatchColumn recipients{"r", "text", {}};
    recipients.values.reserve(n);
    for (const UserRecord &t : targets)
        recipients.values.append(t.email);
    if (queueMail) {
        BatchColumn messageIds{"m", "text", {}}, payloads{"p", "text", {}}, sealed{"s", "text", {}};
        const InvitationPayloads payload(actor, settings, expires, now);
        for (qsizetype i = 0; i < n; ++i) {
            const QByteArray messageId = newMessageId(settings.senderAddress.section(u'@', 1));
            messageIds.values.append(QString::fromLatin1(messageId));
            payloads.values.append(payload(targets[i]));
            sealed.values.append(seal->seal(tokens[i].token, messageId));
        }
        if (auto s = w.writeRows(
                QStringLiteral("INSERT INTO outbox (id, kind, user_id, invitation_id, recipient, "
                               "message_id, payload, sealed_token, state, attempts, created_at, "
                               "next_attempt_at) SELECT {o}, 'invitation', {u}, {i}, {r}, {m}, "
                               "{p}, {s}, 'queued', 0, ?, ?{from}"),
                {now, now},
                {&outboxIds, &userIds, &invitationIds, &recipients, &messageIds, &payloads,
                 &sealed});
            !s)
            return s.error();
        else if (s.value() != n)
            return makeError(ErrorKind::Database, tr("The invitation mail was not queued."));
    }

    if (auto s = w.writeRows(
            QStringLiteral("UPDATE users SET invited_at = ?, invite_expires_at = ?, "
                           "invite_count = invite_count + 1, last_invited_by = ?, mail_state = ?, "
                           "mail_reply = NULL, last_outbox_id = {o}, invite_requested_at = NULL, "
                           "updated_at = ?{from} WHERE users.id = {u}"),
            {now, expires, actor.name,
             queueMail ? QVariant(QStringLiteral("queued")) : QVariant(QString()), now},
            {&userIds, &outboxIds});
        !s)
        return s.error();

    {
        const QString expiry =
            QDateTime::fromMSecsSinceEpoch(expires, QTimeZone::utc()).toString(Qt::ISODate);
        BatchColumn details{"d", "text", {}};
        details.values.reserve(n);
        for (const QVariant &id : std::as_const(invitationIds.values))
            details.values.append(tr("invitation %1, expires %2").arg(id.toLongLong()).arg(expiry));
        if (auto s = w.writeRows(
                QStringLiteral("INSERT INTO audit_log (at, actor_id, actor_email, action, "
                               "target_user_id, target_email, detail) "
                               "SELECT ?, ?, ?, ?, {u}, {r}, {d}{from}"),
                {now, actor.id, actor.email, action}, {&userIds, &recipients, &details});
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
