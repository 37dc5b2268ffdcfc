#include "app/demodata.h"

#include "app/tokens.h"
#include "models/userfilter.h"

#include <QRandomGenerator>
#include <QScopeGuard>
#include <QSqlQuery>
#include <QStringList>

#include <algorithm>
#include <initializer_list>
#include <optional>
#include <vector>

namespace roster {

namespace {
const char16_t *const firstNames[] = {
    u"Anna",     u"Ben",   u"Chloé",    u"Dmitri", u"Emma",   u"Farah",   u"Giulia",    u"Hiro",
    u"Ines",     u"Jonas", u"Kateřina", u"Lars",   u"Maëlle", u"Nikolai", u"Olga",      u"Pablo",
    u"Quentin",  u"Rosa",  u"Søren",    u"Tomás",  u"Ulla",   u"Vikram",  u"Wei",       u"Xavier",
    u"Yasmin",   u"Zoë",   u"Ahmed",    u"Björn",  u"Carmen", u"Dagný",   u"Élodie",    u"Fatima",
    u"Grzegorz", u"Hana",  u"Ibrahim",  u"José",   u"Kenji",  u"Leila",   u"Mateo",     u"Noor",
    u"Oskar",    u"Priya", u"Rafael",   u"Sakura", u"Timo",   u"Ümit",    u"Valentina", u"Wojciech",
    u"Yuki",     u"Zeynep"};
const char16_t *const lastNames[] = {
    u"Andersson", u"Bauer",    u"Castillo", u"Dubois",   u"Eriksen",    u"Fischer", u"García",
    u"Hansen",    u"Ivanova",  u"Jensen",   u"Kowalski", u"Lefèvre",    u"Müller",  u"Nakamura",
    u"O'Brien",   u"Petrović", u"Quinn",    u"Rossi",    u"Schmidt",    u"Tanaka",  u"Urbańska",
    u"Van Dijk",  u"Wagner",   u"Xu",       u"Yılmaz",   u"Zieliński",  u"Novák",   u"Horváth",
    u"Silva",     u"Kim",      u"Nguyễn",   u"Smith",    u"Johnson",    u"Brown",   u"Okafor",
    u"Mensah",    u"Haddad",   u"Cohen",    u"Sato",     u"Łukasiewicz"};
const char *const domains[] = {"example.com",       "example.org",     "example.net",
                               "northwind.example", "contoso.example", "fabrikam.example"};
const char16_t *const accounts[] = {u"Acme Corp",         u"Globex", u"Initech",
                                    u"Umbrella",          u"Hooli",  u"Stark Industries",
                                    u"Wayne Enterprises", u"Soylent"};

QString asciiFold(const QString &s)
{
    QString d = s.normalized(QString::NormalizationForm_KD);
    QString out;
    for (QChar c : d) {
        if (c.unicode() < 128 && (c.isLetterOrNumber()))
            out += c.toLower();
        else if (c == u'ł' || c == u'Ł')
            out += u'l';
        else if (c == u'ø')
            out += u'o';
        else if (c == u'ı')
            out += u'i';
    }
    return out;
}

// A column the demo writes; its type spells PostgreSQL's array parameter.
struct Column
{
    const char *name;
    const char *pgType;
};

// Rows for one table, written hundreds at a time by one statement prepared once (plus one for
// whatever is left at the end). QSqlQuery::execBatch would not help: the SQLite and PostgreSQL
// drivers run it row by row.
// SQLite: INSERT … VALUES (?, …), (?, …) of 250 rows, 4500 values, far below the 32766 SQLite
// (3.32 and later) binds at most; longer statements gained nothing, and Qt's named placeholders
// make SQLite's prepare quadratic in their number.
// PostgreSQL: INSERT … SELECT * FROM unnest(?::bigint[], ?::text[], …) of 1,000 rows, an array a
// column: the driver sends parameters as literals in an EXECUTE, and the server reads 18 array
// literals far faster than 18,000 values (1M users: 62 -> 47 s; client CPU 15.5 -> 5.9 s).
// 5,000 rows a statement were no faster.
class RowWriter
{
public:
    RowWriter(Database &db, const QString &table, std::initializer_list<Column> columns)
        : m_db(db), m_table(table), m_columns(columns),
          m_rowsPerStatement(db.dialect() == Dialect::Sqlite ? 250 : 1000)
    {}
    void add(std::initializer_list<QVariant> row)
    {
        Q_ASSERT(row.size() == m_columns.size());
        m_pending.insert(m_pending.end(), row.begin(), row.end());
    }
    qsizetype pendingRows() const { return qsizetype(m_pending.size() / m_columns.size()); }
    int rowsPerStatement() const { return m_rowsPerStatement; }

    // Writes every full statement's worth of pending rows; with `all`, the rest too.
    Status write(bool all)
    {
        const qsizetype rows = pendingRows();
        qsizetype written = 0;
        if (rows >= m_rowsPerStatement && !m_fullPrepared) {
            m_full = m_db.prepare(sql(m_rowsPerStatement));
            m_fullPrepared = true;
        }
        for (; rows - written >= m_rowsPerStatement; written += m_rowsPerStatement)
            if (Status s = run(m_full, written, m_rowsPerStatement); !s)
                return s;
        if (all && written < rows) {
            QSqlQuery rest = m_db.prepare(sql(int(rows - written)));
            if (Status s = run(rest, written, int(rows - written)); !s)
                return s;
            written = rows;
        }
        m_pending.erase(m_pending.begin(),
                        m_pending.begin() + qsizetype(written * m_columns.size()));
        return ok();
    }

private:
    QString sql(int rows) const
    {
        QStringList names, values;
        for (const Column &c : m_columns) {
            names << QString::fromLatin1(c.name);
            values << u"?::" + QString::fromLatin1(c.pgType) + u"[]";
        }
        const QString head = m_table + u" (" + names.join(u", ") + u')';
        if (m_db.dialect() == Dialect::Postgres)
            return u"INSERT INTO " + head + u" SELECT * FROM unnest(" + values.join(u", ") + u')';
        // OR ROLLBACK: see generateDemoData (no statement journal).
        const QString row =
            u'(' + QStringList(names.size(), QStringLiteral("?")).join(u", ") + u')';
        return u"INSERT OR ROLLBACK INTO " + head + u" VALUES " +
               QStringList(rows, row).join(u", ");
    }
    Status run(QSqlQuery &q, qsizetype firstRow, int rows)
    {
        const size_t columns = m_columns.size();
        const size_t first = size_t(firstRow) * columns;
        if (m_db.dialect() == Dialect::Postgres) {
            for (size_t c = 0; c < columns; ++c)
                q.bindValue(int(c), arrayLiteral(first + c, rows));
        } else {
            for (size_t i = 0; i < size_t(rows) * columns; ++i)
                q.bindValue(int(i), m_pending[first + i]);
        }
        Status s = m_db.exec(q);
        q.finish();
        return s;
    }
    // One column of `rows` pending rows from m_pending[first] on, as a PostgreSQL array literal.
    QString arrayLiteral(size_t first, int rows) const
    {
        return Database::postgresArray(m_pending.data() + first, rows, qsizetype(m_columns.size()));
    }

    Database &m_db;
    QString m_table;
    std::vector<Column> m_columns;
    int m_rowsPerStatement;
    QSqlQuery m_full;
    bool m_fullPrepared = false;
    std::vector<QVariant> m_pending;
};

// Hands out the users' ids, decided here instead of read back with RETURNING (whose order over a
// multi-row INSERT neither engine promises), so that invitations can name their users in the same
// batch. SQLite: the ids it would choose itself, max(id) + 1 onwards (users has no AUTOINCREMENT);
// safe because the one write transaction keeps every other writer out until the commit.
// PostgreSQL: drawn from the identity column's own sequence, which never hands a number out twice.
class UserIds
{
public:
    explicit UserIds(Database &db) : m_db(db) {}
    // The next `count` ids, ascending.
    Result<std::vector<qint64>> take(qint64 count)
    {
        std::vector<qint64> ids;
        ids.reserve(size_t(count));
        if (m_db.dialect() == Dialect::Sqlite) {
            if (!m_last) {
                QSqlQuery q =
                    m_db.prepare(QStringLiteral("SELECT COALESCE(MAX(id), 0) FROM users"));
                if (Status s = m_db.exec(q); !s)
                    return s.error();
                if (!q.next())
                    return makeError(ErrorKind::Database, QStringLiteral("no largest user id"));
                m_last = q.value(0).toLongLong();
            }
            for (qint64 i = 0; i < count; ++i)
                ids.push_back(++*m_last);
            return ids;
        }
        QSqlQuery q = m_db.prepare(QStringLiteral(
            "SELECT nextval(pg_get_serial_sequence('users', 'id')) FROM generate_series(1, ?)"));
        q.addBindValue(count);
        if (Status s = m_db.exec(q); !s)
            return s.error();
        while (q.next())
            ids.push_back(q.value(0).toLongLong());
        if (qint64(ids.size()) != count)
            return makeError(ErrorKind::Database, QStringLiteral("user ids not reserved"));
        std::sort(ids.begin(), ids.end());
        return ids;
    }

private:
    Database &m_db;
    std::optional<qint64> m_last; // SQLite: the last id handed out
};

// Drops the secondary indexes of users and returns the statements that make them again: building
// an index from the full table (a sort) costs far less than a million inserts into it in random
// key order. At 1.1M users, SQLite took 21 s to insert the rows with the indexes in place and 12 s
// without them, the CREATE INDEXes included; PostgreSQL 66 s against ~20 s (the GIN trigram
// indexes above all). The indexes behind constraints (primary key, unique (kind, email_key)) stay.
// On PostgreSQL the foreign keys of users and invitations go too: their triggers check each row
// (1.1M users: 8 s), adding them back checks all rows in one join (under a second). SQLite cannot
// drop a constraint; generateDemoData turns its checks off instead. The search's trigram indexes
// on users_search (PostgreSQL, schema 8) go too: its insert trigger then adds each statement's
// rows to that narrow table in one statement, and the indexes are built from it at the end.
// Read from the catalogue, so that what a later schema adds is treated alike. On PostgreSQL only
// when this role owns the table (DROP needs it); otherwise all stays in place.
Result<QStringList> dropForBulkLoad(Database &db)
{
    const bool sqlite = db.dialect() == Dialect::Sqlite;
    // Indexes first, then foreign keys: the order they are made again in.
    QSqlQuery q = db.prepare(
        sqlite
            ? QStringLiteral(
                  "SELECT 'DROP INDEX \"' || replace(name, '\"', '\"\"') || '\"', sql "
                  "FROM sqlite_master WHERE type = 'index' AND tbl_name = 'users' AND sql IS NOT "
                  "NULL ORDER BY name")
            : QStringLiteral(
                  // regclass text is quoted where needed; pg_get_*def give whole clauses.
                  "SELECT 'DROP INDEX ' || i.indexrelid::regclass::text, "
                  "pg_get_indexdef(i.indexrelid), 0 AS k "
                  "FROM pg_index i JOIN pg_class t ON t.oid = i.indrelid "
                  "WHERE i.indrelid IN ('users'::regclass, to_regclass('users_search')) "
                  "AND pg_has_role(t.relowner, 'USAGE') "
                  "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid) "
                  "UNION ALL "
                  "SELECT 'ALTER TABLE ' || c.conrelid::regclass::text || ' DROP CONSTRAINT ' || "
                  "quote_ident(c.conname), 'ALTER TABLE ' || c.conrelid::regclass::text || "
                  "' ADD CONSTRAINT ' || quote_ident(c.conname) || ' ' || "
                  "pg_get_constraintdef(c.oid), 1 "
                  "FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid "
                  "WHERE c.contype = 'f' AND c.conrelid IN ('users'::regclass, "
                  "'invitations'::regclass) AND pg_has_role(t.relowner, 'USAGE') "
                  "ORDER BY k, 1"));
    if (Status s = db.exec(q); !s)
        return s.error();
    QStringList drops, remakes;
    while (q.next()) {
        drops << q.value(0).toString();
        remakes << q.value(1).toString();
    }
    q.finish();
    for (const QString &drop : std::as_const(drops))
        if (Status s = db.exec(drop); !s)
            return s.error();
    return remakes;
}

// Rebuilds SQLite's trigram index from the users table. FTS5 writes its pending terms out as a new
// segment whenever they pass 1 MB, and merges segments as it goes; with room for 64 MB, 1.1M
// users take 4.7 s instead of 9.8 s, and searches are as fast. The option lives in the index's
// config table, so it goes back to FTS5's default afterwards and its row is removed: the table is
// as the schema left it. (Should a schema ever set the option, it is left alone.)
Status rebuildSearchIndex(Database &db)
{
    const QString rebuild =
        QStringLiteral("INSERT INTO users_search (users_search) VALUES ('rebuild')");
    QSqlQuery q =
        db.prepare(QStringLiteral("SELECT count(*) FROM users_search_config WHERE k = 'hashsize'"));
    if (Status s = db.exec(q); !s)
        return s;
    const bool configured = !q.next() || q.value(0).toInt() > 0;
    q.finish();
    if (configured)
        return db.exec(rebuild);
    const QString hashSize =
        QStringLiteral("INSERT INTO users_search (users_search, rank) VALUES ('hashsize', ?)");
    QSqlQuery large = db.prepare(hashSize);
    large.addBindValue(64 * 1024 * 1024);
    if (Status s = db.exec(large); !s)
        return s;
    if (Status s = db.exec(rebuild); !s)
        return s;
    QSqlQuery standard = db.prepare(hashSize);
    standard.addBindValue(1024 * 1024);
    if (Status s = db.exec(standard); !s)
        return s;
    // With the value at its default already, a failure here (a defensive connection, whose
    // shadow tables are read-only) changes nothing that matters.
    (void)db.exec(QStringLiteral("DELETE FROM users_search_config WHERE k = 'hashsize'"));
    return ok();
}
} // namespace

Status generateDemoData(Database &db, const Clock &clock, qint64 adminId,
                        const DemoOptions &options,
                        const std::function<void(qint64, qint64)> &progress)
{
    QRandomGenerator rng(options.seed);
    const qint64 now = clock.nowMs();
    const qint64 portal = options.portalUsers >= 0 ? options.portalUsers : options.users / 10;
    const qint64 total = options.users + portal;
    constexpr qint64 perChunk = 20000; // users between two progress reports

    qint64 adminProfile = 0, standardProfile = 0, managerProfile = 0;
    {
        QSqlQuery q = db.prepare(QStringLiteral("SELECT id, name FROM profiles"));
        if (Status s = db.exec(q); !s)
            return s;
        while (q.next()) {
            const QString n = q.value(1).toString();
            if (n == u"Administrator")
                adminProfile = q.value(0).toLongLong();
            else if (n == u"Standard")
                standardProfile = q.value(0).toLongLong();
            else if (n == u"User Manager")
                managerProfile = q.value(0).toLongLong();
        }
    }
    QString adminName;
    {
        QSqlQuery q = db.prepare(QStringLiteral("SELECT name FROM users WHERE id = ?"));
        q.addBindValue(adminId);
        if (Status s = db.exec(q); !s)
            return s;
        if (q.next())
            adminName = q.value(0).toString();
    }

    // What made a million users slow on SQLite, and what is done about it:
    // - Index pages are touched in random key order: a 256 MB page cache instead of 2 MB, and one
    //   WAL checkpoint at the end; the connection gets its settings back.
    // - FTS5 flushes its pending terms at every statement: the trigram index's insert trigger
    //   goes, and the index is rebuilt from the table in one pass at the end.
    // - A statement that writes several rows, or returns some, and might fail half-way (a
    //   constraint that aborts it, an immediate foreign key check) first copies every page it
    //   changes into a statement journal, a temporary file, so as to undo itself alone: 4.4 GB
    //   written at 100,000 users by the old one-row INSERT … RETURNING. The inserts here say
    //   OR ROLLBACK (a failure undoes the whole transaction, as it would anyway) and foreign keys
    //   are checked once before the commit instead of by every statement.
    // All of it is one transaction: a failure, or a kill, leaves the organisation as it was, its
    // search trigger included.
    const bool sqlite = db.dialect() == Dialect::Sqlite;
    bool foreignKeys = false;
    if (sqlite) {
        QSqlQuery fk = db.prepare(QStringLiteral("PRAGMA foreign_keys"));
        foreignKeys = db.exec(fk) && fk.next() && fk.value(0).toInt() == 1;
        fk.finish();
        // Before BEGIN: inside a transaction this pragma does nothing.
        if (Status s = db.exec(QStringLiteral("PRAGMA foreign_keys = OFF")); !s)
            return s;
        (void)db.exec(QStringLiteral("PRAGMA cache_size = -262144"));
        (void)db.exec(QStringLiteral("PRAGMA wal_autocheckpoint = 0"));
    }
    const auto restore = qScopeGuard([&] { // runs after tx below has ended
        if (!sqlite)
            return;
        if (foreignKeys)
            (void)db.exec(QStringLiteral("PRAGMA foreign_keys = ON"));
        (void)db.exec(QStringLiteral("PRAGMA wal_autocheckpoint = 1000"));
        (void)db.exec(QStringLiteral("PRAGMA wal_checkpoint(TRUNCATE)"));
        (void)db.exec(QStringLiteral("PRAGMA cache_size = -2000"));
    });

    Transaction tx(db);
    if (!tx.status())
        return tx.status();
    QString searchTrigger;
    if (sqlite) {
        QSqlQuery t = db.prepare(QStringLiteral("SELECT sql FROM sqlite_master WHERE type = "
                                                "'trigger' AND name = 'users_search_insert'"));
        if (Status s = db.exec(t); !s)
            return s;
        if (t.next())
            searchTrigger = t.value(0).toString();
        t.finish();
        if (!searchTrigger.isEmpty())
            if (Status s = db.exec(QStringLiteral("DROP TRIGGER users_search_insert")); !s)
                return s;
    }
    const auto remakes = dropForBulkLoad(db);
    if (!remakes)
        return remakes.error();

    // Folding a name for its email address normalises it (NFKD): once per name, not per user.
    QStringList foldedFirst, foldedLast;
    for (const char16_t *n : firstNames)
        foldedFirst << asciiFold(QString::fromUtf16(n));
    for (const char16_t *n : lastNames)
        foldedLast << asciiFold(QString::fromUtf16(n));
    const QVariant crmKind = QStringLiteral("crm"), portalKind = QStringLiteral("portal");
    const QVariant sent = QStringLiteral("sent"), noAccount = QStringLiteral("");
    const QVariant nullId = QVariant(QMetaType::fromType<qlonglong>());
    const QVariant admin = adminId, adminNameValue = adminName;

    RowWriter users(db, QStringLiteral("users"),
                    {{"id", "bigint"},
                     {"kind", "text"},
                     {"email", "text"},
                     {"email_key", "text"},
                     {"name", "text"},
                     {"name_key", "text"},
                     {"profile_id", "bigint"},
                     {"account", "text"},
                     {"active", "integer"},
                     {"confirmed_at", "bigint"},
                     {"created_at", "bigint"},
                     {"created_by", "bigint"},
                     {"updated_at", "bigint"},
                     {"invited_at", "bigint"},
                     {"invite_expires_at", "bigint"},
                     {"invite_count", "integer"},
                     {"last_invited_by", "text"},
                     {"mail_state", "text"}});
    RowWriter invitations(db, QStringLiteral("invitations"),
                          {{"user_id", "bigint"},
                           {"token_hash", "text"},
                           {"created_at", "bigint"},
                           {"expires_at", "bigint"},
                           {"created_by", "bigint"},
                           {"created_by_name", "text"}});

    UserIds userIds(db);
    for (qint64 done = 0; done < total;) {
        const qint64 end = std::min(total, done + perChunk);
        auto ids = userIds.take(end - done);
        if (!ids)
            return ids.error();
        for (qint64 i = done; i < end; ++i) {
            // The generator's draws keep the order they always had: the same seed gives the same
            // organisation as before.
            const bool isPortal = i >= options.users;
            const int firstIndex = rng.bounded(int(std::size(firstNames)));
            const int lastIndex = rng.bounded(int(std::size(lastNames)));
            const QString name = QString::fromUtf16(firstNames[firstIndex]) + u' ' +
                                 QString::fromUtf16(lastNames[lastIndex]);
            const QString email =
                foldedFirst.at(firstIndex) + u'.' + foldedLast.at(lastIndex) + u'.' +
                QString::number(i + 1) + u'@' +
                QString::fromLatin1(domains[rng.bounded(int(std::size(domains)))]);
            const int roll = int(rng.bounded(1000));
            // 5% deactivated, 10% unconfirmed (half expired), the rest confirmed.
            const bool inactive = roll < 50;
            const bool unconfirmed = roll >= 50 && roll < 150;
            const bool expired = unconfirmed && roll >= 100;
            const qint64 created = now - qint64(rng.bounded(3 * 365)) * msPerDay - 8 * msPerDay;
            qint64 invited = created;
            if (expired) {
                const qint64 days = 7 + qint64(rng.bounded(60));
                invited = now - days * msPerDay - qint64(rng.bounded(int(msPerDay)));
            } else if (unconfirmed) {
                invited = now - qint64(rng.bounded(int(7 * msPerDay - 3600000)));
            }
            qint64 profile = standardProfile;
            if (!isPortal) {
                if (i % 97 == 5)
                    profile = adminProfile;
                else if (i % 61 == 7)
                    profile = managerProfile;
            }
            const QVariant account =
                isPortal
                    ? QVariant(QString::fromUtf16(accounts[rng.bounded(int(std::size(accounts)))]))
                    : noAccount;
            const int inviteCount = unconfirmed ? 1 + int(rng.bounded(3)) : 1;
            const bool confirmed = !unconfirmed && !(inactive && roll % 2);
            const qint64 id = ids.value()[size_t(i - done)];
            users.add({id, isPortal ? portalKind : crmKind, email, userEmailKey(email), name,
                       nameKey(name), isPortal ? nullId : QVariant(profile), account,
                       inactive ? 0 : 1, confirmed ? QVariant(invited + msPerDay / 3) : nullId,
                       created, admin, invited, invited, invited + invitationLifetimeMs,
                       inviteCount, adminNameValue, sent});
            if (!confirmed && !inactive)
                invitations.add({id, issueToken().hash /* a token nobody holds */, invited,
                                 invited + invitationLifetimeMs, admin, adminNameValue});
            // Users first: an invitation's row refers to its user's.
            if (users.pendingRows() >= users.rowsPerStatement()) {
                if (Status s = users.write(false); !s)
                    return s;
                if (Status s = invitations.write(false); !s)
                    return s;
            }
        }
        done = end;
        if (progress)
            progress(done, total);
    }
    if (Status s = users.write(true); !s)
        return s;
    if (Status s = invitations.write(true); !s)
        return s;

    for (const QString &remake : *remakes)
        if (Status s = db.exec(remake); !s)
            return s;
    if (sqlite) {
        for (const QString &table : {QStringLiteral("users"), QStringLiteral("invitations")}) {
            QSqlQuery check = db.prepare(u"PRAGMA foreign_key_check(" + table + u')');
            if (Status s = db.exec(check); !s)
                return s;
            if (check.next())
                return makeError(ErrorKind::Database,
                                 QStringLiteral("demo data breaks a foreign key of ") + table);
        }
        // Before the search index is rebuilt, as it always was (the same statistics).
        (void)db.exec(QStringLiteral("ANALYZE"));
        if (!searchTrigger.isEmpty()) {
            if (Status s = db.exec(searchTrigger); !s)
                return s;
            if (Status s = rebuildSearchIndex(db); !s)
                return s;
        }
    }
    if (Status s = tx.commit(); !s)
        return s;
    if (!sqlite)
        // VACUUM too: it sets the visibility map, without which PostgreSQL counts the
        // Unconfirmed view through the heap (36 ms at 200k users) instead of users_unconfirmed
        // alone (2 ms). Autovacuum does the same for a real organisation, later. users_search
        // for its statistics: without them the search's plans take it for the empty table the
        // schema made.
        (void)db.exec(QStringLiteral("VACUUM ANALYZE users, users_search"));
    return ok();
}

} // namespace roster
