#include "ui/bulkreinvitejob.h"

#include "models/database.h"

namespace roster {

BulkReinviteJob::BulkReinviteJob(QString location, const Clock &clock, qint64 actorId,
                                 QList<qint64> userIds, QObject *parent)
    : QObject(parent), m_location(std::move(location)), m_clock(clock), m_actorId(actorId),
      m_ids(std::move(userIds))
{}

BulkReinviteJob::~BulkReinviteJob()
{
    if (m_thread) {
        m_cancel = true;
        m_thread->wait();
    }
}

void BulkReinviteJob::start()
{
    m_thread.reset(QThread::create([this] {
        InvitationService::BulkResult result;
        QString error;
        bool ok = false;
        // The connection belongs to this thread and closes with it.
        if (auto db = Database::open(m_location, Database::OpenMode::MustExist); !db) {
            error = db.error().message;
        } else {
            InvitationService service(*db.value(), m_clock, m_actorId);
            auto r = service.reinviteMany(m_ids, [this](qsizetype done, qsizetype total) {
                QMetaObject::invokeMethod(
                    this, [this, done, total] { emit progress(done, total); },
                    Qt::QueuedConnection);
                return !m_cancel.load();
            });
            if (r) {
                result = std::move(r).value();
                // A batch failed after others committed: those are reported and delivered, and
                // the failure is told beside them.
                ok = !result.error;
                if (result.error)
                    error = result.error->message;
            } else {
                error = r.error().message;
            }
        }
        QMetaObject::invokeMethod(
            this, [this, ok, result, error] { emit finished(ok, result, error); },
            Qt::QueuedConnection);
    }));
    m_thread->setObjectName(QStringLiteral("roster-bulk-reinvite"));
    m_thread->start();
}

} // namespace roster
