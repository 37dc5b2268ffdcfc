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

private:
    struct Shared;
    class Worker;
    void deliver(const ViewLoad &load);

    std::shared_ptr<Shared> m_shared;
    QThread *m_thread = nullptr;
    Worker *m_worker = nullptr;
};

} // namespace roster

Q_DECLARE_METATYPE(roster::ViewLoad)
