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
    Runner(OutboxWorker *owner, QString location, const Clock &clock)
        : m_owner(owner), m_location(std::move(location)), m_clock(clock)
    {}

    void startOnThread(int intervalMs)
    {
        m_timer = new QTimer(this);
        m_timer->setInterval(intervalMs);
        QObject::connect(m_timer, &QTimer::timeout, this, [this] { run({}, false); });
        m_timer->start();
        run({}, false);
    }

    void stopOnThread()
    {
        delete m_timer;
        m_timer = nullptr;
        m_db.reset();
    }

    void run(const QList<qint64> &ids, bool requested)
    {
        runOnce(ids, requested);
        emit m_owner->runFinished();
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
            auto s = Sealer::forDatabase(*m_db);
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
    m_runner = new Runner(this, m_location, m_clock);
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
    QMetaObject::invokeMethod(
        m_runner, [r = m_runner] { r->stopOnThread(); }, Qt::BlockingQueuedConnection);
    m_thread.quit();
    m_thread.wait();
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
