#include "models/userfilter.h"

namespace roster {

namespace {
constexpr qint64 expiringSoonMs = 48LL * 60 * 60 * 1000;
} // namespace

QString UserFilter::postgresSearchCondition(QVariantList *binds, const QString &pattern) const
{
    binds->append(userKindKey(kind));
    binds->append(pattern);
    binds->append(pattern);
    return QStringLiteral(
        " s.kind = ? AND (s.name_key LIKE ? ESCAPE '\\' OR s.email_key LIKE ? ESCAPE '\\')");
}

bool UserFilter::searchTableAnswers(Dialect dialect) const
{
    return dialect == Dialect::Postgres && view == UserView::All &&
           search.trimmed().toCaseFolded().size() >= 3;
}

QString UserFilter::postgresSearchTableWhere(QVariantList *binds) const
{
    return QStringLiteral(" FROM users_search s WHERE") +
           postgresSearchCondition(binds,
                                   u'%' + likeEscaped(search.trimmed().toCaseFolded()) + u'%');
}

QString UserFilter::searchCountSql(QVariantList *binds, Dialect dialect) const
{
    if (view != UserView::All)
        return {};
    if (dialect == Dialect::Sqlite) {
        const QString match = searchMatchExpression(dialect);
        if (match.isEmpty())
            return {};
        binds->append(match);
        return QStringLiteral("SELECT count(*) FROM users_search WHERE users_search MATCH ?");
    }
    if (!searchTableAnswers(dialect))
        return {};
    return QStringLiteral("SELECT count(*)") + postgresSearchTableWhere(binds);
}

QString UserFilter::searchMatchesSql(QVariantList *binds, Dialect dialect,
                                     const QString &keyColumn) const
{
    if (!searchTableAnswers(dialect))
        return {};
    return QStringLiteral("SELECT s.id, s.") + keyColumn + postgresSearchTableWhere(binds);
}

std::optional<UserView> UserFilter::parseView(const QString &name)
{
    const QString n = name.trimmed().toLower();
    if (n == u"all")
        return UserView::All;
    if (n == u"active")
        return UserView::Active;
    if (n == u"inactive")
        return UserView::Inactive;
    if (n == u"unconfirmed")
        return UserView::Unconfirmed;
    if (n == u"confirmed")
        return UserView::Confirmed;
    if (n == u"admins" || n == u"administrators")
        return UserView::Admins;
    if (n == u"expiring" || n == u"expiring-soon")
        return UserView::ExpiringSoon;
    if (n == u"failed" || n == u"failed-invitations")
        return UserView::FailedMail;
    if (n == u"requested" || n == u"asked")
        return UserView::Requested;
    if (n == u"bounced" || n == u"bounced-invitations")
        return UserView::Bounced;
    return std::nullopt;
}

QString UserFilter::viewKey(UserView view)
{
    switch (view) {
    case UserView::All:
        return QStringLiteral("all");
    case UserView::Active:
        return QStringLiteral("active");
    case UserView::Inactive:
        return QStringLiteral("inactive");
    case UserView::Unconfirmed:
        return QStringLiteral("unconfirmed");
    case UserView::Confirmed:
        return QStringLiteral("confirmed");
    case UserView::Admins:
        return QStringLiteral("admins");
    case UserView::ExpiringSoon:
        return QStringLiteral("expiring");
    case UserView::FailedMail:
        return QStringLiteral("failed");
    case UserView::Requested:
        return QStringLiteral("requested");
    case UserView::Bounced:
        return QStringLiteral("bounced");
    }
    return {};
}

UserFilter::Sort UserFilter::defaultSort(UserView view)
{
    if (view == UserView::Requested)
        return Sort::Requested;
    return view == UserView::Unconfirmed || view == UserView::ExpiringSoon ||
                   view == UserView::FailedMail || view == UserView::Bounced
               ? Sort::Invited
               : Sort::Name;
}

QString likeEscaped(const QString &text)
{
    QString out;
    out.reserve(text.size() + 2);
    for (const QChar c : text.toLower()) {
        if (c == u'%' || c == u'_' || c == u'\\')
            out += u'\\';
        out += c;
    }
    return out;
}

QString nameKey(const QString &name)
{
    return name.toCaseFolded();
}

QString userEmailKey(const QString &email)
{
    return email.trimmed().toLower();
}

bool UserFilter::needsProfileJoin() const
{
    return view == UserView::Admins;
}

QString UserFilter::whereSql(QVariantList *binds, Dialect dialect) const
{
    return whereSql(binds, dialect, false);
}

QString UserFilter::walkWhereSql(QVariantList *binds, Dialect dialect) const
{
    return whereSql(binds, dialect, true);
}

QString UserFilter::whereSql(QVariantList *binds, Dialect dialect, bool rowTest) const
{
    QString sql = QStringLiteral(" WHERE u.kind = ?");
    binds->append(userKindKey(kind));
    switch (view) {
    case UserView::All:
        break;
    case UserView::Active:
        sql += u" AND u.active = 1";
        break;
    case UserView::Inactive:
        sql += u" AND u.active = 0";
        break;
    case UserView::Unconfirmed:
        sql += u" AND u.confirmed_at IS NULL AND u.active = 1";
        break;
    case UserView::Confirmed:
        sql += u" AND u.confirmed_at IS NOT NULL AND u.active = 1";
        break;
    case UserView::Admins:
        sql += u" AND p.is_admin = 1";
        break;
    case UserView::ExpiringSoon:
        sql += u" AND u.confirmed_at IS NULL AND u.active = 1"
               u" AND u.invite_expires_at > ? AND u.invite_expires_at <= ?";
        // SQLite matches the users_by_status expression index only in this form (PostgreSQL
        // matches "confirmed_at IS NULL" itself): a range of it is the view, where the partial
        // users_unconfirmed index would first walk every expired invitation (1M users: count
        // 34 → 1 ms, first page 98 → 28 ms).
        if (dialect == Dialect::Sqlite)
            sql += u" AND (u.confirmed_at IS NULL) = 1";
        binds->append(nowMs);
        binds->append(nowMs + expiringSoonMs);
        break;
    case UserView::FailedMail:
        sql += u" AND u.mail_state = 'failed' AND u.confirmed_at IS NULL";
        break;
    case UserView::Requested:
        // The users_requested partial index holds exactly the users who asked.
        sql += u" AND u.invite_requested_at IS NOT NULL AND u.confirmed_at IS NULL"
               u" AND u.active = 1";
        break;
    case UserView::Bounced:
        sql += u" AND u.mail_state = 'bounced' AND u.confirmed_at IS NULL";
        break;
    }
    const QString s = search.trimmed().toCaseFolded();
    if (s.size() >= 3) {
        const QString e = likeEscaped(s);
        if (dialect == Dialect::Sqlite) {
            // The trigram index with positions answers exactly: a phrase of consecutive
            // trigrams is a substring.
            sql += u" AND u.id IN (SELECT rowid FROM users_search WHERE users_search MATCH ?)";
            binds->append(searchMatchExpression(dialect));
        } else if (rowTest) {
            sql += u" AND (u.name_key LIKE ? ESCAPE '\\' OR u.email_key LIKE ? ESCAPE '\\')";
            binds->append(QString(u'%' + e + u'%'));
            binds->append(QString(u'%' + e + u'%'));
        } else {
            // The trigram indexes are on users_search (schema 8), the keys alone: its candidates
            // are rechecked on its narrow rows, not on whole users.
            sql += QStringLiteral(" AND u.id IN (SELECT s.id FROM users_search s WHERE") +
                   postgresSearchCondition(binds, u'%' + e + u'%') + u')';
        }
    } else if (!s.isEmpty()) {
        // The start of the name or of the email: two index range scans.
        QString upper = s;
        upper.append(QChar(0xFFFF));
        sql += u" AND ((u.name_key >= ? AND u.name_key < ?) OR (u.email_key >= ? AND u.email_key < "
               u"?))";
        binds->append(s);
        binds->append(upper);
        binds->append(s);
        binds->append(upper);
    }
    return sql;
}

QString UserFilter::searchMatchExpression(Dialect dialect) const
{
    const QString s = search.trimmed().toCaseFolded();
    if (dialect != Dialect::Sqlite || s.size() < 3)
        return {};
    QString phrase = s;
    phrase.replace(u'"', QStringLiteral("\"\""));
    return QStringLiteral("kind:\"") + userKindKey(kind) +
           QStringLiteral("\" AND {name_key email_key}:\"") + phrase + u'"';
}

QString UserFilter::searchIndexHint(Dialect dialect) const
{
    if (searchMatchExpression(dialect).isEmpty() || view != UserView::All)
        return {};
    switch (sort) {
    case Sort::Name:
        return QStringLiteral(" INDEXED BY users_by_name");
    case Sort::Email:
        return QStringLiteral(" INDEXED BY users_by_email");
    default:
        return {};
    }
}

QString UserFilter::countWhereSql(QVariantList *binds, Dialect dialect) const
{
    QString sql = whereSql(binds, dialect);
    if (dialect != Dialect::Sqlite ||
        (view != UserView::Unconfirmed && view != UserView::Confirmed))
        return sql;
    // The view's own clause is the first condition after the kind (see whereSql()).
    const QString rowForm =
        view == UserView::Unconfirmed
            ? QStringLiteral(" AND u.confirmed_at IS NULL AND u.active = 1")
            : QStringLiteral(" AND u.confirmed_at IS NOT NULL AND u.active = 1");
    const QString indexForm =
        view == UserView::Unconfirmed
            ? QStringLiteral(" AND (u.confirmed_at IS NULL) = 1 AND u.active = 1")
            : QStringLiteral(" AND (u.confirmed_at IS NULL) = 0 AND u.active = 1");
    const qsizetype at = sql.indexOf(rowForm);
    if (at >= 0)
        sql.replace(at, rowForm.size(), indexForm);
    return sql;
}

QString UserFilter::orderBySql(bool reversed) const
{
    const bool desc = descending != reversed;
    const QString dir = desc ? QStringLiteral(" DESC") : QStringLiteral(" ASC");
    QString key;
    switch (sort) {
    case Sort::Name:
        key = QStringLiteral("u.name_key");
        break;
    case Sort::Email:
        key = QStringLiteral("u.email_key");
        break;
    case Sort::Profile:
        // Grouped by profile (CRM users) or by account (portal users), by name within.
        key = (kind == UserKind::Portal ? QStringLiteral("u.account")
                                        : QStringLiteral("u.profile_id")) +
              dir + QStringLiteral(", u.name_key");
        break;
    case Sort::Status:
        // Inactive, confirmed, then unconfirmed by expiry.
        key = QStringLiteral("u.active") + dir + QStringLiteral(", (u.confirmed_at IS NULL)") +
              dir + QStringLiteral(", u.invite_expires_at");
        break;
    case Sort::Invited:
        key = QStringLiteral("u.invited_at");
        break;
    case Sort::Requested:
        // Only the Requested view sorts by it, where it is never null (so no NULLS clause: the
        // partial index's order on PostgreSQL).
        key = QStringLiteral("u.invite_requested_at");
        break;
    }
    // Nulls sort as the smallest value on both engines (SQLite's own order; PostgreSQL's indexes
    // on these columns are built NULLS FIRST to match).
    const QString nulls =
        sort == Sort::Status || sort == Sort::Invited
            ? (desc ? QStringLiteral(" NULLS LAST") : QStringLiteral(" NULLS FIRST"))
            : QString();
    return QStringLiteral(" ORDER BY ") + key + dir + nulls + QStringLiteral(", u.id") + dir;
}

} // namespace roster
