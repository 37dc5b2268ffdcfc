// Issue 5, live updates: a change made through another connection reaches ChangeNotifier's signal
// within a second, on PostgreSQL (LISTEN/NOTIFY, with the changed ids) and on SQLite (polling
// PRAGMA data_version: "reload"). Runs on both engines (ROSTER_TEST_ENGINE).
#include "app/outbox.h"
#include "app/userservice.h"
#include "models/changenotifier.h"
#include "testsupport.h"

#include <QElapsedTimer>
#include <QSignalSpy>
#include <QSqlQuery>
#include <QTest>

using namespace roster;
using namespace testsupport;

class TestChangeNotifier : public QObject
{
    Q_OBJECT
    std::unique_ptr<TestOrg> org;

    bool postgres() const { return org->engine() == u"postgresql"; }

    // Waits for the next signal; fails the test when none came within `ms`.
    static QList<qint64> next(QSignalSpy &spy, int ms = 1000)
    {
        QElapsedTimer t;
        t.start();
        if (spy.isEmpty() && !spy.wait(ms))
            return {-1};
        qInfo() << "notified after" << t.elapsed() << "ms";
        return spy.takeFirst().at(0).value<QList<qint64>>();
    }

private slots:
    void init()
    {
        org = std::make_unique<TestOrg>();
        QVERIFY2(org->isValid(), qPrintable(org->error()));
    }
    void cleanup() { org.reset(); }

    void anotherConnectionsReinviteArrivesWithinASecond()
    {
        const qint64 id = org->addUnconfirmedUser(QStringLiteral("late@acme.example"));
        QVERIFY(id);
        ChangeNotifier notifier(org->db());
        QVERIFY2(notifier.isActive(), qPrintable(notifier.errorString()));
        QSignalSpy spy(&notifier, &ChangeNotifier::usersChanged);
        QVERIFY(spy.isEmpty());

        auto other = org->db().reopen(); // another administrator's console
        QVERIFY(other);
        if (postgres()) {
            // Nothing before a change: the first signal is a marker sent after the notifier
            // started, not something of its own.
            const qint64 marker = 424242;
            Transaction tx(*other.value());
            QVERIFY(notifyUsersChanged(*other.value(), {marker}));
            QVERIFY(tx.commit());
            QCOMPARE(next(spy), QList<qint64>{marker});
        }
        QVERIFY(spy.isEmpty());
        org->clock().advanceMinutes(10);
        InvitationService service(*other.value(), org->clock(), org->adminId());
        QVERIFY(service.reinvite(id));
        const QList<qint64> ids = next(spy);
        QVERIFY2(ids != QList<qint64>{-1}, "no notification within a second");
        if (postgres())
            QCOMPARE(ids, QList<qint64>{id}); // just that row, refreshed in place
        else
            QVERIFY(ids.isEmpty()); // SQLite only knows "something changed"
    }

    void newUserAsksForAReload()
    {
        ChangeNotifier notifier(org->db());
        QSignalSpy spy(&notifier, &ChangeNotifier::usersChanged);
        auto other = org->db().reopen();
        QVERIFY(other);
        UserService service(*other.value(), org->clock(), org->adminId());
        NewUser nu;
        nu.email = QStringLiteral("new@acme.example");
        nu.name = QStringLiteral("New Person");
        QVERIFY(service.addUser(nu));
        QCOMPARE(next(spy), QList<qint64>{});
    }

    void deliveryAndAcceptanceAreAnnounced()
    {
        const qint64 id = org->addUnconfirmedUser(QStringLiteral("mail@acme.example"));
        ChangeNotifier notifier(org->db());
        QSignalSpy spy(&notifier, &ChangeNotifier::usersChanged);
        QCOMPARE(org->deliver(), 1); // the row's mail state: queued -> sent
        QList<qint64> ids = next(spy);
        QVERIFY(ids != QList<qint64>{-1});
        if (postgres())
            QCOMPARE(ids, QList<qint64>{id});
        const QByteArray token = tokenFromMessage(readFile(emlFiles(org->mailDir()).constLast()));
        QVERIFY(InvitationService::acceptInvitation(org->db(), org->clock(), token,
                                                    QStringLiteral("a long enough password 1")));
        ids = next(spy);
        QVERIFY(ids != QList<qint64>{-1});
        if (postgres())
            QCOMPARE(ids, QList<qint64>{id});
    }

    void rolledBackChangesAreNotAnnounced()
    {
        if (!postgres())
            QSKIP("SQLite's data_version does not move for a rolled-back transaction either, but "
                  "there is no payload to check");
        ChangeNotifier notifier(org->db());
        QSignalSpy spy(&notifier, &ChangeNotifier::usersChanged);
        auto other = org->db().reopen();
        QVERIFY(other);
        {
            Transaction tx(*other.value());
            QVERIFY(notifyUsersChanged(*other.value(), {42}));
            // no commit: rolled back
        }
        QVERIFY(!spy.wait(700));
        {
            Transaction tx(*other.value());
            QVERIFY(notifyUsersChanged(*other.value(), {7, 8}));
            QVERIFY(tx.commit());
        }
        QCOMPARE(next(spy), (QList<qint64>{7, 8}));
    }

    void burstsAreMergedIntoOneSignal()
    {
        if (!postgres())
            QSKIP("PostgreSQL payloads");
        ChangeNotifier notifier(org->db());
        QSignalSpy spy(&notifier, &ChangeNotifier::usersChanged);
        auto other = org->db().reopen();
        QVERIFY(other);
        for (qint64 id : {3, 1, 2}) {
            Transaction tx(*other.value());
            QVERIFY(notifyUsersChanged(*other.value(), {id}));
            QVERIFY(tx.commit());
        }
        QVERIFY(spy.wait(1000));
        // A marker sent after the merged signal arrives after it, as a signal of its own: had
        // the three not been merged into one, their rest would have come before it.
        {
            Transaction tx(*other.value());
            QVERIFY(notifyUsersChanged(*other.value(), {99}));
            QVERIFY(tx.commit());
        }
        QTRY_VERIFY(!spy.isEmpty() && spy.last().at(0).value<QList<qint64>>().contains(99));
        QCOMPARE(spy.size(), 2);
        QCOMPARE(spy.at(0).at(0).value<QList<qint64>>(), (QList<qint64>{1, 2, 3}));
        QCOMPARE(spy.at(1).at(0).value<QList<qint64>>(), QList<qint64>{99});
    }

    void listenerSurvivesALostConnection()
    {
        if (!postgres())
            QSKIP("a PostgreSQL backend to terminate");
        ChangeNotifier notifier(org->db());
        notifier.setPollInterval(200);
        QSignalSpy spy(&notifier, &ChangeNotifier::usersChanged);
        QSignalSpy state(&notifier, &ChangeNotifier::connectionStateChanged);
        // Every other connection of this database goes, the listener's among them.
        QVERIFY(org->db().exec(
            QStringLiteral("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = "
                           "current_database() AND pid <> pg_backend_pid()")));
        // It comes back and asks for a reload: what changed meanwhile was not heard.
        QCOMPARE(next(spy, 3000), QList<qint64>{});
        QVERIFY(notifier.isActive());
        QVERIFY(!state.isEmpty());
        const qint64 id = org->addUnconfirmedUser(QStringLiteral("after@acme.example"));
        QVERIFY(id);
        QCOMPARE(next(spy), QList<qint64>{}); // a new user: reload
    }
};

QTEST_GUILESS_MAIN(TestChangeNotifier)
#include "tst_changenotifier.moc"
