#pragma once

#include "models/result.h"
#include "models/userfilter.h"
#include "models/userrecord.h"

#include <QList>
#include <QObject>
#include <QString>

#include <atomic>
#include <memory>
#include <optional>

class QThread;
class QTimer;

namespace roster {

class Database;
class StatementInterrupter;

// What a view of the users table starts with: its row count and its first rows.
struct ViewLoad
{
    quint64 generation = 0;
    UserFilter filter;
    qint64 count = 0;
    QList<UserRecord> firstRows;
    std::optional<Error> error;
};

// A page of a view's rows, read beside the table (UsersTableModel::data() never reads itself).
struct PageLoad
{
    quint64 ticket = 0; // what the requester passed: tells a stale page from a current one
    int page = 0;
    QList<UserRecord> rows;
    std::optional<Error> error;
};

// Loads a view (count + first rows) on a thread of its own with its own connection, so that the
// GUI thread never waits for a search; a newer request supersedes the older one, which is stopped
// where it is — interrupted inside SQLite or cancelled on the PostgreSQL server — instead of being
// run to the end. Issue 6: "search-as-you-type is debounced and cancels the stale query".
class ViewLoader final : public QObject
{
    Q_OBJECT

public:
    // `location` as for Database::open; the connection is opened on first use.
    explicit ViewLoader(const QString &location, QObject *parent = nullptr);
    ~ViewLoader() override;

    // Queues a load and returns its generation; whatever was queued or running before is dropped.
    quint64 request(const UserFilter &filter, int firstRows);
    // Drops the queued or running load: no loaded() for it.
    void cancel();
    // Queues the read of rows [offset, offset + limit) of `filter` (counted from the end with
    // `fromEnd`, of `count` rows: UserRepository::fetch) for pageLoaded(). Page reads wait behind
    // a view load and never stop one, nor are they stopped by one; a page already queued under
    // the same ticket is not queued twice.
    void requestPage(quint64 ticket, int page, const UserFilter &filter, qint64 offset, int limit,
                     bool fromEnd, qint64 count);
    // Drops the queued page reads (the one running, if any, still reports).
    void cancelPages();
    // The generation being worked on, 0 when idle (tests and benchmarks).
    quint64 running() const;
    // How many loads were stopped in the middle of a statement (tests and benchmarks).
    int interruptions() const;

    // A statement the worker runs before each load, for tests: lets them hold a load inside the
    // database for as long as they need (e.g. a recursive CTE that counts to a billion).
    void setStatementBeforeLoadForTest(const QString &sql);

signals:
    // Only for the newest request; never for a superseded or cancelled one.
    void loaded(const roster::ViewLoad &load);
    void pageLoaded(const roster::PageLoad &load);

private:
    struct Shared;
    class Worker;
    void deliver(const ViewLoad &load);
    void interruptStale();

    std::shared_ptr<Shared> m_shared;
    QThread *m_thread = nullptr;
    Worker *m_worker = nullptr;
    // Interrupts again while a superseded load still runs: an interrupt that arrives just before
    // its statement starts stops nothing (SQLite: a no-op when no statement runs).
    QTimer *m_reinterrupt = nullptr;
};

} // namespace roster

Q_DECLARE_METATYPE(roster::ViewLoad)
Q_DECLARE_METATYPE(roster::PageLoad)
