#pragma once

#include "models/database.h"
#include "models/userfilter.h"
#include "models/userrecord.h"
#include "models/viewloader.h"

#include <QAbstractTableModel>
#include <QHash>
#include <QList>
#include <QSet>

#include <functional>
#include <optional>

namespace roster {

// The users table as a view of SQL (STYLE.md rules 2 and 3): the row count comes from
// UserRepository::count(), rows are read a page at a time around what the view asks for and kept
// in a small least-recently-used cache, so a million users cost what one screen costs. Filtering,
// search and sorting are a UserFilter, i.e. SQL.
class UsersTableModel final : public QAbstractTableModel
{
    Q_OBJECT

public:
    enum Column {
        Name,
        Email,
        Profile, // "Account" for portal users
        Status,
        Invited,
        InvitedAt, // the Unconfirmed view's extra columns
        Expires,
        TimesInvited,
        LastInvitedBy,
        MailState,
        Actions, // the narrow column where the row's gear is painted
        ColumnCount
    };
    Q_ENUM(Column)

    enum Role {
        UserIdRole = Qt::UserRole + 1,
        StatusRole,    // int(UserStatus)
        MailStateRole, // queued | sending | sent | deferred | failed | ""
        EmailRole,
        RequestedRole, // bool: asked for a new invitation (the status's marker)
        BouncedRole,   // bool: the latest invitation bounced (the row is painted red, SPEC §9)
    };

    static constexpr int defaultPageSize = 200;
    static constexpr int defaultCachedPages = 8;

    // `now` gives the time the status texts are computed for (injectable for tests).
    explicit UsersTableModel(Database &db, std::function<qint64()> now = {},
                             QObject *parent = nullptr);
    ~UsersTableModel() override;

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation,
                        int role = Qt::DisplayRole) const override;
    // A header click: with background loading, read like requestFilter() (the rows on show stay
    // until the sorted ones arrive); without, at once.
    void sort(int column, Qt::SortOrder order = Qt::AscendingOrder) override;

    // The filter asked for last: the one being loaded in the background, if any, else the one
    // shown.
    UserFilter filter() const { return m_loading ? m_wanted : m_filter; }
    // The filter the rows on show were read with.
    UserFilter shownFilter() const { return m_filter; }
    // Applies a new filter (view, search, sort) and reloads when it differs, before returning.
    void setFilter(const UserFilter &filter);
    // The same without waiting: the count and the first rows are read on a thread of its own (see
    // ViewLoader) and the rows on show stay until they arrive; a newer request or a setFilter()
    // stops the stale one inside the database. Falls back to setFilter() without background
    // loading. For search as you type, view switches and sorts: a query may take a while on a
    // million users.
    void requestFilter(const UserFilter &filter);
    // Gives the model a second connection, to the same database, for requestFilter().
    void setBackgroundLoading(bool enabled);
    bool isLoading() const { return m_loading; }
    ViewLoader *viewLoader() const { return m_loader; }
    // Re-counts and drops every cached row (F5, or after rows were added).
    void reload();
    // These users changed (a live update): re-counts and re-reads the cached pages, so that a
    // user whose change moves them in the sort order, or into or out of the view, moves here too
    // (rows removed or inserted at the end, a layout change that carries selections with their
    // users, dataChanged for the named users' rows). No row
    // ever shows twice or vanishes (issue 13, point 15).
    void refreshUsers(const QList<qint64> &ids);

    // The user on `row`, read from the cache or its page; invalid (id 0) out of range.
    UserRecord userAt(int row) const;
    // The row showing the user, among the rows read so far; -1 when not loaded or not in the view.
    int indexOf(qint64 userId) const;
    // The users on rows [first, last], in order: for big selections (Ctrl+A, then Re-invite),
    // read in large chunks past the page cache so that it is neither thrashed nor grown.
    QList<qint64> userIds(int first, int last) const;

    void setPageSize(int rows);
    int pageSize() const { return m_pageSize; }
    int cachedPageCount() const { return int(m_pages.size()); }
    // How many page queries ran (tests and benchmarks).
    int pageFetches() const { return m_fetches; }
    // Was the last page read from the end of the list (offset counted from the last row)?
    bool lastFetchFromEnd() const { return m_lastFromEnd; }

    // The column the filter's sort is shown on, for the header's indicator.
    static int sortColumn(UserFilter::Sort sort);
    static std::optional<UserFilter::Sort> sortFor(int column);

    static QString formatDate(qint64 ms);
    static QString mailStateText(const QString &state);
    // The marker the Status column appends for a user who asked for a new invitation.
    static QString requestedText();
    // What the first column of a row shows while its page is being read.
    static QString loadingText();
    // Is the row's page in the cache (tests)?
    bool isRowCached(int row) const { return row >= 0 && m_pages.contains(row / m_pageSize); }
    // Is the row's page being read beside the table (tests)?
    bool isRowRequested(int row) const
    {
        return row >= 0 && m_requested.contains(row / m_pageSize);
    }

signals:
    void countChanged(qint64 count);
    // A requestFilter() started (true) or ended, applied or dropped (false).
    void loadingChanged(bool loading);
    void errorOccurred(const QString &message);

private:
    struct Page
    {
        QList<UserRecord> rows;
        quint64 lastUse = 0;
    };
    struct Span
    {
        qint64 offset = 0;
        int limit = 0;
        bool fromEnd = false;
    };
    const Page *page(int pageIndex) const;
    // The cached page, or nullptr after asking the background loader for it (data()).
    const Page *cachedPage(int pageIndex) const;
    Page &insertPage(int pageIndex, QList<UserRecord> rows) const;
    Span span(int pageIndex, qint64 count) const;
    Result<QList<UserRecord>> readPage(int pageIndex, qint64 count) const;
    void requestPage(int pageIndex) const;
    // Page reads beside the table for the rows as they were: forgotten (a reset), or asked again
    // for the rows as they are now (a live change moved rows).
    void dropPageRequests();
    void requestPagesAgain();
    void applyPage(const PageLoad &load);
    void reportLater(const QString &message) const;
    void applyLoad(const ViewLoad &load);
    void stopLoading();

    Database &m_db;
    std::function<qint64()> m_now;
    UserFilter m_filter;
    qint64 m_count = 0;
    bool m_loaded = false;
    ViewLoader *m_loader = nullptr;
    UserFilter m_wanted;
    quint64 m_loadGeneration = 0;
    bool m_loading = false;
    int m_pageSize = defaultPageSize;
    int m_maxPages = defaultCachedPages;
    mutable QHash<int, Page> m_pages;
    // Pages asked of the loader for data(), under m_pageTicket (a newer one drops older answers).
    mutable QSet<int> m_requested;
    quint64 m_pageTicket = 1;
    mutable quint64 m_useCounter = 0;
    mutable int m_fetches = 0;
    mutable bool m_lastFromEnd = false;
};

} // namespace roster
