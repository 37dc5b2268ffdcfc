#pragma once

#include "models/database.h"
#include "models/userrecord.h"

#include <QString>
#include <QVariantList>

#include <optional>

namespace roster {

// FailedMail: users whose latest invitation mail failed for good (the failed invitations list).
// Requested: active, unconfirmed users who asked for a new invitation from an expired or
// superseded link since their latest invitation (SPEC §8).
// Bounced: users whose latest invitation was accepted by the server, then bounced.
enum class UserView {
    All,
    Active,
    Inactive,
    Unconfirmed,
    Confirmed,
    Admins,
    ExpiringSoon,
    FailedMail,
    Requested,
    Bounced, // the latest invitation bounced after it was sent (SPEC §9)
};

// Which rows, in which order: a value that becomes SQL, so that a view is a WHERE clause over
// indexes and never a second list (STYLE.md rule 3).
struct UserFilter
{
    enum class Sort { Name, Email, Profile, Status, Invited, Requested };

    UserKind kind = UserKind::Crm;
    UserView view = UserView::All;
    QString search; // matched against name and email, case-insensitively
    Sort sort = Sort::Name;
    bool descending = false;
    qint64 nowMs = 0; // for the views that depend on time (Expiring soon)

    static std::optional<UserView>
    parseView(const QString &name); // all|active|…|admins|expiring|failed|requested
    static QString viewKey(UserView view);
    // The order a view opens with: Unconfirmed and Expiring soon list the oldest invitation first,
    // Requested the oldest request first.
    static Sort defaultSort(UserView view);

    // " WHERE …" over users u (joined to profiles p), with its bound values appended to binds.
    // Search: from 3 characters a case-insensitive substring of the name or the email, found
    // through a trigram index (SQLite FTS5 / PostgreSQL pg_trgm); shorter text matches the start
    // of the name or the email (index range scans). Either way a million users cost milliseconds.
    QString whereSql(QVariantList *binds, Dialect dialect = Dialect::Sqlite) const;
    // The same rows, for a walk of a sort index that stops at the page's last match (a search
    // with many matches, not fenced off): on PostgreSQL a search of 3+ characters tests the keys
    // on each row walked. whereSql()'s IN made the planner probe users_search for every row
    // walked, and testing both misjudged the matches as rare and went parallel ("müller"'s first
    // page ~40 -> 300-600 ms at 1M users). Otherwise the same as whereSql().
    QString walkWhereSql(QVariantList *binds, Dialect dialect) const;
    // SQLite, search of 3+ characters: the FTS5 MATCH expression (kind and an exact phrase over
    // name and email) that answers the search alone; empty otherwise.
    QString searchMatchExpression(Dialect dialect) const;
    // The All view, search of 3+ characters: the statement that counts its matches in the search
    // table alone (SQLite's FTS5 users_search; PostgreSQL's users_search of schema 8, the keys
    // and their trigram indexes), never reading users; empty otherwise.
    QString searchCountSql(QVariantList *binds, Dialect dialect) const;
    // PostgreSQL, the All view, search of 3+ characters: the ids and the sort key `keyColumn`
    // (name_key or email_key) of its matches, read from users_search alone (its trigram indexes
    // and its narrow rows); empty otherwise.
    QString searchMatchesSql(QVariantList *binds, Dialect dialect, const QString &keyColumn) const;
    // Whether searchMatchesSql() has an answer: PostgreSQL, the All view, 3+ characters.
    bool searchTableAnswers(Dialect dialect) const;
    // SQLite: the index the first page should walk (in sort order, testing the matching ids)
    // when a search narrows the All view; empty when the planner's own choice is better.
    QString searchIndexHint(Dialect dialect) const;
    // The same rows, spelled for count(*). On SQLite the Unconfirmed and Confirmed views test
    // (confirmed_at IS NULL) as the expression users_by_status holds, so the count reads that
    // index alone: spelled as in whereSql(), the planner took users_by_status for (kind, active)
    // and read ~950,000 table rows to check confirmed_at (3.3 s for Unconfirmed at 1M users).
    QString countWhereSql(QVariantList *binds, Dialect dialect = Dialect::Sqlite) const;
    // " ORDER BY …" with a unique tie-breaker; `reversed` flips it (to fetch from the end).
    QString orderBySql(bool reversed = false) const;
    bool needsProfileJoin() const;

    bool operator==(const UserFilter &) const = default;

private:
    // rowTest: see walkWhereSql().
    QString whereSql(QVariantList *binds, Dialect dialect, bool rowTest) const;
    // PostgreSQL: users_search s's rows of this kind whose name or email key is LIKE pattern.
    QString postgresSearchCondition(QVariantList *binds, const QString &pattern) const;
    // " FROM users_search s WHERE …": the search's substring in users_search's keys.
    QString postgresSearchTableWhere(QVariantList *binds) const;
};

// What LIKE needs: the text lower-cased, with %, _ and \ escaped (use with ESCAPE '\').
QString likeEscaped(const QString &text);
// The case-insensitive key stored beside a name for search and sort.
QString nameKey(const QString &name);
// The case-insensitive key stored beside an email (emails are ASCII, see emailAddressProblem).
QString userEmailKey(const QString &email);

} // namespace roster
