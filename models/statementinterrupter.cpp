#include "models/statementinterrupter.h"

#include "models/database.h"

#include <QMutex>
#include <QMutexLocker>
#include <QSqlDriver>

#include <atomic>
#include <thread>

#include <libpq-fe.h>
#include <sqlite3.h>

namespace roster {

namespace {
std::atomic_int g_requestsInFlight = 0;
} // namespace

struct StatementInterrupter::State
{
    QMutex mutex;
    sqlite3 *sqlite = nullptr;
    // Shared with a cancel request in flight, which may outlive the attachment: a server that
    // accepts and never answers keeps PQcancel waiting for good, and neither detach() nor the
    // connection's thread may wait for it (they did: a console quitting on a hung PostgreSQL
    // stood in ~ViewLoader forever).
    std::shared_ptr<PGcancel> cancel;
    // One request in flight at a time per attachment (a stuck one does not stop the next
    // connection's).
    std::shared_ptr<std::atomic_bool> cancelling;

    void clear()
    {
        sqlite = nullptr;
        cancel.reset();
        cancelling.reset();
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
            if (PGcancel *c = PQgetCancel(conn)) {
                m_state->cancel = std::shared_ptr<PGcancel>(c, PQfreeCancel);
                m_state->cancelling = std::make_shared<std::atomic_bool>(false);
            }
    }
}

void StatementInterrupter::detach()
{
    // A cancel request being sent right now keeps its own reference to the PGcancel.
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
    std::shared_ptr<PGcancel> cancel = m_state->cancel;
    std::shared_ptr<std::atomic_bool> busy = m_state->cancelling;
    lock.unlock();
    if (!cancel || busy->exchange(true))
        return; // none attached, or a request already on its way (it cancels what runs then)
    // PQcancel opens a connection to the server and waits for it to close, with no timeout: on
    // a thread of its own (not the caller's, not the global pool, which the application waits
    // for when it exits), left to run out or to end with the process.
    ++g_requestsInFlight;
    std::thread([busy = std::move(busy), cancel = std::move(cancel)] {
        char error[256] = {};
        if (!PQcancel(cancel.get(), error, int(sizeof error))) // the statement just runs on
            qCWarning(lcStorage) << "could not cancel a PostgreSQL statement:" << error;
        *busy = false;
        --g_requestsInFlight;
    }).detach();
}

int StatementInterrupter::requestsInFlight()
{
    return g_requestsInFlight;
}

} // namespace roster
