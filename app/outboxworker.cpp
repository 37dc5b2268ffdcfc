#include "app/outboxworker.h"

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

// Lives on the worker thread: everything it touches (connection, timer, transport) is created
// and destroyed there.
class OutboxWorker::Runner final : public QObject
{
public:
    Runner(OutboxWorker *owner, QString location, const Clock &clock,
           std::shared_ptr<std::atomic_bool> stopping, std::shared_ptr<std::atomic_bool> abort)
        : m_owner(owner), m_location(std::move(location)), m_clock(clock),
          m_stopping(std::move(stopping)), m_abort(std::move(abort))
    {}

    void startOnThread(int intervalMs)
    {
        m_timer = new QTimer(this);
        m_timer->setInterval(intervalMs);
        QObject::connect(m_timer, &QTimer::timeout, this, [this] { run({}, false); });
        m_timer->start();
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
        m_busy = false;
        emit m_owner->runFinished();
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
    void runOnce(const QList<qint64> &ids, bool requested)
    {
        if (!m_db) {
            auto db = Database::open(m_location, Database::OpenMode::MustExist);
            if (!db) {
                emit m_owner->failed(db.error().message);
                return;
            }
            m_db = std::move(db).value();
        } else if (Status s = m_db->reconnectIfNeeded(); !s) {
            // PostgreSQL went away: say so once per run, try again at the next one.
            emit m_owner->failed(s.error().message);
            return;
        }
        qint64 actorId = 0;
        PasswordSource passwordSource;
        {
            QMutexLocker lock(&m_owner->m_configLock);
            actorId = m_owner->m_actorId;
            passwordSource = m_owner->m_passwordSource;
        }
        QList<qint64> reminded;
        if (actorId) {
            // Reminders go through the same rules, audit and outbox as a re-invite.
            UserService service(*m_db, m_clock, actorId);
            auto queued = service.sendDueReminders();
            if (!queued) {
                emit m_owner->failed(queued.error().message);
            } else {
                for (const InviteOutcome &o : queued.value())
                    reminded.append(o.user.id);
            }
            if (!reminded.isEmpty()) {
                emit m_owner->remindersQueued(reminded);
                emit m_owner->usersChanged(reminded);
            }
        }
        Outbox outbox(*m_db, m_clock);
        if (!requested) {
            // Periodic runs: do not build a transport (or reach a server) for an empty queue.
            auto due = outbox.countDue();
            if (!due) {
                emit m_owner->failed(due.error().message);
                return;
            }
            if (due.value() == 0)
                return;
        }
        auto settings = OrgSettings::load(*m_db);
        if (!settings) {
            emit m_owner->failed(settings.error().message);
            return;
        }
        if (!m_sealer) {
            auto s = Sealer::forDatabase(m_db->databaseId());
            if (!s) {
                emit m_owner->failed(s.error().message);
                return;
            }
            m_sealer = s.value();
        }
        OrgSettings effective = settings.value();
        if (passwordSource && effective.transport == u"smtp" && !effective.smtpUser.isEmpty()) {
            // The keyring first; sealed for makeTransport, which unseals it at once.
            if (auto pw = passwordSource(m_db->databaseId()))
                effective.smtpPasswordSealed = m_sealer->seal(*pw, smtpPasswordContext);
        }
        auto transport = makeTransport(effective, *m_sealer);
        if (!transport) {
            emit m_owner->failed(transport.error().message);
            return;
        }
        transport.value()->setAbortFlag(m_abort);
        auto reports = outbox.deliverDue(*transport.value(), *m_sealer, 200, ids);
        if (!reports) {
            emit m_owner->failed(reports.error().message);
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
        emit m_owner->delivered(reports.value());
        if (deferred)
            emit m_owner->deliveryDeferred(deferred, reply, nextAttempt);
        if (!users.isEmpty())
            emit m_owner->usersChanged(users);
    }

    OutboxWorker *m_owner;
    QString m_location;
    const Clock &m_clock;
    std::unique_ptr<Database> m_db;
    std::optional<Sealer> m_sealer;
    QTimer *m_timer = nullptr;
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
    m_thread.setObjectName(QStringLiteral("roster-outbox"));
}

OutboxWorker::~OutboxWorker()
{
    stop();
}

void OutboxWorker::start(int intervalMs)
{
    if (m_thread.isRunning())
        return;
    m_stopping = std::make_shared<std::atomic_bool>(false);
    m_abort = std::make_shared<std::atomic_bool>(false);
    m_runner = new Runner(this, m_location, m_clock, m_stopping, m_abort);
    m_runner->moveToThread(&m_thread);
    m_thread.start();
    QMetaObject::invokeMethod(
        m_runner, [r = m_runner, intervalMs] { r->startOnThread(intervalMs); },
        Qt::QueuedConnection);
}

void OutboxWorker::stop()
{
    if (!m_thread.isRunning())
        return;
    // No new run starts from here on; the thread answers the request once the run in progress
    // (if any) has ended, and closes its connection there.
    m_stopping->store(true);
    QMetaObject::invokeMethod(
        m_runner, [r = m_runner] { r->stopOnThread(); }, Qt::QueuedConnection);
    if (!m_thread.wait(QDeadlineTimer(stopGraceMs))) {
        // Still talking to the mail server: abort the session; what it had not sent is deferred.
        m_abort->store(true);
        m_thread.wait();
    }
    // The thread's loop has ended and the runner has no timer left: nothing can reach it now.
    delete m_runner;
    m_runner = nullptr;
}

void OutboxWorker::setActor(qint64 userId)
{
    QMutexLocker lock(&m_configLock);
    m_actorId = userId;
}

void OutboxWorker::setSmtpPasswordSource(PasswordSource source)
{
    QMutexLocker lock(&m_configLock);
    m_passwordSource = std::move(source);
}

void OutboxWorker::deliverNow(const QList<qint64> &outboxIds)
{
    if (!m_thread.isRunning())
        return;
    QMetaObject::invokeMethod(
        m_runner, [r = m_runner, outboxIds] { r->run(outboxIds, true); }, Qt::QueuedConnection);
}

} // namespace roster
