// The GUI thread while the database hangs (issue 13, point 14). A console window (the real
// MainWindow, its Users pages and their change notifiers, the outbox worker) is opened on a test
// PostgreSQL database through a proxy; after a calm phase the proxy "stops the server" (closes
// every connection) and from then on accepts connections and never answers them. A 1 ms timer on
// the GUI thread records the longest gap between two of its ticks in each phase; then the window
// is closed and the time that takes is printed. The target: every gap under 100 ms, closing under
// 2 s.
//
//   QT_QPA_PLATFORM=offscreen ROSTER_TEST_PG_URL=postgresql://… console_freeze_bench [--seconds N]

#include "guiorg.h"
#include "hangingproxy.h"

#include "ui/mainwindow.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QElapsedTimer>
#include <QTimer>

#include <cstdio>

using namespace roster;
using namespace roster::test;

namespace {

// Runs the event loop for `ms` and returns the longest gap between two ticks of a 1 ms timer.
qint64 longestGap(qint64 ms)
{
    QElapsedTimer clock, sinceTick;
    qint64 longest = 0;
    QTimer tick;
    tick.setTimerType(Qt::PreciseTimer);
    tick.setInterval(1);
    QObject::connect(&tick, &QTimer::timeout,
                     [&] { longest = std::max(longest, sinceTick.restart()); });
    clock.start();
    sinceTick.start();
    tick.start();
    while (clock.elapsed() < ms)
        QCoreApplication::processEvents(QEventLoop::WaitForMoreEvents, 50);
    return std::max(longest, sinceTick.elapsed());
}

} // namespace

int main(int argc, char **argv)
{
    QApplication app(argc, argv);
    QCommandLineParser parser;
    parser.addHelpOption();
    QCommandLineOption seconds(QStringLiteral("seconds"),
                               QStringLiteral("How long each phase lasts (default 10)."),
                               QStringLiteral("n"), QStringLiteral("10"));
    parser.addOption(seconds);
    parser.process(app);
    const qint64 phaseMs = parser.value(seconds).toLongLong() * 1000;
    if (qEnvironmentVariable("ROSTER_TEST_PG_URL").isEmpty()) {
        std::fprintf(stderr, "Set ROSTER_TEST_PG_URL to a PostgreSQL server URL.\n");
        return 2;
    }
    qputenv("ROSTER_TEST_ENGINE", "postgresql");
    qputenv("ROSTER_NO_KEYRING", "1");
    auto org = std::make_unique<Org>();
    if (!org->create())
        return 1;
    for (int i = 0; i < 50; ++i)
        org->add(QStringLiteral("User %1").arg(i), QStringLiteral("user%1@example.com").arg(i));

    const QUrl upstream(org->dbPath());
    HangingProxy proxy(upstream.host(), quint16(upstream.port(5432)));
    QUrl viaProxy = upstream;
    viaProxy.setPort(proxy.port());
    auto db = Database::open(viaProxy.toString(), Database::OpenMode::MustExist);
    if (!db) {
        std::fprintf(stderr, "%s\n", qPrintable(db.error().message));
        return 1;
    }
    auto window = std::make_unique<MainWindow>(std::move(db).value(), org->clock, org->admin);
    window->show();
    const qint64 calm = longestGap(phaseMs);
    proxy.hang();
    const qint64 hanging = longestGap(phaseMs);
    QElapsedTimer closing;
    closing.start();
    window->close();
    window.reset();
    const qint64 closeMs = closing.elapsed();
    std::printf("longest GUI-thread gap, server up:      %lld ms\n", static_cast<long long>(calm));
    std::printf("longest GUI-thread gap, server hanging: %lld ms (held connections: %lld)\n",
                static_cast<long long>(hanging), static_cast<long long>(proxy.heldOpen().size()));
    std::printf("closing the window while it hangs:      %lld ms\n",
                static_cast<long long>(closeMs));
    std::fflush(stdout);
    // The organisation's database is dropped through the real server, not the proxy.
    org.reset();
    return hanging < 100 && closeMs < 2000 ? 0 : 1;
}
