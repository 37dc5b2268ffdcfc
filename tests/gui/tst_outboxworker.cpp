// OutboxWorker: delivery on its own thread and connection, on demand and when due, reporting
// which users' rows changed.

#include "guiorg.h"

#include "app/outboxworker.h"

#include <QSignalSpy>
#include <QTest>
#include <QThread>

using namespace roster;
using namespace roster::test;

class TestOutboxWorker : public QObject
{
    Q_OBJECT

private slots:
    void init();
    void deliversOnDemandOffTheGuiThread();
    void deferredMailGoesOutWhenDue();
    void stopsAndStartsAgain();

private:
    std::unique_ptr<Org> m_org;
};

void TestOutboxWorker::init()
{
    m_org = std::make_unique<Org>();
    QVERIFY(m_org->create());
}

void TestOutboxWorker::deliversOnDemandOffTheGuiThread()
{
    const qint64 id = m_org->add(QStringLiteral("Pat Pending"), QStringLiteral("pat@example.com"));
    QVERIFY(id);
    OutboxWorker worker(m_org->dbPath(), m_org->clock);
    QSignalSpy delivered(&worker, &OutboxWorker::delivered);
    QSignalSpy users(&worker, &OutboxWorker::usersChanged);
    worker.start(60 * 60 * 1000); // the first run is immediate; no periodic one in this test
    QVERIFY(delivered.wait(10000));
    const auto reports = delivered.first().first().value<QList<DeliveryReport>>();
    QCOMPARE(reports.size(), 1);
    QCOMPARE(reports.first().state, QStringLiteral("sent"));
    QCOMPARE(reports.first().userId, id);
    QTRY_COMPARE(users.size(), 1);
    QCOMPARE(users.first().first().value<QList<qint64>>(), QList<qint64>{id});
    QCOMPARE(m_org->user(id).mailState, QStringLiteral("sent"));
    QCOMPARE(m_org->emlFiles().size(), 1);

    // On demand: a re-invite's message goes out without waiting for the timer.
    m_org->clock.advance(10 * minutes);
    auto r = m_org->service().reinvite(id);
    QVERIFY(r);
    worker.deliverNow({r->outboxId});
    QVERIFY(delivered.wait(10000));
    QCOMPARE(delivered.last().first().value<QList<DeliveryReport>>().first().outboxId, r->outboxId);
    QCOMPARE(m_org->emlFiles().size(), 2);
}

void TestOutboxWorker::deferredMailGoesOutWhenDue()
{
    // The folder is a file: writing fails, the message is deferred.
    QFile blocker(m_org->mailDir());
    QVERIFY(blocker.open(QIODevice::WriteOnly));
    blocker.close();
    const qint64 id = m_org->add(QStringLiteral("Pat Pending"), QStringLiteral("pat@example.com"));
    OutboxWorker worker(m_org->dbPath(), m_org->clock);
    QSignalSpy delivered(&worker, &OutboxWorker::delivered);
    QSignalSpy finished(&worker, &OutboxWorker::runFinished);
    worker.start(50);
    QVERIFY(delivered.wait(10000));
    QCOMPARE(delivered.first().first().value<QList<DeliveryReport>>().first().state,
             QStringLiteral("deferred"));
    QCOMPARE(m_org->user(id).mailState, QStringLiteral("deferred"));

    // Periodic runs before the retry time do nothing.
    QVERIFY(QFile::remove(m_org->mailDir()));
    const int runs = int(finished.size());
    QTRY_VERIFY(finished.size() > runs + 2);
    QCOMPARE(delivered.size(), 1);

    // Once due, a periodic run sends it.
    m_org->clock.advance(Outbox::firstRetryMs + 1000);
    QTRY_COMPARE_WITH_TIMEOUT(delivered.size(), 2, 10000);
    QCOMPARE(delivered.last().first().value<QList<DeliveryReport>>().first().state,
             QStringLiteral("sent"));
    QCOMPARE(m_org->user(id).mailState, QStringLiteral("sent"));
}

void TestOutboxWorker::stopsAndStartsAgain()
{
    OutboxWorker worker(m_org->dbPath(), m_org->clock);
    QSignalSpy delivered(&worker, &OutboxWorker::delivered);
    worker.start(60 * 60 * 1000);
    QVERIFY(worker.isRunning());
    worker.stop();
    QVERIFY(!worker.isRunning());
    // Stopped: nothing is delivered.
    QVERIFY(m_org->add(QStringLiteral("Pat Pending"), QStringLiteral("pat@example.com")));
    worker.deliverNow();
    QTest::qWait(200);
    QCOMPARE(delivered.size(), 0);
    worker.start(60 * 60 * 1000);
    QVERIFY(delivered.wait(10000));
}

QTEST_GUILESS_MAIN(TestOutboxWorker)
#include "tst_outboxworker.moc"
