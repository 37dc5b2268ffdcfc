#pragma once

#include "app/clock.h"
#include "app/outbox.h"

#include <QList>
#include <QMetaType>
#include <QMutex>
#include <QObject>
#include <QString>
#include <QThread>

#include <atomic>
#include <functional>
#include <memory>
#include <optional>

Q_DECLARE_METATYPE(roster::DeliveryReport)

namespace roster {

// Delivers the outbox in the background while the console is open (SPEC §3): on its own thread,
// with its own database connection (QtSql connections must not cross threads), every few seconds
// and whenever asked. Transports block (MailTransport::deliver), which is why this is a thread and
// not a timer on the GUI thread. What became of each message, and which users' rows changed, come
// back as queued signals.
//
// One run at a time: a periodic tick or a deliverNow() that arrives while a run is in progress is
// folded into one more run after it, never started inside it. stop() is a request the thread
// answers between runs; a run still waiting on the mail server after stopGraceMs is told to give
// up (its unsent messages are deferred, i.e. kept for a retry), so quitting never waits for a
// whole SMTP session (issue 13, point 14).
//
// When the organisation has a bounce mailbox (SPEC §9), the same thread reads it every
// bounceIntervalMs (and at start) with BounceService, between delivery runs, never inside one;
// the users whose invitations bounced come back through usersChanged(), so their rows turn red
// live. A stop ends a fetch in progress at once: what it applied stays, the rest is read next
// time.
class OutboxWorker final : public QObject
{
    Q_OBJECT

public:
    static constexpr int defaultIntervalMs = 30 * 1000;
    // How long stop() lets a delivery in progress finish before it asks the transport to abort,
    // and how long it then waits for the thread before leaving it (stuck on the database).
    static constexpr int stopGraceMs = 1500;
    static constexpr int abortWaitMs = 500;
    static constexpr int defaultBounceIntervalMs = 5 * 60 * 1000;

    // `location` is the database to open on the worker thread (Database::location()); `clock`
    // must be safe to read from another thread and outlive the worker.
    explicit OutboxWorker(QString location, const Clock &clock = processClock(),
                          QObject *parent = nullptr);
    ~OutboxWorker() override;

    // Starts the thread and the periodic runs (the first at once), and the bounce mailbox's
    // reading every bounceIntervalMs (the first at once too) when one is configured.
    void start(int intervalMs = defaultIntervalMs, int bounceIntervalMs = defaultBounceIntervalMs);
    // Stops the thread; the queue stays for the next start. A run in progress gets stopGraceMs
    // to finish, then its SMTP session is aborted and what it had not sent is deferred. A run
    // still stuck after abortWaitMs (on a database that stopped answering) is left to end on its
    // own, unheard; the mail it had claimed is recovered later as a stale claim.
    void stop();
    bool isRunning() const;

    // Delivers these outbox rows now if they are due (every due row when empty).
    void deliverNow(const QList<qint64> &outboxIds = {});
    // Reads the bounce mailbox now (after the run in progress, if any).
    void fetchBouncesNow();

    // The signed-in administrator the automatic reminders (OrgSettings::reminderDaysBefore) are
    // sent as; 0, the default, sends none. Each run queues the due reminders first (issue 8).
    void setActor(qint64 userId);

signals:
    // One run's results: only runs that handled at least one message report.
    void delivered(const QList<roster::DeliveryReport> &reports);
    // Users whose latest invitation mail changed state in a run.
    void usersChanged(const QList<qint64> &userIds);
    // The run could not start or stopped early (bad mail settings, database error); the mail
    // stays queued.
    void failed(const QString &message);
    // A run ended, whatever it did (tests wait on this).
    void runFinished();
    // Automatic reminders queued in a run (their delivery is reported by delivered()).
    void remindersQueued(const QList<qint64> &userIds);
    // Messages in this run were deferred: the server is unavailable, delivery retries on its own.
    // `nextAttemptAt` is the earliest retry (ms since the epoch).
    void deliveryDeferred(int count, const QString &reply, qint64 nextAttemptAt);
    // A reading of the bounce mailbox ended: `reports` recognised (bounces, delays, ...),
    // `userIds` the users they concern (also sent by usersChanged()).
    void bouncesFetched(int reports, const QList<qint64> &userIds);
    // The bounce mailbox could not be read (settings, connection, sign-in); tried again later.
    void bounceFetchFailed(const QString &message);

private:
    class Runner;
    struct Link;
    class LinkedClock;
    QString m_location;
    const Clock &m_clock;
    QThread *m_thread = nullptr;
    Runner *m_runner = nullptr;
    std::shared_ptr<Link> m_link;
    // Shared with the runner and its transports: stop() sets them from the GUI thread.
    std::shared_ptr<std::atomic_bool> m_stopping;
    std::shared_ptr<std::atomic_bool> m_abort;
    // Set from the GUI thread, read by the runner at each run.
    mutable QMutex m_configLock;
    qint64 m_actorId = 0;
};

} // namespace roster
