#pragma once

#include "app/clock.h"
#include "app/mail/mailtransport.h"
#include "models/database.h"

#include <QList>
#include <QLoggingCategory>
#include <QString>

Q_DECLARE_LOGGING_CATEGORY(lcOutbox)

namespace roster {

class Sealer;
struct OrgSettings;

QByteArray makeMessageId(const QString &senderAddress);
QString invitationLink(const QString &acceptUrl, const QByteArray &token);

struct OutboxEntry
{
    qint64 id = 0;
    QString kind; // invitation | test
    qint64 userId = 0;
    QString recipient;
    QString messageId;
    QString state; // queued | sending | sent | deferred | failed | cancelled
    int attempts = 0;
    qint64 createdAt = 0;
    qint64 nextAttemptAt = 0;
    QString lastReply;
    qint64 sentAt = 0;
};

// What became of one message in a delivery run.
struct DeliveryReport
{
    qint64 outboxId = 0;
    qint64 userId = 0;
    QString recipient;
    QString state; // sent | deferred | failed
    QString reply;
    bool connectionError = false;
    qint64 nextAttemptAt = 0;
};

// SPEC §3: queued → sent | deferred (retry at next_attempt_at) | failed. Rows are claimed
// atomically (state 'sending', with the claimer's name) before they are sent, so two processes
// never send one message, and a crash leaves them to be retried with the same Message-ID.
class Outbox
{
public:
    static constexpr qint64 firstRetryMs = 60 * 1000;
    static constexpr qint64 maxRetryMs = 60 * 60 * 1000;
    static constexpr qint64 giveUpAfterMs = 5 * 24 * 60 * 60 * 1000LL;
    static constexpr qint64 staleClaimMs = 15 * 60 * 1000;

    Outbox(Database &db, const Clock &clock);

    // The wait before attempt n+1 after n failed attempts: 1 min doubling, capped at 1 h.
    static qint64 retryDelayMs(int failedAttempts);
    // This process's name in claimed_by.
    static QString workerName();

    Result<qint64> enqueueTest(const OrgSettings &settings, const QString &to);
    Result<QList<OutboxEntry>> list(const QString &state = {}, int limit = 1000) const;
    // Claims every due message (or only `onlyIds`, when due), renders it, hands it to the
    // transport `batchSize` at a time, and records each result. Stops early when the transport
    // reports a connection error (the rest stay queued for the next run).
    Result<QList<DeliveryReport>> deliverDue(MailTransport &transport, const Sealer &sealer,
                                             int batchSize = 200,
                                             const QList<qint64> &onlyIds = {});
    // Messages in 'sending' whose claimer died (same host, process gone) or went quiet for
    // staleClaimMs go back to the queue.
    Status recoverStaleClaims();
    Result<qint64> countDue() const;

private:
    struct Claimed;
    Result<QList<Claimed>> claim(int max, const QList<qint64> &onlyIds);
    Status record(const Claimed &c, const DeliveryResult &r, DeliveryReport *report);

    Database &m_db;
    const Clock &m_clock;
};

} // namespace roster
