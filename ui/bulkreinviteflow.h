#pragma once

#include "app/clock.h"
#include "app/userservice.h"
#include "ui/bouncequestion.h"

#include <QObject>
#include <QPointer>

#include <functional>

class QProgressDialog;
class QWidget;

namespace roster {

class BulkReinviteJob;
class Database;
class OutboxWorker;

// A bulk re-invite from the click to the report, without the page: the plan (who is eligible,
// who is skipped and why), the confirmation, the BulkReinviteJob on its own thread in batches
// with a progress dialog that can cancel it, then the delivery of what was committed and the
// status text — also when a batch failed after others had committed (issue 13, point 6: those
// stay, are reported and are delivered).
class BulkReinviteFlow final : public QObject
{
    Q_OBJECT

public:
    // What is asked before the job starts; tests answer instead of a person (rule 8).
    using Confirmer = std::function<bool(const InvitationService::Plan &plan)>;

    // `worker` may be null (nothing delivered); the progress dialog is a child of `window`.
    BulkReinviteFlow(Database &db, const Clock &clock, qint64 actorId, OutboxWorker *worker,
                     QWidget *window);
    ~BulkReinviteFlow() override;

    void setConfirmer(Confirmer confirmer) { m_confirm = std::move(confirmer); }
    // What is asked first when some of the selection's last invitations bounced (SPEC §9).
    using BounceAsker = std::function<BounceChoice(const BounceQuestion &question)>;
    void setBounceAsker(BounceAsker asker) { m_askBounce = std::move(asker); }
    bool isRunning() const;
    // Plans, asks, and starts the job; false when nothing started (the plan failed: see
    // message(), or nobody eligible, or not confirmed, or a job still running).
    bool start(const QList<qint64> &userIds);
    // Stops after the batch in progress; what was committed is reported.
    void cancel();

signals:
    void message(const QString &text, int timeoutMs);
    // The job ended: `result` holds what was committed, `text` says it (UsersPageTexts), and
    // `affected` are the users whose rows may have changed.
    void finished(const roster::InvitationService::BulkResult &result, const QString &text,
                  const QList<qint64> &affected);

private:
    Database &m_db;
    const Clock &m_clock;
    qint64 m_actorId;
    QPointer<OutboxWorker> m_worker;
    QPointer<QWidget> m_window;
    Confirmer m_confirm;
    BounceAsker m_askBounce;
    QPointer<BulkReinviteJob> m_job;
    QPointer<QProgressDialog> m_progress;
};

} // namespace roster
