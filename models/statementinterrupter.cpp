#include "models/statementinterrupter.h"

#include "models/database.h"

#include <QMutex>
#include <QMutexLocker>
#include <QSqlDriver>
#include <QThreadPool>

#include <libpq-fe.h>
#include <sqlite3.h>

namespace roster {

struct StatementInterrupter::State
{
    QMutex mutex;
    sqlite3 *sqlite = nullptr;
    PGcancel *cancel = nullptr;

    void clear()
    {
        sqlite = nullptr;
        if (cancel)
            PQfreeCancel(cancel);
        cancel = nullptr;
    }
};

StatementInterrupter::StatementInterrupter() : m_state(std::make_shared<State>()) {}

StatementInterrupter::~StatementInterrupter()
{
    detach();
}

void StatementInterrupter::attach(const Database &db)
{
    // QSQLITE and QPSQL hand out their native handles as "sqlite3*" and "PGconn*" — the latter
    // named after its struct, "pg_conn*", by Qt 6.4's metatype (QSqlDriver::handle()).
    const QVariant handle = db.connection().driver()->handle();
    QMutexLocker lock(&m_state->mutex);
    m_state->clear();
    if (!handle.isValid())
        return;
    if (qstrcmp(handle.typeName(), "sqlite3*") == 0) {
        m_state->sqlite = *static_cast<sqlite3 *const *>(handle.constData());
    } else if (qstrcmp(handle.typeName(), "pg_conn*") == 0 ||
               qstrcmp(handle.typeName(), "PGconn*") == 0) {
        if (PGconn *conn = *static_cast<PGconn *const *>(handle.constData()))
            m_state->cancel = PQgetCancel(conn);
    }
}

void StatementInterrupter::detach()
{
    // Waits for a cancel request being sent right now: its PGcancel must outlive it.
    QMutexLocker lock(&m_state->mutex);
    m_state->clear();
}

void StatementInterrupter::interrupt()
{
    QMutexLocker lock(&m_state->mutex);
    if (m_state->sqlite) {
        sqlite3_interrupt(m_state->sqlite); // thread-safe by SQLite's contract
        return;
    }
    if (!m_state->cancel)
        return;
    lock.unlock();
    // PQcancel opens a connection to the server: not on the caller's (the GUI's) thread.
    QThreadPool::globalInstance()->start([state = m_state] {
        QMutexLocker l(&state->mutex);
        if (!state->cancel)
            return;
        char error[256] = {};
        if (!PQcancel(state->cancel, error, int(sizeof error))) // the statement just runs on
            qCWarning(lcStorage) << "could not cancel a PostgreSQL statement:" << error;
    });
}

} // namespace roster
