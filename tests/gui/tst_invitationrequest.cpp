// "Ask for a new invitation" (SPEC §8) as an administrator sees it: the invitee asks from an
// expired link (another process, here the service on a connection of its own, as roster-web
// does), the console marks the user's row, in the All and the Unconfirmed view, lists them in the
// "Asked for a new invitation" view, and a re-invite from the gear menu clears it.

#include "guiorg.h"

#include "app/invitationrequests.h"
#include "models/userstablemodel.h"
#include "ui/mainwindow.h"
#include "ui/userspage.h"
#include "ui/userstableview.h"

#include <QAction>
#include <QApplication>
#include <QComboBox>
#include <QLabel>
#include <QMenu>
#include <QTest>

using namespace roster;
using namespace roster::test;

class TestInvitationRequest : public QObject
{
    Q_OBJECT

private slots:
    void init();
    void cleanup();
    void requestIsMarkedListedAndClearedByAReinvite();

private:
    QModelIndex statusCell(qint64 id);

    std::unique_ptr<Org> m_org;
    std::unique_ptr<MainWindow> m_window;
    UsersPage *m_page = nullptr;
    qint64 m_expired = 0, m_pending = 0;
    QByteArray m_expiredToken;
};

void TestInvitationRequest::init()
{
    m_org = std::make_unique<Org>();
    QVERIFY(m_org->create());
    m_expired = m_org->add(QStringLiteral("Eve Expired"), QStringLiteral("eve@example.com"));
    QCOMPARE(m_org->deliver(), 1);
    const QList<QByteArray> tokens = m_org->tokensFor(QStringLiteral("eve@example.com"));
    QCOMPARE(tokens.size(), 1);
    m_expiredToken = tokens.first();
    m_org->clock.advance(8 * msPerDay);
    m_pending = m_org->add(QStringLiteral("Pat Pending"), QStringLiteral("pat@example.com"));
    QVERIFY(m_expired && m_pending);

    auto guiDb = m_org->db->reopen();
    QVERIFY(guiDb);
    m_window = std::make_unique<MainWindow>(std::move(guiDb).value(), m_org->clock, m_org->admin);
    m_window->show();
    QVERIFY(QTest::qWaitForWindowExposed(m_window.get()));
    m_page = m_window->usersPage();
    QVERIFY(m_page);
}

void TestInvitationRequest::cleanup()
{
    m_window.reset();
    m_org.reset();
}

QModelIndex TestInvitationRequest::statusCell(qint64 id)
{
    auto *model = m_page->model();
    for (int r = 0; r < model->rowCount(); ++r)
        if (model->userAt(r).id == id)
            return model->index(r, UsersTableModel::Status);
    return {};
}

void TestInvitationRequest::requestIsMarkedListedAndClearedByAReinvite()
{
    QTRY_VERIFY(statusCell(m_expired).isValid());
    QVERIFY(!statusCell(m_expired).data(UsersTableModel::RequestedRole).toBool());
    QVERIFY(!statusCell(m_expired).data().toString().contains(UsersTableModel::requestedText()));

    // The invitee asks, through another connection: the open console updates by itself.
    auto asked = requestNewInvitation(*m_org->db, m_org->clock, m_expiredToken);
    QVERIFY2(asked, asked ? "" : qPrintable(asked.error().message));
    QVERIFY(asked->recorded);
    QTRY_VERIFY_WITH_TIMEOUT(statusCell(m_expired).data(UsersTableModel::RequestedRole).toBool(),
                             10000);
    QVERIFY2(statusCell(m_expired).data().toString().contains(UsersTableModel::requestedText()),
             qPrintable(statusCell(m_expired).data().toString()));
    QVERIFY(statusCell(m_expired)
                .data(Qt::ToolTipRole)
                .toString()
                .contains(QStringLiteral("Asked for a new invitation on")));
    QVERIFY(!statusCell(m_pending).data(UsersTableModel::RequestedRole).toBool());

    // The Unconfirmed view marks the same row.
    m_page->setView(UserView::Unconfirmed);
    QTRY_COMPARE(m_page->model()->shownFilter().view, UserView::Unconfirmed);
    QTRY_VERIFY(statusCell(m_expired).isValid());
    QVERIFY(statusCell(m_expired).data(UsersTableModel::RequestedRole).toBool());
    QVERIFY(statusCell(m_expired).data().toString().contains(UsersTableModel::requestedText()));

    // The view selector offers "Asked for a new invitation", chosen as a person would.
    auto *combo = m_page->findChild<QComboBox *>(QStringLiteral("viewCombo"));
    QVERIFY(combo);
    const int item = combo->findText(QStringLiteral("Asked for a new invitation"));
    QVERIFY(item >= 0);
    combo->setFocus();
    combo->setCurrentIndex(item);
    QTRY_COMPARE(m_page->model()->shownFilter().view, UserView::Requested);
    QTRY_COMPARE(m_page->model()->rowCount(), 1);
    QCOMPARE(m_page->model()->userAt(0).id, m_expired);
    QCOMPARE(m_page->countText(), QStringLiteral("1 user asked for a new invitation"));

    // The narrow badge of this view keeps the marker in its short form: paint it and look.
    UsersTableView *view = m_page->view();
    const QModelIndex badge = m_page->model()->index(0, UsersTableModel::Status);
    QVERIFY(!view->isColumnHidden(UsersTableModel::Status));
    QVERIFY(!view->grab(view->visualRect(badge).translated(view->viewport()->pos())).isNull());

    // Re-invite from the row's gear menu: the marker goes, and the view no longer lists them.
    m_org->clock.advance(10 * minutes);
    std::unique_ptr<QMenu> menu(m_page->createMenuForRow(0));
    auto *reinvite = menu->findChild<QAction *>(QStringLiteral("reinviteAction"));
    QVERIFY(reinvite);
    QVERIFY(reinvite->isEnabled());
    reinvite->trigger();
    QVERIFY(!m_org->user(m_expired).inviteRequestedAt);
    QTRY_VERIFY(!m_page->model()->userAt(0).isValid() || !m_page->model()
                                                              ->index(0, UsersTableModel::Status)
                                                              .data(UsersTableModel::RequestedRole)
                                                              .toBool());
    m_page->model()->reload();
    QTRY_COMPARE(m_page->model()->rowCount(), 0);
    QCOMPARE(m_page->countText(), QStringLiteral("0 users asked for a new invitation"));
}

QTEST_MAIN(TestInvitationRequest)
#include "tst_invitationrequest.moc"
