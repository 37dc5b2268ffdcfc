// The Users page's parts, each without the page or the main window: the status texts
// (UsersPageTexts), the bulk confirmation (BulkConfirmDialog), the bulk re-invite from plan to
// report (BulkReinviteFlow), and the merging of other consoles' changes (UsersLiveMerge).

#include "guiorg.h"

#include "models/userstablemodel.h"
#include "models/viewloader.h"
#include "ui/bulkconfirmdialog.h"
#include "ui/bulkreinviteflow.h"
#include "ui/userslivemerge.h"
#include "ui/userspagetexts.h"

#include <QDialogButtonBox>
#include <QLabel>
#include <QLocale>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSignalSpy>
#include <QTableView>
#include <QTest>

using namespace roster;
using namespace roster::test;

class TestUsersPageParts : public QObject
{
    Q_OBJECT

private slots:
    void init();
    void cleanup();
    void countTexts();
    void bulkFinishedTexts();
    void deliveryTexts();
    void confirmDialogSaysWhoIsSkippedAndWhy();
    void confirmDialogWithNobodyEligibleOnlyCloses();
    void flowAsksThenReinvitesAndReports();
    void flowNotConfirmedStartsNothing();
    void mergeReReadsAChangedRowInPlace();
    void mergeOfANewUserKeepsTheSelection();
    void mergeWaitsForARunningLoad();

private:
    std::unique_ptr<Org> m_org;
    qint64 m_ann = 0, m_bob = 0, m_cat = 0;
};

void TestUsersPageParts::init()
{
    m_org = std::make_unique<Org>();
    QVERIFY(m_org->create());
    m_ann = m_org->add(QStringLiteral("Ann Able"), QStringLiteral("ann@example.com"));
    m_bob = m_org->add(QStringLiteral("Bob Baker"), QStringLiteral("bob@example.com"));
    m_cat = m_org->add(QStringLiteral("Cat Cole"), QStringLiteral("cat@example.com"));
    QVERIFY(m_ann && m_bob && m_cat);
    QVERIFY(m_org->service().setActive(m_cat, false));
    m_org->clock.advance(10 * minutes); // past every cooldown
}

void TestUsersPageParts::cleanup()
{
    m_org.reset();
}

void TestUsersPageParts::countTexts()
{
    QCOMPARE(UsersPageTexts::count(UserView::All, 1, false), QStringLiteral("1 user"));
    QCOMPARE(UsersPageTexts::count(UserView::All, 1234, false),
             QStringLiteral("%1 users").arg(QLocale().toString(1234)));
    QCOMPARE(UsersPageTexts::count(UserView::Unconfirmed, 2, false),
             QStringLiteral("2 unconfirmed users"));
    QCOMPARE(UsersPageTexts::count(UserView::Admins, 1, true),
             QStringLiteral("1 administrator matching"));
    QCOMPARE(UsersPageTexts::reinviteButton(1), QStringLiteral("&Re-invite selected"));
    QCOMPARE(UsersPageTexts::reinviteButton(3), QStringLiteral("&Re-invite 3 selected"));
}

void TestUsersPageParts::bulkFinishedTexts()
{
    InvitationService::BulkResult r;
    QCOMPARE(UsersPageTexts::bulkFinished(r, QString()), QStringLiteral("Re-invited 0 users."));
    InviteOutcome o;
    r.invited = {o};
    QCOMPARE(UsersPageTexts::bulkFinished(r, QString()), QStringLiteral("Re-invited 1 user."));
    r.invited = QList<InviteOutcome>(500, o);
    r.skipped = {InvitationService::Skipped{}};
    r.cancelled = true;
    QCOMPARE(UsersPageTexts::bulkFinished(r, QStringLiteral("The database is locked.")),
             QStringLiteral("Re-invited %1 users. Skipped 1 (changed meanwhile). Cancelled: the "
                            "rest were not invited. The database is locked.")
                 .arg(QLocale().toString(500)));
}

void TestUsersPageParts::deliveryTexts()
{
    DeliveryReport r;
    r.state = QStringLiteral("sent");
    QCOMPARE(UsersPageTexts::delivered(r, QStringLiteral("ann@example.com")),
             QStringLiteral("Invitation sent to ann@example.com."));
    r.state = QStringLiteral("failed");
    r.reply = QStringLiteral("550 no such user");
    QCOMPARE(UsersPageTexts::delivered(r, QStringLiteral("ann@example.com")),
             QStringLiteral("The invitation to ann@example.com failed: 550 no such user"));
    r.state = QStringLiteral("deferred");
    QVERIFY(UsersPageTexts::delivered(r, QStringLiteral("ann@example.com"))
                .startsWith(
                    QStringLiteral("Queued — ann@example.com: 550 no such user; will retry at ")));
    UserRecord u;
    u.email = QStringLiteral("ann@example.com");
    QVERIFY(UsersPageTexts::activeChanged(u, true).contains(QStringLiteral("re-invite them")));
    u.confirmedAt = 1;
    QCOMPARE(UsersPageTexts::activeChanged(u, true),
             QStringLiteral("ann@example.com is active again."));
}

void TestUsersPageParts::confirmDialogSaysWhoIsSkippedAndWhy()
{
    InvitationService::Plan plan = m_org->invitations().planReinvite({m_ann, m_bob, m_cat}).value();
    QCOMPARE(plan.eligible.size(), qsizetype(2));
    QCOMPARE(plan.skipped.size(), qsizetype(1));
    BulkConfirmDialog dialog(plan);
    auto *summary = dialog.findChild<QLabel *>(QStringLiteral("skipSummary"));
    QVERIFY(summary);
    QCOMPARE(summary->text(), QStringLiteral("1 deactivated (activate them first)"));
    auto *list = dialog.findChild<QPlainTextEdit *>(QStringLiteral("skippedList"));
    QVERIFY(list);
    QCOMPARE(list->toPlainText(), plan.skipped.first().reason);
    auto *buttons = dialog.findChild<QDialogButtonBox *>();
    QVERIFY(buttons);
    QStringList texts;
    for (QAbstractButton *b : buttons->buttons())
        texts << b->text();
    QVERIFY2(texts.contains(QStringLiteral("Re-invite 2 users")), qPrintable(texts.join(u'|')));
    // Enter re-invites: the default button is the re-invite.
    dialog.show();
    QVERIFY(QTest::qWaitForWindowExposed(&dialog));
    QTest::keyClick(&dialog, Qt::Key_Return);
    QCOMPARE(dialog.result(), int(QDialog::Accepted));
}

void TestUsersPageParts::confirmDialogWithNobodyEligibleOnlyCloses()
{
    InvitationService::Plan plan = m_org->invitations().planReinvite({m_cat}).value();
    QVERIFY(plan.eligible.isEmpty());
    BulkConfirmDialog dialog(plan);
    auto *buttons = dialog.findChild<QDialogButtonBox *>();
    QVERIFY(buttons);
    QCOMPARE(buttons->buttons().size(), qsizetype(1));
    QCOMPARE(buttons->standardButton(buttons->buttons().first()), QDialogButtonBox::Close);
    QCOMPARE(BulkConfirmDialog::skipSummary(plan.skipped),
             QStringLiteral("1 deactivated (activate them first)"));
}

void TestUsersPageParts::flowAsksThenReinvitesAndReports()
{
    QWidget window;
    BulkReinviteFlow flow(*m_org->db, m_org->clock, m_org->admin.userId, nullptr, &window);
    InvitationService::Plan asked;
    flow.setConfirmer([&asked](const InvitationService::Plan &plan) {
        asked = plan;
        return true;
    });
    QSignalSpy finished(&flow, &BulkReinviteFlow::finished);
    QVERIFY(flow.start({m_ann, m_bob, m_cat}));
    QVERIFY(flow.isRunning());
    QCOMPARE(asked.eligible.size(), qsizetype(2));
    QVERIFY(!flow.start({m_ann})); // one at a time
    QVERIFY(finished.wait(30000));
    QVERIFY(!flow.isRunning());
    const auto result = finished.at(0).at(0).value<InvitationService::BulkResult>();
    QCOMPARE(result.invited.size(), qsizetype(2));
    QVERIFY(!result.error);
    QCOMPARE(finished.at(0).at(1).toString(), QStringLiteral("Re-invited 2 users."));
    QCOMPARE(finished.at(0).at(2).value<QList<qint64>>(), (QList<qint64>{m_ann, m_bob}));
    QCOMPARE(m_org->user(m_ann).inviteCount, 2);
    QCOMPARE(m_org->user(m_cat).inviteCount, 1);
}

void TestUsersPageParts::flowNotConfirmedStartsNothing()
{
    QWidget window;
    BulkReinviteFlow flow(*m_org->db, m_org->clock, m_org->admin.userId, nullptr, &window);
    bool asked = false;
    flow.setConfirmer([&asked](const InvitationService::Plan &) {
        asked = true;
        return false;
    });
    QVERIFY(!flow.start({m_ann, m_bob}));
    QVERIFY(asked);
    QVERIFY(!flow.isRunning());
    QCOMPARE(m_org->user(m_ann).inviteCount, 1);
}

void TestUsersPageParts::mergeReReadsAChangedRowInPlace()
{
    UsersTableModel model(*m_org->db, [this] { return m_org->clock.nowMs(); });
    UserFilter f;
    model.setFilter(f);
    QTableView view;
    view.setModel(&model);
    view.resize(800, 400);
    UsersLiveMerge merge(*m_org->db, m_org->clock, &model, &view);
    int row = -1;
    for (int r = 0; r < model.rowCount(); ++r)
        if (model.userAt(r).id == m_ann)
            row = r;
    QVERIFY(row >= 0);
    QCOMPARE(model.index(row, UsersTableModel::TimesInvited).data().toInt(), 1);
    QVERIFY(m_org->invitations().reinvite(m_ann)); // another console's change
    QSignalSpy changed(&model, &QAbstractItemModel::dataChanged);
    QSignalSpy merged(&merge, &UsersLiveMerge::merged);
    merge.usersChanged({m_ann});
    QCOMPARE(merged.size(), 1);
    QCOMPARE(changed.size(), 1);
    QCOMPARE(changed.at(0).at(0).value<QModelIndex>().row(), row);
    QCOMPARE(model.index(row, UsersTableModel::TimesInvited).data().toInt(), 2);
}

void TestUsersPageParts::mergeOfANewUserKeepsTheSelection()
{
    UsersTableModel model(*m_org->db, [this] { return m_org->clock.nowMs(); });
    model.setFilter(UserFilter{});
    QTableView view;
    view.setSelectionBehavior(QAbstractItemView::SelectRows);
    view.setModel(&model);
    view.resize(800, 400);
    view.show();
    QVERIFY(QTest::qWaitForWindowExposed(&view));
    UsersLiveMerge merge(*m_org->db, m_org->clock, &model, &view);
    const int rows = model.rowCount();
    int bob = -1;
    for (int r = 0; r < rows; ++r)
        if (model.userAt(r).id == m_bob)
            bob = r;
    QVERIFY(bob >= 0);
    view.selectRow(bob);
    QCOMPARE(UsersLiveMerge::selectedUserIds(&view, &model), QList<qint64>{m_bob});
    // A new user sorted before Bob: "reload" re-counts, resets, and Bob stays selected.
    QVERIFY(m_org->add(QStringLiteral("Aaron Aardvark"), QStringLiteral("aaron@example.com")));
    QSignalSpy resets(&model, &QAbstractItemModel::modelReset);
    merge.usersChanged({});
    QCOMPARE(resets.size(), 1);
    QCOMPARE(model.rowCount(), rows + 1);
    QCOMPARE(UsersLiveMerge::selectedUserIds(&view, &model), QList<qint64>{m_bob});
    // Nothing new: "reload" re-reads the rows on show in place, without a reset.
    merge.usersChanged({});
    QCOMPARE(resets.size(), 1);
}

void TestUsersPageParts::mergeWaitsForARunningLoad()
{
    UsersTableModel model(*m_org->db, [this] { return m_org->clock.nowMs(); });
    model.setFilter(UserFilter{});
    model.setBackgroundLoading(true);
    QTableView view;
    view.setModel(&model);
    view.resize(800, 400);
    UsersLiveMerge merge(*m_org->db, m_org->clock, &model, &view);
    QSignalSpy merged(&merge, &UsersLiveMerge::merged);
    // A search read beside the table: its rows arrive through the event loop.
    UserFilter bobs;
    bobs.search = QStringLiteral("bob");
    model.requestFilter(bobs);
    QVERIFY(model.isLoading());
    QVERIFY(m_org->invitations().reinvite(m_bob));
    merge.usersChanged({m_bob});
    QCOMPARE(merged.size(), 0);     // not now: the rows being read may predate the change
    QTRY_COMPARE(merged.size(), 1); // applied once the search's rows are on show
    QVERIFY(!model.isLoading());
    QCOMPARE(model.rowCount(), 1);
    QCOMPARE(model.userAt(0).id, m_bob);
    QCOMPARE(model.index(0, UsersTableModel::TimesInvited).data().toInt(), 2);
}

QTEST_MAIN(TestUsersPageParts)
#include "tst_userspageparts.moc"
