#pragma once

#include "app/clock.h"
#include "app/outbox.h"

#include <QList>
#include <QMetaType>
#include <QObject>
#include <QString>
#include <QThread>

Q_DECLARE_METATYPE(roster::DeliveryReport)

namespace roster {

// Delivers the outbox in the background while the console is open (SPEC §3): on its own thread,
// with its own database connection (QtSql connections must not cross threads), every few seconds
// and whenever asked. Transports block (MailTransport::deliver), which is why this is a thread and
// not a timer on the GUI thread. What became of each message, and which users' rows changed, come
// back as queued signals.
class OutboxWorker final : public QObject
{
    Q_OBJECT

public:
    static constexpr int defaultIntervalMs = 30 * 1000;

    // `location` is the database to open on the worker thread (Database::location()); `clock`
    // must be safe to read from another thread and outlive the worker.
    explicit OutboxWorker(QString location, const Clock &clock = processClock(),
                          QObject *parent = nullptr);
    ~OutboxWorker() override;

    // Starts the thread and the periodic runs (the first at once).
    void start(int intervalMs = defaultIntervalMs);
    // Finishes the run in progress and stops the thread; the queue stays for the next start.
    void stop();
    bool isRunning() const { return m_thread.isRunning(); }

    // Delivers these outbox rows now if they are due (every due row when empty).
    void deliverNow(const QList<qint64> &outboxIds = {});

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

private:
    class Runner;
    QString m_location;
    const Clock &m_clock;
    QThread m_thread;
    Runner *m_runner = nullptr;
};

} // namespace roster
