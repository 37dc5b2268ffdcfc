#include "app/outbox.h"

#include "app/mail/invitationmail.h"
#include "app/mail/mimemessage.h"
#include "app/orgsettings.h"
#include "app/sealer.h"
#include "models/changenotifier.h"

#include <QCoreApplication>
#include <QDateTime>
#include <QJsonDocument>
#include <QJsonObject>
#include <QRandomGenerator>
#include <QSqlQuery>
#include <QSysInfo>
#include <QUrl>
#include <QUrlQuery>

#include <array>
#include <cerrno>
#include <csignal>
#include <unistd.h>

Q_LOGGING_CATEGORY(lcOutbox, "roster.mail.outbox")

namespace roster {

namespace {
QString tr(const char *s)
{
    return QCoreApplication::translate("Outbox", s);
}

QString marks(qsizetype n)
{
    QString m;
    for (qsizetype i = 0; i < n; ++i)
        m += i ? QStringLiteral(",?") : QStringLiteral("?");
    return m;
}
} // namespace

QByteArray makeMessageId(const QString &senderAddress)
{
    std::array<quint32, 4> r{};
    QRandomGenerator::system()->fillRange(r.data(), r.size());
    const QByteArray left = QByteArray(reinterpret_cast<const char *>(r.data()), sizeof r).toHex();
    QString domain = senderAddress.section(u'@', 1);
    if (domain.isEmpty())
        domain = QStringLiteral("roster.invalid");
    return QByteArrayLiteral("roster.") + left + '@' + domain.toLatin1();
}

QString invitationLink(const QString &acceptUrl, const QByteArray &token)
{
    QUrl url(acceptUrl);
    QUrlQuery query(url);
    query.removeAllQueryItems(QStringLiteral("token"));
    query.addQueryItem(QStringLiteral("token"), QString::fromLatin1(token));
    url.setQuery(query);
    return url.toString(QUrl::FullyEncoded);
}

struct Outbox::Claimed
{
    qint64 id = 0;
    QString kind;
    qint64 userId = 0;
    QString recipient;
    QByteArray messageId;
    QString payload;
    QString sealedToken;
    int attempts = 0;
    qint64 createdAt = 0;
};

Outbox::Outbox(Database &db, const Clock &clock) : m_db(db), m_clock(clock) {}

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
    const QByteArray messageId = makeMessageId(settings.senderAddress);
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
    const qint64 now = m_clock.nowMs();
    QSqlQuery q = m_db.prepare(
        QStringLiteral("SELECT id, claimed_by, claimed_at FROM outbox WHERE state = 'sending'"));
    if (Status s = m_db.exec(q); !s)
        return s;
    const QString host = QSysInfo::machineHostName();
    QList<qint64> stale;
    while (q.next()) {
        const QString by = q.value(1).toString();
        const qint64 at = q.value(2).toLongLong();
        bool dead = at < now - staleClaimMs;
        if (!dead && by.section(u':', 0, 0) == host) {
            const qint64 pid = by.section(u':', 1, 1).toLongLong();
            dead = pid > 0 && pid != QCoreApplication::applicationPid() &&
                   ::kill(pid_t(pid), 0) == -1 && errno == ESRCH;
        }
        if (dead)
            stale.append(q.value(0).toLongLong());
    }
    q.finish();
    if (stale.isEmpty())
        return ok();
    Transaction tx(m_db);
    if (!tx.status())
        return tx.status();
    QSqlQuery u =
        m_db.prepare(QStringLiteral("UPDATE outbox SET state = 'queued', claimed_by = NULL "
                                    "WHERE state = 'sending' AND id IN (") +
                     marks(stale.size()) + u')');
    for (qint64 id : stale)
        u.addBindValue(id);
    if (Status s = m_db.exec(u); !s)
        return s;
    qCInfo(lcOutbox) << "re-queued" << stale.size()
                     << "messages left in flight by a stopped sender";
    return tx.commit();
}

Result<QList<Outbox::Claimed>> Outbox::claim(int max, const QList<qint64> &onlyIds)
{
    const qint64 now = m_clock.nowMs();
    Transaction tx(m_db);
    if (!tx.status())
        return tx.status().error();
    QString inner = QStringLiteral(
        "SELECT o.id FROM outbox o WHERE o.state IN ('queued', 'deferred') AND o.next_attempt_at "
        "<= ? "
        "AND NOT EXISTS (SELECT 1 FROM invitations i WHERE i.id = o.invitation_id AND "
        "i.revoked_at IS NOT NULL)");
    if (!onlyIds.isEmpty())
        inner += QStringLiteral(" AND o.id IN (") + marks(onlyIds.size()) + u')';
    inner += QStringLiteral(" ORDER BY o.next_attempt_at, o.id LIMIT ?");
    if (m_db.dialect() == Dialect::Postgres)
        inner += QStringLiteral(" FOR UPDATE SKIP LOCKED");
    QSqlQuery q = m_db.prepare(
        QStringLiteral("UPDATE outbox SET state = 'sending', claimed_by = ?, claimed_at = ?, "
                       "attempts = attempts + 1 WHERE id IN (") +
        inner +
        QStringLiteral(") RETURNING id, kind, user_id, recipient, message_id, payload, "
                       "sealed_token, attempts, created_at"));
    q.addBindValue(workerName());
    q.addBindValue(now);
    q.addBindValue(now);
    for (qint64 id : onlyIds)
        q.addBindValue(id);
    q.addBindValue(max);
    if (Status s = m_db.exec(q); !s)
        return s.error();
    QList<Claimed> out;
    while (q.next()) {
        Claimed c;
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
              [](const Claimed &a, const Claimed &b) { return a.id < b.id; });
    return out;
}

Status Outbox::record(const Claimed &c, const DeliveryResult &r, DeliveryReport *report)
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
    QSqlQuery q = m_db.prepare(QStringLiteral(
        "UPDATE outbox SET state = ?, last_reply = ?, next_attempt_at = ?, claimed_by = NULL, "
        "sent_at = ?, sealed_token = CASE WHEN ? = 1 THEN NULL ELSE sealed_token END "
        "WHERE id = ? AND state = 'sending' AND claimed_by = ?"));
    q.addBindValue(state);
    q.addBindValue(r.reply.left(1000));
    q.addBindValue(next);
    q.addBindValue(state == u"sent" ? QVariant(now) : QVariant(QMetaType(QMetaType::LongLong)));
    q.addBindValue(final ? 1 : 0);
    q.addBindValue(c.id);
    q.addBindValue(workerName());
    if (Status s = m_db.exec(q); !s)
        return s;
    if (c.userId) {
        QSqlQuery u = m_db.prepare(QStringLiteral(
            "UPDATE users SET mail_state = ?, mail_reply = ? WHERE id = ? AND last_outbox_id = ?"));
        u.addBindValue(state);
        u.addBindValue(r.reply.left(1000));
        u.addBindValue(c.userId);
        u.addBindValue(c.id);
        if (Status s = m_db.exec(u); !s)
            return s;
    }
    if (report) {
        report->outboxId = c.id;
        report->userId = c.userId;
        report->recipient = c.recipient;
        report->state = state;
        report->reply = r.reply;
        report->connectionError = r.connectionError;
        report->nextAttemptAt = state == u"deferred" ? next : 0;
    }
    return ok();
}

Result<QList<DeliveryReport>> Outbox::deliverDue(MailTransport &transport, const Sealer &sealer,
                                                 int batchSize, const QList<qint64> &onlyIds)
{
    if (Status s = recoverStaleClaims(); !s)
        return s.error();
    QList<DeliveryReport> reports;
    for (;;) {
        auto claimed = claim(batchSize, onlyIds);
        if (!claimed)
            return claimed.error();
        if (claimed->isEmpty())
            break;
        QList<OutgoingMessage> messages;
        QList<Claimed> sending;
        QList<QPair<Claimed, DeliveryResult>> results;
        for (const Claimed &c : claimed.value()) {
            const QJsonObject p = QJsonDocument::fromJson(c.payload.toUtf8()).object();
            QString error;
            QByteArray data;
            bool keyMissing = false;
            const QDateTime date = QDateTime::fromMSecsSinceEpoch(
                p.value(QStringLiteral("date")).toString().toLongLong());
            if (c.kind == u"invitation") {
                auto token = sealer.unseal(c.sealedToken, c.messageId);
                if (!token) {
                    keyMissing = true;
                    error = tr("This computer does not hold the key that protects this "
                               "invitation's link (%1): run the delivery where the invitation "
                               "was made, or copy that key file here.")
                                .arg(Sealer::keyFilePath(m_db.databaseId()));
                } else {
                    InvitationMail m;
                    m.portal = p.value(QStringLiteral("portal")).toBool();
                    m.organisation = p.value(QStringLiteral("organisation")).toString();
                    m.inviterName = p.value(QStringLiteral("inviter")).toString();
                    m.from = MailAddress{p.value(QStringLiteral("from_name")).toString(),
                                         p.value(QStringLiteral("from_email")).toString()};
                    m.to = MailAddress{p.value(QStringLiteral("to_name")).toString(),
                                       p.value(QStringLiteral("to_email")).toString()};
                    m.acceptLink =
                        invitationLink(p.value(QStringLiteral("accept_url")).toString(), *token);
                    m.expiresAt = QDateTime::fromMSecsSinceEpoch(
                        p.value(QStringLiteral("expires_at")).toString().toLongLong());
                    m.messageId = c.messageId;
                    m.date = date;
                    data = renderInvitationMail(m, &error);
                }
            } else {
                MimeMessage m;
                m.setFrom(MailAddress{p.value(QStringLiteral("from_name")).toString(),
                                      p.value(QStringLiteral("from_email")).toString()});
                m.addTo(MailAddress{QString(), p.value(QStringLiteral("to_email")).toString()});
                m.setSubject(tr("Roster test message from %1")
                                 .arg(p.value(QStringLiteral("organisation")).toString()));
                m.setMessageId(c.messageId);
                m.setDate(date);
                m.setTextBody(tr("This is a test message sent by Roster to check the mail "
                                 "settings. If you can read it, invitations will arrive too.\n"));
                data = m.render(&error);
            }
            if (data.isEmpty()) {
                DeliveryResult r;
                // Without the key this machine cannot build the link, but the machine that
                // sealed it can: defer (another worker may take it when due), don't fail it.
                r.outcome = keyMissing ? DeliveryResult::Outcome::Temporary
                                       : DeliveryResult::Outcome::Permanent;
                r.reply = error.isEmpty() ? tr("The message could not be built.") : error;
                results.append({c, r});
                continue;
            }
            OutgoingMessage msg;
            msg.outboxId = c.id;
            msg.envelopeFrom = p.value(QStringLiteral("from_email")).toString().toUtf8();
            msg.recipients = {c.recipient.toUtf8()};
            msg.data = data;
            msg.messageId = c.messageId;
            messages.append(msg);
            sending.append(c);
        }
        bool connectionLost = false;
        if (!messages.isEmpty()) {
            const QList<DeliveryResult> delivered = transport.deliver(messages);
            for (qsizetype i = 0; i < sending.size(); ++i) {
                DeliveryResult r;
                if (i < delivered.size()) {
                    r = delivered.at(i);
                } else {
                    r.outcome = DeliveryResult::Outcome::Temporary;
                    r.reply = tr("The mail transport gave no result for this message.");
                }
                connectionLost = connectionLost || r.connectionError;
                results.append({sending.at(i), r});
            }
        }
        Transaction tx(m_db);
        if (!tx.status())
            return tx.status().error();
        QList<qint64> changedUsers; // their rows show the mail's state
        for (const auto &[c, r] : results) {
            DeliveryReport report;
            if (Status s = record(c, r, &report); !s)
                return s.error();
            reports.append(report);
            if (c.userId)
                changedUsers.append(c.userId);
        }
        if (!changedUsers.isEmpty())
            if (Status s = notifyUsersChanged(m_db, changedUsers); !s)
                return s.error();
        if (Status s = tx.commit(); !s)
            return s.error();
        if (connectionLost)
            break;
    }
    return reports;
}

} // namespace roster
