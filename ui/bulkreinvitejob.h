#pragma once

#include "app/clock.h"
#include "app/userservice.h"

#include <QObject>
#include <QThread>

#include <atomic>
#include <memory>

namespace roster {

// A bulk re-invite on a worker thread with its own database connection, so that ten thousand
// invitations never freeze the window. InvitationService::reinviteMany commits in batches; cancel()
// stops after the batch in progress, and what was committed is reported.
class BulkReinviteJob final : public QObject
{
    Q_OBJECT

public:
    BulkReinviteJob(QString location, const Clock &clock, qint64 actorId, QList<qint64> userIds,
                    QObject *parent = nullptr);
    ~BulkReinviteJob() override;

    void start();
    void cancel() { m_cancel = true; }
    bool isRunning() const { return m_thread && m_thread->isRunning(); }

signals:
    void progress(qint64 done, qint64 total);
    // ok false: `error` says why; the result holds what was committed before.
    void finished(bool ok, const roster::InvitationService::BulkResult &result,
                  const QString &error);

private:
    QString m_location;
    const Clock &m_clock;
    qint64 m_actorId;
    QList<qint64> m_ids;
    std::atomic_bool m_cancel{false};
    std::unique_ptr<QThread> m_thread;
};

} // namespace roster
