// Issue 6, "search-as-you-type cancels the stale query": StatementInterrupter stops a statement
// that is running inside the database (sqlite3_interrupt, a PostgreSQL cancel request);
// ViewLoader reads a view on its own connection and stops the superseded read; UsersTableModel's
// requestFilter() keeps the rows on show until the new ones arrive. Runs on both engines
// (ROSTER_TEST_ENGINE).
#include "app/demodata.h"
#include "hangingproxy.h"
#include "models/statementinterrupter.h"
#include "models/userrepository.h"
#include "models/userstablemodel.h"
#include "models/viewloader.h"
#include "testsupport.h"

#include <QSemaphore>
#include <QSignalSpy>
#include <QSqlQuery>
#include <QTest>
#include <QThread>
#include <QUrl>

#include <atomic>

using namespace roster;
using namespace testsupport;

namespace {
// Counts to ten billion: minutes on either engine, far past any wait in this suite — so a load
// that comes back at all was stopped inside the database, not waited out.
const QString endless = QStringLiteral(
    "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 10000000000) "
    "SELECT count(*) FROM c");

UserFilter search(const QString &text)
{
    UserFilter f;
    f.search = text;
    return f;
}
} // namespace

class TestViewLoader : public QObject
{
    Q_OBJECT
    std::unique_ptr<TestOrg> org;

    // A loader whose search ("ann") is held inside the database by `endless`.
    std::unique_ptr<ViewLoader> loaderStuckOnASearch(quint64 *generation)
    {
        auto loader = std::make_unique<ViewLoader>(org->location());
        loader->setStatementBeforeLoadForTest(endless);
        *generation = loader->request(search(QStringLiteral("ann")), 20);
        return loader;
    }

    // A model whose background search ("ann") is held inside the database by `endless`.
    std::unique_ptr<UsersTableModel> modelStuckOnASearch()
    {
        auto model =
            std::make_unique<UsersTableModel>(org->db(), [this] { return org->clock().nowMs(); });
        model->setFilter(UserFilter{});
        model->setBackgroundLoading(true);
        model->viewLoader()->setStatementBeforeLoadForTest(endless);
        model->requestFilter(search(QStringLiteral("ann")));
        return model;
    }

private slots:
    void init()
    {
        org = std::make_unique<TestOrg>();
        QVERIFY2(org->isValid(), qPrintable(org->error()));
        DemoOptions o;
        o.users = 300;
        o.portalUsers = 0;
        QVERIFY(generateDemoData(org->db(), org->clock(), org->adminId(), o));
    }
    void cleanup() { org.reset(); }

    void interruptStopsARunningStatement()
    {
        StatementInterrupter interrupter;
        interrupter.attach(org->db());
        // Interrupts until the statement has returned: an interrupt that lands before it starts
        // stops nothing, so the first ones may be spent.
        QSemaphore returned;
        std::unique_ptr<QThread> other(QThread::create([&interrupter, &returned] {
            while (!returned.tryAcquire(1, 20))
                interrupter.interrupt();
        }));
        other->start();
        QSqlQuery q = org->db().prepare(endless);
        const Status s = org->db().exec(q);
        returned.release();
        other->wait();
        // Every cancel request has been sent.
        QVERIFY(
            QTest::qWaitFor([] { return StatementInterrupter::requestsInFlight() == 0; }, 30000));
        QVERIFY(!s);
        QCOMPARE(s.error().kind, ErrorKind::Cancelled);
        // The connection goes on working.
        QCOMPARE(org->scalar(QStringLiteral("SELECT count(*) FROM users")), qint64(301));
        interrupter.detach();
    }

    void interruptWhenIdleStopsNothing()
    {
        StatementInterrupter interrupter;
        interrupter.attach(org->db());
        interrupter.interrupt();
        // The PostgreSQL request has been sent.
        QVERIFY(
            QTest::qWaitFor([] { return StatementInterrupter::requestsInFlight() == 0; }, 30000));
        QCOMPARE(org->scalar(QStringLiteral("SELECT count(*) FROM users")), qint64(301));
        interrupter.detach();
        interrupter.interrupt(); // detached: nothing to stop, nothing to crash
    }

    // The console quitting on a PostgreSQL server that was replaced by a socket that accepts and
    // never answers (issue 13, point 14): a cancel request sent to it waits for good, and the
    // connection's thread must still be able to detach and close (it waited for that request,
    // and ~ViewLoader for the thread, in CI's tst_consolefreeze_pg).
    void detachDoesNotWaitForACancelRequestThatHangs()
    {
        if (org->engine() != QStringLiteral("postgresql"))
            QSKIP("a PostgreSQL cancel request (the _pg twin)");
        const QUrl upstream(org->location());
        auto proxy =
            std::make_unique<test::HangingProxy>(upstream.host(), quint16(upstream.port(5432)));
        QUrl viaProxy = upstream;
        viaProxy.setPort(proxy->port());
        auto db = Database::open(viaProxy.toString(), Database::OpenMode::MustExist);
        QVERIFY2(db, db ? "" : qPrintable(db.error().message));
        StatementInterrupter interrupter;
        interrupter.attach(**db);
        proxy->hang(); // the cancel key names the proxy's port, which now never answers
        interrupter.interrupt();
        QVERIFY(
            QTest::qWaitFor([&] { return !proxy->heldOpen().isEmpty(); }, 10000)); // it waits there

        std::atomic_bool detached = false;
        std::unique_ptr<QThread> connectionThread(QThread::create([&] {
            interrupter.detach();
            detached = true;
        }));
        connectionThread->start();
        const bool returned = QTest::qWaitFor([&] { return detached.load(); }, 10000);
        proxy.reset(); // the held request's socket closes: a detach() that waited returns now
        QVERIFY(connectionThread->wait(30000));
        QVERIFY2(returned, "detach() waited for a cancel request that never ends");
        QVERIFY(
            QTest::qWaitFor([] { return StatementInterrupter::requestsInFlight() == 0; }, 30000));
    }

    void loadReadsTheCountAndTheFirstRows()
    {
        ViewLoader loader(org->location());
        QSignalSpy loaded(&loader, &ViewLoader::loaded);
        UserFilter f;
        f.sort = UserFilter::Sort::Email;
        f.descending = true;
        const quint64 generation = loader.request(f, 20);
        QVERIFY(loaded.wait(10000));
        const auto load = loaded.at(0).at(0).value<ViewLoad>();
        QCOMPARE(load.generation, generation);
        QVERIFY(!load.error);
        UserRepository repo(org->db());
        QCOMPARE(load.count, repo.count(f).value());
        QVERIFY(load.count > 20);
        const auto first = repo.fetch(f, 0, 20).value();
        QCOMPARE(load.firstRows.size(), qsizetype(20));
        for (int i = 0; i < 20; ++i)
            QCOMPARE(load.firstRows.at(i).id, first.at(i).id);
    }

    void newerRequestStopsTheRunningOne()
    {
        quint64 stale = 0;
        auto owned = loaderStuckOnASearch(&stale);
        ViewLoader &loader = *owned;
        QSignalSpy loaded(&loader, &ViewLoader::loaded);
        QTRY_COMPARE(loader.running(), stale);
        if (org->engine() == u"postgresql") // inside the endless statement
            QTRY_VERIFY(org->scalar(QStringLiteral(
                            "SELECT count(*) FROM pg_stat_activity WHERE state = 'active' AND "
                            "datname = current_database() AND pid <> pg_backend_pid()")) == 1);
        // (SQLite: an interrupt that lands before the statement starts is sent again.)
        loader.setStatementBeforeLoadForTest(QString());
        const quint64 fresh = loader.request(search(QStringLiteral("anna")), 20);
        QVERIFY(loaded.wait(10000));
        QCOMPARE(loaded.size(), 1);
        const auto load = loaded.at(0).at(0).value<ViewLoad>();
        QCOMPARE(load.generation, fresh);
        QVERIFY(!load.error);
        QCOMPARE(load.filter.search, QStringLiteral("anna"));
        QCOMPARE(loader.interruptions(), 1);
    }

    void cancelStopsTheRunningOneAndReportsNothing()
    {
        quint64 generation = 0;
        auto owned = loaderStuckOnASearch(&generation);
        ViewLoader &loader = *owned;
        QSignalSpy loaded(&loader, &ViewLoader::loaded);
        QTRY_COMPARE(loader.running(), generation);
        loader.cancel();
        QTRY_COMPARE(loader.running(), quint64(0));
        QCOMPARE(loader.interruptions(), 1);
        // Loads are delivered in order: once a later one has arrived, the cancelled one would
        // have arrived before it.
        loader.setStatementBeforeLoadForTest(QString());
        const quint64 later = loader.request(search(QStringLiteral("bob")), 20);
        QVERIFY(loaded.wait(10000));
        QCOMPARE(loaded.size(), 1);
        QCOMPARE(loaded.at(0).at(0).value<ViewLoad>().generation, later);
    }

    void destroyedWhileAStatementRuns()
    {
        quint64 generation = 0;
        auto loader = loaderStuckOnASearch(&generation);
        QTRY_COMPARE(loader->running(), generation);
        loader.reset(); // stops the statement and joins the thread: returns, or CTest's timeout
        QCOMPARE(org->scalar(QStringLiteral("SELECT count(*) FROM users")), qint64(301));
    }

    void unreachableDatabaseIsAnError()
    {
        const QString location = org->engine() == u"postgresql"
                                     ? QStringLiteral("postgresql://roster@127.0.0.1:1/nothing")
                                     : org->dir() + QStringLiteral("/missing.db");
        ViewLoader loader(location);
        QSignalSpy loaded(&loader, &ViewLoader::loaded);
        loader.request(search(QStringLiteral("ann")), 20);
        QVERIFY(loaded.wait(10000));
        const auto load = loaded.at(0).at(0).value<ViewLoad>();
        QVERIFY(load.error);
        QVERIFY(!load.error->message.isEmpty());
    }

    void modelKeepsTheRowsOnShowUntilTheLoadArrives()
    {
        UsersTableModel model(org->db(), [this] { return org->clock().nowMs(); });
        model.setFilter(UserFilter{});
        model.setBackgroundLoading(true);
        const int all = model.rowCount();
        QCOMPARE(all, 301);
        QSignalSpy loading(&model, &UsersTableModel::loadingChanged);
        QSignalSpy reset(&model, &QAbstractItemModel::modelReset);
        model.viewLoader()->setStatementBeforeLoadForTest(
            QStringLiteral("SELECT count(*) FROM users"));
        model.requestFilter(search(QStringLiteral("ann")));
        QVERIFY(model.isLoading());
        QCOMPARE(model.filter().search, QStringLiteral("ann")); // what was asked for
        QCOMPARE(model.shownFilter().search, QString());        // what is on show
        QCOMPARE(model.rowCount(), all);
        QCOMPARE(reset.size(), 0);
        QTRY_VERIFY(!model.isLoading());
        QCOMPARE(reset.size(), 1);
        QCOMPARE(loading.size(), 2); // true, then false
        UserRepository repo(org->db());
        QCOMPARE(model.rowCount(), int(repo.count(model.filter()).value()));
        QVERIFY(model.rowCount() < all);
        const auto rows = repo.fetch(model.filter(), 0, model.rowCount()).value();
        for (int i = 0; i < model.rowCount(); ++i)
            QCOMPARE(model.userAt(i).id, rows.at(i).id);
        // Typing back to what is on show costs nothing.
        model.requestFilter(model.shownFilter());
        QVERIFY(!model.isLoading());
    }

    void setFilterWhileLoadingDropsTheLoad()
    {
        auto owned = modelStuckOnASearch();
        UsersTableModel &model = *owned;
        QTRY_VERIFY(model.viewLoader()->running() != 0);
        UserFilter unconfirmed;
        unconfirmed.view = UserView::Unconfirmed;
        unconfirmed.sort = UserFilter::defaultSort(unconfirmed.view);
        model.setFilter(unconfirmed);
        QVERIFY(!model.isLoading());
        QTRY_COMPARE(model.viewLoader()->interruptions(), 1);
        // A load asked of the loader itself comes back after anything the dropped one could
        // have posted; the model, not loading, ignores it.
        QSignalSpy loaded(model.viewLoader(), &ViewLoader::loaded);
        model.viewLoader()->setStatementBeforeLoadForTest(QString());
        model.viewLoader()->request(search(QStringLiteral("bob")), 20);
        QVERIFY(loaded.wait(10000));
        QCOMPARE(model.shownFilter().view, UserView::Unconfirmed);
        QCOMPARE(model.shownFilter().search, QString());
        QCOMPARE(model.rowCount(), int(UserRepository(org->db()).count(unconfirmed).value()));
    }

    // A header click while a search still runs: the stale search stops inside the database and
    // the sorted one is read beside the table, with the search kept.
    void sortWhileLoadingKeepsTheSearch()
    {
        auto owned = modelStuckOnASearch();
        UsersTableModel &model = *owned;
        QTRY_VERIFY(model.viewLoader()->running() != 0);
        model.viewLoader()->setStatementBeforeLoadForTest(QString());
        model.sort(UsersTableModel::Email, Qt::DescendingOrder);
        QVERIFY(model.isLoading());
        QTRY_VERIFY(!model.isLoading());
        QCOMPARE(model.viewLoader()->interruptions(), 1);
        QCOMPARE(model.shownFilter().search, QStringLiteral("ann"));
        QCOMPARE(model.shownFilter().sort, UserFilter::Sort::Email);
        QVERIFY(model.shownFilter().descending);
        QCOMPARE(model.rowCount(),
                 int(UserRepository(org->db()).count(search(QStringLiteral("ann"))).value()));
    }

    // Sorting (a header click) with background loading: the rows on show stay, in their order,
    // until the sorted ones arrive; without it, at once.
    void sortReadsBesideTheTable()
    {
        UsersTableModel model(org->db(), [this] { return org->clock().nowMs(); });
        model.setFilter(UserFilter{});
        const QString firstByName = model.index(0, UsersTableModel::Email).data().toString();
        model.setBackgroundLoading(true);
        QSignalSpy resets(&model, &QAbstractItemModel::modelReset);
        model.sort(UsersTableModel::Email, Qt::DescendingOrder);
        QVERIFY(model.isLoading());
        QCOMPARE(model.filter().sort, UserFilter::Sort::Email);     // what was asked for
        QCOMPARE(model.shownFilter().sort, UserFilter::Sort::Name); // what is on show
        QCOMPARE(model.index(0, UsersTableModel::Email).data().toString(), firstByName);
        QCOMPARE(resets.size(), 0);
        QTRY_VERIFY(!model.isLoading());
        QCOMPARE(resets.size(), 1);
        QCOMPARE(model.shownFilter().sort, UserFilter::Sort::Email);
        UserFilter byEmail;
        byEmail.sort = UserFilter::Sort::Email;
        byEmail.descending = true;
        byEmail.nowMs = org->clock().nowMs();
        auto top = UserRepository(org->db()).fetch(byEmail, 0, 1);
        QVERIFY(top && !top->isEmpty());
        QCOMPARE(model.index(0, UsersTableModel::Email).data().toString(), top->first().email);

        model.setBackgroundLoading(false);
        model.sort(UsersTableModel::Email, Qt::AscendingOrder);
        QVERIFY(!model.isLoading());
        QVERIFY(!model.shownFilter().descending);
    }

    void failedLoadFallsBackToTheForeground()
    {
        UsersTableModel model(org->db(), [this] { return org->clock().nowMs(); });
        model.setFilter(UserFilter{});
        model.setBackgroundLoading(true);
        QSignalSpy errors(&model, &UsersTableModel::errorOccurred);
        model.viewLoader()->setStatementBeforeLoadForTest(
            QStringLiteral("SELECT * FROM no_such_table"));
        model.requestFilter(search(QStringLiteral("ann")));
        QTRY_VERIFY(!model.isLoading());
        QCOMPARE(model.shownFilter().search, QStringLiteral("ann"));
        QCOMPARE(model.rowCount(),
                 int(UserRepository(org->db()).count(search(QStringLiteral("ann"))).value()));
        QCOMPARE(errors.size(), 0); // this connection could read it: nothing to tell the user
    }
};

QTEST_GUILESS_MAIN(TestViewLoader)
#include "tst_viewloader.moc"
