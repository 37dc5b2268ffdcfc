#pragma once

#include "models/database.h"
#include "models/userfilter.h"
#include "models/userrecord.h"

#include <QList>

namespace roster {

struct Profile
{
    qint64 id = 0;
    QString name;
    bool isAdmin = false;
    bool manageUsers = false;
};

// Read access to users and profiles; every query is one prepared statement over indexes.
class UserRepository
{
public:
    explicit UserRepository(Database &db) : m_db(db) {}

    Result<qint64> count(const UserFilter &filter) const;
    // Rows [offset, offset+limit) of the filter's order. With fromEnd, offset counts from the last
    // row backwards (cheap access to the end of a long list); rows still come back in view order.
    // `matches`, the filter's count when the caller has it, lets a search with few matches be
    // planned as such (PostgreSQL).
    Result<QList<UserRecord>> fetch(const UserFilter &filter, qint64 offset, int limit,
                                    bool fromEnd = false, qint64 matches = -1) const;
    // The count and the first `limit` rows, as a search needs them. On PostgreSQL a prefix search
    // (one or two characters) sorted by name or email is one statement (combinedCount() says
    // when): one round trip, and the matches are collected once for both, where count() and
    // fetch() collected them twice. Elsewhere it is count() then fetch().
    struct CountedPage
    {
        qint64 count = 0;
        QList<UserRecord> rows;
    };
    Result<CountedPage> countWithFirstPage(const UserFilter &filter, int limit) const;
    bool combinedCount(const UserFilter &filter) const;
    Result<UserRecord> byId(qint64 id) const;
    Result<UserRecord> byEmail(UserKind kind, const QString &email) const;
    // The users of `ids` that exist, in id order (an id listed twice comes once).
    Result<QList<UserRecord>> byIds(const QList<qint64> &ids) const;

    Result<QList<Profile>> profiles() const;
    Result<Profile> profileByName(const QString &name) const;

private:
    Result<UserRecord> one(const QString &where, const QVariantList &binds) const;
    Database &m_db;
};

} // namespace roster
