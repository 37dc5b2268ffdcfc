// Issue 13, point 14: scrolling onto a page of the users table that is not cached yet never
// waits for the database on the GUI thread. The page is read beside the table (the model's
// ViewLoader); its rows show "Loading…" until they arrive, and no row is shown twice or hidden.
//
// On PostgreSQL the database is made to hang for the page read: another connection holds an
// ACCESS EXCLUSIVE lock on users, so the read waits inside the server until the test lets go.
// While it waits, the GUI thread goes on handling its 1 ms timer and queued calls. The longest
// gap of that timer is printed (not asserted: the machine is shared).

#include "guiorg.h"

#include "app/demodata.h"
#include "app/outboxworker.h"
#include "models/userrepository.h"
#include "models/userstablemodel.h"
#include "ui/mainwindow.h"
#include "ui/userspage.h"
#include "ui/userstableview.h"

#include <QElapsedTimer>
#include <QScrollBar>
#include <QSemaphore>
#include <QSet>
#include <QSqlQuery>
#include <QTest>
#include <QThread>
#include <QTimer>

using namespace roster;
using namespace roster::test;

namespace {
// Counts the ticks of a 1 ms timer on the GUI thread and the longest gap between two of them.
class GapMeter final : public QObject
{
public:
    GapMeter()
    {
        m_timer.setInterval(1);
        m_timer.setTimerType(Qt::PreciseTimer);
        QObject::connect(&m_timer, &QTimer::timeout, this, [this] {
            const qint64 now = m_clock.nsecsElapsed();
            m_longestNs = std::max(m_longestNs, now - m_lastNs);
            m_lastNs = now;
            ++m_ticks;
        });
        m_clock.start();
        m_lastNs = 0;
        m_timer.start();
    }
    int ticks() const { return m_ticks; }
    double longestMs() const { return double(m_longestNs) / 1e6; }

private:
    QTimer m_timer;
    QElapsedTimer m_clock;
    qint64 m_lastNs = 0;
    qint64 m_longestNs = 0;
    int m_ticks = 0;
};

// Holds `LOCK TABLE users IN ACCESS EXCLUSIVE MODE` on a connection of its own thread until
// release(), or until `safetyMs` pass (so that a GUI thread stuck behind the lock fails the test
// instead of hanging it).
class UsersLock
{
public:
    UsersLock(const QString &location, int safetyMs)
    {
        m_thread.reset(QThread::create([this, location, safetyMs] {
            auto db = Database::open(location, Database::OpenMode::MustExist);
            if (!db || !db.value()->begin() ||
                !db.value()->exec(QStringLiteral("LOCK TABLE users IN ACCESS EXCLUSIVE MODE"))) {
                m_locked.release();
                return;
            }
            m_held = true;
            m_locked.release();
            (void)m_release.tryAcquire(1, safetyMs);
            m_held = false;
            db.value()->rollback();
        }));
        m_thread->start();
        m_locked.acquire();
    }
    ~UsersLock()
    {
        release();
        m_thread->wait();
    }
    bool held() const { return m_held; }
    void release() { m_release.release(); }

private:
    std::unique_ptr<QThread> m_thread;
    QSemaphore m_locked, m_release;
    std::atomic_bool m_held{false};
};
} // namespace

class TestUsersPageLoading : public QObject
{
    Q_OBJECT

private slots:
    void init();
    void cleanup();
    void scrollingOntoAnUncachedPageNeverWaitsForTheDatabase();

private:
    // Page reads of the users table waiting for a lock inside the PostgreSQL server.
    qint64 pageReadsWaitingOnALock();

    std::unique_ptr<Org> m_org;
    std::unique_ptr<MainWindow> m_window;
};

void TestUsersPageLoading::init()
{
    m_org = std::make_unique<Org>();
    QVERIFY(m_org->create());
    DemoOptions o;
    o.users = 1200; // six pages of 200
    o.portalUsers = 0;
    QVERIFY(generateDemoData(*m_org->db, m_org->clock, m_org->admin.userId, o));
    auto guiDb = m_org->db->reopen();
    QVERIFY(guiDb);
    m_window = std::make_unique<MainWindow>(std::move(guiDb).value(), m_org->clock, m_org->admin);
    m_window->outboxWorker()->stop(); // only the page reads the users table here
    m_window->show();
    QVERIFY(QTest::qWaitForWindowExposed(m_window.get()));
}

void TestUsersPageLoading::cleanup()
{
    m_window.reset();
    m_org.reset();
}

qint64 TestUsersPageLoading::pageReadsWaitingOnALock()
{
    QSqlQuery q = m_org->db->prepare(
        QStringLiteral("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                       "AND wait_event_type = 'Lock' AND query LIKE '%LIMIT%'"));
    if (!m_org->db->exec(q) || !q.next())
        return -1;
    return q.value(0).toLongLong();
}

void TestUsersPageLoading::scrollingOntoAnUncachedPageNeverWaitsForTheDatabase()
{
    UsersPage *page = m_window->usersPage();
    UsersTableModel *model = page->model();
    UsersTableView *view = page->view();
    QTRY_VERIFY(!model->isLoading() && model->rowCount() == 1201);
    QTRY_VERIFY(model->index(0, UsersTableModel::Name).data(UsersTableModel::UserIdRole).isValid());
    const int last = model->rowCount() - 1;
    QVERIFY(!model->isRowCached(last));

    GapMeter gaps;
    std::unique_ptr<UsersLock> lock;
    if (Org::onPostgres()) {
        lock = std::make_unique<UsersLock>(m_org->dbPath(), 5000);
        QVERIFY(lock->held());
    }
    view->setFocus();
    QTest::keyClick(view, Qt::Key_End, Qt::ControlModifier);

    // The last rows are painted with placeholders first: the table did not wait for them.
    const QString nameFirst = model->index(last, UsersTableModel::Name).data().toString();
    const QString emailFirst = model->index(last, UsersTableModel::Email).data().toString();
    const QVariant idFirst =
        model->index(last, UsersTableModel::Name).data(UsersTableModel::UserIdRole);
    QCoreApplication::processEvents(); // the next tick ends the gap, if there was one
    qInfo("longest gap of the GUI thread's 1 ms timer after Ctrl+End: %.1f ms", gaps.longestMs());
    QCOMPARE(nameFirst, UsersTableModel::loadingText());
    QCOMPARE(emailFirst, QString());
    QVERIFY(!idFirst.isValid());

    if (lock) {
        // The page read waits inside the server, and meanwhile the GUI thread handles its timer
        // ticks and queued calls.
        QTRY_VERIFY(pageReadsWaitingOnALock() > 0);
        const int start = gaps.ticks();
        bool queued = false;
        QMetaObject::invokeMethod(
            this, [&queued] { queued = true; }, Qt::QueuedConnection);
        QTRY_VERIFY(gaps.ticks() >= start + 20 && queued);
        QVERIFY2(lock->held() && pageReadsWaitingOnALock() > 0,
                 "the GUI thread handled no events while the page read waited on the database");
        QVERIFY(
            !model->index(last, UsersTableModel::Name).data(UsersTableModel::UserIdRole).isValid());
        lock->release();
    }

    // Then the rows arrive, in SQL order: no row twice, none hidden.
    QTRY_VERIFY(
        model->index(last, UsersTableModel::Name).data(UsersTableModel::UserIdRole).isValid());
    qInfo("longest gap of the GUI thread's 1 ms timer: %.1f ms", gaps.longestMs());
    UserFilter f = model->shownFilter();
    const auto expected = UserRepository(*m_org->db).fetch(f, 0, model->rowCount());
    QVERIFY(expected);
    QCOMPARE(expected->size(), qsizetype(model->rowCount()));
    QSet<qint64> seen;
    for (int row = 0; row < model->rowCount(); ++row) {
        const qint64 id = model->userAt(row).id;
        QCOMPARE(id, expected->at(row).id);
        QVERIFY(!seen.contains(id));
        seen.insert(id);
    }
}

QTEST_MAIN(TestUsersPageLoading)
#include "tst_userspageloading.moc"
