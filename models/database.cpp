#include "models/database.h"

#include "models/sqlitestatement.h"
#include "models/testhooks.h"

#include "models/migrations.h"

#include <QAtomicInteger>
#include <QCoreApplication>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QHash>
#include <QMutex>
#include <QSqlDriver>
#include <QSqlError>
#include <QUrl>
#include <QUrlQuery>
#include <QUuid>

Q_LOGGING_CATEGORY(lcStorage, "roster.storage")

namespace roster {

namespace {

QString tr(const char *text)
{
    return QCoreApplication::translate("Database", text);
}

// A database a newer Roster wrote: refused before anything is written, on open and on migrate.
Error newerSchema(const QString &name, int version)
{
    return makeError(ErrorKind::Database,
                     tr("%1 was written by a newer Roster (schema %2; this program knows up to "
                        "%3). Use a newer Roster; the database was not changed.")
                         .arg(name)
                         .arg(version)
                         .arg(latestSchemaVersion()));
}

QString nextConnectionName()
{
    static QAtomicInteger<int> counter;
    return QStringLiteral("roster-%1").arg(counter.fetchAndAddRelaxed(1));
}

bool isPostgresUrl(const QString &location)
{
    return location.startsWith(u"postgresql://") || location.startsWith(u"postgres://");
}

bool looksLikeUrl(const QString &location)
{
    const qsizetype colon = location.indexOf(u"://");
    return colon > 0 && !location.left(colon).contains(u'/');
}

int busyTimeoutMs()
{
    return testhooks::busyTimeoutMs().value_or(5000);
}

// The SQLite files this process holds open, by canonical path, with how many connections.
// POSIX file locks belong to the process and are all dropped when *any* descriptor of the file is
// closed, so a file already open here is never opened again outside SQLite (the header check in
// open()): a second connection (view loader, change notifier, roster-web's worker threads) would
// otherwise take the first one's locks away, and the next program to close the database would
// delete the WAL under this process (sqlite.org/howtocorrupt.html §2.2).
struct OpenFiles
{
    QMutex mutex;
    QHash<QString, int> count;
};
OpenFiles &openFiles()
{
    static OpenFiles files;
    return files;
}
bool isOpenHere(const QString &key)
{
    QMutexLocker lock(&openFiles().mutex);
    return openFiles().count.value(key) > 0;
}
} // namespace

int Database::schemaVersion()
{
    return latestSchemaVersion();
}

Result<std::unique_ptr<Database>> Database::open(const QString &location, OpenMode mode)
{
    std::unique_ptr<Database> db(new Database);
    db->m_location = location;
    db->m_connectionName = nextConnectionName();
    bool created = false;

    if (location.trimmed().isEmpty())
        return makeError(ErrorKind::Invalid,
                         tr("No database given: pass --db PATH or set ROSTER_DB."));

    if (isPostgresUrl(location)) {
        db->m_dialect = Dialect::Postgres;
        if (!QSqlDatabase::isDriverAvailable(QStringLiteral("QPSQL")))
            return makeError(ErrorKind::Database,
                             tr("The PostgreSQL driver for Qt is not installed (Debian package "
                                "libqt6sql6-psql)."));
        if (Status st = db->connectPostgres(); !st)
            return st.error();
    } else if (looksLikeUrl(location)) {
        return makeError(ErrorKind::Invalid,
                         tr("Unknown database URL scheme in \"%1\": use a file path or a "
                            "postgresql:// URL.")
                             .arg(location.left(location.indexOf(u"://"))));
    } else {
        const QFileInfo info(location);
        if (info.isDir())
            return makeError(ErrorKind::Invalid,
                             tr("%1 is a folder, not a database file.").arg(location));
        if (!info.absoluteDir().exists())
            return makeError(ErrorKind::Invalid,
                             tr("The folder %1 does not exist: create it first or choose "
                                "another path.")
                                 .arg(info.absolutePath()));
        if (!info.exists()) {
            if (mode == OpenMode::MustExist)
                return makeError(
                    ErrorKind::NotFound,
                    tr("No database at %1: create one with \"rosterctl init\".").arg(location));
            created = true;
        } else if (!isOpenHere(info.canonicalFilePath())) {
            // Read through a descriptor of its own only while SQLite has no connection to the
            // file in this process (see OpenFiles): one that is open here is a database already.
            QFile f(location);
            if (!f.open(QIODevice::ReadOnly))
                return makeError(ErrorKind::Database,
                                 tr("Cannot read %1: %2").arg(location, f.errorString()));
            const QByteArray header = f.read(16);
            if (info.size() > 0 && header != QByteArrayView("SQLite format 3\0", 16))
                return makeError(
                    ErrorKind::Database,
                    tr("%1 is not a Roster database (it is not an SQLite file).").arg(location));
            // An empty file (a failed copy, a `touch`) is not a database: only init may fill it.
            // Without this check any command would silently turn it into a new organisation.
            if (info.size() == 0) {
                if (mode == OpenMode::MustExist)
                    return makeError(ErrorKind::NotFound,
                                     tr("%1 is empty: create a database with \"rosterctl init\".")
                                         .arg(location));
                created = true;
            }
        }
        QSqlDatabase c = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), db->m_connectionName);
        c.setDatabaseName(location);
        c.setConnectOptions(QStringLiteral("QSQLITE_BUSY_TIMEOUT=%1").arg(busyTimeoutMs()));
        if (!c.open())
            return makeError(ErrorKind::Database,
                             tr("Cannot open %1: %2").arg(location, c.lastError().text()));
        db->m_openFileKey = QFileInfo(location).canonicalFilePath();
        QMutexLocker lock(&openFiles().mutex);
        ++openFiles().count[db->m_openFileKey];
    }

    if (mode == OpenMode::ServerOnly && db->m_dialect == Dialect::Postgres)
        return db;
    if (Status s = db->initialise(mode, created); !s)
        return s.error();
    return db;
}

Status Database::connectPostgres()
{
    const QUrl url(m_location, QUrl::StrictMode);
    if (!url.isValid() || url.host().isEmpty() || url.path().size() < 2)
        return makeError(ErrorKind::Invalid, tr("Cannot read the database URL: write it as "
                                                "postgresql://user:password@host:port/dbname."));
    QSqlDatabase c = QSqlDatabase::addDatabase(QStringLiteral("QPSQL"), m_connectionName);
    c.setHostName(url.host());
    c.setPort(url.port(5432));
    c.setDatabaseName(url.path().mid(1));
    if (!url.userName().isEmpty())
        c.setUserName(url.userName());
    // Without one, libpq reads PGPASSWORD or ~/.pgpass (PGPASSFILE) itself.
    if (!url.password().isEmpty())
        c.setPassword(url.password());
    QStringList options{QStringLiteral("connect_timeout=10"),
                        QStringLiteral("application_name=roster")};
    const QUrlQuery query(url);
    for (const auto &[key, value] : query.queryItems(QUrl::FullyDecoded)) {
        if (key == u"sslmode" || key == u"sslrootcert" || key == u"sslcert" || key == u"sslkey" ||
            key == u"connect_timeout" || key == u"application_name") {
            // Qt splits the options on ';' and libpq's conninfo on spaces: refuse both in values.
            if (value.contains(u';') || value.contains(u' ') || value.contains(u'\'') ||
                value.contains(u'\\'))
                return makeError(ErrorKind::Invalid,
                                 tr("The database URL's %1 may not contain spaces, quotes or "
                                    "semicolons.")
                                     .arg(key));
            if (key == u"connect_timeout" || key == u"application_name")
                options.removeIf([&key](const QString &o) { return o.startsWith(key + u'='); });
            options << key + u'=' + value;
        }
    }
    c.setConnectOptions(options.join(u';'));
    if (!c.open()) {
        const QString reason = c.lastError().text().trimmed().split(u'\n').first();
        return makeError(ErrorKind::Database,
                         tr("Cannot connect to %1: %2").arg(displayName(), reason));
    }
    m_connectionLost = false;
    return ok();
}

bool Database::isConnectionError(const QSqlError &error) const
{
    if (m_dialect != Dialect::Postgres)
        return false;
    const QString code = error.nativeErrorCode();
    // 08xxx connection exceptions; 57P01..57P03 the server shutting down / terminating us.
    if (code.startsWith(u"08") || code.startsWith(u"57P0"))
        return true;
    if (!connection().isOpen())
        return true;
    if (!code.isEmpty())
        return false;
    // libpq reports a dead socket without an SQLSTATE; ask the connection itself.
    const QString text = error.text();
    if (text.contains(u"server closed the connection") ||
        text.contains(u"no connection to the server") || text.contains(u"terminating connection") ||
        text.contains(u"could not send data") || text.contains(u"could not receive data") ||
        text.contains(u"connection not open") || text.contains(u"connection to server"))
        return true;
    QSqlQuery probe(connection());
    return !probe.exec(QStringLiteral("SELECT 1"));
}

Status Database::reconnectIfNeeded()
{
    if (m_dialect != Dialect::Postgres || !m_connectionLost || m_inTransaction)
        return ok();
    return reconnect();
}

Status Database::reconnect()
{
    m_beginStatement.reset();
    m_commitStatement.reset();
    {
        QSqlDatabase c = QSqlDatabase::database(m_connectionName, false);
        if (c.isOpen())
            c.close();
        if (!c.open()) {
            const QString reason = c.lastError().text().trimmed().split(u'\n').first();
            return makeError(ErrorKind::Database,
                             tr("Lost the connection to %1 and cannot reconnect: %2")
                                 .arg(displayName(), reason));
        }
    }
    m_connectionLost = false;
    m_inTransaction = false;
    qCInfo(lcStorage) << "reconnected to" << displayName();
    return ok();
}

Database::~Database()
{
    if (m_inTransaction)
        rollback();
    m_beginStatement.reset();
    m_commitStatement.reset();
    {
        QSqlDatabase c = QSqlDatabase::database(m_connectionName, false);
        if (c.isOpen())
            c.close();
    }
    QSqlDatabase::removeDatabase(m_connectionName);
    if (!m_openFileKey.isEmpty()) {
        QMutexLocker lock(&openFiles().mutex);
        if (--openFiles().count[m_openFileKey] <= 0)
            openFiles().count.remove(m_openFileKey);
    }
}

Result<std::unique_ptr<Database>> Database::reopen() const
{
    return open(m_location, OpenMode::MustExist);
}

QString Database::displayName() const
{
    if (m_dialect == Dialect::Postgres) {
        // Every connection option stays (sslmode=verify-full&sslrootcert=… must come back whole
        // when the console reopens what it remembered); only passwords go.
        QUrl url(m_location);
        url.setPassword(QString());
        QUrlQuery query(url);
        for (const QString &key : {QStringLiteral("password"), QStringLiteral("sslpassword")})
            query.removeAllQueryItems(key);
        url.setQuery(query);
        return url.toString();
    }
    return m_location;
}

QSqlDatabase Database::connection() const
{
    return QSqlDatabase::database(m_connectionName, false);
}

QSqlQuery Database::prepare(const QString &sql) const
{
    // Outside a transaction nothing can be half-done: a connection lost earlier (or found lost
    // by this prepare) is re-made and the statement prepared again.
    auto *self = const_cast<Database *>(this);
    if (m_connectionLost && !m_inTransaction)
        (void)self->reconnectIfNeeded();
    QSqlQuery q(connection());
    q.setForwardOnly(true);
    if (!q.prepare(sql)) {
        if (!m_inTransaction && isConnectionError(q.lastError()) && self->reconnect()) {
            QSqlQuery again(connection());
            again.setForwardOnly(true);
            if (again.prepare(sql))
                return again;
        }
        qCWarning(lcStorage) << "prepare failed:" << q.lastError().text() << sql;
    }
    return q;
}

Error Database::errorFrom(const QSqlError &error) const
{
    const QString code = error.nativeErrorCode();
    const QString text = error.text().trimmed();
    if (m_dialect == Dialect::Sqlite) {
        // SQLite primary result codes: 5 BUSY, 6 LOCKED, 8 READONLY, 11 CORRUPT, 13 FULL, 26
        // NOTADB.
        const int primary = code.toInt() & 0xff;
        switch (primary) {
        case 9: // SQLITE_INTERRUPT: sqlite3_interrupt()
            return makeError(ErrorKind::Cancelled, tr("The query was cancelled."));
        case 5:
        case 6:
            return makeError(ErrorKind::Database,
                             tr("The database %1 is locked by another program; try again when "
                                "it has finished.")
                                 .arg(m_location));
        case 8:
            return makeError(
                ErrorKind::Database,
                tr("The database %1 is read-only: check the file's permissions.").arg(m_location));
        case 11:
        case 26:
            return makeError(ErrorKind::Database,
                             tr("%1 is damaged or not a Roster database.").arg(m_location));
        case 13:
            return makeError(ErrorKind::Database,
                             tr("The disk holding %1 is full.").arg(m_location));
        default:
            break;
        }
    } else if (code == u"57014") { // query_canceled: a cancel request (PQcancel)
        return makeError(ErrorKind::Cancelled, tr("The query was cancelled."));
    } else if (isConnectionError(error)) {
        // The server rolled back whatever this connection had not committed.
        m_connectionLost = true;
        return makeError(ErrorKind::Database,
                         tr("Lost the connection to %1 (%2): this change was not saved; Roster "
                            "reconnects on the next action.")
                             .arg(displayName(), text.split(u'\n').first().trimmed()));
    } else if (code == u"23505") {
        return makeError(ErrorKind::Refused,
                         tr("Someone else just made the same change: reload and try again."));
    } else if (code == u"40001" || code == u"40P01") {
        return makeError(ErrorKind::Database,
                         tr("Another administrator changed the same users at the same moment: try "
                            "again."));
    } else if (code == u"42501") {
        return makeError(ErrorKind::Database,
                         tr("The database user may not do this on %1: %2")
                             .arg(displayName(), text.split(u'\n').first().trimmed()));
    }
    return makeError(ErrorKind::Database, tr("Database error: %1").arg(text));
}

Status Database::exec(QSqlQuery &query) const
{
    // A null QString binds as SQL NULL; every text column here is NOT NULL or wants '' instead.
    const QVariantList bound = query.boundValues();
    for (qsizetype i = 0; i < bound.size(); ++i)
        if (bound.at(i).typeId() == QMetaType::QString && bound.at(i).toString().isNull())
            query.bindValue(int(i), QString(u""_qs));
    if (!query.exec()) {
        Error e = errorFrom(query.lastError());
        if (e.kind != ErrorKind::Cancelled)
            qCWarning(lcStorage) << "query failed:" << query.lastError().text()
                                 << query.lastQuery();
        return e;
    }
    return ok();
}

Status Database::exec(const QString &sql) const
{
    QSqlQuery q(connection());
    if (!q.exec(sql)) {
        qCWarning(lcStorage) << "statement failed:" << q.lastError().text() << sql;
        return errorFrom(q.lastError());
    }
    return ok();
}

Status Database::begin()
{
    Q_ASSERT(!m_inTransaction);
    if (Status r = reconnectIfNeeded(); !r)
        return r;
    const QString sql =
        m_dialect == Dialect::Sqlite ? QStringLiteral("BEGIN IMMEDIATE") : QStringLiteral("BEGIN");
    Status s = execControl(m_beginStatement, sql);
    if (!s && m_connectionLost) {
        // Nothing was written yet: a connection that died while idle is re-made once.
        if (Status r = reconnect(); !r)
            return r;
        s = execControl(m_beginStatement, sql);
    }
    m_inTransaction = s.ok();
    return s;
}

Status Database::execControl(std::unique_ptr<SqliteStatement> &kept, const QString &sql)
{
    if (m_dialect != Dialect::Sqlite)
        return exec(sql);
    if (!kept) {
        auto prepared = SqliteStatement::prepare(*this, sql);
        if (!prepared)
            return prepared.error();
        kept = std::move(prepared).value();
    }
    if (auto ran = kept->run(); !ran) {
        kept.reset(); // prepared again next time
        return ran.error();
    }
    return ok();
}

Status Database::commit()
{
    Status s = execControl(m_commitStatement, QStringLiteral("COMMIT"));
    if (!s && !m_connectionLost)
        rollback();
    m_inTransaction = false;
    return s;
}

void Database::rollback()
{
    if (m_connectionLost) { // the server has already rolled it back
        m_inTransaction = false;
        return;
    }
    QSqlQuery q(connection());
    q.exec(QStringLiteral("ROLLBACK"));
    m_inTransaction = false;
}

QString Database::forUpdate() const
{
    return m_dialect == Dialect::Postgres ? QStringLiteral(" FOR NO KEY UPDATE") : QString();
}

QString Database::marks(qsizetype n)
{
    QString m;
    m.reserve(n * 2);
    for (qsizetype i = 0; i < n; ++i)
        m += i ? QStringLiteral(",?") : QStringLiteral("?");
    return m;
}

QString Database::inIdList(const QString &column) const
{
    return column + (m_dialect == Dialect::Postgres
                         ? QStringLiteral(" = ANY(?::bigint[])")
                         : QStringLiteral(" IN (SELECT value FROM json_each(?))"));
}

QVariant Database::idList(const QVariantList &ids) const
{
    if (m_dialect == Dialect::Postgres)
        return postgresArray(ids);
    QByteArray json = "[";
    for (const QVariant &id : ids) {
        if (json.size() > 1)
            json += ',';
        json += QByteArray::number(id.toLongLong());
    }
    json += ']';
    return QString::fromLatin1(json);
}

QString Database::postgresArray(const QVariant *first, qsizetype count, qsizetype stride)
{
    QString out = QStringLiteral("{");
    for (qsizetype r = 0; r < count; ++r) {
        const QVariant &v = first[r * stride];
        if (r > 0)
            out += u',';
        if (v.isNull()) {
            out += u"NULL";
        } else if (v.typeId() == QMetaType::QString) {
            out += u'"';
            for (QChar ch : v.toString()) {
                if (ch == u'"' || ch == u'\\')
                    out += u'\\';
                out += ch;
            }
            out += u'"';
        } else {
            out += v.toString();
        }
    }
    return out + u'}';
}

Status Database::initialise(OpenMode mode, bool created)
{
    Q_UNUSED(mode);
    if (m_dialect == Dialect::Sqlite) {
        // Per connection; does not change the file.
        if (Status s = exec(QStringLiteral("PRAGMA foreign_keys = ON")); !s)
            return s;
    }
    // Read the version before anything writes: a newer database is refused untouched.
    int version = 0;
    {
        QSqlQuery q(connection());
        const QString probe =
            m_dialect == Dialect::Sqlite
                ? QStringLiteral(
                      "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'meta'")
                : QStringLiteral(
                      "SELECT count(*) FROM information_schema.tables WHERE table_schema = "
                      "current_schema() AND table_name = 'meta'");
        if (!q.exec(probe) || !q.next())
            return errorFrom(q.lastError());
        const bool hasMeta = q.value(0).toInt() > 0;
        if (hasMeta) {
            QSqlQuery v(connection());
            if (!v.exec(QStringLiteral("SELECT key, value FROM meta")))
                return errorFrom(v.lastError());
            while (v.next()) {
                if (v.value(0).toString() == u"schema_version")
                    version = v.value(1).toInt();
                else if (v.value(0).toString() == u"database_id")
                    m_databaseId = v.value(1).toString();
            }
        } else if (!created) {
            QSqlQuery t(connection());
            const QString anyTable =
                m_dialect == Dialect::Sqlite
                    ? QStringLiteral("SELECT count(*) FROM sqlite_master")
                    : QStringLiteral("SELECT count(*) FROM information_schema.tables WHERE "
                                     "table_schema = current_schema()");
            if (!t.exec(anyTable) || !t.next())
                return errorFrom(t.lastError());
            if (t.value(0).toInt() > 0)
                return makeError(ErrorKind::Database,
                                 tr("%1 holds another program's tables, not a Roster database.")
                                     .arg(displayName()));
            if (mode == OpenMode::MustExist)
                return makeError(ErrorKind::NotFound,
                                 tr("%1 is empty: create a database with \"rosterctl init\".")
                                     .arg(displayName()));
        }
    }
    if (version > latestSchemaVersion())
        return newerSchema(displayName(), version);
    if (m_dialect == Dialect::Sqlite) {
        QSqlQuery q(connection());
        // WAL persists in the file; only ask for it when it is not set yet.
        const bool isWal = q.exec(QStringLiteral("PRAGMA journal_mode")) && q.next() &&
                           q.value(0).toString() == u"wal";
        q.finish();
        if (!isWal) {
            QSqlQuery w(connection());
            if (!w.exec(QStringLiteral("PRAGMA journal_mode = WAL")))
                return errorFrom(w.lastError());
        }
        (void)exec(QStringLiteral("PRAGMA synchronous = NORMAL"));
        // Deleted rows (spent tokens' outbox rows, old password hashes) are overwritten.
        (void)exec(QStringLiteral("PRAGMA secure_delete = ON"));
    }
    if (version < latestSchemaVersion())
        return migrate(version);
    return ok();
}

Status Database::migrate(int version)
{
    Transaction tx(*this);
    if (!tx.status())
        return tx.status();
    // Two consoles (or rosterctl runs) starting at once: the second waits here for the first's
    // upgrade, then reads the version again and finds the work done. SQLite's BEGIN IMMEDIATE
    // is that lock; PostgreSQL takes an advisory one. Found newer under the lock (a newer Roster
    // upgraded meanwhile): refused, as when it was found newer before.
    if (m_dialect == Dialect::Postgres) {
        if (Status s = exec(QStringLiteral("SELECT pg_advisory_xact_lock(7326001)")); !s)
            return s;
    }
    {
        QSqlQuery q(connection());
        const QString probe =
            m_dialect == Dialect::Sqlite
                ? QStringLiteral(
                      "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'meta'")
                : QStringLiteral("SELECT count(*) FROM information_schema.tables WHERE "
                                 "table_schema = current_schema() AND table_name = 'meta'");
        if (!q.exec(probe) || !q.next())
            return errorFrom(q.lastError());
        const bool hasMeta = q.value(0).toInt() > 0;
        q.finish();
        if (hasMeta) {
            QSqlQuery v(connection());
            if (!v.exec(QStringLiteral("SELECT key, value FROM meta WHERE key IN "
                                       "('schema_version', 'database_id')")))
                return errorFrom(v.lastError());
            while (v.next()) {
                if (v.value(0).toString() == u"schema_version")
                    version = v.value(1).toInt();
                else
                    m_databaseId = v.value(1).toString();
            }
        }
    }
    if (version > latestSchemaVersion())
        return newerSchema(displayName(), version);
    if (version == latestSchemaVersion())
        return tx.commit();
    for (int v = version + 1; v <= latestSchemaVersion(); ++v) {
        for (const QString &statement : migrationStatements(v, m_dialect)) {
            if (Status s = exec(statement); !s)
                return makeError(ErrorKind::Database, tr("Cannot upgrade %1 to schema %2: %3")
                                                          .arg(displayName())
                                                          .arg(v)
                                                          .arg(s.error().message));
        }
    }
    if (m_databaseId.isEmpty()) {
        m_databaseId = QUuid::createUuid().toString(QUuid::WithoutBraces);
        QSqlQuery q =
            prepare(QStringLiteral("INSERT INTO meta (key, value) VALUES ('database_id', ?) "
                                   "ON CONFLICT (key) DO NOTHING"));
        q.addBindValue(m_databaseId);
        if (Status s = exec(q); !s)
            return s;
    }
    QSqlQuery q =
        prepare(QStringLiteral("INSERT INTO meta (key, value) VALUES ('schema_version', ?) "
                               "ON CONFLICT (key) DO UPDATE SET value = excluded.value"));
    q.addBindValue(QString::number(latestSchemaVersion()));
    if (Status s = exec(q); !s)
        return s;
    qCInfo(lcStorage) << "migrated" << displayName() << "from schema" << version << "to"
                      << latestSchemaVersion();
    if (Status s = tx.commit(); !s)
        return s;
    // New indexes need statistics, or SQLite's planner may sort a million rows through the wrong
    // one (seen: the name order through users_by_account, 5 s instead of 1 ms). Upgrading an
    // existing database is the moment; a new one is analysed when it has rows (demo, optimize).
    if (version > 0)
        (void)exec(m_dialect == Dialect::Sqlite ? QStringLiteral("ANALYZE")
                                                : QStringLiteral("ANALYZE users"));
    return ok();
}

} // namespace roster
