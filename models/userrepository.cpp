#include "models/userrepository.h"

#include <QCoreApplication>
#include <QSqlError>
#include <QSqlQuery>
#include <QSqlRecord>

namespace roster {

namespace {
QString tr(const char *s)
{
    return QCoreApplication::translate("UserRepository", s);
}

QString fromClause(bool join, const QString &hint = {})
{
    QString from = QStringLiteral(" FROM users u") + hint;
    if (join)
        from += QStringLiteral(" LEFT JOIN profiles p ON p.id = u.profile_id");
    return from;
}

// The whole rows of a page of ids: `ids` picks them (ordered, with its LIMIT), then they are
// joined to their rows and profiles, in the same `order`; `extra` adds columns after the row's.
QString rowsOfPage(const QString &ids, const QString &order, const QString &extra = {})
{
    return QStringLiteral("SELECT ") + UserRecord::selectColumns() + extra +
           QStringLiteral(" FROM (") + ids +
           QStringLiteral(") AS page JOIN users u ON u.id = page.id"
                          " LEFT JOIN profiles p ON p.id = u.profile_id") +
           order;
}
} // namespace

Result<qint64> UserRepository::count(const UserFilter &filter) const
{
    QVariantList binds;
    // The search table knows the kind: it counts a search's matches without reading users.
    QString sql = filter.searchCountSql(&binds, m_db.dialect());
    if (sql.isEmpty())
        sql = QStringLiteral("SELECT count(*)") + fromClause(filter.view == UserView::Admins) +
              filter.countWhereSql(&binds, m_db.dialect());
    QSqlQuery q = m_db.prepare(sql);
    for (const QVariant &b : binds)
        q.addBindValue(b);
    if (Status s = m_db.exec(q); !s)
        return s.error();
    if (!q.next())
        return makeError(ErrorKind::Database, tr("The user count came back empty."));
    return q.value(0).toLongLong();
}

Result<QList<UserRecord>> UserRepository::fetch(const UserFilter &filter, qint64 offset, int limit,
                                                bool fromEnd, qint64 matches) const
{
    QVariantList binds;
    // The page's ids first, then their rows: the inner query sorts and skips index entries (the
    // sort indexes cover the id), and only the page's rows are read whole. Reading the rows inside
    // the ordered query made the engine carry whole rows through a sort or an offset: at 1M users
    // a page in the middle of the list took 0.9 s and a one-letter search's first page 96 ms (18
    // and 19 ms this way).
    const QString order = filter.orderBySql(fromEnd);
    // PostgreSQL plans LIMIT 200 of a search as a walk of the sort index that stops at the 200th
    // match, assuming matches spread evenly. A prefix search's matches are anything but: "m"
    // (40,000 matches, all past the middle by name) walked 500,000 rows, 0.9 s at 1M users. Then
    // OFFSET 0 fences the matches off: they are collected through the prefix (or trigram) indexes
    // and only they are sorted, ~50 ms. A substring's matches are spread ("müller": 25,000, the
    // walk finds 200 in 40 ms, collecting and sorting them all takes 100): fenced only when few.
    const QString text = filter.search.trimmed();
    const qint64 fence = text.size() < 3 ? 200000 : 5000;
    const bool fenced =
        m_db.dialect() == Dialect::Postgres && !text.isEmpty() && matches >= 0 && matches <= fence;
    // Unfenced, the walk tests each row it passes (see UserFilter::walkWhereSql()).
    QString from =
        fromClause(filter.view == UserView::Admins, filter.searchIndexHint(m_db.dialect())) +
        (fenced ? filter.whereSql(&binds, m_db.dialect())
                : filter.walkWhereSql(&binds, m_db.dialect()));
    if (fenced)
        from = QStringLiteral(" FROM (SELECT u.*") + from + QStringLiteral(" OFFSET 0) AS u");
    const QString sql = rowsOfPage(
        QStringLiteral("SELECT u.id") + from + order + QStringLiteral(" LIMIT ? OFFSET ?"), order);
    QSqlQuery q = m_db.prepare(sql);
    for (const QVariant &b : binds)
        q.addBindValue(b);
    q.addBindValue(limit);
    q.addBindValue(offset);
    if (Status s = m_db.exec(q); !s)
        return s.error();
    QList<UserRecord> rows;
    rows.reserve(limit);
    while (q.next())
        rows.append(UserRecord::readFrom(q));
    // SQLite steps the rows inside next(): a failure there (an interrupt, I/O) ends the loop.
    if (q.lastError().isValid())
        return m_db.errorFrom(q.lastError());
    if (fromEnd)
        std::reverse(rows.begin(), rows.end());
    return rows;
}

bool UserRepository::combinedCount(const UserFilter &filter) const
{
    // A prefix search (one or two characters): fetch() would collect its matches a second time
    // (fenced, see there). A longer one in the All view: its matches come from users_search
    // alone (the ids and the sort key), read once for the count and the first page. In the other
    // views a longer search's first page is usually a short walk of the sort index, cheaper than
    // collecting all its matches from users (measured before schema 8: "mül" 550 -> 690 ms
    // combined, load 16).
    if (m_db.dialect() != Dialect::Postgres ||
        (filter.sort != UserFilter::Sort::Name && filter.sort != UserFilter::Sort::Email))
        return false;
    const qsizetype length = filter.search.trimmed().size();
    return (length > 0 && length < 3) || filter.searchTableAnswers(m_db.dialect());
}

Result<UserRepository::CountedPage> UserRepository::countWithFirstPage(const UserFilter &filter,
                                                                       int limit) const
{
    CountedPage out;
    if (!combinedCount(filter) || limit <= 0) {
        auto n = count(filter);
        if (!n)
            return n.error();
        out.count = n.value();
        if (out.count > 0 && limit > 0) {
            auto rows = fetch(filter, 0, int(std::min<qint64>(limit, out.count)), false, out.count);
            if (!rows)
                return rows.error();
            out.rows = std::move(rows).value();
        }
        return out;
    }
    // The matches' ids and sort key, collected once (the prefix or trigram indexes, then the
    // rows): their count, and the first page of them by the key, then those rows whole. No row
    // back means no match (limit > 0), so the count rides on each row.
    QVariantList binds;
    const QString keyColumn = filter.sort == UserFilter::Sort::Email ? QStringLiteral("email_key")
                                                                     : QStringLiteral("name_key");
    const QString order = filter.orderBySql(false);
    QString matches = filter.searchMatchesSql(&binds, m_db.dialect(), keyColumn);
    if (matches.isEmpty())
        matches = QStringLiteral("SELECT u.id, u.") + keyColumn +
                  fromClause(filter.view == UserView::Admins) +
                  filter.whereSql(&binds, m_db.dialect());
    const QString sql = QStringLiteral("WITH matches AS MATERIALIZED (") + matches +
                        QStringLiteral(") ") +
                        rowsOfPage(QStringLiteral("SELECT u.id FROM matches AS u") + order +
                                       QStringLiteral(" LIMIT ?"),
                                   order, QStringLiteral(", (SELECT count(*) FROM matches)"));
    QSqlQuery q = m_db.prepare(sql);
    for (const QVariant &b : binds)
        q.addBindValue(b);
    q.addBindValue(limit);
    if (Status s = m_db.exec(q); !s)
        return s.error();
    const int countColumn = q.record().count() - 1;
    out.rows.reserve(limit);
    while (q.next()) {
        out.rows.append(UserRecord::readFrom(q));
        out.count = q.value(countColumn).toLongLong();
    }
    if (q.lastError().isValid())
        return m_db.errorFrom(q.lastError());
    return out;
}

Result<UserRecord> UserRepository::one(const QString &where, const QVariantList &binds) const
{
    QSqlQuery q = m_db.prepare(QStringLiteral("SELECT ") + UserRecord::selectColumns() +
                               fromClause(true) + where);
    for (const QVariant &b : binds)
        q.addBindValue(b);
    if (Status s = m_db.exec(q); !s)
        return s.error();
    if (!q.next())
        return makeError(ErrorKind::NotFound, QString());
    return UserRecord::readFrom(q);
}

Result<UserRecord> UserRepository::byId(qint64 id) const
{
    auto r = one(QStringLiteral(" WHERE u.id = ?"), {id});
    if (!r && r.error().kind == ErrorKind::NotFound)
        return makeError(ErrorKind::NotFound, tr("No user with id %1.").arg(id));
    return r;
}

Result<UserRecord> UserRepository::byEmail(UserKind kind, const QString &email) const
{
    auto r = one(QStringLiteral(" WHERE u.kind = ? AND u.email_key = ?"),
                 {userKindKey(kind), userEmailKey(email)});
    if (!r && r.error().kind == ErrorKind::NotFound)
        return makeError(ErrorKind::NotFound,
                         kind == UserKind::Portal
                             ? tr("No portal user with the email %1.").arg(email)
                             : tr("No user with the email %1.").arg(email));
    return r;
}

Result<QList<UserRecord>> UserRepository::byIds(const QList<qint64> &ids) const
{
    QList<UserRecord> out;
    if (ids.isEmpty())
        return out;
    out.reserve(ids.size());
    // One statement for any number of ids, the list bound as one value. A `?` a value capped
    // the list (it was read 500 at a time), and SQLite's prepare of 500 marks took 8 M
    // instructions, 4 µs an id of a bulk re-invite.
    QVariantList values;
    values.reserve(ids.size());
    for (qint64 id : ids)
        values.append(id);
    QSqlQuery q =
        m_db.prepare(QStringLiteral("SELECT ") + UserRecord::selectColumns() + fromClause(true) +
                     QStringLiteral(" WHERE ") + m_db.inIdList(QStringLiteral("u.id")) +
                     QStringLiteral(" ORDER BY u.id"));
    q.addBindValue(m_db.idList(values));
    if (Status s = m_db.exec(q); !s)
        return s.error();
    while (q.next())
        out.append(UserRecord::readFrom(q));
    return out;
}

Result<QList<Profile>> UserRepository::profiles() const
{
    QSqlQuery q = m_db.prepare(
        QStringLiteral("SELECT id, name, is_admin, manage_users FROM profiles ORDER BY id"));
    if (Status s = m_db.exec(q); !s)
        return s.error();
    QList<Profile> out;
    while (q.next())
        out.append(Profile{q.value(0).toLongLong(), q.value(1).toString(), q.value(2).toInt() != 0,
                           q.value(3).toInt() != 0});
    return out;
}

Result<Profile> UserRepository::profileByName(const QString &name) const
{
    auto all = profiles();
    if (!all)
        return all.error();
    for (const Profile &p : all.value())
        if (p.name.compare(name.trimmed(), Qt::CaseInsensitive) == 0)
            return p;
    QStringList names;
    for (const Profile &p : all.value())
        names << p.name;
    return makeError(
        ErrorKind::NotFound,
        tr("No profile named \"%1\" (profiles: %2).").arg(name, names.join(QStringLiteral(", "))));
}

} // namespace roster
