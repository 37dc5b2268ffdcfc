#pragma once

#include "app/clock.h"
#include "app/mail/mailtransport.h"
#include "app/outboxmail.h"
#include "models/database.h"

#include <QList>
#include <QLoggingCategory>
#include <QString>

Q_DECLARE_LOGGING_CATEGORY(lcOutbox)

namespace roster {

class Sealer;
struct OrgSettings;

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
    // The message's claim was no longer this run's when its result came (another sender judged
    // this one dead and took it): the result was not written, and the message may arrive twice.
    bool claimLost = false;
};

// SPEC §3: queued → sent | deferred (retry at next_attempt_at) | failed. Rows are claimed
// atomically (state 'sending', with the claimer's name) before they are sent, so two processes
// never send one message, and a crash leaves them to be retried with the same Message-ID.
//
// A claim is taken back only from a sender known to be dead, never by reading a clock against
// another machine's: on one host, its process is gone; on PostgreSQL, the session-level advisory
// lock its Outbox holds on its own connection (key in claimed_by) is free; otherwise (an older
// version's claim, or SQLite on another host) its lease ran out: staleClaimMs without a
// heartbeat, both measured by the database's clock. Each result is written (in a transaction of
// its own) as soon as the transport has it, so a crash resends at most the message in flight.
class Outbox
{
public:
    static constexpr qint64 firstRetryMs = 60 * 1000;
    static constexpr qint64 maxRetryMs = 60 * 60 * 1000;
    static constexpr qint64 giveUpAfterMs = 5 * 24 * 60 * 60 * 1000LL;
    static constexpr qint64 staleClaimMs = 15 * 60 * 1000;

    Outbox(Database &db, const Clock &clock);
    ~Outbox();
    Outbox(const Outbox &) = delete;
    Outbox &operator=(const Outbox &) = delete;

    // The wait before attempt n+1 after n failed attempts: 1 min doubling, capped at 1 h.
    static qint64 retryDelayMs(int failedAttempts);
    // This process's name ("host:pid"); claimed_by is this name, then ':' and this Outbox's key.
    static QString workerName();
    QString claimerName() const { return m_claimer; }

    Result<qint64> enqueueTest(const OrgSettings &settings, const QString &to);
    Result<QList<OutboxEntry>> list(const QString &state = {}, int limit = 1000) const;
    // Claims every due message (or only `onlyIds`, when due), renders it, hands it to the
    // transport `batchSize` at a time, and records each result. Stops early when the transport
    // reports a connection error (the rest stay queued for the next run). On an error, *partial
    // (when given) gets the results written before it.
    Result<QList<DeliveryReport>> deliverDue(MailTransport &transport, const Sealer &sealer,
                                             int batchSize = 200, const QList<qint64> &onlyIds = {},
                                             QList<DeliveryReport> *partial = nullptr);
    // Messages in 'sending' whose claimer is known dead (see above) go back to the queue.
    Status recoverStaleClaims();
    Result<qint64> countDue() const;

private:
    struct Run;
    Result<QList<ClaimedMail>> claim(int max, const QList<qint64> &onlyIds);
    Status record(const ClaimedMail &c, const DeliveryResult &r, DeliveryReport *report, Run &run);
    // Writes one result in a transaction of its own, with the users' change notice.
    Status recordNow(const ClaimedMail &c, const DeliveryResult &r, DeliveryReport *report,
                     Run &run);
    Status holdLock();
    void heartbeat();
    QString dbNow() const;

    Database &m_db;
    const Clock &m_clock;
    qint64 m_key = 0;
    QString m_claimer;
    int m_locks = 0; // times this connection took the advisory lock (PostgreSQL)
    qint64 m_lastBeat = 0;
};

} // namespace roster
