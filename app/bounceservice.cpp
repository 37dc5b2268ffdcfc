#include "app/bounceservice.h"

#include "app/audit.h"
#include "app/mail/bounce/bounceparser.h"
#include "app/mailsetup.h"
#include "app/orgsettings.h"
#include "app/sealer.h"
#include "models/changenotifier.h"
#include "models/testhooks.h"

#include <QCoreApplication>
#include <QCryptographicHash>
#include <QEventLoop>
#include <QSqlQuery>
#include <QTimer>

namespace roster {

namespace {
QString tr(const char *s)
{
    return QCoreApplication::translate("BounceService", s);
}

struct Match
{
    qint64 outboxId = 0;
    qint64 userId = 0;
    QString email;
    qint64 lastOutboxId = 0;
    bool confirmed = false;
    QString by;
};
} // namespace

QString BounceLine::outcomeKey(Outcome o)
{
    switch (o) {
    case Outcome::Bounced:
        return QStringLiteral("bounced");
    case Outcome::Delayed:
        return QStringLiteral("delayed");
    case Outcome::Superseded:
        return QStringLiteral("superseded");
    case Outcome::Delivered:
        return QStringLiteral("delivered");
    case Outcome::Duplicate:
        return QStringLiteral("duplicate");
    case Outcome::Unmatched:
        return QStringLiteral("unmatched");
    case Outcome::NotAReport:
        return QStringLiteral("not-a-report");
    }
    return {};
}

BounceService::BounceService(Database &db, const Clock &clock) : m_db(db), m_clock(clock) {}

Result<BounceLine> BounceService::apply(const QByteArray &message, const QString &bounceAddress)
{
    const BounceReport report = parseBounce(message, bounceAddress);
    BounceLine line;
    if (report.kind == BounceReport::Kind::NotABounce ||
        report.kind == BounceReport::Kind::AutoReply)
        return line;
    line.diagnostic = report.diagnostic();

    // The VERP tag, else the ENVID (both are the tag we sent), else the returned Message-ID.
    std::optional<Match> match;
    const struct
    {
        const char *by;
        QString value;
        const char *column;
    } keys[] = {{"verp", report.verpTag, "bounce_tag"},
                {"envid", report.envelopeId.toLower(), "bounce_tag"},
                {"message-id", report.returnedMessageId, "message_id"}};
    for (const auto &k : keys) {
        if (k.value.isEmpty() || match)
            continue;
        QSqlQuery q = m_db.prepare(
            QStringLiteral("SELECT o.id, o.user_id, u.email, u.last_outbox_id, u.confirmed_at "
                           "FROM outbox o JOIN users u ON u.id = o.user_id WHERE o.kind = "
                           "'invitation' AND o.") +
            QString::fromLatin1(k.column) + QStringLiteral(" = ?"));
        q.addBindValue(k.value);
        if (Status s = m_db.exec(q); !s)
            return s.error();
        if (q.next())
            match =
                Match{q.value(0).toLongLong(), q.value(1).toLongLong(), q.value(2).toString(),
                      q.value(3).toLongLong(), !q.value(4).isNull(),    QString::fromLatin1(k.by)};
    }
    if (!match) {
        line.outcome = BounceLine::Outcome::Unmatched;
        line.email =
            report.recipients.isEmpty() ? QString() : report.recipients.first().finalRecipient;
        return line;
    }
    line.userId = match->userId;
    line.email = match->email;
    line.matchedBy = match->by;
    const bool current = match->lastOutboxId == match->outboxId && !match->confirmed;
    switch (report.kind) {
    case BounceReport::Kind::Failure:
        line.outcome = current ? BounceLine::Outcome::Bounced : BounceLine::Outcome::Superseded;
        break;
    case BounceReport::Kind::Delay:
        line.outcome = BounceLine::Outcome::Delayed;
        break;
    default:
        line.outcome = BounceLine::Outcome::Delivered;
        break;
    }

    Transaction tx(m_db);
    if (!tx.status())
        return tx.status().error();
    const QString digest =
        QString::fromLatin1(QCryptographicHash::hash(message, QCryptographicHash::Sha256).toHex());
    QSqlQuery seen = m_db.prepare(QStringLiteral("SELECT 1 FROM bounce_reports WHERE digest = ?"));
    seen.addBindValue(digest);
    if (Status s = m_db.exec(seen); !s)
        return s.error();
    if (seen.next()) {
        line.outcome = BounceLine::Outcome::Duplicate;
        return line;
    }
    seen.finish();
    const qint64 now = m_clock.nowMs();
    QSqlQuery ins = m_db.prepare(
        QStringLiteral("INSERT INTO bounce_reports (digest, outbox_id, user_id, kind, diagnostic, "
                       "received_at) VALUES (?, ?, ?, ?, ?, ?)"));
    ins.addBindValue(digest);
    ins.addBindValue(match->outboxId);
    ins.addBindValue(match->userId);
    ins.addBindValue(BounceLine::outcomeKey(line.outcome));
    ins.addBindValue(line.diagnostic);
    ins.addBindValue(now);
    if (Status s = m_db.exec(ins); !s)
        return s.error();
    QString action;
    switch (line.outcome) {
    case BounceLine::Outcome::Bounced: {
        QSqlQuery u = m_db.prepare(
            QStringLiteral("UPDATE users SET mail_state = 'bounced', mail_reply = ? WHERE id = ? "
                           "AND last_outbox_id = ?"));
        u.addBindValue(line.diagnostic);
        u.addBindValue(match->userId);
        u.addBindValue(match->outboxId);
        if (Status s = m_db.exec(u); !s)
            return s.error();
        if (Status s = notifyUsersChanged(m_db, {match->userId}); !s)
            return s.error();
        action = QStringLiteral("invitation.bounced");
        break;
    }
    case BounceLine::Outcome::Delayed:
        action = QStringLiteral("invitation.delayed");
        break;
    case BounceLine::Outcome::Superseded:
        action = QStringLiteral("invitation.bounced_superseded");
        break;
    default:
        break;
    }
    if (!action.isEmpty()) {
        AuditEntry e{0,
                     now,
                     0,
                     QStringLiteral("bounce mailbox"),
                     action,
                     match->userId,
                     match->email,
                     line.diagnostic.isEmpty() ? tr("(no diagnostic)") : line.diagnostic};
        if (Status s = writeAudit(m_db, e); !s)
            return s.error();
    }
    if (Status s = tx.commit(); !s)
        return s.error();
    return line;
}

Result<quint32> BounceService::lastUid(const QString &mailbox, quint32 uidValidity) const
{
    QSqlQuery q = m_db.prepare(QStringLiteral(
        "SELECT last_uid FROM bounce_mailbox WHERE mailbox = ? AND uid_validity = ?"));
    q.addBindValue(mailbox);
    q.addBindValue(qint64(uidValidity));
    if (Status s = m_db.exec(q); !s)
        return s.error();
    return q.next() ? quint32(q.value(0).toLongLong()) : 0u;
}

Status BounceService::setLastUid(const QString &mailbox, quint32 uidValidity, quint32 uid)
{
    QSqlQuery q = m_db.prepare(QStringLiteral(
        "INSERT INTO bounce_mailbox (mailbox, uid_validity, last_uid, checked_at) VALUES (?, ?, ?, "
        "?) ON CONFLICT (mailbox, uid_validity) DO UPDATE SET last_uid = excluded.last_uid, "
        "checked_at = excluded.checked_at"));
    q.addBindValue(mailbox);
    q.addBindValue(qint64(uidValidity));
    q.addBindValue(qint64(uid));
    q.addBindValue(m_clock.nowMs());
    return m_db.exec(q);
}

Result<ImapSettings> BounceService::imapSettings(const OrgSettings &settings, const Sealer &sealer)
{
    ImapSettings s;
    const auto security = parseSmtpSecurity(settings.imapSecurity);
    if (settings.imapHost.isEmpty() || !security)
        return makeError(ErrorKind::Mail,
                         tr("The bounce mailbox is not configured: run \"rosterctl bounces "
                            "configure --host …\"."));
    s.host = settings.imapHost;
    s.port = quint16(settings.imapPort);
    s.security = *security;
    s.username = settings.imapUser;
    s.mailbox = settings.imapMailbox.isEmpty() ? QStringLiteral("INBOX") : settings.imapMailbox;
    s.caFile = settings.imapCaFile;
    s.allowPlainAuth = settings.imapAllowPlainAuth;
    if (!settings.imapPasswordSealed.isEmpty()) {
        auto pw = sealer.unseal(settings.imapPasswordSealed, imapPasswordContext);
        if (!pw)
            return makeError(ErrorKind::Mail,
                             tr("The IMAP password was saved on another computer (its key file "
                                "is missing here): enter it again."));
        s.password = QString::fromUtf8(*pw);
    }
    if (const auto timeout = testhooks::smtpTimeoutMs()) { // test builds only
        s.connectTimeoutMs = *timeout;
        s.replyTimeoutMs = *timeout;
    }
    if (const auto cap = testhooks::imapMaxMessages()) // test builds only
        s.maxMessages = *cap;
    return s;
}

Result<BounceFetchResult> BounceService::fetch(const OrgSettings &settings, const Sealer &sealer,
                                               const std::function<bool()> &cancelled)
{
    auto imap = imapSettings(settings, sealer);
    if (!imap)
        return imap.error();
    const QString mailbox = imap->mailbox;
    BounceFetchResult result;
    std::optional<Error> dbError;
    ImapClient client(imap.value());
    QEventLoop loop;
    QObject::connect(&client, &ImapClient::finished, &loop, &QEventLoop::quit);
    QTimer watch;
    if (cancelled) {
        watch.setInterval(20);
        QObject::connect(&watch, &QTimer::timeout, &client, [&] {
            if (!client.isFinished() && cancelled())
                client.abort();
        });
        watch.start();
    }
    client.start(
        [&](quint32 uidValidity) -> quint32 {
            auto mark = lastUid(mailbox, uidValidity);
            if (!mark) {
                dbError = mark.error();
                return 0;
            }
            return mark.value();
        },
        [&](quint32 uid, const QByteArray &message) {
            if (dbError)
                return false;
            auto line = apply(message, settings.bounceAddress);
            if (!line) {
                dbError = line.error();
                QMetaObject::invokeMethod(
                    &client, [&client] { client.abort(); }, Qt::QueuedConnection);
                return false;
            }
            BounceLine l = line.value();
            l.uid = uid;
            result.lines.append(l);
            return l.flagSeen();
        });
    if (!client.isFinished())
        loop.exec();
    if (dbError)
        return *dbError;
    if (client.error() != ImapClient::Error::NoError)
        return makeError(ErrorKind::Mail, client.errorString());
    const ImapClient::Summary sum = client.summary();
    if (Status s = setLastUid(mailbox, sum.uidValidity, sum.highestUid); !s)
        return s.error();
    qCDebug(lcImap) << "high-water mark kept:" << sum.uidValidity << sum.highestUid;
    result.flagged = sum.flagged;
    result.more = sum.more;
    return result;
}

} // namespace roster
