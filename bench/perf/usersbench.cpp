// The Users page at a million users (issue 6), measured with the real widgets on the offscreen
// platform, against the way a Qt tutorial would build the same table (QSqlTableModel on users,
// fetchMore until done, a QSortFilterProxyModel for the views, the search and the sort), on the
// same SQLite database. Prints the median of several runs per figure, the naive figure, their
// ratio, and the peak resident memory (VmHWM) of each side, which run in separate processes.
//
// What "painted" means here: the action is performed the way a person would (QTest key or mouse
// events, the view combo), then the event loop runs until the table's viewport has received its
// paint event and returned from it — the rows are in the backing store. The clock stops there.
//
//   QT_QPA_PLATFORM=offscreen users_bench --db /tmp/roster-perf/users-1m.db [--runs 5]
//       [--naive-runs 2] [--no-naive] [--no-bulk] [--bulk-only] [--users 1000000]
// A missing database is made with `rosterctl demo --users N` and kept for the next run.

#include "app/authservice.h"
#include "app/clock.h"
#include "app/invitationservice.h"
#include "models/database.h"
#include "models/userstablemodel.h"
#include "models/viewloader.h"
#include "ui/userspage.h"
#include "ui/userstableview.h"

#include <QApplication>
#include <QComboBox>
#include <QCommandLineParser>
#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QFileInfo>
#include <QHeaderView>
#include <QKeyEvent>
#include <QLineEdit>
#include <QMap>
#include <QProcess>
#include <QScrollBar>
#include <QSortFilterProxyModel>
#include <QSqlField>
#include <QSqlQuery>
#include <QSqlRecord>
#include <QSqlTableModel>
#include <QTableView>
#include <QTest>
#include <QThread>
#include <QTimer>
#include <QUrl>
#include <QVBoxLayout>

#include <algorithm>
#include <cstdio>
#include <fcntl.h>
#include <functional>
#include <sys/resource.h>
#include <unistd.h>

using namespace roster;

namespace {

constexpr qint64 paintTimeoutMs = 10 * 60 * 1000;

void say(const QString &line)
{
    std::fputs(qPrintable(line + u'\n'), stdout);
    std::fflush(stdout);
}

double median(QList<double> v)
{
    if (v.isEmpty())
        return -1;
    std::sort(v.begin(), v.end());
    const qsizetype n = v.size();
    return n % 2 ? v.at(n / 2) : (v.at(n / 2 - 1) + v.at(n / 2)) / 2;
}

// Peak and current resident set size in MiB, from /proc/self/status.
double procStatusMiB(const char *key)
{
    QFile f(QStringLiteral("/proc/self/status"));
    if (!f.open(QIODevice::ReadOnly))
        return -1;
    for (const QByteArray &line : f.readAll().split('\n'))
        if (line.startsWith(key))
            return line.mid(qsizetype(qstrlen(key))).trimmed().split(' ').value(0).toDouble() /
                   1024.0;
    return -1;
}

// Counts the paint events a widget receives; `full` says whether a paint shows every row (not
// the "Loading…" placeholders of a page still being read beside the table).
class PaintCounter final : public QObject
{
public:
    explicit PaintCounter(QWidget *w) { w->installEventFilter(this); }
    int paints = 0;
    int fullPaints = 0;
    std::function<bool()> full;

protected:
    bool eventFilter(QObject *, QEvent *e) override
    {
        if (e->type() == QEvent::Paint) {
            ++paints;
            if (!full || full())
                ++fullPaints;
        }
        return false;
    }
};

// Runs the event loop until `counter` has seen a paint after `before`; returns the time on `t`
// in milliseconds once the loop is back from delivering it.
double waitPainted(const PaintCounter &counter, int before, const QElapsedTimer &t)
{
    while (counter.paints == before) {
        QCoreApplication::processEvents(QEventLoop::AllEvents);
        if (t.elapsed() > paintTimeoutMs)
            qFatal("no paint within %lld ms", paintTimeoutMs);
    }
    return double(t.nsecsElapsed()) / 1e6;
}

// The same for a paint that showed every row on screen read.
double waitFullyPainted(const PaintCounter &counter, int before, const QElapsedTimer &t)
{
    while (counter.fullPaints == before) {
        QCoreApplication::processEvents(QEventLoop::AllEvents);
        if (t.elapsed() > paintTimeoutMs)
            qFatal("no paint with the rows within %lld ms", paintTimeoutMs);
    }
    return double(t.nsecsElapsed()) / 1e6;
}

// CPU time of this process so far (user + system), in milliseconds: on a shared machine the wall
// clock also counts the time other processes had the cores.
double cpuMs()
{
    rusage u{};
    getrusage(RUSAGE_SELF, &u);
    return (u.ru_utime.tv_sec + u.ru_stime.tv_sec) * 1e3 +
           (u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e3;
}

// Lets everything queued settle (timers of 0, deferred layouts) without timing it.
void settle(int ms = 50)
{
    QElapsedTimer t;
    t.start();
    while (t.elapsed() < ms)
        QCoreApplication::processEvents(QEventLoop::AllEvents, 5);
}

// Notes when a timer object's QTimerEvent arrives (before its timeout() is emitted).
class TimerWatcher final : public QObject
{
public:
    TimerWatcher(QTimer *timer, const QElapsedTimer &clock, const PaintCounter &paints)
        : m_clock(clock), m_paints(paints)
    {
        timer->installEventFilter(this);
    }
    double firedAtMs = -1;
    int paintsAtFire = -1;

protected:
    bool eventFilter(QObject *, QEvent *e) override
    {
        if (e->type() == QEvent::Timer) {
            firedAtMs = double(m_clock.nsecsElapsed()) / 1e6;
            paintsAtFire = m_paints.paints;
        }
        return false;
    }

private:
    const QElapsedTimer &m_clock;
    const PaintCounter &m_paints;
};

// The longest the GUI thread went without running its event loop while started: a 1 ms timer
// that should tick every millisecond notes the widest gap between two ticks.
class StallMeter final : public QObject
{
public:
    StallMeter()
    {
        m_timer.setInterval(1);
        m_timer.setTimerType(Qt::PreciseTimer);
        QObject::connect(&m_timer, &QTimer::timeout, this, [this] {
            const qint64 now = m_clock.nsecsElapsed();
            longestMs = std::max(longestMs, double(now - m_last) / 1e6);
            m_last = now;
        });
    }
    void start()
    {
        longestMs = 0;
        m_clock.start();
        m_last = 0;
        m_timer.start();
    }
    double stop()
    {
        m_timer.stop();
        const qint64 now = m_clock.nsecsElapsed();
        return std::max(longestMs, double(now - m_last) / 1e6);
    }
    double longestMs = 0;

private:
    QTimer m_timer;
    QElapsedTimer m_clock;
    qint64 m_last = 0;
};

struct Figures
{
    QMap<QString, QList<double>> samples;
    void add(const char *key, double ms) { samples[QString::fromLatin1(key)].append(ms); }
    double med(const char *key) const { return median(samples.value(QString::fromLatin1(key))); }
    void merge(const Figures &more)
    {
        for (auto it = more.samples.cbegin(); it != more.samples.cend(); ++it)
            samples[it.key()] += it.value();
    }
};

const QString searchWord = QStringLiteral("müller"); // typed one key at a time

Session adminSession(Database &db)
{
    QSqlQuery q = db.prepare(QStringLiteral(
        "SELECT u.id, u.email, u.name FROM users u JOIN profiles p ON p.id = u.profile_id "
        "WHERE p.is_admin = 1 AND u.active = 1 AND u.confirmed_at IS NOT NULL "
        "AND u.password_hash IS NOT NULL ORDER BY u.id LIMIT 1"));
    if (!db.exec(q) || !q.next())
        qFatal("no administrator in the database");
    return Session{q.value(0).toLongLong(), q.value(1).toString(), q.value(2).toString(), true, {}};
}

// One key typed, as the keyboard would deliver it (QTest::keyClicks only knows ASCII).
void typeChar(QWidget *w, QChar c)
{
    const int key = int(c.toUpper().unicode());
    QKeyEvent press(QEvent::KeyPress, key, Qt::NoModifier, QString(c));
    QKeyEvent release(QEvent::KeyRelease, key, Qt::NoModifier, QString(c));
    QApplication::sendEvent(w, &press);
    QApplication::sendEvent(w, &release);
}

QPoint headerPoint(QHeaderView *h, int section)
{
    return QPoint(h->sectionViewportPosition(section) + h->sectionSize(section) / 2,
                  h->height() / 2);
}

// ------------------------------------------------------------------------------------ Roster

// searchOnly: open the page and type the search, nothing else (--search-only).
void runRoster(const QString &path, int runs, Figures &fig, bool searchOnly)
{
    for (int run = 0; run < runs; ++run) {
        // A connection of its own per run (the console's is opened at sign-in, before the page).
        auto db = Database::open(path);
        if (!db)
            qFatal("%s", qPrintable(db.error().message));
        const Session session = adminSession(*db.value());
        // Experiment (USERS_BENCH_MMAP=bytes): memory-map the file for the page's connection.
        if (const QByteArray mm = qgetenv("USERS_BENCH_MMAP"); !mm.isEmpty())
            (void)db.value()->exec(QStringLiteral("PRAGMA mmap_size = ") + QString::fromLatin1(mm));
        QElapsedTimer t;

        // Users page opened → first screen painted.
        t.start();
        auto page = std::make_unique<UsersPage>(*db.value(), processClock(), session, UserKind::Crm,
                                                nullptr);
        UsersTableView *view = page->view();
        PaintCounter paints(view->viewport());
        // Pages are read beside the table: a scroll counts once its rows are painted.
        paints.full = [&page, view] {
            const int first = std::max(0, view->rowAt(0));
            int last = view->rowAt(view->viewport()->height() - 1);
            if (last < 0)
                last = page->model()->rowCount() - 1;
            for (int row = first; row <= last; ++row)
                if (!page->model()->isRowCached(row))
                    return false;
            return true;
        };
        page->resize(1180, 820);
        page->show();
        const double open = waitPainted(paints, 0, t);
        if (view->rowAt(0) != 0 || !page->model()->userAt(0).isValid())
            qFatal("open: no rows on screen");
        fig.add("open", open);
        settle();

        // Views and sorts are read beside the table, like a search: from the action to the first
        // paint after the model took the rows it asked for (a paint before that would be the old
        // rows). Without background loading the reset comes inside the action; the same holds.
        std::function<bool()> wantedRows;
        int paintsAtRows = -1;
        QObject::connect(page->model(), &QAbstractItemModel::modelReset, page.get(), [&] {
            if (wantedRows && wantedRows())
                paintsAtRows = paints.paints;
        });
        auto timeRows = [&](std::function<bool()> arrived, const std::function<void()> &act) {
            wantedRows = std::move(arrived);
            paintsAtRows = -1;
            t.start();
            act();
            while (paintsAtRows < 0) {
                QCoreApplication::processEvents(QEventLoop::AllEvents);
                if (t.elapsed() > paintTimeoutMs)
                    qFatal("the rows never arrived");
            }
            wantedRows = nullptr;
            return waitPainted(paints, paintsAtRows, t);
        };
        auto viewShown = [&](UserView v) {
            return [&, v] { return page->model()->shownFilter().view == v; };
        };

        // Switch to the Unconfirmed view.
        auto *combo = page->findChild<QComboBox *>(QStringLiteral("viewCombo"));
        int before = paints.paints;
        if (!searchOnly) {
            fig.add("unconfirmed", timeRows(viewShown(UserView::Unconfirmed), [&] {
                        combo->setCurrentIndex(combo->findData(int(UserView::Unconfirmed)));
                    }));
            settle();
            // Every other view too ("filters without a visible stall"): the slowest of them.
            double slowestView = 0;
            StallMeter viewStall;
            viewStall.start();
            for (int i = 0; i < combo->count(); ++i) {
                const auto v = UserView(combo->itemData(i).toInt());
                if (v == UserView::All || v == UserView::Unconfirmed)
                    continue;
                const double ms = timeRows(viewShown(v), [&] { combo->setCurrentIndex(i); });
                say(QStringLiteral("view %1: %2 ms, %3 rows")
                        .arg(combo->itemText(i))
                        .arg(ms, 0, 'f', 1)
                        .arg(page->model()->rowCount()));
                slowestView = std::max(slowestView, ms);
                settle();
            }
            fig.add("views_stall", viewStall.stop());
            fig.add("views_worst", slowestView);
            timeRows(viewShown(UserView::All),
                     [&] { combo->setCurrentIndex(combo->findData(int(UserView::All))); });
            settle();
        }

        // Search as you type, one key at a time: from the debounced query firing to the rows
        // painted, and from the key press to the rows painted (debounce included). The query runs
        // on the page's second connection: the rows painted are those painted after the model
        // took the loaded rows (modelReset), not a repaint of the old ones before that.
        auto *edit = page->findChild<QLineEdit *>(QStringLiteral("searchEdit"));
        auto *delay = page->findChild<QTimer *>(QStringLiteral("searchDelay"));
        if (!delay)
            qFatal("no search debounce timer");
        TimerWatcher fired(delay, t, paints);
        int paintsAtReset = -1;
        QObject::connect(page->model(), &QAbstractItemModel::modelReset, page.get(), [&] {
            // The rows of the text in the box, not those of a search it
            // superseded that arrived first.
            if (page->model()->shownFilter().search == edit->text())
                paintsAtReset = paints.paints;
        });
        auto waitRows = [&] {
            while (fired.firedAtMs < 0 || paintsAtReset < 0) {
                QCoreApplication::processEvents(QEventLoop::AllEvents);
                if (t.elapsed() > paintTimeoutMs)
                    qFatal("the search never showed its rows");
            }
            return waitPainted(paints, paintsAtReset, t);
        };
        edit->setFocus();
        settle(); // the table repaints as it loses the focus
        double worst = 0;
        StallMeter stall;
        stall.start();
        for (const QChar c : searchWord) {
            fired.firedAtMs = -1;
            paintsAtReset = -1;
            t.start();
            typeChar(edit, c);
            const double painted = waitRows();
            fig.add("keystroke_debounce", painted);
            fig.add("keystroke", painted - fired.firedAtMs);
            say(QStringLiteral("key %1: %2 ms from the query firing")
                    .arg(c)
                    .arg(painted - fired.firedAtMs, 0, 'f', 1));
            worst = std::max(worst, painted - fired.firedAtMs);
            settle(30);
        }
        fig.add("stall", stall.stop());
        fig.add("keystroke_worst", worst);
        if (searchOnly) {
            page.reset();
            settle();
            continue;
        }

        // A stale search: the broadest one ("exa" is in every address) still counting when the
        // next search fires. From that query firing to its rows painted; without a stop the new
        // query would wait for the stale one to finish on the shared connection.
        ViewLoader *loader = page->model()->viewLoader();
        if (!loader)
            qFatal("the page has no background loader");
        edit->clear(); // the whole list again: "müller" below is a new search
        settle(300);
        const int interrupted = loader->interruptions();
        edit->setText(QStringLiteral("exa"));
        QElapsedTimer guard;
        guard.start();
        while (loader->running() == 0) {
            QCoreApplication::processEvents(QEventLoop::AllEvents);
            if (guard.elapsed() > paintTimeoutMs)
                qFatal("the broad search never started");
        }
        fired.firedAtMs = -1;
        paintsAtReset = -1;
        t.start();
        edit->setText(searchWord);
        const double stalePainted = waitRows();
        if (page->model()->shownFilter().search != searchWord)
            qFatal("the stale search's rows were shown");
        // Only a search stopped in the database counts (a fast machine may finish "exa" first).
        if (loader->interruptions() > interrupted)
            fig.add("stale", stalePainted - fired.firedAtMs);
        edit->clear();
        settle(300);

        // Ctrl+End on the whole list.
        view->setFocus();
        settle(); // the focus repaints the table: not part of the figure
        before = paints.fullPaints;
        t.start();
        QTest::keyClick(view, Qt::Key_End, Qt::ControlModifier);
        fig.add("ctrl_end", waitFullyPainted(paints, before, t));
        if (view->currentIndex().row() != page->model()->rowCount() - 1)
            qFatal("Ctrl+End did not reach the last row");
        settle();
        QTest::keyClick(view, Qt::Key_Home, Qt::ControlModifier);
        settle();

        // The scrollbar's thumb dragged to the middle of the list: rows half a million down.
        QScrollBar *bar = view->verticalScrollBar();
        before = paints.fullPaints;
        t.start();
        bar->setValue(bar->maximum() / 2);
        fig.add("middle", waitFullyPainted(paints, before, t));
        if (!page->model()->userAt(view->rowAt(0)).isValid())
            qFatal("no rows in the middle of the list");
        settle();
        bar->setValue(0);
        settle();

        // Sort by another column: a click on the Email header.
        QHeaderView *header = view->horizontalHeader();
        fig.add(
            "sort",
            timeRows([&] { return page->model()->shownFilter().sort == UserFilter::Sort::Email; },
                     [&] {
                         QTest::mouseClick(header->viewport(), Qt::LeftButton, {},
                                           headerPoint(header, UsersTableModel::Email));
                     }));
        if (page->model()->shownFilter().sort != UserFilter::Sort::Email)
            qFatal("the header click did not sort by email");
        settle();
        page.reset();
        settle();
    }
}

bool isPostgres(const QString &location)
{
    return location.startsWith(u"postgresql://") || location.startsWith(u"postgres://");
}

// The same server, another database.
QString withDatabase(const QString &url, const QString &name)
{
    QUrl u(url);
    u.setPath(u'/' + name);
    return u.toString();
}

// A copy of the database for a destructive run (the original stays as generated). PostgreSQL:
// CREATE DATABASE … TEMPLATE, on the same server, named after `to`'s file name.
QString copyDatabase(const QString &path, const QString &to)
{
    if (isPostgres(path)) {
        const QString name = QFileInfo(to).fileName().replace(u'.', u'_').replace(u'-', u'_');
        // From the server's maintenance database: a template must have no connection.
        auto server = Database::open(withDatabase(path, QStringLiteral("postgres")),
                                     Database::OpenMode::ServerOnly);
        if (!server)
            qFatal("%s", qPrintable(server.error().message));
        const QString original = QUrl(path).path().mid(1);
        if (!server.value()->exec(QStringLiteral("DROP DATABASE IF EXISTS ") + name +
                                  QStringLiteral(" WITH (FORCE)")) ||
            // FILE_COPY: the copy is checkpointed by the server before the clock starts
            // (PostgreSQL 15's default, WAL_LOG, wrote the whole database into the WAL, and the
            // re-invite's first commits waited for it).
            !server.value()->exec(QStringLiteral("CREATE DATABASE ") + name +
                                  QStringLiteral(" TEMPLATE ") + original +
                                  QStringLiteral(" STRATEGY = FILE_COPY")))
            qFatal("cannot copy the database %s", qPrintable(original));
        return withDatabase(path, name);
    }
    {
        auto db = Database::open(path);
        if (!db)
            qFatal("%s", qPrintable(db.error().message));
        (void)db.value()->exec(QStringLiteral("PRAGMA wal_checkpoint(TRUNCATE)"));
    }
    for (const QString &suffix : {QString(), QStringLiteral("-wal"), QStringLiteral("-shm")})
        QFile::remove(to + suffix);
    if (!QFile::copy(path, to))
        qFatal("cannot copy %s", qPrintable(path));
    // A reader elsewhere (a console left open) can keep the checkpoint from emptying the WAL:
    // its committed pages come along.
    const QString wal = path + QStringLiteral("-wal");
    if (QFileInfo(wal).size() > 0 && !QFile::copy(wal, to + QStringLiteral("-wal")))
        qFatal("cannot copy %s", qPrintable(wal));
    // On disk before the clock starts: otherwise the re-invite's first fsync (its WAL
    // checkpoint) also wrote back the whole freshly copied file, ~1 GB at 1M users, and that
    // write-back, not the re-invite, was most of the phase's wall time.
    for (const QString &file : QStringList{to, to + QStringLiteral("-wal")}) {
        const int fd = ::open(QFile::encodeName(file).constData(), O_RDONLY);
        if (fd >= 0) {
            (void)::fsync(fd);
            ::close(fd);
        }
    }
    return to;
}

QList<qint64> unconfirmedIds(Database &db, int n)
{
    // Invited over an hour ago: past any cooldown, so all of them are eligible.
    QSqlQuery q = db.prepare(QStringLiteral(
        "SELECT id FROM users WHERE kind = 'crm' AND confirmed_at IS NULL AND active = 1 "
        "AND invited_at < ? ORDER BY invited_at, id LIMIT ?"));
    q.addBindValue(processClock().nowMs() - 3600 * 1000);
    q.addBindValue(n);
    if (!db.exec(q))
        qFatal("cannot list unconfirmed users");
    QList<qint64> ids;
    while (q.next())
        ids.append(q.value(0).toLongLong());
    return ids;
}

// Bulk re-invite of n users, database phase: InvitationService::reinviteMany (or, naively, one
// InvitationService::reinvite — one transaction — per user) on a fresh copy of the database.
double runBulk(const QString &path, const QString &scratch, int n, bool naive, double *cpu)
{
    const QString copy = copyDatabase(path, scratch);
    auto db = Database::open(copy);
    if (!db)
        qFatal("%s", qPrintable(db.error().message));
    const Session admin = adminSession(*db.value());
    const QList<qint64> ids = unconfirmedIds(*db.value(), n);
    if (ids.size() != n)
        qFatal("only %lld unconfirmed users to re-invite", qlonglong(ids.size()));
    InvitationService service(*db.value(), processClock(), admin.userId);
    QElapsedTimer t;
    const double cpu0 = cpuMs();
    t.start();
    qsizetype invited = 0;
    if (naive) {
        for (qint64 id : ids)
            if (service.reinvite(id))
                ++invited;
    } else {
        auto r = service.reinviteMany(ids);
        if (!r)
            qFatal("%s", qPrintable(r.error().message));
        invited = r->invited.size();
    }
    const double ms = double(t.nsecsElapsed()) / 1e6;
    *cpu = cpuMs() - cpu0;
    if (invited != n)
        qFatal("re-invited %lld of %d", qlonglong(invited), n);
    db.value().reset();
    if (isPostgres(copy)) {
        if (auto server = Database::open(withDatabase(copy, QStringLiteral("postgres")),
                                         Database::OpenMode::ServerOnly))
            (void)server.value()->exec(QStringLiteral("DROP DATABASE IF EXISTS ") +
                                       QUrl(copy).path().mid(1));
        return ms;
    }
    for (const QString &suffix : {QString(), QStringLiteral("-wal"), QStringLiteral("-shm")})
        QFile::remove(copy + suffix);
    return ms;
}

// ------------------------------------------------------------------------------------ naive

// The tutorial's proxy: the views and the search as filterAcceptsRow over the fetched rows.
class NaiveProxy final : public QSortFilterProxyModel
{
public:
    explicit NaiveProxy(const QSqlRecord &rec)
        : m_kind(rec.indexOf(QStringLiteral("kind"))), m_name(rec.indexOf(QStringLiteral("name"))),
          m_email(rec.indexOf(QStringLiteral("email"))),
          m_active(rec.indexOf(QStringLiteral("active"))),
          m_confirmed(rec.indexOf(QStringLiteral("confirmed_at")))
    {}
    void setUnconfirmedOnly(bool on)
    {
        m_unconfirmed = on;
        invalidateFilter();
    }
    void setSearch(const QString &s)
    {
        m_search = s;
        invalidateFilter();
    }

protected:
    bool filterAcceptsRow(int row, const QModelIndex &parent) const override
    {
        const QAbstractItemModel *m = sourceModel();
        auto value = [&](int col) { return m->data(m->index(row, col, parent)); };
        if (value(m_kind).toString() != u"crm")
            return false;
        if (m_unconfirmed && (!value(m_confirmed).isNull() || value(m_active).toInt() != 1))
            return false;
        if (!m_search.isEmpty() &&
            !value(m_name).toString().contains(m_search, Qt::CaseInsensitive) &&
            !value(m_email).toString().contains(m_search, Qt::CaseInsensitive))
            return false;
        return true;
    }

private:
    int m_kind, m_name, m_email, m_active, m_confirmed;
    bool m_unconfirmed = false;
    QString m_search;
};

void runNaive(const QString &path, int runs, Figures &fig)
{
    for (int run = 0; run < runs; ++run) {
        auto db = Database::open(path);
        if (!db)
            qFatal("%s", qPrintable(db.error().message));
        QElapsedTimer t;
        t.start();
        auto model = std::make_unique<QSqlTableModel>(nullptr, db.value()->connection());
        model->setTable(QStringLiteral("users"));
        model->setEditStrategy(QSqlTableModel::OnManualSubmit);
        model->select();
        while (model->canFetchMore())
            model->fetchMore();
        // The proxy is attached after the fetch (attaching it first re-sorts on every batch).
        NaiveProxy proxy(model->record());
        proxy.setSourceModel(model.get());
        proxy.setSortCaseSensitivity(Qt::CaseInsensitive);
        // A search box above the table, as the tutorial's window has it.
        QWidget window;
        auto *layout = new QVBoxLayout(&window);
        auto *editPtr = new QLineEdit(&window);
        QLineEdit &edit = *editPtr;
        auto *viewPtr = new QTableView(&window);
        QTableView &view = *viewPtr;
        layout->addWidget(&edit);
        layout->addWidget(&view);
        view.setModel(&proxy);
        view.setSortingEnabled(true);
        view.sortByColumn(model->fieldIndex(QStringLiteral("name")), Qt::AscendingOrder);
        PaintCounter paints(view.viewport());
        window.resize(1180, 760);
        window.show();
        fig.add("open", waitPainted(paints, 0, t));
        say(QStringLiteral("naive run %1: opened with %2 rows in %3 ms")
                .arg(run + 1)
                .arg(proxy.rowCount())
                .arg(fig.samples.value(QStringLiteral("open")).constLast(), 0, 'f', 0));
        settle();

        int before = paints.paints;
        t.start();
        proxy.setUnconfirmedOnly(true);
        fig.add("unconfirmed", waitPainted(paints, before, t));
        settle();
        proxy.setUnconfirmedOnly(false);
        settle();

        // The tutorial filters on every textChanged: no debounce, so both figures are the same.
        QObject::connect(&edit, &QLineEdit::textChanged, &proxy, &NaiveProxy::setSearch);
        double worst = 0;
        StallMeter stall;
        stall.start();
        for (const QChar c : searchWord) {
            before = paints.paints;
            t.start();
            const QString was = edit.text();
            typeChar(&edit, c);
            if (edit.text() == was)
                qFatal("the key did not reach the search box");
            // The proxy filtered inside the key event. "m" matches every row (every address has
            // ".com" or "example"), and an unchanged proxy repaints nothing: ask for the paint
            // so that each key is timed to the same point.
            view.viewport()->update();
            const double ms = waitPainted(paints, before, t);
            fig.add("keystroke", ms);
            fig.add("keystroke_debounce", ms);
            worst = std::max(worst, ms);
            settle(30);
        }
        fig.add("stall", stall.stop());
        fig.add("keystroke_worst", worst);
        edit.clear();
        settle();

        view.setFocus();
        settle();
        before = paints.paints;
        t.start();
        QTest::keyClick(&view, Qt::Key_End, Qt::ControlModifier);
        fig.add("ctrl_end", waitPainted(paints, before, t));
        settle();
        QTest::keyClick(&view, Qt::Key_Home, Qt::ControlModifier);
        settle();
        before = paints.paints;
        t.start();
        view.verticalScrollBar()->setValue(view.verticalScrollBar()->maximum() / 2);
        fig.add("middle", waitPainted(paints, before, t));
        settle();

        QHeaderView *header = view.horizontalHeader();
        before = paints.paints;
        t.start();
        QTest::mouseClick(header->viewport(), Qt::LeftButton, {},
                          headerPoint(header, model->fieldIndex(QStringLiteral("email"))));
        fig.add("sort", waitPainted(paints, before, t));
        settle();
    }
}

QString cpuName()
{
    QFile f(QStringLiteral("/proc/cpuinfo"));
    if (f.open(QIODevice::ReadOnly))
        for (const QByteArray &line : f.readAll().split('\n'))
            if (line.startsWith("model name"))
                return QString::fromUtf8(line.mid(line.indexOf(':') + 1).trimmed());
    return QStringLiteral("unknown CPU");
}

QString fmt(double v, int decimals = 1)
{
    return v < 0 ? QStringLiteral("—") : QString::number(v, 'f', decimals);
}

} // namespace

int main(int argc, char **argv)
{
    QApplication app(argc, argv);
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral("Users page at a million users"));
    parser.addHelpOption();
    const QCommandLineOption dbOpt(QStringLiteral("db"),
                                   QStringLiteral("SQLite database (made "
                                                  "if missing)"),
                                   QStringLiteral("PATH"),
                                   QStringLiteral("/tmp/roster-perf/users-1m.db"));
    const QCommandLineOption usersOpt(QStringLiteral("users"),
                                      QStringLiteral("CRM users when generating"),
                                      QStringLiteral("N"), QStringLiteral("1000000"));
    const QCommandLineOption runsOpt(QStringLiteral("runs"), QStringLiteral("runs per figure"),
                                     QStringLiteral("N"), QStringLiteral("5"));
    const QCommandLineOption naiveRunsOpt(QStringLiteral("naive-runs"),
                                          QStringLiteral("runs of the naive table"),
                                          QStringLiteral("N"), QStringLiteral("2"));
    const QCommandLineOption bulkRunsOpt(QStringLiteral("bulk-runs"),
                                         QStringLiteral("runs of the bulk re-invite"),
                                         QStringLiteral("N"), QStringLiteral("3"));
    const QCommandLineOption bulkOpt(QStringLiteral("bulk-users"),
                                     QStringLiteral("users per bulk re-invite"),
                                     QStringLiteral("N"), QStringLiteral("10000"));
    const QCommandLineOption noNaive(QStringLiteral("no-naive"), QStringLiteral("skip the naive"));
    const QCommandLineOption noBulk(QStringLiteral("no-bulk"), QStringLiteral("skip the bulk"));
    const QCommandLineOption bulkOnly(QStringLiteral("bulk-only"),
                                      QStringLiteral("only the bulk re-invite, on both sides"));
    const QCommandLineOption searchOnly(QStringLiteral("search-only"),
                                        QStringLiteral("only the page's open and the search "
                                                       "keystrokes (no bulk)"));
    const QCommandLineOption child(QStringLiteral("child"), QStringLiteral("internal: one side"),
                                   QStringLiteral("roster|naive"));
    const QCommandLineOption compareOpt(
        QStringLiteral("compare-db"),
        QStringLiteral("another organisation of the same users (a PostgreSQL URL, or a file): "
                       "Roster's side runs on both, alternating, and the ratios are printed"),
        QStringLiteral("DB"));
    const QCommandLineOption roundsOpt(QStringLiteral("compare-rounds"),
                                       QStringLiteral("rounds of --compare-db, each database once"),
                                       QStringLiteral("N"), QStringLiteral("2"));
    parser.addOptions({dbOpt, usersOpt, runsOpt, naiveRunsOpt, bulkRunsOpt, bulkOpt, noNaive,
                       noBulk, bulkOnly, searchOnly, child, compareOpt, roundsOpt});
    parser.process(app);
    // A file, or a PostgreSQL URL of an organisation made beforehand (rosterctl init + demo).
    const auto location = [](const QString &db) {
        return isPostgres(db) ? db : QFileInfo(db).absoluteFilePath();
    };
    const QString path = location(parser.value(dbOpt));
    // The sealing key of the bench's databases lives beside them, not in the user's config.
    const auto keyFile = [](const QString &db) {
        return isPostgres(db) ? QStringLiteral("/tmp/roster-perf/postgresql.key")
                              : db + QStringLiteral(".key");
    };
    if (!isPostgres(path) || qEnvironmentVariableIsEmpty("ROSTER_KEY_FILE"))
        qputenv("ROSTER_KEY_FILE", QFile::encodeName(keyFile(path)));

    if (parser.isSet(child)) {
        // One side of the comparison in a process of its own, so that VmHWM is its own.
        Figures fig;
        const bool naive = parser.value(child) == u"naive";
        if (parser.isSet(bulkOnly))
            ; // the database phase alone: no window, no naive table
        else if (naive)
            runNaive(path, parser.value(naiveRunsOpt).toInt(), fig);
        else
            runRoster(path, parser.value(runsOpt).toInt(), fig, parser.isSet(searchOnly));
        if (!parser.isSet(bulkOnly))
            fig.add("rss", procStatusMiB("VmHWM:"));
        if (!parser.isSet(noBulk) && !parser.isSet(searchOnly)) {
            const QString scratch =
                isPostgres(path)
                    ? QStringLiteral("/tmp/roster-perf/") +
                          (naive ? QStringLiteral("bulk_naive") : QStringLiteral("bulk"))
                    : path +
                          (naive ? QStringLiteral(".bulk-naive.db") : QStringLiteral(".bulk.db"));
            const int n = parser.value(bulkOpt).toInt();
            for (int i = 0; i < parser.value(bulkRunsOpt).toInt(); ++i) {
                double cpu = 0;
                const double ms = runBulk(path, scratch, n, naive, &cpu);
                say(QStringLiteral("%1 bulk run %2: %3 ms (CPU %4 ms)")
                        .arg(parser.value(child))
                        .arg(i + 1)
                        .arg(ms, 0, 'f', 0)
                        .arg(cpu, 0, 'f', 0));
                fig.add("bulk", ms);
                fig.add("bulk_cpu", cpu);
                if (naive)
                    break; // slow; once is enough to show the ratio
            }
        }
        for (auto it = fig.samples.cbegin(); it != fig.samples.cend(); ++it) {
            QStringList values;
            for (double v : it.value())
                values << QString::number(v, 'f', 2);
            say(QStringLiteral("RESULT %1 %2").arg(it.key(), values.join(u',')));
        }
        return 0;
    }

    // ---- parent: make the database if needed, run both sides, print the table.
    if (!isPostgres(path))
        QDir().mkpath(QFileInfo(path).absolutePath());
    if (!isPostgres(path) && !QFileInfo::exists(path)) {
        say(QStringLiteral("Generating %1 with rosterctl demo --users %2 …")
                .arg(path, parser.value(usersOpt)));
        QElapsedTimer t;
        t.start();
        QProcess gen;
        gen.setProcessChannelMode(QProcess::ForwardedChannels);
        gen.start(QStringLiteral(ROSTERCTL_PATH),
                  {QStringLiteral("--db"), path, QStringLiteral("demo"), QStringLiteral("--users"),
                   parser.value(usersOpt)});
        if (!gen.waitForFinished(-1) || gen.exitCode() != 0)
            qFatal("rosterctl demo failed");
        say(QStringLiteral("Generated in %1 s").arg(double(t.elapsed()) / 1000, 0, 'f', 1));
    }
    const QString other = parser.isSet(compareOpt) ? location(parser.value(compareOpt)) : QString();
    for (const QString &where : {path, other}) {
        if (where.isEmpty())
            continue;
        auto db = Database::open(where);
        if (!db)
            qFatal("%s", qPrintable(db.error().message));
        QSqlQuery q = db.value()->prepare(QStringLiteral(
            "SELECT count(*), sum(CASE WHEN kind = 'crm' THEN 1 ELSE 0 END), sum(CASE WHEN "
            "kind = 'crm' AND confirmed_at IS NULL AND active = 1 THEN 1 ELSE 0 END) FROM users"));
        if (!db.value()->exec(q) || !q.next())
            qFatal("cannot count users");
        say(QStringLiteral("Database %1: %2 users, %3 CRM users, %4 unconfirmed CRM users")
                .arg(db.value()->displayName())
                .arg(q.value(0).toLongLong())
                .arg(q.value(1).toLongLong())
                .arg(q.value(2).toLongLong()));
    }
    say(QStringLiteral("Machine: %1, %2 cores; Qt %3; platform %4")
            .arg(cpuName())
            .arg(QThread::idealThreadCount())
            .arg(QString::fromLatin1(qVersion()), QGuiApplication::platformName()));

    auto runSide = [&](const QString &side, const QString &where) {
        QStringList args = {QStringLiteral("--child"), side, QStringLiteral("--db"), where};
        for (const QCommandLineOption *o : {&runsOpt, &naiveRunsOpt, &bulkRunsOpt, &bulkOpt})
            args << u"--" + o->names().constFirst() << parser.value(*o);
        if (parser.isSet(noBulk))
            args << QStringLiteral("--no-bulk");
        if (parser.isSet(bulkOnly))
            args << QStringLiteral("--bulk-only");
        if (parser.isSet(searchOnly))
            args << QStringLiteral("--search-only");
        QProcess p;
        p.setProcessChannelMode(QProcess::ForwardedErrorChannel);
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(QStringLiteral("ROSTER_KEY_FILE"),
                   where == path ? qEnvironmentVariable("ROSTER_KEY_FILE") : keyFile(where));
        p.setProcessEnvironment(env);
        p.start(QCoreApplication::applicationFilePath(), args);
        Figures fig;
        while (p.state() != QProcess::NotRunning || p.canReadLine()) {
            if (!p.canReadLine() && !p.waitForReadyRead(1000))
                continue;
            while (p.canReadLine()) {
                const QString line = QString::fromUtf8(p.readLine()).trimmed();
                if (!line.startsWith(u"RESULT ")) {
                    say(line);
                    continue;
                }
                const QStringList parts = line.split(u' ');
                for (const QString &v : parts.value(2).split(u','))
                    fig.samples[parts.value(1)].append(v.toDouble());
            }
        }
        if (p.exitCode() != 0)
            qFatal("the %s side failed", qPrintable(side));
        return fig;
    };
    say(QStringLiteral("Roster: %1 runs …").arg(parser.value(runsOpt)));
    Figures roster = runSide(QStringLiteral("roster"), path);
    Figures naive;
    if (!parser.isSet(noNaive)) {
        say(QStringLiteral("Naive QSqlTableModel + QSortFilterProxyModel: %1 runs …")
                .arg(parser.value(naiveRunsOpt)));
        naive = runSide(QStringLiteral("naive"), path);
    }
    // --compare-db: Roster's side on the other database, then on this one again, round by
    // round, so that both see the same minutes of the machine.
    Figures compared;
    if (!other.isEmpty()) {
        const int rounds = std::max(1, parser.value(roundsOpt).toInt());
        const auto runInto = [&](Figures &into, const QString &where, int round) {
            say(QStringLiteral("Compared, round %1 of %2: %3 …").arg(round).arg(rounds).arg(where));
            into.merge(runSide(QStringLiteral("roster"), where));
        };
        for (int round = 1; round <= rounds; ++round) {
            if (round > 1) // this database's first round is the run above
                runInto(roster, path, round);
            runInto(compared, other, round);
        }
    }

    struct Row
    {
        const char *key;
        QString label;
        QString target;
        double limit;
    };
    const QList<Row> rows = {
        {"open", QStringLiteral("Users page opened → first screen painted"),
         QStringLiteral("≤ 150 ms"), 150},
        {"unconfirmed", QStringLiteral("switch to Unconfirmed → first screen painted"),
         QStringLiteral("≤ 100 ms"), 100},
        {"views_worst", QStringLiteral("  slowest of the other views → painted"),
         QStringLiteral("—"), -1},
        {"views_stall", QStringLiteral("  longest the window stood still while switching views"),
         QStringLiteral("—"), -1},
        {"keystroke", QStringLiteral("search keystroke → rows painted (from the query firing)"),
         QStringLiteral("≤ 50 ms"), 50},
        {"keystroke_worst", QStringLiteral("  worst keystroke of \"müller\" in a run"),
         QStringLiteral("—"), -1},
        {"keystroke_debounce", QStringLiteral("  key press → rows painted (with the debounce)"),
         QStringLiteral("—"), -1},
        {"stall", QStringLiteral("  longest the window stood still while typing \"müller\""),
         QStringLiteral("—"), -1},
        {"stale",
         QStringLiteral("  next search while the broadest (\"exa\") still runs → its rows painted"),
         QStringLiteral("—"), -1},
        {"ctrl_end", QStringLiteral("Ctrl+End → last row painted"), QStringLiteral("≤ 100 ms"),
         100},
        {"middle", QStringLiteral("  scrollbar dragged to the middle → painted"),
         QStringLiteral("—"), -1},
        {"sort", QStringLiteral("sort by Email (header click) → painted"),
         QStringLiteral("≤ 300 ms"), 300},
        {"bulk", QStringLiteral("bulk re-invite of %1, database phase").arg(parser.value(bulkOpt)),
         QStringLiteral("≤ 2000 ms"), 2000},
        {"bulk_cpu", QStringLiteral("  the same, CPU time of the process (user + system)"),
         QStringLiteral("—"), -1},
        {"rss", QStringLiteral("peak RSS with the page open (MiB, VmHWM)"),
         QStringLiteral("≤ 150 MB"), 150},
    };
    say(QString());
    say(QStringLiteral("| figure | target | Roster (median) | naive | naive / Roster | met |"));
    say(QStringLiteral("|---|---|---|---|---|---|"));
    for (const Row &r : rows) {
        const double a = roster.med(r.key);
        const double b = naive.med(r.key);
        const QString ratio =
            a > 0 && b > 0 ? QString::number(b / a, 'f', 1) + u'×' : QStringLiteral("—");
        const QString met = r.limit < 0 || a < 0 ? QStringLiteral("")
                            : a <= r.limit       ? QStringLiteral("yes")
                                                 : QStringLiteral("NO");
        say(QStringLiteral("| %1 | %2 | %3 | %4 | %5 | %6 |")
                .arg(r.label, r.target, fmt(a), fmt(b), ratio, met));
    }
    if (!other.isEmpty()) {
        // Issue 16's engine targets: the other organisation (PostgreSQL) at most 1.2× this one.
        say(QString());
        say(QStringLiteral("Compared: %1 (A) and %2 (B), medians of every run of both")
                .arg(path, other));
        say(QString());
        say(QStringLiteral("| figure | A | B | B / A | target | met |"));
        say(QStringLiteral("|---|---|---|---|---|---|"));
        for (const Row &r : rows) {
            const double a = roster.med(r.key);
            const double b = compared.med(r.key);
            // The process's CPU is the client's alone: PostgreSQL's server works in its own.
            if ((a < 0 && b < 0) || qstrcmp(r.key, "bulk_cpu") == 0)
                continue;
            const bool targeted = qstrcmp(r.key, "keystroke") == 0 || qstrcmp(r.key, "bulk") == 0;
            const QString ratio =
                a > 0 && b > 0 ? QString::number(b / a, 'f', 2) + u'×' : QStringLiteral("—");
            const QString met = !targeted || a <= 0 || b <= 0 ? QString()
                                : b / a <= 1.2                ? QStringLiteral("yes")
                                                              : QStringLiteral("NO");
            say(QStringLiteral("| %1 | %2 | %3 | %4 | %5 | %6 |")
                    .arg(r.label, fmt(a), fmt(b), ratio,
                         targeted ? QStringLiteral("≤ 1.2×") : QStringLiteral("—"), met));
        }
    }
    return 0;
}
