#include "app/outboxworker.h"

#include "app/bounceservice.h"
#include "app/mailsetup.h"
#include "app/orgsettings.h"
#include "app/sealer.h"
#include "app/userservice.h"

#include <QCoreApplication>
#include <QSet>
#include <QTimer>

#include <memory>
#include <optional>

namespace roster {

struct OutboxWorker::Link
{
    QMutex mutex;
    OutboxWorker *owner = nullptr; // guarded by mutex
};

// The clock a runner reads: its worker's while the worker waits for it, the system's once a stop
// gave up on it (the worker, and the clock it was given, may be gone by the time it wakes).
class OutboxWorker::LinkedClock final : public Clock
{
public:
    explicit LinkedClock(std::shared_ptr<Link> link) : m_link(std::move(link)) {}
    qint64 nowMs() const override
    {
        QMutexLocker lock(&m_link->mutex);
        return m_link->owner ? m_link->owner->m_clock.nowMs() : m_system.nowMs();
    }

private:
    std::shared_ptr<Link> m_link;
    SystemClock m_system;
};

// Lives on the worker thread: everything it touches (connection, timer, transport) is created
// and destroyed there.
class OutboxWorker::Runner final : public QObject
{
public:
    Runner(std::shared_ptr<Link> link, QString location, std::shared_ptr<std::atomic_bool> stopping,
           std::shared_ptr<std::atomic_bool> abort)
        : m_link(link), m_location(std::move(location)), m_clock(std::move(link)),
          m_stopping(std::move(stopping)), m_abort(std::move(abort))
    {}

    void startOnThread(int intervalMs, int bounceIntervalMs)
    {
        m_timer = new QTimer(this);
        m_timer->setInterval(intervalMs);
        QObject::connect(m_timer, &QTimer::timeout, this, [this] { run({}, false); });
        m_timer->start();
        m_bounceTimer = new QTimer(this);
        m_bounceTimer->setInterval(bounceIntervalMs);
        QObject::connect(m_bounceTimer, &QTimer::timeout, this, [this] { fetchBounces(); });
        m_bounceTimer->start();
        m_bouncesWanted = true;
        run({}, false);
    }

    // A reading of the bounce mailbox, folded into the runs like a delivery: after the one in
    // progress, if any.
    void fetchBounces()
    {
        m_bouncesWanted = true;
        run({}, false);
    }

    // The stop request, answered between runs: a run in progress (e.g. inside the keyring's
    // wait, which handles events) ends first.
    void stopOnThread()
    {
        if (m_busy) {
            m_stopAfterRun = true;
            return;
        }
        delete m_timer;
        m_timer = nullptr;
        delete m_bounceTimer;
        m_bounceTimer = nullptr;
        m_db.reset();
        QThread::currentThread()->quit();
    }

    void run(const QList<qint64> &ids, bool requested)
    {
        if (m_stopping->load())
            return;
        if (m_busy) {
            // Asked again during a run: once more afterwards, with everything that was asked.
            m_again = true;
            m_againRequested = m_againRequested || requested;
            m_againAll = m_againAll || ids.isEmpty();
            m_againIds += ids;
            return;
        }
        m_busy = true;
        runOnce(ids, requested);
        if (m_bouncesWanted && !m_stopping->load()) {
            m_bouncesWanted = false;
            readBounceMailbox();
        }
        m_busy = false;
        toOwner([&](OutboxWorker *o) { emit o->runFinished(); });
        if (m_stopAfterRun) {
            stopOnThread();
            return;
        }
        if (m_again && !m_stopping->load()) {
            const QList<qint64> again = m_againAll ? QList<qint64>() : m_againIds;
            const bool againRequested = m_againRequested;
            m_again = m_againRequested = m_againAll = false;
            m_againIds.clear();
            QMetaObject::invokeMethod(
                this, [this, again, againRequested] { run(again, againRequested); },
                Qt::QueuedConnection);
        }
    }

private:
    // The worker, while it still waits for this thread (a stop that gave up on a run stuck on
    // the database leaves the runner to finish alone: it then reports to no one).
    template <typename F> void toOwner(F f)
    {
        QMutexLocker lock(&m_link->mutex);
        if (m_link->owner)
            f(m_link->owner);
    }

    void runOnce(const QList<qint64> &ids, bool requested)
    {
        if (!m_db) {
            auto db = Database::open(m_location, Database::OpenMode::MustExist);
            if (!db) {
                toOwner([&](OutboxWorker *o) { emit o->failed(db.error().message); });
                return;
            }
            m_db = std::move(db).value();
        } else if (Status s = m_db->reconnectIfNeeded(); !s) {
            // PostgreSQL went away: say so once per run, try again at the next one.
            toOwner([&](OutboxWorker *o) { emit o->failed(s.error().message); });
            return;
        }
        qint64 actorId = 0;
        toOwner([&](OutboxWorker *o) {
            QMutexLocker lock(&o->m_configLock);
            actorId = o->m_actorId;
        });
        QList<qint64> reminded;
        if (actorId) {
            // Reminders go through the same rules, audit and outbox as a re-invite.
            InvitationService service(*m_db, m_clock, actorId);
            auto queued = service.sendDueReminders();
            if (!queued) {
                toOwner([&](OutboxWorker *o) { emit o->failed(queued.error().message); });
            } else {
                for (const InviteOutcome &o : queued.value())
                    reminded.append(o.user.id);
            }
            if (!reminded.isEmpty()) {
                toOwner([&](OutboxWorker *o) { emit o->remindersQueued(reminded); });
                toOwner([&](OutboxWorker *o) { emit o->usersChanged(reminded); });
            }
        }
        Outbox outbox(*m_db, m_clock);
        if (!requested) {
            // Periodic runs: do not build a transport (or reach a server) for an empty queue.
            auto due = outbox.countDue();
            if (!due) {
                toOwner([&](OutboxWorker *o) { emit o->failed(due.error().message); });
                return;
            }
            if (due.value() == 0)
                return;
        }
        auto settings = OrgSettings::load(*m_db);
        if (!settings) {
            toOwner([&](OutboxWorker *o) { emit o->failed(settings.error().message); });
            return;
        }
        if (Status s = ensureSealer(); !s) {
            toOwner([&](OutboxWorker *o) { emit o->failed(s.error().message); });
            return;
        }
        auto transport = makeTransport(settings.value(), *m_sealer);
        if (!transport) {
            toOwner([&](OutboxWorker *o) { emit o->failed(transport.error().message); });
            return;
        }
        transport.value()->setAbortFlag(m_abort);
        auto reports = outbox.deliverDue(*transport.value(), *m_sealer, 200, ids);
        if (!reports) {
            toOwner([&](OutboxWorker *o) { emit o->failed(reports.error().message); });
            return;
        }
        if (reports->isEmpty())
            return;
        QList<qint64> users;
        QSet<qint64> seen;
        int deferred = 0;
        QString reply;
        qint64 nextAttempt = 0;
        for (const DeliveryReport &r : reports.value()) {
            if (r.userId && !seen.contains(r.userId)) {
                seen.insert(r.userId);
                users.append(r.userId);
            }
            if (r.state == u"deferred") {
                ++deferred;
                reply = r.reply;
                nextAttempt =
                    nextAttempt ? std::min(nextAttempt, r.nextAttemptAt) : r.nextAttemptAt;
            }
        }
        toOwner([&](OutboxWorker *o) { emit o->delivered(reports.value()); });
        if (deferred)
            toOwner(
                [&](OutboxWorker *o) { emit o->deliveryDeferred(deferred, reply, nextAttempt); });
        if (!users.isEmpty())
            toOwner([&](OutboxWorker *o) { emit o->usersChanged(users); });
    }

    Status ensureSealer()
    {
        if (m_sealer)
            return ok();
        auto s = Sealer::forDatabase(*m_db);
        if (!s)
            return s.error();
        m_sealer = s.value();
        return ok();
    }

    // SPEC §9 in the console: one session with the bounce mailbox, when there is one.
    void readBounceMailbox()
    {
        if (!m_db)
            return; // the run could not open the database; it said so
        auto settings = OrgSettings::load(*m_db);
        if (!settings || settings->imapHost.isEmpty())
            return; // no mailbox: nothing to read (a database error was the run's to report)
        if (Status s = ensureSealer(); !s) {
            toOwner([&](OutboxWorker *o) { emit o->bounceFetchFailed(s.error().message); });
            return;
        }
        const auto stopping = m_stopping;
        const auto abort = m_abort;
        BounceService service(*m_db, m_clock);
        auto result = service.fetch(settings.value(), *m_sealer, [stopping, abort] {
            return stopping->load() || abort->load();
        });
        if (m_stopping->load())
            return; // cancelled by the stop: what was applied stays, the rest is read next time
        if (!result) {
            toOwner([&](OutboxWorker *o) { emit o->bounceFetchFailed(result.error().message); });
            return;
        }
        int reports = 0;
        QList<qint64> users;
        QSet<qint64> seen;
        for (const BounceLine &l : result->lines) {
            if (!l.isReport())
                continue;
            ++reports;
            if (l.userId && !seen.contains(l.userId)) {
                seen.insert(l.userId);
                users.append(l.userId);
            }
        }
        if (!users.isEmpty())
            toOwner([&](OutboxWorker *o) { emit o->usersChanged(users); });
        toOwner([&](OutboxWorker *o) { emit o->bouncesFetched(reports, users); });
    }

    std::shared_ptr<Link> m_link;
    QString m_location;
    LinkedClock m_clock;
    std::unique_ptr<Database> m_db;
    std::optional<Sealer> m_sealer;
    QTimer *m_timer = nullptr;
    QTimer *m_bounceTimer = nullptr;
    bool m_bouncesWanted = false;
    std::shared_ptr<std::atomic_bool> m_stopping;
    std::shared_ptr<std::atomic_bool> m_abort;
    bool m_busy = false;
    bool m_stopAfterRun = false;
    bool m_again = false;
    bool m_againRequested = false;
    bool m_againAll = false;
    QList<qint64> m_againIds;
};

OutboxWorker::OutboxWorker(QString location, const Clock &clock, QObject *parent)
    : QObject(parent), m_location(std::move(location)), m_clock(clock)
{
    qRegisterMetaType<roster::DeliveryReport>();
    qRegisterMetaType<QList<roster::DeliveryReport>>();
}

OutboxWorker::~OutboxWorker()
{
    stop();
}

bool OutboxWorker::isRunning() const
{
    return m_thread && m_thread->isRunning();
}

void OutboxWorker::start(int intervalMs, int bounceIntervalMs)
{
    if (isRunning())
        return;
    m_stopping = std::make_shared<std::atomic_bool>(false);
    m_abort = std::make_shared<std::atomic_bool>(false);
    m_link = std::make_shared<Link>();
    m_link->owner = this;
    m_thread = new QThread;
    m_thread->setObjectName(QStringLiteral("roster-outbox"));
    m_runner = new Runner(m_link, m_location, m_stopping, m_abort);
    m_runner->moveToThread(m_thread);
    // Destroyed on its thread, where its connection was made, whenever that thread ends.
    Runner *runner = m_runner;
    connect(
        m_thread, &QThread::finished, runner, [runner] { delete runner; }, Qt::DirectConnection);
    m_thread->start();
    QMetaObject::invokeMethod(
        runner,
        [runner, intervalMs, bounceIntervalMs] {
            runner->startOnThread(intervalMs, bounceIntervalMs);
        },
        Qt::QueuedConnection);
}

void OutboxWorker::stop()
{
    if (!m_thread)
        return;
    // No new run starts from here on; the thread answers the request once the run in progress
    // (if any) has ended, and closes its connection there.
    m_stopping->store(true);
    Runner *runner = m_runner;
    QMetaObject::invokeMethod(
        runner, [runner] { runner->stopOnThread(); }, Qt::QueuedConnection);
    bool ended = m_thread->wait(QDeadlineTimer(stopGraceMs));
    if (!ended) {
        // Still talking to the mail server: abort the session; what it had not sent is deferred.
        m_abort->store(true);
        ended = m_thread->wait(QDeadlineTimer(abortWaitMs));
    }
    if (ended) {
        delete m_thread;
    } else {
        // Stuck on the database (a server that stopped answering): leave the thread to end on
        // its own, reporting to no one; what it had claimed is recovered as a stale claim.
        qCWarning(lcOutbox) << "delivery thread still waiting on the database; not waiting for it";
        {
            QMutexLocker lock(&m_link->mutex);
            m_link->owner = nullptr;
        }
        QThread *thread = m_thread;
        connect(thread, &QThread::finished, thread, &QObject::deleteLater);
    }
    m_thread = nullptr;
    m_runner = nullptr;
}

void OutboxWorker::setActor(qint64 userId)
{
    QMutexLocker lock(&m_configLock);
    m_actorId = userId;
}

void OutboxWorker::fetchBouncesNow()
{
    if (!isRunning())
        return;
    QMetaObject::invokeMethod(
        m_runner, [r = m_runner] { r->fetchBounces(); }, Qt::QueuedConnection);
}

void OutboxWorker::deliverNow(const QList<qint64> &outboxIds)
{
    if (!isRunning())
        return;
    QMetaObject::invokeMethod(
        m_runner, [r = m_runner, outboxIds] { r->run(outboxIds, true); }, Qt::QueuedConnection);
}

} // namespace roster
