#include "models/changenotifier.h"

#include <QSqlDriver>
#include <QSqlError>
#include <QSqlQuery>
#include <QStringList>
#include <QThread>

namespace roster {

namespace {
constexpr int defaultPollMs = 400; // "within a second", with room for a loaded machine
constexpr int mergeMs = 30;
// NOTIFY payloads must stay under 8000 bytes; past this many ids a reload is cheaper anyway.
constexpr qsizetype maxIdsInPayload = 400;
// How long the destructor waits for the listening thread; one stuck in a reconnect is left to end
// on its own.
constexpr int stopWaitMs = 250;
} // namespace

// The listening connection and its timer, on the notifier's thread: everything here may wait on
// the server.
class ChangeListener final : public QObject
{
    Q_OBJECT

public:
    ChangeListener(QString location, Dialect dialect)
        : m_location(std::move(location)), m_dialect(dialect)
    {}
    ~ChangeListener() override
    {
        if (m_db && m_dialect == Dialect::Postgres && m_db->connection().isOpen())
            m_db->connection().driver()->unsubscribeFromNotification(ChangeNotifier::channel());
    }

    // The first connection and the timer; the constructor of ChangeNotifier waits for this.
    void begin(int intervalMs)
    {
        m_timer = new QTimer(this);
        m_timer->setInterval(intervalMs);
        connect(m_timer, &QTimer::timeout, this, &ChangeListener::poll);
        connectListener();
        m_timer->start();
    }
    void setInterval(int ms)
    {
        if (m_timer)
            m_timer->setInterval(ms);
    }
    bool isActive() const { return m_active; }
    QString errorString() const { return m_error; }

signals:
    void changed(const QList<qint64> &ids, bool reload);
    void stateChanged(bool active, const QString &message);

private:
    void connectListener()
    {
        const bool wasActive = m_active;
        m_db.reset();
        m_active = false;
        auto opened = Database::open(m_location, Database::OpenMode::MustExist);
        if (!opened) {
            m_error = opened.error().message;
            if (wasActive)
                emit stateChanged(false, m_error);
            return;
        }
        m_db = std::move(opened).value();
        if (m_dialect == Dialect::Postgres) {
            QSqlDriver *driver = m_db->connection().driver();
            if (!driver->subscribeToNotification(ChangeNotifier::channel())) {
                m_error = ChangeNotifier::tr("Cannot listen for changes on %1: %2")
                              .arg(m_db->displayName(), driver->lastError().text());
                m_db.reset();
                return;
            }
            connect(driver, &QSqlDriver::notification, this,
                    [this](const QString &name, QSqlDriver::NotificationSource,
                           const QVariant &payload) { onNotification(name, payload); });
        } else {
            m_dataVersion = -1;
            poll(); // the baseline
        }
        m_active = true;
        m_error.clear();
        emit stateChanged(true, QString());
        // Whatever changed while this console was not listening is unknown: reload once.
        if (wasActive || !m_firstConnect)
            emit changed({}, true);
        m_firstConnect = false;
    }

    // This connection never writes: every notification is another writer's.
    void onNotification(const QString &name, const QVariant &payload)
    {
        if (name != ChangeNotifier::channel())
            return;
        const QString text = payload.toString();
        if (text.isEmpty() || text == u"*") {
            emit changed({}, true);
            return;
        }
        QList<qint64> ids;
        for (const QStringView part : QStringView(text).split(u',')) {
            bool ok = false;
            const qint64 id = part.toLongLong(&ok);
            if (!ok) {
                emit changed({}, true);
                return;
            }
            ids.append(id);
        }
        emit changed(ids, false);
    }

    void poll()
    {
        if (!m_db) {
            connectListener();
            return;
        }
        QSqlQuery q(m_db->connection());
        if (m_dialect == Dialect::Postgres) {
            // Reading anything also lets libpq pick up notifications that are already waiting.
            if (!q.exec(QStringLiteral("SELECT 1"))) {
                m_error = m_db->errorFrom(q.lastError()).message;
                emit stateChanged(false, m_error);
                connectListener();
            }
            return;
        }
        if (!q.exec(QStringLiteral("PRAGMA data_version")) || !q.next())
            return; // busy or locked: try again on the next tick
        const qint64 version = q.value(0).toLongLong();
        if (m_dataVersion >= 0 && version != m_dataVersion)
            emit changed({}, true);
        m_dataVersion = version;
    }

    QString m_location;
    Dialect m_dialect;
    std::unique_ptr<Database> m_db;
    QTimer *m_timer = nullptr;
    bool m_active = false;
    bool m_firstConnect = true;
    QString m_error;
    qint64 m_dataVersion = -1;
};

ChangeNotifier::ChangeNotifier(const Database &db, QObject *parent)
    : QObject(parent), m_thread(new QThread)
{
    m_flushTimer.setSingleShot(true);
    m_flushTimer.setInterval(mergeMs);
    connect(&m_flushTimer, &QTimer::timeout, this, &ChangeNotifier::flush);
    m_thread->setObjectName(QStringLiteral("roster-change-listener"));
    m_listener = new ChangeListener(db.location(), db.dialect());
    m_listener->moveToThread(m_thread);
    // Destroyed on its own thread, where its connection was made, whenever that thread ends.
    ChangeListener *listener = m_listener;
    connect(
        m_thread, &QThread::finished, listener, [listener] { delete listener; },
        Qt::DirectConnection);
    m_thread->start();
    // SQLite: the poll itself. PostgreSQL: a health check of the listening connection.
    const int interval = db.dialect() == Dialect::Sqlite ? defaultPollMs : 2 * defaultPollMs;
    QMetaObject::invokeMethod(
        listener, [listener, interval] { listener->begin(interval); },
        Qt::BlockingQueuedConnection);
    m_active = listener->isActive();
    m_error = listener->errorString();
    connect(listener, &ChangeListener::changed, this, &ChangeNotifier::queue);
    connect(listener, &ChangeListener::stateChanged, this, &ChangeNotifier::onState);
}

ChangeNotifier::~ChangeNotifier()
{
    // The listener may be waiting on a server that went away: it ends when that wait does,
    // without holding up whoever closes this (the window, at quit).
    m_thread->quit();
    if (m_thread->wait(QDeadlineTimer(stopWaitMs))) {
        delete m_thread;
        return;
    }
    QThread *thread = m_thread;
    connect(thread, &QThread::finished, thread, &QObject::deleteLater);
}

void ChangeNotifier::setPollInterval(int ms)
{
    ChangeListener *listener = m_listener;
    QMetaObject::invokeMethod(
        listener, [listener, ms] { listener->setInterval(ms); }, Qt::QueuedConnection);
}

void ChangeNotifier::onState(bool active, const QString &message)
{
    m_active = active;
    m_error = message;
    emit connectionStateChanged(active, message);
}

void ChangeNotifier::queue(const QList<qint64> &ids, bool reload)
{
    if (reload)
        m_pendingReload = true;
    for (qint64 id : ids)
        m_pending.insert(id);
    if (!m_flushTimer.isActive())
        m_flushTimer.start();
}

void ChangeNotifier::flush()
{
    QList<qint64> ids;
    if (!m_pendingReload) {
        ids = QList<qint64>(m_pending.cbegin(), m_pending.cend());
        std::sort(ids.begin(), ids.end());
    }
    m_pending.clear();
    m_pendingReload = false;
    emit usersChanged(ids);
}

Status notifyUsersChanged(Database &db, const QList<qint64> &ids)
{
    if (db.dialect() != Dialect::Postgres)
        return ok();
    QString payload;
    if (ids.isEmpty() || ids.size() > maxIdsInPayload) {
        payload = QStringLiteral("*");
    } else {
        QStringList parts;
        parts.reserve(ids.size());
        for (qint64 id : ids)
            parts << QString::number(id);
        payload = parts.join(u',');
    }
    QSqlQuery q = db.prepare(QStringLiteral("SELECT pg_notify(?, ?)"));
    q.addBindValue(ChangeNotifier::channel());
    q.addBindValue(payload);
    return db.exec(q);
}

} // namespace roster

#include "changenotifier.moc"
