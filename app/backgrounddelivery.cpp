#include "app/backgrounddelivery.h"

#include "app/mailsetup.h"
#include "app/orgsettings.h"
#include "app/sealer.h"

#include <QSqlQuery>

#include <condition_variable>
#include <mutex>

namespace roster {

struct BackgroundDelivery::Shared
{
    Shared(QString l, const Clock &c, Sealer s, OrgSettings o)
        : location(std::move(l)), clock(c), sealer(std::move(s)), settings(std::move(o))
    {}
    const QString location;
    const Clock &clock;
    const Sealer sealer;
    const OrgSettings settings;
    qint64 watermark = 0;

    std::mutex mutex;
    std::condition_variable changed;
    QList<qint64> pending; // users whose batch committed, not yet handed to deliverDue()
    bool finishing = false;
    QList<DeliveryReport> reports;
    QString error;
};

BackgroundDelivery::BackgroundDelivery(QString location, const Clock &clock, const Sealer &sealer,
                                       const OrgSettings &settings)
    : m_shared(std::make_shared<Shared>(std::move(location), clock, sealer, settings))
{}

BackgroundDelivery::~BackgroundDelivery()
{
    (void)finish();
}

Status BackgroundDelivery::start(Database &db)
{
    QSqlQuery q = db.prepare(QStringLiteral("SELECT COALESCE(max(id), 0) FROM outbox"));
    if (Status s = db.exec(q); !s)
        return s;
    m_shared->watermark = q.next() ? q.value(0).toLongLong() : 0;
    q.finish();
    m_thread = std::thread([this] { run(); });
    return ok();
}

void BackgroundDelivery::committed(const QList<qint64> &userIds)
{
    if (userIds.isEmpty())
        return;
    {
        std::lock_guard lock(m_shared->mutex);
        m_shared->pending += userIds;
    }
    m_shared->changed.notify_one();
}

QList<DeliveryReport> BackgroundDelivery::finish(QString *error)
{
    if (m_thread.joinable()) {
        {
            std::lock_guard lock(m_shared->mutex);
            m_shared->finishing = true;
        }
        m_shared->changed.notify_one();
        m_thread.join();
    }
    std::lock_guard lock(m_shared->mutex);
    if (error)
        *error = m_shared->error;
    return m_shared->reports;
}

void BackgroundDelivery::run()
{
    Shared &sh = *m_shared;
    const auto failed = [&sh](const QString &message) {
        std::lock_guard lock(sh.mutex);
        sh.error = message;
    };
    auto db = Database::open(sh.location);
    if (!db) {
        failed(db.error().message);
        return;
    }
    if (db.value()->dialect() == Dialect::Sqlite) {
        // The re-invite writes its batches back to back, each holding SQLite's one write lock:
        // SQLite's busy handler, polling, can miss every gap between them for longer than the
        // usual 5 s (seen at 10,000 users on a loaded machine: the run stopped with "locked").
        // This connection waits as long as the re-invite may take instead; its claims and
        // results are small transactions that get in between the batches when they can.
        (void)db.value()->exec(QStringLiteral("PRAGMA busy_timeout = 600000"));
    }
    {
        auto transport = makeTransport(sh.settings, sh.sealer);
        if (!transport)
            return; // a configuration error: the caller's own delivery reports it
        Outbox outbox(*db.value(), sh.clock);
        for (;;) {
            QList<qint64> users;
            {
                std::unique_lock lock(sh.mutex);
                sh.changed.wait(lock, [&sh] { return sh.finishing || !sh.pending.isEmpty(); });
                if (sh.pending.isEmpty())
                    break; // finishing, and every batch handed over is done
                users.swap(sh.pending);
            }
            // This run's rows of those users (ids above the watermark), still to be sent.
            QList<qint64> rows;
            constexpr qsizetype chunk = 500;
            for (qsizetype i = 0; i < users.size(); i += chunk) {
                const QList<qint64> part = users.mid(i, chunk);
                QSqlQuery q = db.value()->prepare(
                    QStringLiteral("SELECT id FROM outbox WHERE id > ? AND state = 'queued' AND "
                                   "user_id IN (") +
                    Database::marks(part.size()) + QStringLiteral(") ORDER BY id"));
                q.addBindValue(sh.watermark);
                for (qint64 id : part)
                    q.addBindValue(id);
                if (Status s = db.value()->exec(q); !s) {
                    failed(s.error().message);
                    return;
                }
                while (q.next())
                    rows.append(q.value(0).toLongLong());
            }
            if (rows.isEmpty())
                continue;
            QList<DeliveryReport> partial;
            auto reports = outbox.deliverDue(*transport.value(), sh.sealer, 200, rows, &partial);
            if (!reports) {
                std::lock_guard lock(sh.mutex);
                sh.reports += partial;
                sh.error = reports.error().message;
                return;
            }
            bool connectionLost = false;
            for (const DeliveryReport &r : reports.value())
                connectionLost = connectionLost || r.connectionError;
            {
                std::lock_guard lock(sh.mutex);
                sh.reports += reports.value();
            }
            if (connectionLost)
                return; // its reports say so; the caller's delivery tries the rest once more
        }
    }
}

} // namespace roster
