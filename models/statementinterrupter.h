#pragma once

#include <memory>

namespace roster {

class Database;

// Stops the statement a connection is running, from another thread: sqlite3_interrupt() on
// SQLite, a libpq cancel request (PQcancel) on PostgreSQL — the ways both engines offer for it.
// The interrupted statement fails with ErrorKind::Cancelled and the connection stays usable.
//
// attach() and detach() run on the connection's thread; interrupt() on any thread.
class StatementInterrupter
{
public:
    StatementInterrupter();
    ~StatementInterrupter();
    StatementInterrupter(const StatementInterrupter &) = delete;
    StatementInterrupter &operator=(const StatementInterrupter &) = delete;

    // Before the statements that may need stopping. On PostgreSQL the cancel key belongs to the
    // server process behind the connection: attach again after a reconnect.
    void attach(const Database &db);
    // Before the connection closes.
    void detach();
    // SQLite: stops the statements running now; a no-op when none runs. PostgreSQL: the server
    // cancels whatever the connection runs when the request arrives — possibly a statement that
    // started just after the one meant — so a caller retries a cancelled statement it still
    // wants. Does not block: the PostgreSQL request is sent from a thread of its own, one at a
    // time.
    void interrupt();
    // PostgreSQL cancel requests of every interrupter still being sent (tests wait for none).
    static int requestsInFlight();

private:
    struct State;
    std::shared_ptr<State> m_state;
};

} // namespace roster
