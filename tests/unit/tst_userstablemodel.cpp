// UsersTableModel: a view of SQL that never holds the whole table.

#include "app/authservice.h"
#include "app/demodata.h"
#include "app/orgsettings.h"
#include "app/userservice.h"
#include "models/userrepository.h"
#include "models/userstablemodel.h"
#include "testsupport.h"

#include <QAbstractItemModelTester>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

#include <atomic>

using namespace roster;

namespace {
class StepClock final : public Clock
{
public:
    qint64 nowMs() const override { return m_now; }
    void advance(qint64 ms) { m_now += ms; }

private:
    std::atomic<qint64> m_now{QDateTime::currentMSecsSinceEpoch()};
};
} // namespace

class TestUsersTableModel : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void passesTheModelTester_data();
    void passesTheModelTester();
    void rowsMatchTheRepositoryInEveryPage();
    void keepsOnlyAFewPages();
    void readsTheEndFromTheEnd();
    void refreshUsersChangesOnlyThatRow();
    void sortsInSql();
    void userIdsOfLongRanges();
    void invitedAgeCountsCalendarDays();
    void liveChangesNeverShowARowTwiceOrHideOne_data();
    void liveChangesNeverShowARowTwiceOrHideOne();

private:
    QTemporaryDir m_dir;
    StepClock m_clock;
    std::unique_ptr<Database> m_db;
    qint64 m_adminId = 0;
};

void TestUsersTableModel::initTestCase()
{
    qputenv("XDG_CONFIG_HOME", m_dir.filePath(QStringLiteral("config")).toUtf8());
    auto db = Database::open(m_dir.filePath(QStringLiteral("org.db")),
                             Database::OpenMode::CreateIfMissing);
    QVERIFY(db);
    m_db = std::move(db).value();
    auto admin = AuthService::createFirstAdmin(*m_db, m_clock, QStringLiteral("ada@example.com"),
                                               QStringLiteral("Ada Admin"),
                                               QStringLiteral("correct horse battery staple"));
    QVERIFY(admin);
    m_adminId = admin->userId;
    OrgSettings s = OrgSettings::load(*m_db).value();
    s.senderAddress = QStringLiteral("invitations@example.com");
    s.transport = QStringLiteral("file");
    s.mailDir = m_dir.filePath(QStringLiteral("mail"));
    QVERIFY(s.save(*m_db));
    DemoOptions o;
    o.users = 1000;
    o.portalUsers = 50;
    QVERIFY(generateDemoData(*m_db, m_clock, m_adminId, o));
}

void TestUsersTableModel::passesTheModelTester_data()
{
    QTest::addColumn<int>("view");
    QTest::addColumn<QString>("search");
    QTest::newRow("all") << int(UserView::All) << QString();
    QTest::newRow("unconfirmed") << int(UserView::Unconfirmed) << QString();
    QTest::newRow("inactive") << int(UserView::Inactive) << QString();
    QTest::newRow("admins") << int(UserView::Admins) << QString();
    QTest::newRow("search") << int(UserView::All) << QStringLiteral("an");
    QTest::newRow("nothing") << int(UserView::All) << QStringLiteral("zzzz-no-such-user");
}

void TestUsersTableModel::passesTheModelTester()
{
    QFETCH(int, view);
    QFETCH(QString, search);
    UsersTableModel model(*m_db, [this] { return m_clock.nowMs(); });
    model.setPageSize(64);
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    UserFilter f;
    f.view = UserView(view);
    f.search = search;
    f.sort = UserFilter::defaultSort(f.view);
    model.setFilter(f);
    QCOMPARE(model.rowCount(), int(UserRepository(*m_db).count(model.filter()).value()));
    model.sort(UsersTableModel::Email, Qt::DescendingOrder);
    model.sort(UsersTableModel::Status, Qt::AscendingOrder);
    if (model.rowCount() > 0) {
        const qint64 id = model.userAt(model.rowCount() - 1).id;
        model.refreshUsers({id});
        QCOMPARE(model.indexOf(id), model.rowCount() - 1);
    }
    model.reload();
}

void TestUsersTableModel::rowsMatchTheRepositoryInEveryPage()
{
    UsersTableModel model(*m_db, [this] { return m_clock.nowMs(); });
    model.setPageSize(50);
    UserFilter f;
    f.view = UserView::All;
    model.setFilter(f);
    const auto all = UserRepository(*m_db).fetch(model.filter(), 0, 100000);
    QVERIFY(all);
    QCOMPARE(model.rowCount(), int(all->size()));
    QVERIFY(model.rowCount() > 1000);
    // Jump around like a scrollbar does, both halves.
    for (int row : {0, 49, 50, 777, model.rowCount() - 1, 510, model.rowCount() / 2,
                    model.rowCount() / 2 + 1, 3, model.rowCount() - 51}) {
        QCOMPARE(model.userAt(row).id, all->at(row).id);
        QCOMPARE(model.index(row, UsersTableModel::Email).data().toString(), all->at(row).email);
    }
    QVERIFY(!model.userAt(model.rowCount()).isValid());
    QVERIFY(!model.userAt(-1).isValid());
}

void TestUsersTableModel::keepsOnlyAFewPages()
{
    UsersTableModel model(*m_db, [this] { return m_clock.nowMs(); });
    model.setPageSize(20);
    model.setFilter(UserFilter{});
    for (int row = 0; row < model.rowCount(); row += 7)
        QVERIFY(model.userAt(row).isValid());
    QVERIFY(model.cachedPageCount() <= UsersTableModel::defaultCachedPages);
    // Rows of a recent page come from the cache.
    const int fetches = model.pageFetches();
    QVERIFY(model.userAt(model.rowCount() - 1).isValid());
    QVERIFY(model.userAt(model.rowCount() - 2).isValid());
    QVERIFY(model.pageFetches() <= fetches + 1);
}

void TestUsersTableModel::readsTheEndFromTheEnd()
{
    UsersTableModel model(*m_db, [this] { return m_clock.nowMs(); });
    model.setPageSize(100);
    model.setFilter(UserFilter{});
    QVERIFY(model.userAt(0).isValid());
    QVERIFY(!model.lastFetchFromEnd());
    QVERIFY(model.userAt(model.rowCount() - 1).isValid()); // Ctrl+End
    QVERIFY(model.lastFetchFromEnd());
}

void TestUsersTableModel::refreshUsersChangesOnlyThatRow()
{
    UsersTableModel model(*m_db, [this] { return m_clock.nowMs(); });
    UserFilter f;
    f.view = UserView::Unconfirmed;
    // By name, a re-invite changes the row in place; by invitation date (the view's default) it
    // moves the user, see liveChangesNeverShowARowTwiceOrHideOne.
    f.sort = UserFilter::Sort::Name;
    model.setFilter(f);
    QVERIFY(model.rowCount() > 3);
    const int row = 2;
    const UserRecord before = model.userAt(row);
    m_clock.advance(10 * 60 * 1000);
    InvitationService service(*m_db, m_clock, m_adminId);
    auto r = service.reinvite(before.id);
    QVERIFY2(r, r ? "" : qPrintable(r.error().message));

    QSignalSpy changed(&model, &QAbstractItemModel::dataChanged);
    QSignalSpy reset(&model, &QAbstractItemModel::modelReset);
    model.refreshUsers({before.id});
    QCOMPARE(reset.size(), 0);
    QCOMPARE(changed.size(), 1);
    QCOMPARE(changed.first().at(0).toModelIndex().row(), row);
    QCOMPARE(changed.first().at(1).toModelIndex().row(), row);
    QCOMPARE(changed.first().at(1).toModelIndex().column(), UsersTableModel::ColumnCount - 1);
    QCOMPARE(model.index(row, UsersTableModel::TimesInvited).data().toInt(),
             before.inviteCount + 1);
    QCOMPARE(model.index(row, UsersTableModel::MailState).data().toString(),
             UsersTableModel::mailStateText(QStringLiteral("queued")));
    QCOMPARE(model.indexOf(before.id), row);
    // A user that is not on screen: nothing to say.
    model.refreshUsers({987654321});
    QCOMPARE(changed.size(), 1);
}

void TestUsersTableModel::sortsInSql()
{
    UsersTableModel model(*m_db, [this] { return m_clock.nowMs(); });
    model.setFilter(UserFilter{});
    QSignalSpy reset(&model, &QAbstractItemModel::modelReset);
    model.sort(UsersTableModel::Email, Qt::DescendingOrder);
    QCOMPARE(reset.size(), 1);
    QCOMPARE(model.filter().sort, UserFilter::Sort::Email);
    QVERIFY(model.filter().descending);
    for (int row = 1; row < 300; ++row)
        QVERIFY(userEmailKey(model.userAt(row - 1).email) >= userEmailKey(model.userAt(row).email));
    // A column SQL cannot order by leaves the order alone.
    model.sort(UsersTableModel::MailState);
    QCOMPARE(reset.size(), 1);
}

void TestUsersTableModel::userIdsOfLongRanges()
{
    UsersTableModel model(*m_db, [this] { return m_clock.nowMs(); });
    model.setPageSize(50);
    model.setFilter(UserFilter{});
    const auto all = UserRepository(*m_db).fetch(model.filter(), 0, 100000);
    QVERIFY(all);
    QList<qint64> expected;
    for (const UserRecord &u : all.value())
        expected.append(u.id);
    // The whole list, past the middle too, without filling the page cache.
    QCOMPARE(model.userIds(0, model.rowCount() - 1), expected);
    QVERIFY(model.cachedPageCount() <= 1);
    QCOMPARE(model.userIds(10, 20), expected.mid(10, 11));
    QCOMPARE(model.userIds(600, 999), expected.mid(600, 400));
    QVERIFY(model.userIds(5, 4).isEmpty());
    QCOMPARE(model.userIds(-5, 2), expected.mid(0, 3));
}

namespace {
// Every row of the model, walked top to bottom (reading pages as a scrolling view would).
QList<qint64> walk(const UsersTableModel &model)
{
    QList<qint64> ids;
    for (int row = 0; row < model.rowCount(); ++row)
        ids.append(model.index(row, 0).data(UsersTableModel::UserIdRole).toLongLong());
    return ids;
}

QList<qint64> sqlOrder(Database &db, const UserFilter &filter)
{
    QList<qint64> ids;
    // Held in a variable: a range-for over value() of the temporary would read a dead object.
    const auto rows = UserRepository(db).fetch(filter, 0, 100000);
    for (const UserRecord &u : rows.value())
        ids.append(u.id);
    return ids;
}
} // namespace

// The Invited column shows a calendar date: the word beside it counts calendar days (it said
// "1 Dec 2026 (today)" at 02:00 on 2 Dec, counting 24-hour periods).
void TestUsersTableModel::invitedAgeCountsCalendarDays()
{
    qint64 now = 0;
    UsersTableModel model(*m_db, [&now] { return now; });
    UserFilter f;
    f.view = UserView::Unconfirmed;
    model.setFilter(f);
    int row = 0;
    // A user invited later than 01:00 local time, so that 00:30 the next day is under 24 hours on.
    while (row < model.rowCount() &&
           QDateTime::fromMSecsSinceEpoch(*model.userAt(row).invitedAt).time() < QTime(1, 0))
        ++row;
    QVERIFY(row < model.rowCount());
    const QDateTime invited = QDateTime::fromMSecsSinceEpoch(*model.userAt(row).invitedAt);
    const QString date = UsersTableModel::formatDate(invited.toMSecsSinceEpoch());
    const auto ageAt = [&](int days, QTime time) {
        now = QDateTime(invited.date().addDays(days), time).toMSecsSinceEpoch();
        model.refreshUsers({model.userAt(row).id});
        return model.index(row, UsersTableModel::Invited).data().toString();
    };
    QCOMPARE(ageAt(0, QTime(23, 59)), date + QStringLiteral(" (today)"));
    QCOMPARE(ageAt(1, QTime(0, 30)), date + QStringLiteral(" (yesterday)"));
    QCOMPARE(ageAt(2, QTime(0, 30)), date + QStringLiteral(" (2 days ago)"));
    QCOMPARE(ageAt(2, QTime(23, 59)), date + QStringLiteral(" (2 days ago)"));
}

void TestUsersTableModel::liveChangesNeverShowARowTwiceOrHideOne_data()
{
    QTest::addColumn<bool>("descending");
    QTest::newRow("oldest invitation first") << false;
    QTest::newRow("newest invitation first") << true;
}

// Issue 13, point 15: a re-invite in the Unconfirmed view (sorted by invitation date) moves the
// user in SQL; the cached pages must follow, or the pages read later by OFFSET show one user twice
// and hide another. On both engines (ROSTER_TEST_ENGINE).
void TestUsersTableModel::liveChangesNeverShowARowTwiceOrHideOne()
{
    QFETCH(bool, descending);
    testsupport::TestOrg org;
    QVERIFY2(org.isValid(), qPrintable(org.error()));
    QList<qint64> users;
    for (int i = 0; i < 23; ++i) {
        org.clock().advanceMinutes(1);
        users.append(
            org.addUnconfirmedUser(QStringLiteral("u%1@acme.example").arg(i, 2, 10, QChar(u'0'))));
        QVERIFY(users.last());
    }
    UsersTableModel model(org.db(), [&org] { return org.clock().nowMs(); });
    model.setPageSize(5);
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    UserFilter f;
    f.view = UserView::Unconfirmed;
    f.sort = UserFilter::defaultSort(f.view);
    f.descending = descending;
    model.setFilter(f);
    QCOMPARE(walk(model), sqlOrder(org.db(), model.filter()));

    UserService service(org.db(), org.clock(), org.adminId());
    InvitationService invitations(org.db(), org.clock(), org.adminId());
    const auto check = [&](const char *step) {
        const QList<qint64> shown = walk(model);
        const QList<qint64> expected = sqlOrder(org.db(), model.filter());
        const QSet<qint64> distinct(shown.cbegin(), shown.cend());
        QVERIFY2(distinct.size() == shown.size(), step);
        QVERIFY2(shown == expected, step);
    };
    // The pages on show are the first two; a user on them is re-invited and moves in SQL.
    for (int row = 0; row < 10; ++row)
        QVERIFY(model.userAt(row).isValid());
    org.clock().advanceMinutes(10);
    const qint64 onShow = model.userAt(1).id;
    QVERIFY(invitations.reinvite(onShow));
    model.refreshUsers({onShow});
    check("re-invite of a cached row");
    // Only the first page is in the cache; a user further down is re-invited.
    model.reload();
    QVERIFY(model.userAt(0).isValid());
    org.clock().advanceMinutes(10);
    const qint64 farDown = model.userAt(model.rowCount() - 3).id;
    model.reload();
    QVERIFY(model.userAt(0).isValid());
    QVERIFY(model.userAt(6).isValid());
    QVERIFY(invitations.reinvite(farDown));
    model.refreshUsers({farDown});
    check("re-invite of a row not in the cache");
    // A user leaves the view (deactivated): the rows after it close up.
    const qint64 leaving = model.userAt(3).id;
    QVERIFY(service.setActive(leaving, false));
    model.refreshUsers({leaving});
    check("a user leaves the view");
    QCOMPARE(model.indexOf(leaving), -1);
    // And comes back.
    QVERIFY(service.setActive(leaving, true));
    model.refreshUsers({leaving});
    check("a user comes back");
}

QTEST_GUILESS_MAIN(TestUsersTableModel)
#include "tst_userstablemodel.moc"
