// Issue 13, point 14: the console keeps handling events while its PostgreSQL server is gone and a
// socket that accepts and never answers has taken its place. The change notifiers' reconnects
// hang on that socket off the GUI thread; the window stays live and closes without waiting for
// them. (How long the GUI thread's longest gap is, is measured by bench/console, not asserted.)

#include "guiorg.h"
#include "hangingproxy.h"

#include "app/outboxworker.h"
#include "models/changenotifier.h"
#include "ui/mainwindow.h"

#include <QApplication>
#include <QElapsedTimer>
#include <QSignalSpy>
#include <QTest>
#include <QTimer>
#include <QUrl>

using namespace roster;
using namespace roster::test;

class TestConsoleFreeze : public QObject
{
    Q_OBJECT

private slots:
    void windowKeepsHandlingEventsWhileTheDatabaseHangs();
    void stoppingDeliveryDoesNotWaitForAHangingDatabase();
};

namespace {
// Runs the event loop until `done` holds or `ms` pass (a deadline, not a measurement).
template <typename F> bool waitFor(F done, int ms)
{
    QElapsedTimer t;
    t.start();
    while (!done()) {
        if (t.elapsed() > ms)
            return false;
        QTest::qWait(5);
    }
    return true;
}
} // namespace

void TestConsoleFreeze::windowKeepsHandlingEventsWhileTheDatabaseHangs()
{
    if (!Org::onPostgres())
        QSKIP("a PostgreSQL server to stop (the _pg twin)");
    Org org;
    QVERIFY(org.create());
    QVERIFY(org.add(QStringLiteral("Ann Able"), QStringLiteral("ann@example.com")));

    QUrl upstream(org.dbPath());
    HangingProxy proxy(upstream.host(), quint16(upstream.port(5432)));
    QUrl viaProxy = upstream;
    viaProxy.setPort(proxy.port());
    auto db = Database::open(viaProxy.toString(), Database::OpenMode::MustExist);
    QVERIFY2(db, db ? "" : qPrintable(db.error().message));
    auto window = std::make_unique<MainWindow>(std::move(db).value(), org.clock, org.admin, false);
    window->show();
    QVERIFY(QTest::qWaitForWindowExposed(window.get()));
    const QList<ChangeNotifier *> notifiers = window->findChildren<ChangeNotifier *>();
    QVERIFY(!notifiers.isEmpty());
    for (ChangeNotifier *n : notifiers) {
        QVERIFY(n->isActive());
        n->setPollInterval(100); // check (and reconnect) often
    }

    // The server stops; its port now accepts and never answers.
    proxy.hang();
    QVERIFY(waitFor(
        [&] {
            return std::all_of(notifiers.cbegin(), notifiers.cend(),
                               [](ChangeNotifier *n) { return !n->isActive(); });
        },
        30000));

    // A reconnect is hanging on that socket, and meanwhile the GUI thread handles its timer
    // ticks and queued calls: the very connection seen held open is still held afterwards.
    int ticks = 0;
    QTimer tick;
    tick.setInterval(1);
    connect(&tick, &QTimer::timeout, this, [&ticks] { ++ticks; });
    tick.start();
    const bool liveDuringAReconnect = waitFor(
        [&] {
            const QList<quint64> before = proxy.heldOpen();
            if (before.isEmpty())
                return false;
            const int start = ticks;
            bool queued = false;
            QMetaObject::invokeMethod(
                this, [&queued] { queued = true; }, Qt::QueuedConnection);
            while (ticks < start + 20 || !queued)
                QTest::qWait(1);
            return proxy.heldOpen().contains(before.first());
        },
        60000);
    QVERIFY2(liveDuringAReconnect,
             "the GUI thread handled no events while a reconnect was waiting on the server");

    // Closing does not wait for the hanging reconnects.
    window->close();
    window.reset();
}

void TestConsoleFreeze::stoppingDeliveryDoesNotWaitForAHangingDatabase()
{
    if (!Org::onPostgres())
        QSKIP("a PostgreSQL server to stop (the _pg twin)");
    Org org;
    QVERIFY(org.create());
    QVERIFY(org.add(QStringLiteral("Ann Able"), QStringLiteral("ann@example.com")));
    QUrl upstream(org.dbPath());
    HangingProxy proxy(upstream.host(), quint16(upstream.port(5432)));
    QUrl viaProxy = upstream;
    viaProxy.setPort(proxy.port());

    auto worker = std::make_unique<OutboxWorker>(viaProxy.toString(), org.clock);
    QSignalSpy delivered(worker.get(), &OutboxWorker::delivered);
    worker->start(60 * 60 * 1000);
    QVERIFY(delivered.wait(10000)); // its connection is made, through the proxy
    proxy.hang();
    QVERIFY(org.add(QStringLiteral("Bob Baker"), QStringLiteral("bob@example.com")));
    worker->deliverNow(); // finds its connection gone and reconnects: that hangs
    QVERIFY(waitFor([&] { return !proxy.heldOpen().isEmpty(); }, 30000));
    const quint64 hanging = proxy.heldOpen().first();
    worker->stop();
    QVERIFY(!worker->isRunning());
    // stop() returned while the reconnect it gave up on still waits on the server.
    QVERIFY(proxy.heldOpen().contains(hanging));
    worker.reset();
}

QTEST_MAIN(TestConsoleFreeze)
#include "tst_consolefreeze.moc"
