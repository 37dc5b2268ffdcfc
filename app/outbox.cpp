#include "app/outbox.h"

#include "app/mail/mimemessage.h"
#include "app/orgsettings.h"
#include "app/sealer.h"
#include "models/changenotifier.h"
#include "models/sqlitestatement.h"

#include <QCoreApplication>
#include <QJsonDocument>
#include <QJsonObject>
#include <QRandomGenerator>
#include <QSqlQuery>
#include <QSysInfo>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <optional>
#include <unistd.h>

Q_LOGGING_CATEGORY(lcOutbox, "roster.mail.outbox")

namespace roster {

namespace {
QString tr(const char *s)
{
    return QCoreApplication::translate("Outbox", s);
}

qint64 steadyMs()
{
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

// A live sender renews its lease at most this often.
constexpr qint64 heartbeatMs = 60 * 1000;

// claimed_by: "host:pid:key", or "host:pid" as older versions wrote it.
struct Claimer
{
    QString host;
    qint64 pid = 0;
    qint64 key = 0;
};

Claimer parseClaimer(const QString &by)
{
    Claimer c;
    c.host = by.section(u':', 0, 0);
    c.pid = by.section(u':', 1, 1).toLongLong();
    c.key = by.section(u':', 2, 2).toLongLong();
    return c;
}
} // namespace

// What a delivery run sets up once: the messages' builder, and the two statements that record a
// result.
struct Outbox::Run
{
    explicit Run(OutboxMailBuilder b) : build(std::move(b)) {}
    OutboxMailBuilder build;
    std::optional<BoundStatement> recordOutbox;
    std::optional<BoundStatement> recordUser;
};

Outbox::Outbox(Database &db, const Clock &clock) : m_db(db), m_clock(clock)
{
    // Positive and never 0: 0 reads as "no key" in an older claim.
    m_key = qint64(QRandomGenerator::system()->generate64() & 0x3fffffffffffffffULL) | 1;
    m_claimer = workerName() + u':' + QString::number(m_key);
}

Outbox::~Outbox()
{
    // Every claim of this Outbox has its result by now (or was left by an error): release the
    // lock, so that what is left can be recovered by the others.
    for (; m_locks > 0; --m_locks) {
        QSqlQuery q = m_db.prepare(QStringLiteral("SELECT pg_advisory_unlock(?)"));
        q.addBindValue(m_key);
        if (!m_db.exec(q))
            break;
    }
}

QString Outbox::dbNow() const
{
    // The database's own clock, in ms since the epoch: the same for every machine on
    // PostgreSQL. SQLite's is the host's that holds the file.
    return m_db.dialect() == Dialect::Postgres
               ? QStringLiteral("CAST(extract(epoch FROM clock_timestamp()) * 1000 AS BIGINT)")
               : QStringLiteral("CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER)");
}

Status Outbox::holdLock()
{
    if (m_db.dialect() != Dialect::Postgres)
        return ok();
    // Taken before each claim: a connection that was re-made has lost the earlier one. Session
    // locks count, the destructor releases as many as were taken.
    QSqlQuery q = m_db.prepare(QStringLiteral("SELECT pg_advisory_lock(?)"));
    q.addBindValue(m_key);
    if (Status s = m_db.exec(q); !s)
        return s;
    ++m_locks;
    return ok();
}

void Outbox::heartbeat()
{
    const qint64 now = steadyMs();
    if (now - m_lastBeat < heartbeatMs)
        return;
    m_lastBeat = now;
    QSqlQuery q = m_db.prepare(QStringLiteral("UPDATE outbox SET claimed_at = ") + dbNow() +
                               QStringLiteral(" WHERE state = 'sending' AND claimed_by = ?"));
    q.addBindValue(m_claimer);
    if (Status s = m_db.exec(q); !s)
        qCWarning(lcOutbox) << "could not renew the claims:" << s.error().message;
}

qint64 Outbox::retryDelayMs(int failedAttempts)
{
    qint64 d = firstRetryMs;
    for (int i = 1; i < failedAttempts && d < maxRetryMs; ++i)
        d *= 2;
    return std::min(d, maxRetryMs);
}

QString Outbox::workerName()
{
    return QSysInfo::machineHostName() + u':' + QString::number(QCoreApplication::applicationPid());
}

Result<qint64> Outbox::enqueueTest(const OrgSettings &settings, const QString &to)
{
    const qint64 now = m_clock.nowMs();
    const QByteArray messageId = newMessageId(settings.senderAddress.section(u'@', 1));
    const QJsonObject payload{
        {QStringLiteral("organisation"), settings.organisation},
        {QStringLiteral("to_email"), to},
        {QStringLiteral("from_name"),
         settings.senderName.isEmpty() ? settings.organisation : settings.senderName},
        {QStringLiteral("from_email"), settings.senderAddress},
        {QStringLiteral("date"), QString::number(now)},
    };
    QSqlQuery q = m_db.prepare(QStringLiteral(
        "INSERT INTO outbox (kind, recipient, message_id, payload, state, attempts, created_at, "
        "next_attempt_at) VALUES ('test', ?, ?, ?, 'queued', 0, ?, ?) RETURNING id"));
    q.addBindValue(to);
    q.addBindValue(QString::fromLatin1(messageId));
    q.addBindValue(QString::fromUtf8(QJsonDocument(payload).toJson(QJsonDocument::Compact)));
    q.addBindValue(now);
    q.addBindValue(now);
    if (Status s = m_db.exec(q); !s)
        return s.error();
    if (!q.next())
        return makeError(ErrorKind::Database, tr("The test message was not queued."));
    return q.value(0).toLongLong();
}

Result<QList<OutboxEntry>> Outbox::list(const QString &state, int limit) const
{
    QString sql =
        QStringLiteral("SELECT id, kind, user_id, recipient, message_id, state, attempts, "
                       "created_at, next_attempt_at, last_reply, sent_at FROM outbox");
    if (!state.isEmpty())
        sql += QStringLiteral(" WHERE state = ?");
    sql += QStringLiteral(" ORDER BY id DESC LIMIT ?");
    QSqlQuery q = m_db.prepare(sql);
    if (!state.isEmpty())
        q.addBindValue(state);
    q.addBindValue(limit);
    if (Status s = m_db.exec(q); !s)
        return s.error();
    QList<OutboxEntry> out;
    while (q.next()) {
        OutboxEntry e;
        e.id = q.value(0).toLongLong();
        e.kind = q.value(1).toString();
        e.userId = q.value(2).toLongLong();
        e.recipient = q.value(3).toString();
        e.messageId = q.value(4).toString();
        e.state = q.value(5).toString();
        e.attempts = q.value(6).toInt();
        e.createdAt = q.value(7).toLongLong();
        e.nextAttemptAt = q.value(8).toLongLong();
        e.lastReply = q.value(9).toString();
        e.sentAt = q.value(10).toLongLong();
        out.append(e);
    }
    return out;
}

Result<qint64> Outbox::countDue() const
{
    QSqlQuery q = m_db.prepare(QStringLiteral("SELECT count(*) FROM outbox WHERE state IN "
                                              "('queued', 'deferred') AND next_attempt_at <= ?"));
    q.addBindValue(m_clock.nowMs());
    if (Status s = m_db.exec(q); !s)
        return s.error();
    return q.next() ? q.value(0).toLongLong() : 0;
}

Status Outbox::recoverStaleClaims()
{
    // Advisory locks taken here to prove their owner gone: released on every way out, once the
    // transaction has ended, so that nobody else takes those claims in between.
    struct Unlock
    {
        Database &db;
        QList<qint64> keys;
        ~Unlock()
        {
            for (qint64 key : keys) {
                QSqlQuery l = db.prepare(QStringLiteral("SELECT pg_advisory_unlock(?)"));
                l.addBindValue(key);
                (void)db.exec(l);
            }
        }
    } unlock{m_db, {}};
    Transaction tx(m_db);
    if (!tx.status())
        return tx.status();
    const bool pg = m_db.dialect() == Dialect::Postgres;
    QSqlQuery q = m_db.prepare(QStringLiteral("SELECT claimed_by, max(claimed_at), ") + dbNow() +
                               QStringLiteral(" FROM outbox WHERE state = 'sending' GROUP BY "
                                              "claimed_by"));
    if (Status s = m_db.exec(q); !s)
        return s;
    const QString host = QSysInfo::machineHostName();
    const qint64 myPid = QCoreApplication::applicationPid();
    struct Dead
    {
        QString by;
        bool byLease = false;
    };
    QList<QPair<QString, qint64>> claimers; // claimed_by, last heartbeat
    qint64 dbNowMs = 0;
    while (q.next()) {
        claimers.append({q.value(0).toString(), q.value(1).toLongLong()});
        dbNowMs = q.value(2).toLongLong();
    }
    q.finish();
    QList<Dead> dead;
    for (const auto &[by, lastBeat] : claimers) {
        if (by == m_claimer)
            continue;
        const Claimer c = parseClaimer(by);
        if (c.host == host) {
            if (c.pid == myPid)
                continue; // another Outbox of this process: alive
            if (c.pid > 0 && ::kill(pid_t(c.pid), 0) == -1 && errno == ESRCH) {
                dead.append({by, false});
                continue;
            }
        }
        if (pg && c.key > 0) {
            // Its owner holds this lock on its own connection for as long as it sends.
            QSqlQuery l = m_db.prepare(QStringLiteral("SELECT pg_try_advisory_lock(?)"));
            l.addBindValue(c.key);
            if (Status s = m_db.exec(l); !s)
                return s;
            if (l.next() && l.value(0).toBool()) {
                unlock.keys.append(c.key);
                dead.append({by, false});
            }
            continue;
        }
        if (c.host == host)
            continue; // its process is alive
        // Another host, and nothing to ask it: its lease, on the database's clock.
        if (lastBeat < dbNowMs - staleClaimMs)
            dead.append({by, true});
    }
    qsizetype requeued = 0;
    for (const Dead &d : dead) {
        // Asked again as it is changed: only that claimer's rows still in flight, and for a
        // lease only when it still ran out (no heartbeat came in between).
        QString sql = QStringLiteral("UPDATE outbox SET state = 'queued', claimed_by = NULL "
                                     "WHERE state = 'sending' AND claimed_by = ?");
        if (d.byLease)
            sql += QStringLiteral(" AND claimed_at < ") + dbNow() + QStringLiteral(" - ?");
        QSqlQuery u = m_db.prepare(sql);
        u.addBindValue(d.by);
        if (d.byLease)
            u.addBindValue(staleClaimMs);
        if (Status s = m_db.exec(u); !s)
            return s;
        requeued += std::max(0, u.numRowsAffected());
    }
    Status committed = dead.isEmpty() ? ok() : tx.commit();
    if (committed && requeued)
        qCInfo(lcOutbox) << "re-queued" << requeued
                         << "messages left in flight by a stopped sender";
    return committed;
}

Result<QList<ClaimedMail>> Outbox::claim(int max, const QList<qint64> &onlyIds)
{
    const qint64 now = m_clock.nowMs();
    if (Status s = holdLock(); !s)
        return s.error();
    Transaction tx(m_db);
    if (!tx.status())
        return tx.status().error();
    QString inner = QStringLiteral(
        "SELECT o.id FROM outbox o WHERE o.state IN ('queued', 'deferred') AND o.next_attempt_at "
        "<= ? "
        "AND NOT EXISTS (SELECT 1 FROM invitations i WHERE i.id = o.invitation_id AND "
        "i.revoked_at IS NOT NULL)");
    if (!onlyIds.isEmpty())
        inner += QStringLiteral(" AND o.id IN (") + Database::marks(onlyIds.size()) + u')';
    inner += QStringLiteral(" ORDER BY o.next_attempt_at, o.id LIMIT ?");
    if (m_db.dialect() == Dialect::Postgres)
        inner += QStringLiteral(" FOR UPDATE SKIP LOCKED");
    QSqlQuery q = m_db.prepare(
        QStringLiteral("UPDATE outbox SET state = 'sending', claimed_by = ?, claimed_at = ") +
        dbNow() + QStringLiteral(", attempts = attempts + 1 WHERE id IN (") + inner +
        QStringLiteral(") RETURNING id, kind, user_id, recipient, message_id, payload, "
                       "sealed_token, attempts, created_at"));
    q.addBindValue(m_claimer);
    q.addBindValue(now);
    for (qint64 id : onlyIds)
        q.addBindValue(id);
    q.addBindValue(max);
    if (Status s = m_db.exec(q); !s)
        return s.error();
    QList<ClaimedMail> out;
    while (q.next()) {
        ClaimedMail c;
        c.id = q.value(0).toLongLong();
        c.kind = q.value(1).toString();
        c.userId = q.value(2).toLongLong();
        c.recipient = q.value(3).toString();
        c.messageId = q.value(4).toString().toLatin1();
        c.payload = q.value(5).toString();
        c.sealedToken = q.value(6).toString();
        c.attempts = q.value(7).toInt();
        c.createdAt = q.value(8).toLongLong();
        out.append(c);
    }
    q.finish();
    if (Status s = tx.commit(); !s)
        return s.error();
    std::sort(out.begin(), out.end(),
              [](const ClaimedMail &a, const ClaimedMail &b) { return a.id < b.id; });
    return out;
}

Status Outbox::record(const ClaimedMail &c, const DeliveryResult &r, DeliveryReport *report,
                      Run &run)
{
    const qint64 now = m_clock.nowMs();
    QString state;
    qint64 next = now;
    switch (r.outcome) {
    case DeliveryResult::Outcome::Sent:
        state = QStringLiteral("sent");
        break;
    case DeliveryResult::Outcome::Permanent:
        state = QStringLiteral("failed");
        break;
    case DeliveryResult::Outcome::Temporary:
        if (now - c.createdAt >= giveUpAfterMs) {
            state = QStringLiteral("failed");
        } else {
            state = QStringLiteral("deferred");
            next = now + retryDelayMs(c.attempts);
        }
        break;
    }
    const bool final = state != u"deferred";
    // Prepared once per run, bound and run once per message.
    if (!run.recordOutbox)
        run.recordOutbox.emplace(
            m_db,
            QStringLiteral("UPDATE outbox SET state = ?, last_reply = ?, next_attempt_at = ?, "
                           "claimed_by = NULL, sent_at = ?, sealed_token = CASE WHEN ? = 1 "
                           "THEN NULL ELSE sealed_token END, bounce_tag = CASE WHEN ? = '' "
                           "THEN bounce_tag ELSE ? END WHERE id = ? AND state = 'sending' "
                           "AND claimed_by = ?"));
    BoundStatement &q = *run.recordOutbox;
    q.bind(0, state);
    q.bind(1, r.reply.left(1000));
    q.bind(2, next);
    q.bind(3, state == u"sent" ? QVariant(now) : QVariant(QMetaType(QMetaType::LongLong)));
    q.bind(4, final ? 1 : 0);
    q.bind(5, c.bounceTag.isEmpty() ? QStringLiteral("") : c.bounceTag);
    q.bind(6, c.bounceTag.isEmpty() ? QStringLiteral("") : c.bounceTag);
    q.bind(7, c.id);
    q.bind(8, m_claimer);
    auto changed = q.run(); // prepared again after a failure (the connection may be new)
    if (!changed)
        return changed.error();
    const bool lost = changed.value() == 0;
    if (lost) {
        // Another sender took this message back (it judged this one dead): its state is
        // theirs now, and the mail may go out twice. Say so; overwrite nothing.
        qCWarning(lcOutbox).noquote()
            << "the claim on outbox message" << c.id << QString::fromLatin1(c.messageId)
            << "was lost before its result" << state << "was written; it may arrive twice";
    }
    if (c.userId && !lost) {
        if (!run.recordUser)
            run.recordUser.emplace(m_db, QStringLiteral("UPDATE users SET mail_state = ?, "
                                                        "mail_reply = ? WHERE id = ? AND "
                                                        "last_outbox_id = ?"));
        BoundStatement &u = *run.recordUser;
        u.bind(0, state);
        u.bind(1, r.reply.left(1000));
        u.bind(2, c.userId);
        u.bind(3, c.id);
        if (auto changed = u.run(); !changed)
            return changed.error();
    }
    if (report) {
        report->outboxId = c.id;
        report->userId = c.userId;
        report->recipient = c.recipient;
        report->state = state;
        report->reply = r.reply;
        report->connectionError = r.connectionError;
        report->nextAttemptAt = state == u"deferred" ? next : 0;
        report->claimLost = lost;
    }
    return ok();
}

Status Outbox::recordNow(const ClaimedMail &c, const DeliveryResult &r, DeliveryReport *report,
                         Run &run)
{
    Transaction tx(m_db);
    if (!tx.status())
        return tx.status();
    if (Status s = record(c, r, report, run); !s)
        return s;
    if (c.userId && !report->claimLost)
        if (Status s = notifyUsersChanged(m_db, {c.userId}); !s)
            return s;
    if (Status s = tx.commit(); !s)
        return s;
    heartbeat();
    return ok();
}

Result<QList<DeliveryReport>> Outbox::deliverDue(MailTransport &transport, const Sealer &sealer,
                                                 int batchSize, const QList<qint64> &onlyIds,
                                                 QList<DeliveryReport> *partial)
{
    QList<DeliveryReport> reports;
    // An error after results were written: those results stay written; say what they were.
    const auto failed = [&reports, partial](const Error &e) -> Result<QList<DeliveryReport>> {
        if (partial)
            *partial = reports;
        return e;
    };
    if (Status s = recoverStaleClaims(); !s)
        return s.error();
    // Invitations go out from the bounce address, tagged per message (VERP, SPEC §9).
    auto settings = OrgSettings::load(m_db);
    if (!settings)
        return settings.error();
    Run run(
        OutboxMailBuilder(sealer, settings->bounceAddress, Sealer::keyFilePath(m_db.databaseId())));
    // Only the given rows: claimed a batch of them at a time (each claim binds that batch's ids,
    // not all of them); otherwise every due row, until none is left.
    QList<qint64> wanted = onlyIds;
    std::sort(wanted.begin(), wanted.end());
    wanted.erase(std::unique(wanted.begin(), wanted.end()), wanted.end());
    qsizetype nextWanted = 0;
    for (;;) {
        QList<qint64> chunk;
        if (!onlyIds.isEmpty()) {
            if (nextWanted >= wanted.size())
                break;
            chunk = wanted.mid(nextWanted, batchSize);
            nextWanted += chunk.size();
        }
        auto claimed = claim(batchSize, chunk);
        if (!claimed)
            return failed(claimed.error());
        if (claimed->isEmpty()) {
            if (onlyIds.isEmpty())
                break;
            continue;
        }
        QList<OutgoingMessage> messages;
        QList<ClaimedMail> sending;
        for (ClaimedMail &c : claimed.value()) {
            auto built = run.build.build(c);
            if (auto *failure = std::get_if<DeliveryResult>(&built)) {
                DeliveryReport report;
                if (Status s = recordNow(c, *failure, &report, run); !s)
                    return failed(s.error());
                reports.append(report);
                continue;
            }
            messages.append(std::get<OutgoingMessage>(std::move(built)));
            sending.append(c);
        }
        bool connectionLost = false;
        bool claimLost = false;
        Status failure = ok();
        // Each result is written the moment the transport has it (after the server's 250), not
        // after the batch: a crash then resends at most the message in flight.
        QList<bool> done(sending.size(), false);
        auto take = [&](qsizetype i, const DeliveryResult &r) {
            if (i < 0 || i >= sending.size() || done.at(i))
                return;
            done[i] = true;
            connectionLost = connectionLost || r.connectionError;
            if (!failure)
                return; // the database failed: leave the rest claimed, to be recovered
            DeliveryReport report;
            failure = recordNow(sending.at(i), r, &report, run);
            if (!failure)
                return;
            reports.append(report);
            claimLost = claimLost || report.claimLost;
        };
        if (!messages.isEmpty()) {
            transport.setResultHandler([&](qsizetype i, const DeliveryResult &r) {
                take(i, r);
                // Stop sending when the database failed or this run's claims were taken.
                return failure.ok() && !claimLost;
            });
            const QList<DeliveryResult> delivered = transport.deliver(messages);
            transport.setResultHandler({});
            for (qsizetype i = 0; i < sending.size(); ++i) {
                DeliveryResult r;
                if (i < delivered.size()) {
                    r = delivered.at(i);
                } else {
                    r.outcome = DeliveryResult::Outcome::Temporary;
                    r.reply = tr("The mail transport gave no result for this message.");
                }
                take(i, r);
            }
        }
        if (!failure)
            return failed(failure.error());
        if (connectionLost || claimLost)
            break;
    }
    return reports;
}

} // namespace roster
