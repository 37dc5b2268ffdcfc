// OutboxWorker: delivery on its own thread and connection, on demand and when due, reporting
// which users' rows changed.

#include "guiorg.h"

#include "app/outboxworker.h"

#include <QSignalSpy>
#include <QSqlQuery>
#include <QTcpServer>
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
    void quittingMidDeliveryLosesNoMail();

private:
    // The state of the user's outbox row (the users row is updated only once it is recorded).
    QString outboxState(qint64 userId) const
    {
        QSqlQuery q = m_org->db->prepare(
            QStringLiteral("SELECT state FROM outbox WHERE user_id = ? ORDER BY id DESC"));
        q.addBindValue(userId);
        if (!m_org->db->exec(q) || !q.next())
            return {};
        return q.value(0).toString();
    }

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
    auto r = m_org->invitations().reinvite(id);
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
    const qint64 id = m_org->add(QStringLiteral("Pat Pending"), QStringLiteral("pat@example.com"));
    QVERIFY(id);
    worker.deliverNow();
    // Whatever deliverNow() could have posted has been handled once a later queued call arrives.
    bool drained = false;
    QMetaObject::invokeMethod(
        this, [&drained] { drained = true; }, Qt::QueuedConnection);
    QTRY_VERIFY(drained);
    QCOMPARE(delivered.size(), 0);
    QCOMPARE(outboxState(id), QStringLiteral("queued"));
    worker.start(60 * 60 * 1000);
    QVERIFY(delivered.wait(10000));
}

void TestOutboxWorker::quittingMidDeliveryLosesNoMail()
{
    // A mail server that takes the connection and never greets: the session stays in flight
    // until the worker is told to stop.
    QTcpServer silent;
    QVERIFY(silent.listen(QHostAddress::LocalHost));
    OrgSettings settings = OrgSettings::load(*m_org->db).value();
    settings.transport = QStringLiteral("smtp");
    settings.smtpHost = QStringLiteral("127.0.0.1");
    settings.smtpPort = silent.serverPort();
    settings.smtpSecurity = QStringLiteral("none");
    QVERIFY(settings.save(*m_org->db));
    const qint64 id = m_org->add(QStringLiteral("Pat Pending"), QStringLiteral("pat@example.com"));
    QVERIFY(id);
    {
        auto worker = std::make_unique<OutboxWorker>(m_org->dbPath(), m_org->clock);
        QSignalSpy finished(worker.get(), &OutboxWorker::runFinished);
        // Periodic runs every 20 ms and requests on top: none may start inside the session.
        worker->start(20);
        QTRY_COMPARE_WITH_TIMEOUT(outboxState(id), QStringLiteral("sending"), 10000);
        QTRY_VERIFY(silent.hasPendingConnections());
        worker->deliverNow();
        worker->deliverNow({});
        // Quit while the session waits for the server's greeting.
        worker->stop();
        QVERIFY(!worker->isRunning());
        QCOMPARE(finished.size(), 1); // the one run in flight, never a second one inside it
    }
    // The claim was handed back: the message waits for a retry instead of staying "sending".
    QCOMPARE(outboxState(id), QStringLiteral("deferred"));
    QVERIFY(m_org->emlFiles().isEmpty());

    // The next start, with a working transport, sends it once; a later run does not send again.
    settings.transport = QStringLiteral("file");
    QVERIFY(settings.save(*m_org->db));
    m_org->clock.advance(Outbox::firstRetryMs + 1000);
    OutboxWorker again(m_org->dbPath(), m_org->clock);
    QSignalSpy delivered(&again, &OutboxWorker::delivered);
    QSignalSpy finished(&again, &OutboxWorker::runFinished);
    again.start(60 * 60 * 1000);
    QVERIFY(delivered.wait(10000));
    QCOMPARE(m_org->user(id).mailState, QStringLiteral("sent"));
    again.deliverNow();
    QTRY_COMPARE(finished.size(), 2);
    QCOMPARE(delivered.size(), 1);
    QCOMPARE(m_org->emlFiles().size(), 1);
}

QTEST_GUILESS_MAIN(TestOutboxWorker)
#include "tst_outboxworker.moc"
