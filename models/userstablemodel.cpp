#include "models/userstablemodel.h"

#include "models/usercelltexts.h"
#include "models/userrepository.h"

#include <QDateTime>
#include <QLocale>
#include <QSet>

#include <algorithm>
#include <limits>

namespace roster {

UsersTableModel::UsersTableModel(Database &db, std::function<qint64()> now, QObject *parent)
    : QAbstractTableModel(parent), m_db(db), m_now(std::move(now))
{
    if (!m_now)
        m_now = [] { return QDateTime::currentMSecsSinceEpoch(); };
    m_filter.sort = UserFilter::defaultSort(m_filter.view);
}

UsersTableModel::~UsersTableModel() = default;

int UsersTableModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(std::min<qint64>(m_count, std::numeric_limits<int>::max()));
}

int UsersTableModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

void UsersTableModel::setPageSize(int rows)
{
    beginResetModel();
    m_pageSize = std::max(1, rows);
    m_pages.clear();
    dropPageRequests();
    endResetModel();
}

UsersTableModel::Span UsersTableModel::span(int pageIndex, qint64 count) const
{
    const qint64 first = qint64(pageIndex) * m_pageSize;
    const qint64 last = std::min<qint64>(first + m_pageSize, count); // exclusive
    if (first >= last)
        return {};
    // Pages in the second half are read counting from the end, so that Ctrl+End on a long list
    // walks a few rows of the index backwards instead of skipping a million forwards.
    const bool fromEnd = first > count / 2;
    return {fromEnd ? count - last : first, int(last - first), fromEnd};
}

Result<QList<UserRecord>> UsersTableModel::readPage(int pageIndex, qint64 count) const
{
    const Span s = span(pageIndex, count);
    if (s.limit == 0)
        return QList<UserRecord>();
    ++m_fetches;
    m_lastFromEnd = s.fromEnd;
    return UserRepository(m_db).fetch(m_filter, s.offset, s.limit, s.fromEnd, count);
}

void UsersTableModel::requestPage(int pageIndex) const
{
    const Span s = span(pageIndex, m_count);
    if (s.limit == 0 || m_requested.contains(pageIndex))
        return;
    m_requested.insert(pageIndex);
    ++m_fetches;
    m_lastFromEnd = s.fromEnd;
    m_loader->requestPage(m_pageTicket, pageIndex, m_filter, s.offset, s.limit, s.fromEnd, m_count);
}

void UsersTableModel::dropPageRequests()
{
    ++m_pageTicket;
    m_requested.clear();
    if (m_loader)
        m_loader->cancelPages();
}

void UsersTableModel::requestPagesAgain()
{
    if (m_requested.isEmpty())
        return;
    const QSet<int> wanted = m_requested;
    dropPageRequests();
    for (int p : wanted)
        if (!m_pages.contains(p))
            requestPage(p);
}

void UsersTableModel::applyPage(const PageLoad &load)
{
    if (load.ticket != m_pageTicket || !m_requested.remove(load.page))
        return; // read for rows that have changed since
    if (load.error) {
        // A cancel meant for a view load landed on this read (PostgreSQL): still wanted.
        if (load.error->kind == ErrorKind::Cancelled)
            requestPage(load.page);
        else
            emit errorOccurred(load.error->message);
        return;
    }
    if (m_pages.contains(load.page) || load.rows.isEmpty())
        return; // userAt() read it meanwhile
    insertPage(load.page, load.rows);
    const int first = load.page * m_pageSize;
    const int last = std::min(rowCount() - 1, first + int(load.rows.size()) - 1);
    if (first <= last)
        emit dataChanged(index(first, 0), index(last, ColumnCount - 1));
}

void UsersTableModel::reportLater(const QString &message) const
{
    // data() is const and may run while painting: report once control is back in the loop.
    auto *self = const_cast<UsersTableModel *>(this);
    QMetaObject::invokeMethod(
        self, [self, message] { emit self->errorOccurred(message); }, Qt::QueuedConnection);
}

const UsersTableModel::Page *UsersTableModel::page(int pageIndex) const
{
    auto it = m_pages.find(pageIndex);
    if (it != m_pages.end()) {
        it->lastUse = ++m_useCounter;
        return &*it;
    }
    if (qint64(pageIndex) * m_pageSize >= m_count)
        return nullptr;
    auto rows = readPage(pageIndex, m_count);
    if (!rows) {
        reportLater(rows.error().message);
        return nullptr;
    }
    return &insertPage(pageIndex, std::move(rows).value());
}

const UsersTableModel::Page *UsersTableModel::cachedPage(int pageIndex) const
{
    auto it = m_pages.find(pageIndex);
    if (it != m_pages.end()) {
        it->lastUse = ++m_useCounter;
        return &*it;
    }
    if (qint64(pageIndex) * m_pageSize < m_count)
        requestPage(pageIndex);
    return nullptr;
}

UsersTableModel::Page &UsersTableModel::insertPage(int pageIndex, QList<UserRecord> rows) const
{
    if (m_pages.size() >= m_maxPages) {
        auto oldest =
            std::min_element(m_pages.begin(), m_pages.end(),
                             [](const Page &a, const Page &b) { return a.lastUse < b.lastUse; });
        m_pages.erase(oldest);
    }
    Page p;
    p.rows = std::move(rows);
    p.lastUse = ++m_useCounter;
    return *m_pages.insert(pageIndex, std::move(p));
}

UserRecord UsersTableModel::userAt(int row) const
{
    if (row < 0 || row >= rowCount())
        return {};
    const Page *p = page(row / m_pageSize);
    const int inPage = row % m_pageSize;
    if (!p || inPage >= p->rows.size())
        return {};
    return p->rows.at(inPage);
}

int UsersTableModel::indexOf(qint64 userId) const
{
    for (auto it = m_pages.cbegin(); it != m_pages.cend(); ++it) {
        const QList<UserRecord> &rows = it->rows;
        for (qsizetype i = 0; i < rows.size(); ++i)
            if (rows.at(i).id == userId)
                return it.key() * m_pageSize + int(i);
    }
    return -1;
}

QList<qint64> UsersTableModel::userIds(int first, int last) const
{
    QList<qint64> ids;
    first = std::max(first, 0);
    last = std::min(last, rowCount() - 1);
    if (first > last)
        return ids;
    // A few pages: the cache has them, or will want them anyway.
    if (last - first < 2 * m_pageSize) {
        for (int row = first; row <= last; ++row)
            if (const UserRecord u = userAt(row); u.isValid())
                ids.append(u.id);
        return ids;
    }
    constexpr int chunk = 2000;
    ids.reserve(last - first + 1);
    UserRepository repo(m_db);
    for (qint64 start = first; start <= last; start += chunk) {
        const qint64 end = std::min<qint64>(start + chunk, qint64(last) + 1); // exclusive
        const bool fromEnd = start > m_count / 2;
        auto rows = repo.fetch(m_filter, fromEnd ? m_count - end : start, int(end - start), fromEnd,
                               m_count);
        if (!rows) {
            reportLater(rows.error().message);
            return {};
        }
        for (const UserRecord &u : rows.value())
            ids.append(u.id);
    }
    return ids;
}

QVariant UsersTableModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    if (role == Qt::TextAlignmentRole)
        return UserCellTexts::alignment(index.column());
    if (!UserCellTexts::answers(role))
        return {};
    UserRecord u;
    if (!m_loader) {
        u = userAt(index.row());
    } else if (const Page *p = cachedPage(index.row() / m_pageSize)) {
        // With a loader, data() never reads: an uncached page is asked for beside the table
        // and its rows say "Loading…" until it arrives (issue 13, point 14).
        if (const int inPage = index.row() % m_pageSize; inPage < p->rows.size())
            u = p->rows.at(inPage);
    } else if (index.column() == Name &&
               (role == Qt::DisplayRole || role == Qt::AccessibleTextRole)) {
        return UserCellTexts::loadingText();
    }
    if (!u.isValid())
        return {};
    return UserCellTexts(m_now(), m_filter.view).data(u, index.column(), role);
}

QVariant UsersTableModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || section < 0 || section >= ColumnCount)
        return QAbstractTableModel::headerData(section, orientation, role);
    return UserCellTexts::header(section, role, m_filter.kind);
}

QString UsersTableModel::formatDate(qint64 ms)
{
    return UserCellTexts::formatDate(ms);
}

QString UsersTableModel::mailStateText(const QString &state)
{
    return UserCellTexts::mailStateText(state);
}

QString UsersTableModel::requestedText()
{
    return UserCellTexts::requestedText();
}

QString UsersTableModel::loadingText()
{
    return UserCellTexts::loadingText();
}

int UsersTableModel::sortColumn(UserFilter::Sort sort)
{
    switch (sort) {
    case UserFilter::Sort::Name:
        return Name;
    case UserFilter::Sort::Email:
        return Email;
    case UserFilter::Sort::Profile:
        return Profile;
    case UserFilter::Sort::Status:
        return Status;
    case UserFilter::Sort::Invited:
        return Invited;
    case UserFilter::Sort::Requested: // the marker is on the status
        return Status;
    }
    return Name;
}

std::optional<UserFilter::Sort> UsersTableModel::sortFor(int column)
{
    switch (column) {
    case Name:
        return UserFilter::Sort::Name;
    case Email:
        return UserFilter::Sort::Email;
    case Profile:
        return UserFilter::Sort::Profile;
    case Status:
        return UserFilter::Sort::Status;
    case Invited:
    case InvitedAt:
    case Expires: // expiry is invitation + 7 days: the same order
        return UserFilter::Sort::Invited;
    default:
        return std::nullopt;
    }
}

void UsersTableModel::sort(int column, Qt::SortOrder order)
{
    const auto s = sortFor(column);
    if (!s)
        return;
    UserFilter f = filter();
    f.sort = *s;
    f.descending = order == Qt::DescendingOrder;
    requestFilter(f);
}

void UsersTableModel::setFilter(const UserFilter &filter)
{
    UserFilter f = filter;
    f.nowMs = m_filter.nowMs;
    if (m_loaded && f == m_filter && !m_loading)
        return;
    stopLoading();
    const bool headerChanges = f.kind != m_filter.kind;
    m_filter = f;
    reload();
    if (headerChanges)
        emit headerDataChanged(Qt::Horizontal, 0, ColumnCount - 1);
}

void UsersTableModel::setBackgroundLoading(bool enabled)
{
    if (enabled == (m_loader != nullptr))
        return;
    if (!enabled) {
        stopLoading();
        dropPageRequests();
        delete m_loader;
        m_loader = nullptr;
        return;
    }
    m_loader = new ViewLoader(m_db.location(), this);
    connect(m_loader, &ViewLoader::loaded, this, &UsersTableModel::applyLoad);
    connect(m_loader, &ViewLoader::pageLoaded, this, &UsersTableModel::applyPage);
}

void UsersTableModel::requestFilter(const UserFilter &filter)
{
    if (!m_loader || !m_loaded) {
        setFilter(filter);
        return;
    }
    UserFilter f = filter;
    if (m_loading) {
        f.nowMs = m_wanted.nowMs;
        if (f == m_wanted)
            return;
    }
    f.nowMs = m_filter.nowMs;
    if (f == m_filter) {
        stopLoading(); // typed back to what is on show
        return;
    }
    f.nowMs = m_now();
    m_wanted = f;
    m_loadGeneration = m_loader->request(f, m_pageSize);
    if (!m_loading) {
        m_loading = true;
        emit loadingChanged(true);
    }
}

void UsersTableModel::stopLoading()
{
    if (!m_loading)
        return;
    m_loader->cancel();
    m_loading = false;
    m_loadGeneration = 0;
    emit loadingChanged(false);
}

void UsersTableModel::applyLoad(const ViewLoad &load)
{
    if (!m_loading || load.generation != m_loadGeneration)
        return;
    m_loading = false;
    m_loadGeneration = 0;
    if (load.error) {
        // The second connection failed (PostgreSQL out of connections, a lost server): read on
        // this one instead, which reports its own error if the database itself is the trouble.
        qCWarning(lcStorage) << "background load failed, reading in the foreground:"
                             << load.error->message;
        emit loadingChanged(false);
        const bool headerChanges = load.filter.kind != m_filter.kind;
        m_filter = load.filter;
        reload();
        if (headerChanges)
            emit headerDataChanged(Qt::Horizontal, 0, ColumnCount - 1);
        return;
    }
    const bool headerChanges = load.filter.kind != m_filter.kind;
    beginResetModel();
    m_filter = load.filter;
    m_pages.clear();
    dropPageRequests();
    m_count = load.count;
    if (!load.firstRows.isEmpty()) {
        Page p;
        p.rows = load.firstRows;
        p.lastUse = ++m_useCounter;
        // The loader reads a page's worth from the top: exactly page 0 of this filter.
        if (p.rows.size() == std::min<qint64>(m_pageSize, m_count))
            m_pages.insert(0, std::move(p));
    }
    endResetModel();
    if (headerChanges)
        emit headerDataChanged(Qt::Horizontal, 0, ColumnCount - 1);
    emit loadingChanged(false);
    emit countChanged(m_count);
}

void UsersTableModel::reload()
{
    if (m_loading) {
        // Reloading means showing what was asked for last, now.
        m_filter = m_wanted;
        stopLoading();
    }
    m_filter.nowMs = m_now();
    auto n = UserRepository(m_db).count(m_filter);
    // With a loader, data() does not read: the first page is read here, with the count, so that
    // the top of the list is on show at once after a reload (F5, a user added).
    std::optional<QList<UserRecord>> top;
    if (m_loader && n && n.value() > 0)
        if (auto rows = readPage(0, n.value()))
            top = std::move(rows).value();
    beginResetModel();
    m_pages.clear();
    dropPageRequests();
    m_loaded = true;
    m_count = n ? n.value() : 0;
    if (top)
        insertPage(0, std::move(*top));
    endResetModel();
    if (!n)
        emit errorOccurred(n.error().message);
    emit countChanged(m_count);
}

void UsersTableModel::refreshUsers(const QList<qint64> &ids)
{
    if (ids.isEmpty() || !m_loaded)
        return;
    // Which users changed matters less than where SQL now puts every row on show: a changed
    // user may have moved within the sort order, into the cached pages from further down, or out
    // of the view, and the rows around them with it. So: the count, and every cached page again.
    auto n = UserRepository(m_db).count(m_filter);
    if (!n) {
        emit errorOccurred(n.error().message);
        return;
    }
    const qint64 oldCount = m_count;
    const qint64 newCount = n.value();
    QHash<int, Page> fresh;
    for (auto it = m_pages.cbegin(); it != m_pages.cend(); ++it) {
        if (qint64(it.key()) * m_pageSize >= newCount)
            continue;
        auto rows = readPage(it.key(), newCount);
        if (!rows) {
            emit errorOccurred(rows.error().message);
            return;
        }
        fresh.insert(it.key(), Page{std::move(rows).value(), it->lastUse});
    }
    const auto rowsOf = [this](const QHash<int, Page> &pages) {
        QHash<qint64, int> out;
        for (auto it = pages.cbegin(); it != pages.cend(); ++it)
            for (qsizetype i = 0; i < it->rows.size(); ++i)
                out.insert(it->rows.at(i).id, it.key() * m_pageSize + int(i));
        return out;
    };
    const auto recordAt = [this](const QHash<int, Page> &pages, int row) -> const UserRecord * {
        const auto it = pages.constFind(row / m_pageSize);
        if (it == pages.cend() || row % m_pageSize >= it->rows.size())
            return nullptr;
        return &it->rows.at(row % m_pageSize);
    };
    const QHash<qint64, int> freshRows = rowsOf(fresh);

    // Rows past the new end go first (the rows before them are untouched by this step).
    if (newCount < oldCount) {
        beginRemoveRows({}, int(newCount), int(oldCount - 1));
        m_count = newCount;
        m_pages.removeIf([this](const QHash<int, Page>::iterator it) {
            return qint64(it.key()) * m_pageSize >= m_count;
        });
        endRemoveRows();
    }
    // Then the rows take their SQL places; selections and the current row follow their user.
    bool moved = false;
    for (auto it = freshRows.cbegin(); it != freshRows.cend() && !moved; ++it) {
        const UserRecord *before = recordAt(m_pages, it.value());
        moved = !before || before->id != it.key();
    }
    for (auto it = m_pages.cbegin(); it != m_pages.cend() && !moved; ++it)
        for (qsizetype i = 0; i < it->rows.size() && !moved; ++i)
            moved =
                !freshRows.contains(it->rows.at(i).id) && it.key() * m_pageSize + int(i) < m_count;
    // Rows re-read in place: those of the users named (another row's news arrives with its own
    // announcement; its fresh copy is already in the cache for the next paint).
    const QSet<qint64> wanted(ids.cbegin(), ids.cend());
    QList<int> contentChanged;
    if (moved) {
        emit layoutAboutToBeChanged({}, QAbstractItemModel::VerticalSortHint);
        const QModelIndexList from = persistentIndexList();
        QModelIndexList to;
        to.reserve(from.size());
        for (const QModelIndex &i : from) {
            const UserRecord *u = recordAt(m_pages, i.row());
            const auto f = u ? freshRows.constFind(u->id) : freshRows.cend();
            if (f != freshRows.cend() && *f < m_count)
                to.append(index(*f, i.column()));
            else if (u && !recordAt(fresh, i.row()))
                to.append(i); // not read again: it stays where it is
            else
                to.append(u ? QModelIndex() : i); // gone from the view, or never read
        }
        m_pages = fresh;
        changePersistentIndexList(from, to);
        emit layoutChanged({}, QAbstractItemModel::VerticalSortHint);
    } else {
        for (auto it = fresh.cbegin(); it != fresh.cend(); ++it)
            for (qsizetype i = 0; i < it->rows.size(); ++i) {
                const int row = it.key() * m_pageSize + int(i);
                const UserRecord *before = recordAt(m_pages, row);
                if (row < m_count && before && wanted.contains(before->id))
                    contentChanged.append(row);
            }
        m_pages = fresh;
    }
    // New rows at the end come last.
    if (newCount > oldCount) {
        beginInsertRows({}, int(oldCount), int(newCount - 1));
        m_count = newCount;
        // A page that ended at the old end is short now: read it again when asked.
        m_pages.removeIf([this](const QHash<int, Page>::iterator it) {
            return it->rows.size() <
                   std::min<qint64>(m_pageSize, m_count - qint64(it.key()) * m_pageSize);
        });
        endInsertRows();
    }
    // The whole row: status, invited date, count and mail state move together.
    const QList<int> roles = {Qt::DisplayRole, Qt::ToolTipRole, Qt::AccessibleTextRole,
                              StatusRole,      MailStateRole,   RequestedRole,
                              BouncedRole};
    for (int row : std::as_const(contentChanged))
        emit dataChanged(index(row, 0), index(row, ColumnCount - 1), roles);
    // Pages being read beside the table were asked for with the old count and order.
    requestPagesAgain();
    if (newCount != oldCount)
        emit countChanged(m_count);
}

} // namespace roster
