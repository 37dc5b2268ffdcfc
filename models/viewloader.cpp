#include "models/viewloader.h"

#include "models/database.h"
#include "models/statementinterrupter.h"
#include "models/userrepository.h"

#include <QCoreApplication>
#include <QMutex>
#include <QMutexLocker>
#include <QThread>
#include <QTimer>

namespace roster {

namespace {
struct Job
{
    quint64 generation = 0;
    UserFilter filter;
    int firstRows = 0;
};

struct PageJob
{
    quint64 ticket = 0;
    int page = 0;
    UserFilter filter;
    qint64 offset = 0;
    int limit = 0;
    bool fromEnd = false;
    qint64 count = 0;
};
} // namespace

struct ViewLoader::Shared
{
    QString location;
    QMutex mutex;
    std::optional<Job> pending; // guarded by mutex
    QList<PageJob> pages;       // guarded by mutex
    QString statementBefore;    // guarded by mutex
    std::atomic<quint64> latest{0};
    std::atomic<quint64> running{0};
    std::atomic_bool readingPage{false};
    std::atomic<int> interruptions{0};
    StatementInterrupter interrupter;

    bool stale(quint64 generation) const { return generation != latest.load(); }
};

class ViewLoader::Worker final : public QObject
{
public:
    Worker(std::shared_ptr<Shared> shared, ViewLoader *owner)
        : m_shared(std::move(shared)), m_owner(owner)
    {}
    ~Worker() override
    {
        // On the worker thread (deleteLater after the thread's loop ended): the connection
        // closes where it was opened.
        m_shared->interrupter.detach();
        m_db.reset();
    }

    void work()
    {
        for (;;) {
            Job job;
            QString before;
            {
                QMutexLocker lock(&m_shared->mutex);
                if (!m_shared->pending && !m_shared->pages.isEmpty()) {
                    // Views first: a page of the old view is not worth waiting for.
                    const PageJob page = m_shared->pages.takeFirst();
                    m_shared->readingPage = true;
                    lock.unlock();
                    PageLoad out = loadPage(page);
                    m_shared->readingPage = false;
                    ViewLoader *owner = m_owner;
                    QMetaObject::invokeMethod(
                        owner, [owner, out = std::move(out)] { emit owner->pageLoaded(out); },
                        Qt::QueuedConnection);
                    continue;
                }
                if (!m_shared->pending)
                    return;
                job = *m_shared->pending;
                m_shared->pending.reset();
                before = m_shared->statementBefore;
                m_shared->running = job.generation;
            }
            ViewLoad out = load(job, before);
            m_shared->running = 0;
            if (out.error && out.error->kind == ErrorKind::Cancelled) {
                if (!m_shared->stale(job.generation)) {
                    // A cancel meant for the previous statement reached this one (PostgreSQL
                    // cancels whatever runs when the request lands): it is still wanted.
                    QMutexLocker lock(&m_shared->mutex);
                    if (!m_shared->pending)
                        m_shared->pending = job;
                } else {
                    ++m_shared->interruptions;
                }
                continue;
            }
            if (m_shared->stale(job.generation))
                continue;
            ViewLoader *owner = m_owner;
            QMetaObject::invokeMethod(
                owner, [owner, out = std::move(out)] { owner->deliver(out); },
                Qt::QueuedConnection);
        }
    }

    // Opens the connection ahead of the first load (a new connection also starts with an empty
    // page cache: ~100 ms of the first search at 1M users otherwise). A failure here is reported
    // by the first load, which tries again.
    Status connectNow()
    {
        if (m_db)
            return ok();
        auto db = Database::open(m_shared->location, Database::OpenMode::MustExist);
        if (!db)
            return db.error();
        m_db = std::move(db).value();
        return ok();
    }

private:
    PageLoad loadPage(const PageJob &job)
    {
        PageLoad out;
        out.ticket = job.ticket;
        out.page = job.page;
        Status s = connectNow();
        if (s)
            s = m_db->reconnectIfNeeded();
        if (!s) {
            out.error = s.error();
            return out;
        }
        m_shared->interrupter.attach(*m_db);
        auto rows =
            UserRepository(*m_db).fetch(job.filter, job.offset, job.limit, job.fromEnd, job.count);
        if (rows)
            out.rows = std::move(rows).value();
        else
            out.error = rows.error();
        return out;
    }

    ViewLoad load(const Job &job, const QString &before)
    {
        ViewLoad out;
        out.generation = job.generation;
        out.filter = job.filter;
        auto fail = [&out](const Error &e) {
            out.error = e;
            return out;
        };
        if (Status s = connectNow(); !s)
            return fail(s.error());
        if (Status s = m_db->reconnectIfNeeded(); !s)
            return fail(s.error());
        m_shared->interrupter.attach(*m_db);
        const Error cancelled{ErrorKind::Cancelled, QString()};
        if (m_shared->stale(job.generation))
            return fail(cancelled);
        if (!before.isEmpty()) {
            QSqlQuery q = m_db->prepare(before);
            if (Status s = m_db->exec(q); !s)
                return fail(s.error());
            while (q.next()) {
            }
        }
        UserRepository repo(*m_db);
        if (repo.combinedCount(job.filter)) {
            // PostgreSQL: the count and the first page in one statement.
            auto both = repo.countWithFirstPage(job.filter, job.firstRows);
            if (!both)
                return fail(both.error());
            out.count = both->count;
            out.firstRows = std::move(both->rows);
            return out;
        }
        auto count = repo.count(job.filter);
        if (!count)
            return fail(count.error());
        out.count = count.value();
        if (m_shared->stale(job.generation))
            return fail(cancelled);
        const int rows = int(std::min<qint64>(job.firstRows, out.count));
        if (rows > 0) {
            auto page = repo.fetch(job.filter, 0, rows, false, out.count);
            if (!page)
                return fail(page.error());
            out.firstRows = std::move(page).value();
        }
        return out;
    }

    std::shared_ptr<Shared> m_shared;
    ViewLoader *m_owner;
    std::unique_ptr<Database> m_db;
};

ViewLoader::ViewLoader(const QString &location, QObject *parent)
    : QObject(parent), m_shared(std::make_shared<Shared>()), m_thread(new QThread(this)),
      m_reinterrupt(new QTimer(this))
{
    m_shared->location = location;
    m_reinterrupt->setInterval(50);
    connect(m_reinterrupt, &QTimer::timeout, this, [this] {
        const quint64 running = m_shared->running.load();
        if (running != 0 && m_shared->stale(running))
            m_shared->interrupter.interrupt();
        else
            m_reinterrupt->stop();
    });
    m_thread->setObjectName(QStringLiteral("roster-view-loader"));
    m_worker = new Worker(m_shared, this);
    m_worker->moveToThread(m_thread);
    connect(m_thread, &QThread::finished, m_worker, &QObject::deleteLater);
    m_thread->start();
    Worker *worker = m_worker;
    QMetaObject::invokeMethod(
        worker, [worker] { (void)worker->connectNow(); }, Qt::QueuedConnection);
}

ViewLoader::~ViewLoader()
{
    cancel();
    cancelPages();
    if (m_shared->readingPage.load()) // a page read waiting on a hung database: stop it
        m_shared->interrupter.interrupt();
    m_thread->quit();
    m_thread->wait();
}

quint64 ViewLoader::request(const UserFilter &filter, int firstRows)
{
    quint64 generation = 0;
    {
        QMutexLocker lock(&m_shared->mutex);
        generation = ++m_shared->latest;
        m_shared->pending = Job{generation, filter, firstRows};
    }
    interruptStale();
    Worker *worker = m_worker;
    QMetaObject::invokeMethod(
        worker, [worker] { worker->work(); }, Qt::QueuedConnection);
    return generation;
}

void ViewLoader::cancel()
{
    {
        QMutexLocker lock(&m_shared->mutex);
        m_shared->pending.reset();
        ++m_shared->latest;
    }
    interruptStale();
}

void ViewLoader::interruptStale()
{
    if (m_shared->running.load() == 0)
        return;
    m_shared->interrupter.interrupt();
    m_reinterrupt->start();
}

void ViewLoader::requestPage(quint64 ticket, int page, const UserFilter &filter, qint64 offset,
                             int limit, bool fromEnd, qint64 count)
{
    {
        QMutexLocker lock(&m_shared->mutex);
        for (const PageJob &j : std::as_const(m_shared->pages))
            if (j.ticket == ticket && j.page == page)
                return;
        m_shared->pages.append(PageJob{ticket, page, filter, offset, limit, fromEnd, count});
    }
    Worker *worker = m_worker;
    QMetaObject::invokeMethod(
        worker, [worker] { worker->work(); }, Qt::QueuedConnection);
}

void ViewLoader::cancelPages()
{
    QMutexLocker lock(&m_shared->mutex);
    m_shared->pages.clear();
}

quint64 ViewLoader::running() const
{
    return m_shared->running.load();
}

int ViewLoader::interruptions() const
{
    return m_shared->interruptions.load();
}

void ViewLoader::setStatementBeforeLoadForTest(const QString &sql)
{
    QMutexLocker lock(&m_shared->mutex);
    m_shared->statementBefore = sql;
}

void ViewLoader::deliver(const ViewLoad &load)
{
    if (load.generation != m_shared->latest.load())
        return; // cancelled after it was posted
    emit loaded(load);
}

} // namespace roster
