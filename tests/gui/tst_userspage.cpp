// The Users page as an administrator uses it: real widgets on the offscreen platform, a real
// database made with the services, the file transport into a temporary folder.

#include "guiorg.h"

#include "app/outboxworker.h"
#include "models/changenotifier.h"
#include "models/userstablemodel.h"
#include "models/viewloader.h"
#include "ui/mainwindow.h"
#include "ui/userspage.h"
#include "ui/userstableview.h"

#include <QAction>
#include <QApplication>
#include <QComboBox>
#include <QContextMenuEvent>
#include <QHeaderView>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLabel>
#include <QLineEdit>
#include <QLocale>
#include <QMenu>
#include <QProcess>
#include <QPushButton>
#include <QSet>
#include <QSignalSpy>
#include <QSqlQuery>
#include <QStatusBar>
#include <QTest>
#include <QTreeWidget>

using namespace roster;
using namespace roster::test;

class TestUsersPage : public QObject
{
    Q_OBJECT

private slots:
    void init();
    void cleanup();
    void hoverShowsTheGearOfThatRowOnly();
    void gearMenuReinvitesWithANewWorkingToken();
    void menuStatesFollowTheUser_data();
    void menuStatesFollowTheUser();
    void keyboardOpensTheRowMenu();
    void unconfirmedViewMatchesRosterctl();
    void bulkReinviteSkipsIneligibleUsers();
    void bulkReinviteFailureReportsWhatWasCommitted();
    void bulkReinviteFailureFromUnconfirmedDeliversWhatWasCommitted();
    void searchNarrowsTheList();
    void nextKeyStopsTheSearchStillRunning();
    void viewSwitchesReadBesideTheTable();
    void changeDuringALoadIsAppliedAfterIt();
    void deactivateFromTheMenuUpdatesTheRow();
    void serverDownSaysQueuedAndWillRetry();
    void failedInvitationsListShowsTheReply();

private:
    int rowOf(qint64 id);
    QModelIndex cell(qint64 id, int column);
    QImage actionsCellImage(int row);
    static bool hasInk(const QImage &cell);
    void addBulkUsersThatFailAfter500();

    std::unique_ptr<Org> m_org;
    std::unique_ptr<MainWindow> m_window;
    UsersPage *m_page = nullptr;
    UsersTableView *m_view = nullptr;
    qint64 m_pending = 0, m_expired = 0, m_confirmed = 0, m_deactivated = 0, m_cooling = 0;
};

void TestUsersPage::init()
{
    m_org = std::make_unique<Org>();
    QVERIFY(m_org->create());
    // Invited 8 days ago: expired.
    m_expired = m_org->add(QStringLiteral("Eve Expired"), QStringLiteral("eve@example.com"));
    m_org->clock.advance(8 * msPerDay);
    m_pending = m_org->add(QStringLiteral("Pat Pending"), QStringLiteral("pat@example.com"));
    m_confirmed = m_org->add(QStringLiteral("Carl Confirmed"), QStringLiteral("carl@example.com"));
    m_deactivated =
        m_org->add(QStringLiteral("Dee Deactivated"), QStringLiteral("dee@example.com"));
    QVERIFY(m_org->confirm(m_confirmed, QStringLiteral("a long enough password")));
    // The first invitations, as the worker would have sent them (Carl's was superseded by the
    // link confirm() used); Dee is deactivated after hers went out (a deactivation cancels
    // unsent mail).
    QCOMPARE(m_org->deliver(), 3);
    QVERIFY(m_org->service().setActive(m_deactivated, false));
    m_org->clock.advance(10 * minutes); // past every cooldown
    m_cooling = m_org->add(QStringLiteral("Cody Cooldown"), QStringLiteral("cody@example.com"));
    for (qint64 id : {m_expired, m_pending, m_confirmed, m_deactivated, m_cooling})
        QVERIFY(id);

    auto guiDb = m_org->db->reopen();
    QVERIFY(guiDb);
    m_window = std::make_unique<MainWindow>(std::move(guiDb).value(), m_org->clock, m_org->admin);
    m_window->show();
    QVERIFY(QTest::qWaitForWindowExposed(m_window.get()));
    m_window->activateWindow();
    QVERIFY(QTest::qWaitForWindowActive(m_window.get()));
    m_page = m_window->usersPage();
    m_view = m_page->view();
    QVERIFY(m_view);
}

void TestUsersPage::cleanup()
{
    m_window.reset();
    m_org.reset();
}

int TestUsersPage::rowOf(qint64 id)
{
    auto *model = m_page->model();
    for (int r = 0; r < model->rowCount(); ++r)
        if (model->userAt(r).id == id)
            return r;
    return -1;
}

QModelIndex TestUsersPage::cell(qint64 id, int column)
{
    return m_page->model()->index(rowOf(id), column);
}

QImage TestUsersPage::actionsCellImage(int row)
{
    const QRect r = m_view->visualRect(m_page->model()->index(row, UsersTableModel::Actions));
    return m_view->viewport()->grab(r).toImage();
}

// The gear is dark on a light background (offscreen uses the default light palette): a cell
// "has ink" when some pixel is much darker than the cell's lightest pixel.
bool TestUsersPage::hasInk(const QImage &img)
{
    int lightest = 0, darkest = 255;
    for (int y = 0; y < img.height(); ++y)
        for (int x = 0; x < img.width(); ++x) {
            const int g = qGray(img.pixel(x, y));
            lightest = std::max(lightest, g);
            darkest = std::min(darkest, g);
        }
    return lightest - darkest > 80;
}

void TestUsersPage::hoverShowsTheGearOfThatRowOnly()
{
    m_view->clearSelection();
    m_view->setCurrentIndex({});
    const QModelIndex name = cell(m_pending, UsersTableModel::Name);
    QVERIFY(name.isValid());
    const int row = name.row();
    const int other = row == 0 ? 1 : 0;
    QVERIFY(!hasInk(actionsCellImage(row)));

    QTest::mouseMove(m_view->viewport(), m_view->visualRect(name).center());
    QTRY_COMPARE(m_view->hoveredRow(), row);
    QVERIFY(m_view->rowDelegate()->showsGear(row));
    for (int r = 0; r < m_page->model()->rowCount(); ++r)
        QCOMPARE(m_view->rowDelegate()->showsGear(r), r == row);
    QVERIFY2(hasInk(actionsCellImage(row)), "the hovered row paints its gear");
    QVERIFY2(!hasInk(actionsCellImage(other)), "another row paints no gear");

    // Moving within the row, onto another cell, keeps the gear on it.
    QTest::mouseMove(m_view->viewport(),
                     m_view->visualRect(cell(m_pending, UsersTableModel::Email)).center());
    QTRY_COMPARE(m_view->hoveredRow(), row);

    // Leaving the table hides it.
    QTest::mouseMove(m_window->navigation()->viewport(), QPoint(20, 20));
    QTRY_COMPARE(m_view->hoveredRow(), -1);
    QVERIFY(!m_view->rowDelegate()->showsGear(row));
    QVERIFY(!hasInk(actionsCellImage(row)));
}

void TestUsersPage::gearMenuReinvitesWithANewWorkingToken()
{
    const QList<QByteArray> before = m_org->tokensFor(QStringLiteral("pat@example.com"));
    QCOMPARE(before.size(), 1);
    const QByteArray oldToken = before.first();

    const QModelIndex gear = cell(m_pending, UsersTableModel::Actions);
    QTest::mouseMove(m_view->viewport(), m_view->visualRect(gear).center());
    QTest::mouseClick(m_view->viewport(), Qt::LeftButton, {}, m_view->visualRect(gear).center());
    QTRY_VERIFY(m_page->openMenu());
    QMenu *menu = m_page->openMenu();
    QCOMPARE(menu->title(), QStringLiteral("Pat Pending"));
    auto *reinvite = menu->findChild<QAction *>(QStringLiteral("reinviteAction"));
    QVERIFY(reinvite);
    QVERIFY(reinvite->isEnabled());

    QSignalSpy delivered(m_window->outboxWorker(), &OutboxWorker::delivered);
    reinvite->trigger();
    menu->close();

    // The row shows the new invitation at once, before the mail went out.
    const int row = rowOf(m_pending);
    QCOMPARE(m_page->model()->index(row, UsersTableModel::TimesInvited).data().toInt(), 2);
    // Then the worker sends it and the status bar says so.
    QTRY_VERIFY_WITH_TIMEOUT(m_window->statusBar()->currentMessage().contains(
                                 QStringLiteral("Invitation sent to pat@example.com")),
                             10000);
    QTRY_COMPARE(m_page->model()->index(row, UsersTableModel::MailState).data().toString(),
                 UsersTableModel::mailStateText(QStringLiteral("sent")));

    // A new invitation in the database, the old one revoked.
    QSqlQuery q = m_org->db->prepare(QStringLiteral(
        "SELECT count(*), sum(CASE WHEN revoked_at IS NULL THEN 1 ELSE 0 END) FROM invitations "
        "WHERE user_id = ?"));
    q.addBindValue(m_pending);
    QVERIFY(m_org->db->exec(q));
    QVERIFY(q.next());
    QCOMPARE(q.value(0).toInt(), 2);
    QCOMPARE(q.value(1).toInt(), 1);
    q.finish();

    // A new .eml with a new token: the old link is refused, the new one works.
    QList<QByteArray> after = m_org->tokensFor(QStringLiteral("pat@example.com"));
    QCOMPARE(after.size(), 2);
    after.removeAll(oldToken);
    QCOMPARE(after.size(), 1);
    const QByteArray newToken = after.first();
    QVERIFY(newToken != oldToken);
    auto old = InvitationService::acceptInvitation(*m_org->db, m_org->clock, oldToken,
                                                   QStringLiteral("a long enough password"));
    QVERIFY(!old);
    QCOMPARE(old.error().kind, ErrorKind::Refused);
    auto fresh = InvitationService::acceptInvitation(*m_org->db, m_org->clock, newToken,
                                                     QStringLiteral("a long enough password"));
    QVERIFY2(fresh, fresh ? "" : qPrintable(fresh.error().message));
    QCOMPARE(fresh->userId, m_pending);
}

void TestUsersPage::menuStatesFollowTheUser_data()
{
    QTest::addColumn<QString>("who");
    QTest::addColumn<bool>("reinvite");
    QTest::addColumn<QString>("reinviteWhyNot");
    QTest::addColumn<QString>("toggle"); // activateAction | deactivateAction
    QTest::addColumn<bool>("toggleEnabled");
    QTest::newRow("confirmed") << "confirmed" << false << "already confirmed"
                               << "deactivateAction" << true;
    QTest::newRow("pending") << "pending" << true << ""
                             << "deactivateAction" << true;
    QTest::newRow("expired") << "expired" << true << ""
                             << "deactivateAction" << true;
    QTest::newRow("deactivated") << "deactivated" << false << "activate the user first"
                                 << "activateAction" << true;
    QTest::newRow("within cooldown") << "cooling" << false << "re-invite in"
                                     << "deactivateAction" << true;
    QTest::newRow("myself") << "self" << false << "already confirmed"
                            << "deactivateAction" << false;
}

void TestUsersPage::menuStatesFollowTheUser()
{
    QFETCH(QString, who);
    QFETCH(bool, reinvite);
    QFETCH(QString, reinviteWhyNot);
    QFETCH(QString, toggle);
    QFETCH(bool, toggleEnabled);
    const QHash<QString, qint64> ids = {
        {QStringLiteral("confirmed"), m_confirmed}, {QStringLiteral("pending"), m_pending},
        {QStringLiteral("expired"), m_expired},     {QStringLiteral("deactivated"), m_deactivated},
        {QStringLiteral("cooling"), m_cooling},     {QStringLiteral("self"), m_org->admin.userId}};
    const qint64 id = ids.value(who);
    if (who == u"expired")
        QCOMPARE(m_org->user(id).status(m_org->clock.nowMs()), UserStatus::Expired);
    if (who == u"pending")
        QCOMPARE(m_org->user(id).status(m_org->clock.nowMs()), UserStatus::Pending);
    const int row = rowOf(id);
    QVERIFY(row >= 0);
    std::unique_ptr<QMenu> menu(m_page->createMenuForRow(row));
    QVERIFY(menu);
    auto *a = menu->findChild<QAction *>(QStringLiteral("reinviteAction"));
    QVERIFY(a);
    QCOMPARE(a->isEnabled(), reinvite);
    if (!reinvite) {
        QVERIFY2(a->toolTip().contains(reinviteWhyNot, Qt::CaseInsensitive),
                 qPrintable(a->toolTip()));
        QCOMPARE(a->statusTip(), a->toolTip());
    }
    auto *link = menu->findChild<QAction *>(QStringLiteral("copyInviteLinkAction"));
    QVERIFY(link);
    QCOMPARE(link->isEnabled(), reinvite);
    auto *t = menu->findChild<QAction *>(toggle);
    QVERIFY2(t, qPrintable(toggle));
    QCOMPARE(t->isEnabled(), toggleEnabled);
    if (!toggleEnabled) {
        QVERIFY(!t->toolTip().isEmpty());
        // The menu says what the service answers, word for word (one rule, one place).
        auto refused = m_org->service().setActive(id, toggle == u"activateAction");
        QVERIFY(!refused);
        QCOMPARE(t->toolTip(), refused.error().message);
    }
    QVERIFY(menu->findChild<QAction *>(QStringLiteral("copyEmailAction"))->isEnabled());
    QVERIFY(menu->findChild<QAction *>(QStringLiteral("editAction")));
}

void TestUsersPage::keyboardOpensTheRowMenu()
{
    const int row = rowOf(m_expired);
    m_view->setFocus();
    m_view->setCurrentIndex(m_page->model()->index(row, UsersTableModel::Name));
    QTest::keyClick(m_view, Qt::Key_Menu);
    QTRY_VERIFY(m_page->openMenu());
    QCOMPARE(m_page->openMenu()->title(), QStringLiteral("Eve Expired"));
    m_page->openMenu()->close();
    QTRY_VERIFY(!m_page->openMenu());

    const int other = rowOf(m_confirmed);
    m_view->setCurrentIndex(m_page->model()->index(other, UsersTableModel::Email));
    QTest::keyClick(m_view, Qt::Key_F10, Qt::ShiftModifier);
    QTRY_VERIFY(m_page->openMenu());
    QCOMPARE(m_page->openMenu()->title(), QStringLiteral("Carl Confirmed"));
    m_page->openMenu()->close();
    QTRY_VERIFY(!m_page->openMenu());

    // Right-click anywhere on a row: the same menu, for that row.
    const QPoint onPat = m_view->visualRect(cell(m_pending, UsersTableModel::Email)).center();
    QContextMenuEvent right(QContextMenuEvent::Mouse, onPat,
                            m_view->viewport()->mapToGlobal(onPat));
    QApplication::sendEvent(m_view->viewport(), &right);
    QTRY_VERIFY(m_page->openMenu());
    QCOMPARE(m_page->openMenu()->title(), QStringLiteral("Pat Pending"));
    QCOMPARE(m_view->currentIndex().row(), rowOf(m_pending));
    m_page->openMenu()->close();
}

void TestUsersPage::unconfirmedViewMatchesRosterctl()
{
    const QString rosterctl = qEnvironmentVariable("ROSTERCTL");
    if (rosterctl.isEmpty())
        QSKIP("ROSTERCTL is not set (run through ctest)");
    // Some more unconfirmed users, so that the order means something.
    for (int i = 0; i < 12; ++i) {
        m_org->clock.advance(minutes);
        QVERIFY(m_org->add(QStringLiteral("Extra %1").arg(i),
                           QStringLiteral("extra%1@example.com").arg(i)));
    }
    m_page->setView(UserView::Unconfirmed);
    QCOMPARE(m_page->currentView(), UserView::Unconfirmed);
    // The view is read beside the table; its rows replace the others when they arrive.
    QTRY_COMPARE(m_page->model()->shownFilter().view, UserView::Unconfirmed);
    QVERIFY(!m_page->model()->isLoading());

    QProcess p;
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(QStringLiteral("ROSTER_DB"), m_org->dbPath());
    env.insert(QStringLiteral("ROSTER_AS"), adminEmail);
    env.insert(QStringLiteral("ROSTER_PASSWORD"), adminPassword);
    p.setProcessEnvironment(env);
    p.start(rosterctl,
            {QStringLiteral("user"), QStringLiteral("list"), QStringLiteral("--view"),
             QStringLiteral("unconfirmed"), QStringLiteral("--format"), QStringLiteral("json")});
    QVERIFY(p.waitForFinished(30000));
    QCOMPARE(p.exitCode(), 0);
    const QJsonObject doc = QJsonDocument::fromJson(p.readAllStandardOutput()).object();
    const QJsonArray users = doc.value(QStringLiteral("users")).toArray();
    QStringList expected;
    for (const auto &u : users)
        expected << u.toObject().value(QStringLiteral("email")).toString();
    QCOMPARE(expected.size(), 15); // Eve, Pat, Cody and the 12 extras
    QCOMPARE(doc.value(QStringLiteral("count")).toInt(), int(expected.size()));

    auto *model = m_page->model();
    QStringList shown;
    for (int r = 0; r < model->rowCount(); ++r)
        shown << model->index(r, UsersTableModel::Email).data().toString();
    QStringList a = shown, b = expected;
    a.sort();
    b.sort();
    QCOMPARE(a, b);
    QCOMPARE(m_page->countText(), QStringLiteral("15 unconfirmed users"));
    QCOMPARE(m_page->findChild<QLabel *>(QStringLiteral("countLabel"))->text(),
             m_page->countText());
    // Oldest invitation first.
    QCOMPARE(shown.first(), QStringLiteral("eve@example.com"));
    for (int r = 1; r < model->rowCount(); ++r)
        QVERIFY(*model->userAt(r - 1).invitedAt <= *model->userAt(r).invitedAt);
    // And the view shows its own columns.
    for (int c :
         {UsersTableModel::InvitedAt, UsersTableModel::Expires, UsersTableModel::TimesInvited,
          UsersTableModel::LastInvitedBy, UsersTableModel::MailState})
        QVERIFY(!m_view->isColumnHidden(c));
    m_page->setView(UserView::All);
    QTRY_VERIFY(m_view->isColumnHidden(UsersTableModel::TimesInvited));
    QCOMPARE(m_page->model()->shownFilter().view, UserView::All);
}

void TestUsersPage::bulkReinviteSkipsIneligibleUsers()
{
    InvitationService::Plan seen;
    bool asked = false;
    m_page->setBulkConfirmer([&](const InvitationService::Plan &plan) {
        seen = plan;
        asked = true;
        return true;
    });
    const QList<qint64> chosen = {m_pending, m_expired, m_confirmed, m_deactivated, m_cooling};
    m_view->clearSelection();
    for (qint64 id : chosen)
        m_view->selectionModel()->select(cell(id, UsersTableModel::Name),
                                         QItemSelectionModel::Select | QItemSelectionModel::Rows);
    auto *button = m_page->findChild<QPushButton *>(QStringLiteral("reinviteButton"));
    QVERIFY(button && button->isEnabled());
    QSignalSpy finished(m_page, &UsersPage::bulkFinished);
    QTest::mouseClick(button, Qt::LeftButton);
    QVERIFY(asked);
    QVERIFY(finished.wait(20000));

    QStringList eligible;
    for (const UserRecord &u : seen.eligible)
        eligible << u.email;
    eligible.sort();
    QCOMPARE(eligible,
             QStringList({QStringLiteral("eve@example.com"), QStringLiteral("pat@example.com")}));
    QHash<QString, QString> skipped;
    for (const auto &s : seen.skipped)
        skipped.insert(s.user.email, s.reason);
    QCOMPARE(skipped.size(), 3);
    QVERIFY(skipped.value(QStringLiteral("carl@example.com"))
                .contains(QStringLiteral("already confirmed")));
    QVERIFY(skipped.value(QStringLiteral("dee@example.com"))
                .contains(QStringLiteral("activate the user first")));
    QVERIFY(
        skipped.value(QStringLiteral("cody@example.com")).contains(QStringLiteral("re-invite in")));

    QCOMPARE(m_org->user(m_pending).inviteCount, 2);
    QCOMPARE(m_org->user(m_expired).inviteCount, 2);
    QCOMPARE(m_org->user(m_confirmed).inviteCount, 2); // its first one and the one confirm() used
    QCOMPARE(m_org->user(m_deactivated).inviteCount, 1);
    QCOMPARE(m_org->user(m_cooling).inviteCount, 1);
    // Rows show it, and Eve is no longer expired.
    QCOMPARE(cell(m_expired, UsersTableModel::Status).data(UsersTableModel::StatusRole).toInt(),
             int(UserStatus::Pending));
    QVERIFY(m_window->statusBar()->currentMessage().contains(QStringLiteral("Re-invited 2 users")));
}

// Issue 13 point 6: the second batch of a bulk re-invite fails. The first batch's users were
// re-invited for good: the status bar says how many (it said "Re-invited 0 users") with the
// error.
// 600 users never invited, and a trigger that makes every re-invite past the 500th fail: the
// bulk job's second batch fails after its first committed.
void TestUsersPage::addBulkUsersThatFailAfter500()
{
    Database &db = *m_org->db;
    {
        Transaction tx(db);
        QVERIFY(tx.status());
        QSqlQuery q = db.prepare(QStringLiteral(
            "INSERT INTO users (kind, email, email_key, name, name_key, profile_id, active, "
            "created_at, updated_at) VALUES ('crm', ?, ?, ?, ?, (SELECT id FROM profiles WHERE "
            "name = 'Standard'), 1, 1, 1)"));
        for (int i = 0; i < 600; ++i) {
            const QString email = QStringLiteral("u%1@bulk.example").arg(i);
            const QString name = QStringLiteral("Bulk %1").arg(i);
            for (const QVariant &v :
                 {QVariant(email), QVariant(email), QVariant(name), QVariant(name.toLower())})
                q.addBindValue(v);
            QVERIFY(db.exec(q));
        }
        QVERIFY(tx.commit());
    }
    const QString count = QStringLiteral(
        "(SELECT count(*) FROM audit_log WHERE action = 'invitation.reinvite') >= 500");
    if (db.dialect() == Dialect::Sqlite) {
        QVERIFY(db.exec(QStringLiteral("CREATE TRIGGER refuse BEFORE INSERT ON audit_log WHEN "
                                       "NEW.action = 'invitation.reinvite' AND %1 BEGIN SELECT "
                                       "RAISE(ABORT, 'injected failure'); END")
                            .arg(count)));
    } else {
        QVERIFY(db.exec(QStringLiteral("CREATE FUNCTION refuse() RETURNS trigger LANGUAGE "
                                       "plpgsql AS $$ BEGIN IF NEW.action = "
                                       "'invitation.reinvite' AND %1 THEN RAISE EXCEPTION "
                                       "'injected failure'; END IF; RETURN NEW; END $$")
                            .arg(count)));
        QVERIFY(db.exec(QStringLiteral("CREATE TRIGGER refuse BEFORE INSERT ON audit_log FOR "
                                       "EACH ROW EXECUTE FUNCTION refuse()")));
    }
}

void TestUsersPage::bulkReinviteFailureReportsWhatWasCommitted()
{
    Database &db = *m_org->db;
    const auto scalar = [&db](const QString &sql) -> qint64 {
        QSqlQuery q = db.prepare(sql);
        return db.exec(q) && q.next() ? q.value(0).toLongLong() : -1;
    };
    addBulkUsersThatFailAfter500();
    if (QTest::currentTestFailed())
        return;
    m_page->model()->reload();
    QTRY_VERIFY_WITH_TIMEOUT(m_page->model()->rowCount() >= 605, 20000);
    m_page->setBulkConfirmer([](const InvitationService::Plan &) { return true; });
    m_view->selectAll();
    auto *button = m_page->findChild<QPushButton *>(QStringLiteral("reinviteButton"));
    QVERIFY(button && button->isEnabled());
    QSignalSpy finished(m_page, &UsersPage::bulkFinished);
    QTest::mouseClick(button, Qt::LeftButton);
    QVERIFY(finished.wait(60000));
    const qint64 committed = scalar(
        QStringLiteral("SELECT count(*) FROM audit_log WHERE action = 'invitation.reinvite'"));
    QVERIFY2(committed > 0 && committed <= 500, qPrintable(QString::number(committed)));
    const QString message = m_window->statusBar()->currentMessage();
    QVERIFY2(
        message.contains(QStringLiteral("Re-invited %1 users").arg(QLocale().toString(committed))),
        qPrintable(message));
    QVERIFY2(message.contains(QStringLiteral("injected failure")), qPrintable(message));
}

// Issue 13 point 6, from the Unconfirmed view: the second batch fails after the first
// committed. The page reports the committed count, and the worker delivers exactly those
// invitations: one message to each user whose re-invite was committed, none to the others.
void TestUsersPage::bulkReinviteFailureFromUnconfirmedDeliversWhatWasCommitted()
{
    Database &db = *m_org->db;
    addBulkUsersThatFailAfter500();
    if (QTest::currentTestFailed())
        return;
    const auto unsent = [&db] {
        QSqlQuery q = db.prepare(
            QStringLiteral("SELECT count(*) FROM outbox WHERE state IN ('queued', 'sending')"));
        return db.exec(q) && q.next() ? q.value(0).toLongLong() : -1;
    };
    // The mail queued before the bulk (init's last invitation) goes out first, so that what
    // arrives after is the bulk's alone.
    QTRY_COMPARE_WITH_TIMEOUT(unsent(), qint64(0), 60000);
    const int mailBefore = int(m_org->emlFiles().size());
    m_page->setView(UserView::Unconfirmed);
    QTRY_VERIFY_WITH_TIMEOUT(!m_page->model()->isLoading() && m_page->model()->rowCount() >= 600,
                             20000);
    QCOMPARE(m_page->model()->shownFilter().view, UserView::Unconfirmed);
    m_page->setBulkConfirmer([](const InvitationService::Plan &) { return true; });
    m_view->selectAll();
    QSignalSpy finished(m_page, &UsersPage::bulkFinished);
    m_page->reinviteSelected();
    QVERIFY(finished.wait(60000));
    const auto result = finished.at(0).at(0).value<InvitationService::BulkResult>();
    QVERIFY(result.error);

    // The users re-invited for good: their invitation rows (the failed batch left none).
    QSet<QString> committed;
    {
        QSqlQuery q = db.prepare(QStringLiteral(
            "SELECT u.email FROM invitations i JOIN users u ON u.id = i.user_id WHERE u.email "
            "LIKE '%@bulk.example'"));
        QVERIFY(db.exec(q));
        while (q.next())
            committed.insert(q.value(0).toString());
    }
    QVERIFY2(!committed.isEmpty() && committed.size() < 600,
             qPrintable(QString::number(committed.size())));
    QSet<QString> reported;
    for (const InviteOutcome &o : result.invited)
        if (o.user.email.endsWith(u"@bulk.example"))
            reported.insert(o.user.email);
    QCOMPARE(reported, committed);
    const QString message = m_window->statusBar()->currentMessage();
    QVERIFY2(message.contains(QStringLiteral("Re-invited %1 users")
                                  .arg(QLocale().toString(qint64(result.invited.size())))),
             qPrintable(message));
    QVERIFY2(!message.contains(QStringLiteral("Re-invited 0 users")), qPrintable(message));
    QVERIFY2(message.contains(QStringLiteral("injected failure")), qPrintable(message));

    // The worker delivers them: every message queued by the bulk ends sent, one per recipient.
    QTRY_COMPARE_WITH_TIMEOUT(unsent(), qint64(0), 60000);
    QTRY_COMPARE_WITH_TIMEOUT(int(m_org->emlFiles().size()),
                              mailBefore + int(result.invited.size()), 60000);
    QStringList delivered;
    static const QRegularExpression to(QStringLiteral("^To: .*?([A-Za-z0-9]+@bulk\\.example)"),
                                       QRegularExpression::MultilineOption);
    for (const QString &path : m_org->emlFiles()) {
        QFile f(path);
        QVERIFY(f.open(QIODevice::ReadOnly));
        const auto m = to.match(QString::fromUtf8(f.readAll()));
        if (m.hasMatch())
            delivered << m.captured(1);
    }
    QCOMPARE(delivered.size(), committed.size()); // none twice
    QCOMPARE(QSet<QString>(delivered.cbegin(), delivered.cend()), committed);
}

void TestUsersPage::searchNarrowsTheList()
{
    auto *search = m_page->findChild<QLineEdit *>(QStringLiteral("searchEdit"));
    QVERIFY(search);
    QTest::keyClick(m_window.get(), Qt::Key_F, Qt::ControlModifier);
    QTRY_VERIFY(search->hasFocus());
    QTest::keyClicks(search, QStringLiteral("pat"));
    QTRY_COMPARE(m_page->model()->rowCount(), 1);
    QCOMPARE(m_page->model()->userAt(0).id, m_pending);
    QCOMPARE(m_page->countText(), QStringLiteral("1 user matching"));
}

void TestUsersPage::nextKeyStopsTheSearchStillRunning()
{
    // Issue 6: a search that takes long (here: one that would count to ten billion first) does not
    // hold the window, and the next key stops it inside the database instead of waiting for it.
    auto *search = m_page->findChild<QLineEdit *>(QStringLiteral("searchEdit"));
    ViewLoader *loader = m_page->model()->viewLoader();
    QVERIFY(search && loader);
    loader->setStatementBeforeLoadForTest(QStringLiteral(
        "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 10000000000) "
        "SELECT count(*) FROM c"));
    const int all = m_page->model()->rowCount();
    QVERIFY(all >= 6);
    search->setFocus();
    QTest::keyClicks(search, QStringLiteral("pa"));
    QTRY_VERIFY(loader->running() != 0);
    QTRY_COMPARE(m_page->countText(), QStringLiteral("Searching…"));
    // Meanwhile the rows on show stay and answer: hover shows a gear, a click selects.
    QCOMPARE(m_page->model()->rowCount(), all);
    const QRect second = m_view->visualRect(m_page->model()->index(1, UsersTableModel::Name));
    QTest::mouseMove(m_view->viewport(), second.center());
    QTRY_COMPARE(m_view->hoveredRow(), 1);
    QTest::mouseClick(m_view->viewport(), Qt::LeftButton, {}, second.center());
    QCOMPARE(m_page->selectedUserIds().size(), qsizetype(1));
    QVERIFY(loader->running() != 0); // still counting
    // The next key: the stale search stops where it is, the new one shows.
    loader->setStatementBeforeLoadForTest(QString());
    QTest::keyClicks(search, QStringLiteral("t"));
    QTRY_COMPARE(m_page->model()->rowCount(), 1);
    QCOMPARE(m_page->model()->userAt(0).id, m_pending);
    QCOMPARE(loader->interruptions(), 1);
    QCOMPARE(m_page->countText(), QStringLiteral("1 user matching"));
}

void TestUsersPage::viewSwitchesReadBesideTheTable()
{
    // A view is read like a search: the rows on show stay and answer until the view's arrive, and
    // a view chosen before the last one arrived is stopped inside the database.
    auto *combo = m_page->findChild<QComboBox *>(QStringLiteral("viewCombo"));
    ViewLoader *loader = m_page->model()->viewLoader();
    QVERIFY(combo && loader);
    QCOMPARE(combo->currentData().toInt(), int(UserView::All));
    loader->setStatementBeforeLoadForTest(QStringLiteral(
        "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 10000000000) "
        "SELECT count(*) FROM c"));
    const int all = m_page->model()->rowCount();
    combo->setFocus();
    QTest::keyClick(combo, Qt::Key_Down); // Active users
    QCOMPARE(m_page->currentView(), UserView::Active);
    QTRY_VERIFY(loader->running() != 0);
    QTRY_COMPARE(m_page->countText(), QStringLiteral("Loading…"));
    QCOMPARE(m_page->model()->rowCount(), all);
    QCOMPARE(m_page->model()->shownFilter().view, UserView::All);
    QVERIFY(m_view->isColumnHidden(UsersTableModel::TimesInvited)); // the rows' own columns
    // Two moves: the pointer may already rest where an earlier test left it.
    for (int row : {2, 1})
        QTest::mouseMove(
            m_view->viewport(),
            m_view->visualRect(m_page->model()->index(row, UsersTableModel::Name)).center());
    QTRY_COMPARE(m_view->hoveredRow(), 1);

    const quint64 stale = loader->running();
    QTest::keyClick(combo, Qt::Key_Down); // Inactive users, while Active still loads
    QTRY_VERIFY(loader->running() != 0 && loader->running() != stale);
    QCOMPARE(loader->interruptions(), 1);
    loader->setStatementBeforeLoadForTest(QString());
    QTest::keyClick(combo, Qt::Key_Down); // Unconfirmed users
    QCOMPARE(m_page->currentView(), UserView::Unconfirmed);
    QTRY_COMPARE(m_page->model()->shownFilter().view, UserView::Unconfirmed);
    QCOMPARE(loader->interruptions(), 2);
    QVERIFY(!m_page->model()->isLoading());
    QCOMPARE(m_page->model()->rowCount(), 3); // Eve, Pat, Cody
    QCOMPARE(m_page->countText(), QStringLiteral("3 unconfirmed users"));
    QVERIFY(!m_view->isColumnHidden(UsersTableModel::TimesInvited));
    QCOMPARE(m_page->model()->userAt(0).id, m_expired); // oldest invitation first
}

void TestUsersPage::changeDuringALoadIsAppliedAfterIt()
{
    // Another console renames Pat while this page's search is still being read: the change is
    // not dropped but applied to the rows once they are on show (the read may predate it).
    auto *search = m_page->findChild<QLineEdit *>(QStringLiteral("searchEdit"));
    ViewLoader *loader = m_page->model()->viewLoader();
    auto *notifier = m_page->findChild<ChangeNotifier *>();
    QVERIFY(search && loader && notifier);
    QSignalSpy notified(notifier, &ChangeNotifier::usersChanged);
    loader->setStatementBeforeLoadForTest(QStringLiteral(
        "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 10000000000) "
        "SELECT count(*) FROM c"));
    search->setFocus();
    QTest::keyClicks(search, QStringLiteral("pa"));
    QTRY_VERIFY(loader->running() != 0);
    QVERIFY(m_org->service().updateUser(m_pending, QStringLiteral("Pat Renamed"), QString()));
    QTRY_VERIFY_WITH_TIMEOUT(!notified.isEmpty(), 10000);
    QVERIFY(m_page->model()->isLoading()); // it arrived during the load

    QSignalSpy refreshed(m_page->model(), &QAbstractItemModel::dataChanged);
    loader->setStatementBeforeLoadForTest(QString());
    QTest::keyClicks(search, QStringLiteral("t")); // the held read stops, "pat" is read
    QTRY_VERIFY(!m_page->model()->isLoading());
    QCOMPARE(m_page->model()->shownFilter().search, QStringLiteral("pat"));
    QTRY_VERIFY(!refreshed.isEmpty());
    QCOMPARE(m_page->model()->rowCount(), 1);
    QCOMPARE(m_page->model()->index(0, UsersTableModel::Name).data().toString(),
             QStringLiteral("Pat Renamed"));
}

void TestUsersPage::deactivateFromTheMenuUpdatesTheRow()
{
    const int row = rowOf(m_pending);
    QSignalSpy reset(m_page->model(), &QAbstractItemModel::modelReset);
    QSignalSpy changed(m_page->model(), &QAbstractItemModel::dataChanged);
    std::unique_ptr<QMenu> menu(m_page->createMenuForRow(row));
    menu->findChild<QAction *>(QStringLiteral("deactivateAction"))->trigger();
    QVERIFY(!m_org->user(m_pending).active);
    QCOMPARE(reset.size(), 0); // one row changes, the table is not reloaded
    QCOMPARE(changed.size(), 1);
    QCOMPARE(cell(m_pending, UsersTableModel::Status).data(UsersTableModel::StatusRole).toInt(),
             int(UserStatus::Inactive));
    QVERIFY(m_window->statusBar()->currentMessage().contains(QStringLiteral("pat@example.com")));
    // And the menu now offers Activate, with Re-invite saying why not.
    std::unique_ptr<QMenu> again(m_page->createMenuForRow(row));
    QVERIFY(again->findChild<QAction *>(QStringLiteral("activateAction")));
    QVERIFY(!again->findChild<QAction *>(QStringLiteral("reinviteAction"))->isEnabled());
}

void TestUsersPage::serverDownSaysQueuedAndWillRetry()
{
    // Nothing listens on port 1 of the loopback: a temporary failure.
    OrgSettings settings = OrgSettings::load(*m_org->db).value();
    settings.transport = QStringLiteral("smtp");
    settings.smtpHost = QStringLiteral("127.0.0.1");
    settings.smtpPort = 1;
    settings.smtpSecurity = QStringLiteral("none");
    QVERIFY(settings.save(*m_org->db));
    // The worker's first run (the queued Cody) has finished: nothing is left queued or sending.
    QTRY_COMPARE_WITH_TIMEOUT(
        [this] {
            QSqlQuery q = m_org->db->prepare(
                QStringLiteral("SELECT count(*) FROM outbox WHERE state IN ('queued', 'sending')"));
            return m_org->db->exec(q) && q.next() ? q.value(0).toLongLong() : -1;
        }(),
        qint64(0), 10000);
    m_page->reinvite(m_expired);
    QTRY_VERIFY_WITH_TIMEOUT(m_window->statusBar()->currentMessage().startsWith(
                                 QStringLiteral("Queued — eve@example.com")),
                             20000);
    QVERIFY(m_window->statusBar()->currentMessage().contains(QStringLiteral("will retry")));
    QTRY_COMPARE(cell(m_expired, UsersTableModel::MailState).data().toString(),
                 UsersTableModel::mailStateText(QStringLiteral("deferred")));
    QCOMPARE(m_org->user(m_expired).mailState, QStringLiteral("deferred"));
}

void TestUsersPage::failedInvitationsListShowsTheReply()
{
    // What Outbox::record writes after a 5xx (the SMTP tests cover that path end to end).
    QSqlQuery q = m_org->db->prepare(
        QStringLiteral("UPDATE users SET mail_state = 'failed', mail_reply = ? WHERE id = ?"));
    q.addBindValue(QStringLiteral("550 5.1.1 <pat@example.com>: no such user"));
    q.addBindValue(m_pending);
    QVERIFY(m_org->db->exec(q));
    m_page->setView(UserView::FailedMail);
    QTRY_COMPARE(m_page->model()->shownFilter().view, UserView::FailedMail);
    QCOMPARE(m_page->model()->rowCount(), 1);
    QCOMPARE(m_page->countText(), QStringLiteral("1 failed invitation"));
    const QString mail = m_page->model()->index(0, UsersTableModel::MailState).data().toString();
    QVERIFY2(mail.contains(QStringLiteral("550 5.1.1")), qPrintable(mail));
    QVERIFY(!m_view->isColumnHidden(UsersTableModel::MailState));
    // Re-invite from there, as from anywhere.
    std::unique_ptr<QMenu> menu(m_page->createMenuForRow(0));
    QVERIFY(menu->findChild<QAction *>(QStringLiteral("reinviteAction"))->isEnabled());
}

QTEST_MAIN(TestUsersPage)
#include "tst_userspage.moc"
