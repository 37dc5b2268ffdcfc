#include "ui/bulkreinviteflow.h"

#include "app/bouncerules.h"
#include "app/outboxworker.h"
#include "models/database.h"
#include "ui/bulkconfirmdialog.h"
#include "ui/bulkreinvitejob.h"
#include "ui/userspagetexts.h"

#include <QProgressDialog>

namespace roster {

BulkReinviteFlow::BulkReinviteFlow(Database &db, const Clock &clock, qint64 actorId,
                                   OutboxWorker *worker, QWidget *window)
    : QObject(window), m_db(db), m_clock(clock), m_actorId(actorId), m_worker(worker),
      m_window(window)
{
    m_confirm = [this](const InvitationService::Plan &plan) {
        return BulkConfirmDialog::ask(plan, m_window);
    };
}

BulkReinviteFlow::~BulkReinviteFlow()
{
    cancel();
}

bool BulkReinviteFlow::isRunning() const
{
    return !m_job.isNull();
}

void BulkReinviteFlow::cancel()
{
    if (m_job)
        m_job->cancel();
}

bool BulkReinviteFlow::start(const QList<qint64> &userIds)
{
    if (isRunning() || userIds.isEmpty())
        return false;
    InvitationService service(m_db, m_clock, m_actorId);
    auto plan = service.planReinvite(userIds);
    if (!plan) {
        emit message(plan.error().message, 10000);
        return false;
    }
    InvitationService::Plan chosen = plan.value();
    if (const qsizetype bounced = countBounced(chosen); bounced && m_askBounce) {
        const BounceChoice c = m_askBounce({QString(), bounced, userIds.size(), false});
        if (c == BounceChoice::Cancel)
            return false;
        if (c == BounceChoice::SkipBounced)
            skipBounced(chosen);
    }
    if (!m_confirm(chosen) || chosen.eligible.isEmpty())
        return false;
    QList<qint64> eligible;
    for (const UserRecord &u : chosen.eligible)
        eligible.append(u.id);

    auto *job = new BulkReinviteJob(m_db.location(), m_clock, m_actorId, eligible, this);
    m_job = job;
    auto *progress =
        new QProgressDialog(UsersPageTexts::bulkProgress(eligible.size()), UsersPageTexts::cancel(),
                            0, int(eligible.size()), m_window);
    progress->setObjectName(QStringLiteral("bulkProgress"));
    progress->setWindowTitle(UsersPageTexts::bulkTitle());
    progress->setWindowModality(Qt::WindowModal);
    progress->setMinimumDuration(300);
    progress->setAutoClose(false);
    progress->setAutoReset(false);
    progress->setValue(0);
    m_progress = progress;
    connect(progress, &QProgressDialog::canceled, job, &BulkReinviteJob::cancel);
    connect(job, &BulkReinviteJob::progress, progress,
            [progress](qint64 done, qint64) { progress->setValue(int(done)); });
    connect(job, &BulkReinviteJob::finished, this,
            [this, job, progress, eligible](bool ok, const InvitationService::BulkResult &result,
                                            const QString &error) {
                if (progress) {
                    progress->close();
                    progress->deleteLater();
                }
                job->deleteLater();
                m_job = nullptr;
                // A batch failed after others committed: those are delivered and reported, and
                // the failure is told beside them.
                // Every due message, not a list of ten thousand ids (bound values are capped).
                if (m_worker && !result.invited.isEmpty())
                    m_worker->deliverNow();
                emit finished(result, UsersPageTexts::bulkFinished(result, ok ? QString() : error),
                              eligible);
            });
    job->start();
    return true;
}

} // namespace roster
