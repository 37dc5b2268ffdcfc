#include "models/changenotifier.h"

#include <QSqlDriver>
#include <QSqlError>
#include <QSqlQuery>
#include <QStringList>

namespace roster {

namespace {
constexpr int defaultPollMs = 400; // "within a second", with room for a loaded machine
constexpr int mergeMs = 30;
// NOTIFY payloads must stay under 8000 bytes; past this many ids a reload is cheaper anyway.
constexpr qsizetype maxIdsInPayload = 400;
} // namespace

ChangeNotifier::ChangeNotifier(const Database &db, QObject *parent)
    : QObject(parent), m_location(db.location()), m_dialect(db.dialect())
{
    m_flushTimer.setSingleShot(true);
    m_flushTimer.setInterval(mergeMs);
    connect(&m_flushTimer, &QTimer::timeout, this, &ChangeNotifier::flush);
    // SQLite: the poll itself. PostgreSQL: a health check of the listening connection.
    m_pollTimer.setInterval(m_dialect == Dialect::Sqlite ? defaultPollMs : 2 * defaultPollMs);
    connect(&m_pollTimer, &QTimer::timeout, this, &ChangeNotifier::poll);
    connectListener();
    m_pollTimer.start();
}

ChangeNotifier::~ChangeNotifier()
{
    if (m_listener && m_dialect == Dialect::Postgres && m_listener->connection().isOpen())
        m_listener->connection().driver()->unsubscribeFromNotification(channel());
}

void ChangeNotifier::setPollInterval(int ms)
{
    m_pollTimer.setInterval(ms);
}

void ChangeNotifier::connectListener()
{
    const bool wasActive = m_active;
    m_listener.reset();
    m_active = false;
    auto opened = Database::open(m_location, Database::OpenMode::MustExist);
    if (!opened) {
        m_error = opened.error().message;
        if (wasActive)
            emit connectionStateChanged(false, m_error);
        return;
    }
    m_listener = std::move(opened).value();
    if (m_dialect == Dialect::Postgres) {
        QSqlDriver *driver = m_listener->connection().driver();
        if (!driver->subscribeToNotification(channel())) {
            m_error = tr("Cannot listen for changes on %1: %2")
                          .arg(m_listener->displayName(), driver->lastError().text());
            m_listener.reset();
            return;
        }
        connect(driver, &QSqlDriver::notification, this,
                [this](const QString &name, QSqlDriver::NotificationSource source,
                       const QVariant &payload) { onNotification(name, int(source), payload); });
    } else {
        m_dataVersion = -1;
        poll(); // the baseline
    }
    m_active = true;
    m_error.clear();
    emit connectionStateChanged(true, QString());
    // Whatever changed while this console was not listening is unknown: reload once.
    if (wasActive || !m_firstConnect)
        queue({}, true);
    m_firstConnect = false;
}

void ChangeNotifier::onNotification(const QString &name, int source, const QVariant &payload)
{
    Q_UNUSED(source); // this connection never writes: every notification is another writer's
    if (name != channel())
        return;
    const QString text = payload.toString();
    if (text.isEmpty() || text == u"*") {
        queue({}, true);
        return;
    }
    QList<qint64> ids;
    for (const QStringView part : QStringView(text).split(u',')) {
        bool ok = false;
        const qint64 id = part.toLongLong(&ok);
        if (!ok) {
            queue({}, true);
            return;
        }
        ids.append(id);
    }
    queue(ids, false);
}

void ChangeNotifier::poll()
{
    if (!m_listener) {
        connectListener();
        return;
    }
    QSqlQuery q(m_listener->connection());
    if (m_dialect == Dialect::Postgres) {
        // Reading anything also lets libpq pick up notifications that are already waiting.
        if (!q.exec(QStringLiteral("SELECT 1"))) {
            m_error = m_listener->errorFrom(q.lastError()).message;
            emit connectionStateChanged(false, m_error);
            connectListener();
        }
        return;
    }
    if (!q.exec(QStringLiteral("PRAGMA data_version")) || !q.next())
        return; // busy or locked: try again on the next tick
    const qint64 version = q.value(0).toLongLong();
    if (m_dataVersion >= 0 && version != m_dataVersion)
        queue({}, true);
    m_dataVersion = version;
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
