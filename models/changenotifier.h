#pragma once

#include "models/database.h"

#include <QList>
#include <QObject>
#include <QSet>
#include <QTimer>

#include <memory>

class QThread;

namespace roster {

class ChangeListener;

// Tells an open console that another administrator (or process) changed users, so that its table
// updates without a manual refresh (issue 5, "live updates").
//
// PostgreSQL: LISTEN on the channel `roster_users` on a connection of its own
// (QSqlDriver::subscribeToNotification); writers NOTIFY inside their transaction, which the server
// delivers on commit, never for a rolled-back change. The payload is the changed users' ids, or
// "*" for "many / new rows: reload". A lost listening connection is re-made and answered with a
// reload (notifications sent meanwhile are gone).
// SQLite: no cross-process notifications exist, so it polls `PRAGMA data_version` (~500 ms), which
// changes when another connection commits to the file, and asks for a reload.
//
// Notifications arriving close together are merged into one signal.
//
// The listening connection lives on a thread of its own (issue 13, point 14): a health check or a
// reconnect that waits on a server that went away (libpq's connect_timeout is 10 s) never holds
// the GUI thread. Only the first connection is made while the constructor waits, so that
// isActive() answers at once.
class ChangeNotifier final : public QObject
{
    Q_OBJECT

public:
    static QString channel() { return QStringLiteral("roster_users"); }

    // Opens its own connection to `db`'s database, in the calling thread.
    explicit ChangeNotifier(const Database &db, QObject *parent = nullptr);
    ~ChangeNotifier() override;

    // False when the listening connection could not be made (errorString() says why); it keeps
    // trying on the health timer.
    bool isActive() const { return m_active; }
    QString errorString() const { return m_error; }

    // SQLite's polling interval, and (both engines) how often the listening connection is checked.
    void setPollInterval(int ms);

signals:
    // The users with these ids changed; an empty list means "many or new rows: reload".
    void usersChanged(const QList<qint64> &ids);
    // The listening connection broke or came back (for a status bar).
    void connectionStateChanged(bool active, const QString &message);

private:
    void onState(bool active, const QString &message);
    void queue(const QList<qint64> &ids, bool reload);
    void flush();

    QThread *m_thread = nullptr;
    ChangeListener *m_listener = nullptr; // lives on m_thread
    QTimer m_flushTimer;
    QSet<qint64> m_pending;
    bool m_pendingReload = false;
    bool m_active = false;
    QString m_error;
};

// Writers call this inside their transaction after the change (PostgreSQL delivers it on commit,
// drops it on rollback); `ids` empty or long means "reload". A no-op on SQLite (polled instead).
// On PostgreSQL a failed NOTIFY aborts the transaction, so its error is returned like any other.
Status notifyUsersChanged(Database &db, const QList<qint64> &ids = {});

} // namespace roster
