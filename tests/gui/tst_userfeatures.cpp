// Edit user, invitation history, CSV export and the Customer Portal page, as an administrator
// uses them: real widgets on the offscreen platform, a real database made with the services, the
// file transport into a temporary folder; each test checks what reached the database or the files.

#include "guiorg.h"

#include "app/audit.h"
#include "app/outboxworker.h"
#include "models/userstablemodel.h"
#include "models/viewloader.h"
#include "ui/csvexport.h"
#include "ui/edituserdialog.h"
#include "ui/invitationhistorydialog.h"
#include "ui/mainwindow.h"
#include "ui/userspage.h"
#include "ui/userstableview.h"

#include <QAction>
#include <QApplication>
#include <QComboBox>
#include <QDialogButtonBox>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QMenu>
#include <QPointer>
#include <QPushButton>
#include <QRegularExpression>
#include <QSignalSpy>
#include <QSqlQuery>
#include <QStatusBar>
#include <QTableWidget>
#include <QTest>

using namespace roster;
using namespace roster::test;

class TestUserFeatures : public QObject
{
    Q_OBJECT

private slots:
    void init();
    void cleanup();
    void editFromTheGearMenuSavesNameAndProfile();
    void editRefusalKeepsTheDialogOpen();
    void managerCannotEditAnAdministrator();
    void managerIsNotOfferedAnAdministratorsAddress();
    void invitationHistoryListsEveryInvitation();
    void exportWritesWhatTheTableShows();
    void exportRightAfterAViewSwitchWritesThatView();
    void exportDefusesFormulas();
    void portalPageViewsAndAddDialog();
    void portalGearMenuReinvitesWithThePortalLink();
    void portalFailedInvitationsReinviteFromThere();

private:
    void openWindow(const Session &session);
    QMenu *gearMenu(UsersPage *page, qint64 userId);
    static int rowOf(UsersPage *page, qint64 id);

    std::unique_ptr<Org> m_org;
    std::unique_ptr<MainWindow> m_window;
    UsersPage *m_page = nullptr;
    qint64 m_pending = 0, m_confirmed = 0, m_portal = 0;
};

void TestUserFeatures::init()
{
    m_org = std::make_unique<Org>();
    QVERIFY(m_org->create());
    m_pending = m_org->add(QStringLiteral("Pat Pending"), QStringLiteral("pat@example.com"));
    m_confirmed = m_org->add(QStringLiteral("Carl Confirmed"), QStringLiteral("carl@example.com"));
    QVERIFY(m_org->confirm(m_confirmed, QStringLiteral("a long enough password")));
    m_portal = m_org->add(QStringLiteral("Polly Portal"), QStringLiteral("polly@customer.example"),
                          {}, UserKind::Portal);
    QVERIFY(m_pending && m_confirmed && m_portal);
    QVERIFY(m_org->deliver() >= 2);
    m_org->clock.advance(10 * minutes); // past every cooldown
}

void TestUserFeatures::openWindow(const Session &session)
{
    auto guiDb = m_org->db->reopen();
    QVERIFY(guiDb);
    m_window = std::make_unique<MainWindow>(std::move(guiDb).value(), m_org->clock, session);
    m_window->show();
    QVERIFY(QTest::qWaitForWindowExposed(m_window.get()));
    m_page = m_window->usersPage();
}

void TestUserFeatures::cleanup()
{
    m_window.reset();
    m_org.reset();
}

int TestUserFeatures::rowOf(UsersPage *page, qint64 id)
{
    for (int r = 0; r < page->model()->rowCount(); ++r)
        if (page->model()->userAt(r).id == id)
            return r;
    return -1;
}

// Hover the row, click its gear: the menu a person gets.
QMenu *TestUserFeatures::gearMenu(UsersPage *page, qint64 userId)
{
    UsersTableView *view = page->view();
    const QModelIndex gear = page->model()->index(rowOf(page, userId), UsersTableModel::Actions);
    if (!gear.isValid())
        return nullptr;
    view->scrollTo(gear);
    QTest::mouseMove(view->viewport(), view->visualRect(gear).center());
    QTest::mouseClick(view->viewport(), Qt::LeftButton, {}, view->visualRect(gear).center());
    if (!QTest::qWaitFor([page] { return page->openMenu() != nullptr; }, 5000))
        return nullptr;
    return page->openMenu();
}

void TestUserFeatures::editFromTheGearMenuSavesNameAndProfile()
{
    openWindow(m_org->admin);
    QMenu *menu = gearMenu(m_page, m_pending);
    QVERIFY(menu);
    QAction *edit = menu->findChild<QAction *>(QStringLiteral("editAction"));
    QVERIFY(edit);
    QVERIFY2(edit->isEnabled(), qPrintable(edit->toolTip()));
    edit->trigger();
    menu->close();

    EditUserDialog *dialog = nullptr;
    QTRY_VERIFY((dialog = m_page->findChild<EditUserDialog *>()) != nullptr);
    QTRY_VERIFY(dialog->isVisible());
    auto *name = dialog->findChild<QLineEdit *>(QStringLiteral("nameEdit"));
    auto *email = dialog->findChild<QLineEdit *>(QStringLiteral("emailEdit"));
    auto *profile = dialog->findChild<QComboBox *>(QStringLiteral("profileCombo"));
    QVERIFY(name && email && profile);
    QCOMPARE(name->text(), QStringLiteral("Pat Pending"));
    QVERIFY(email->isReadOnly()); // a new address is a new invitation, and the dialog says so
    QVERIFY(dialog->findChild<QLabel *>(QStringLiteral("emailNote"))
                ->text()
                .contains(QStringLiteral("new invitation")));
    name->selectAll();
    QTest::keyClicks(name, QStringLiteral("Patricia Pending"));
    profile->setCurrentText(QStringLiteral("User Manager"));
    auto *save = dialog->findChild<QDialogButtonBox *>()->button(QDialogButtonBox::Save);
    QVERIFY(save->isEnabled());
    QTest::mouseClick(save, Qt::LeftButton);
    QTRY_VERIFY(!m_page->findChild<EditUserDialog *>());

    const UserRecord u = m_org->user(m_pending);
    QCOMPARE(u.name, QStringLiteral("Patricia Pending"));
    QCOMPARE(u.profileName, QStringLiteral("User Manager"));
    QCOMPARE(u.email, QStringLiteral("pat@example.com"));
    auto audit = readAudit(*m_org->db, 5, m_pending);
    QVERIFY(audit);
    QCOMPARE(audit->first().action, QStringLiteral("user.edit"));
    QCOMPARE(audit->first().actorEmail, adminEmail);
    QVERIFY2(audit->first().detail.contains(QStringLiteral("Standard → User Manager")),
             qPrintable(audit->first().detail));
    // The row shows it without a reload.
    const int row = rowOf(m_page, m_pending);
    QTRY_COMPARE(m_page->model()->index(row, UsersTableModel::Name).data().toString(),
                 QStringLiteral("Patricia Pending"));
    QCOMPARE(m_page->model()->index(row, UsersTableModel::Profile).data().toString(),
             QStringLiteral("User Manager"));
    QVERIFY(m_window->statusBar()->currentMessage().contains(QStringLiteral("pat@example.com")));
}

void TestUserFeatures::editRefusalKeepsTheDialogOpen()
{
    openWindow(m_org->admin);
    // The only administrator demotes themselves: refused, said in the dialog, nothing written.
    const auto namesAndProfiles = [this] {
        QSqlQuery q =
            m_org->db->prepare(QStringLiteral("SELECT name, profile_id FROM users ORDER BY id"));
        if (!m_org->db->exec(q))
            return QStringLiteral("(the query failed)");
        QStringList rows;
        while (q.next())
            rows << q.value(0).toString() + u'|' + q.value(1).toString();
        return rows.join(u',');
    };
    const QString before = namesAndProfiles();
    QVERIFY(before.contains(QStringLiteral("Ada Admin|")));
    QMenu *menu = gearMenu(m_page, m_org->admin.userId);
    QVERIFY(menu);
    menu->findChild<QAction *>(QStringLiteral("editAction"))->trigger();
    menu->close();
    EditUserDialog *dialog = nullptr;
    QTRY_VERIFY((dialog = m_page->findChild<EditUserDialog *>()) != nullptr);
    dialog->findChild<QComboBox *>(QStringLiteral("profileCombo"))
        ->setCurrentText(QStringLiteral("Standard"));
    auto *name = dialog->findChild<QLineEdit *>(QStringLiteral("nameEdit"));
    // A control character is caught as it is typed.
    name->setText(QStringLiteral("Ada\tAdmin"));
    auto *save = dialog->findChild<QDialogButtonBox *>()->button(QDialogButtonBox::Save);
    QVERIFY(!save->isEnabled());
    name->setText(QStringLiteral("Ada Admin"));
    QVERIFY(save->isEnabled());
    QTest::mouseClick(save, Qt::LeftButton);
    auto *problem = dialog->findChild<QLabel *>(QStringLiteral("problemLabel"));
    QTRY_VERIFY(problem->text().contains(QStringLiteral("last active administrator")));
    QVERIFY(dialog->isVisible());
    QVERIFY(m_org->user(m_org->admin.userId).isAdmin);
    QCOMPARE(namesAndProfiles(), before);
    dialog->reject();
}

void TestUserFeatures::managerCannotEditAnAdministrator()
{
    const qint64 manager =
        m_org->add(QStringLiteral("Uma Manager"), QStringLiteral("uma@example.com"),
                   QStringLiteral("User Manager"));
    QVERIFY(m_org->confirm(manager, QStringLiteral("a long enough password")));
    auto session =
        AuthService(*m_org->db, m_org->clock)
            .signIn(QStringLiteral("uma@example.com"), QStringLiteral("a long enough password"));
    QVERIFY(session);
    openWindow(session.value());
    std::unique_ptr<QMenu> adminMenu(m_page->createMenuForRow(rowOf(m_page, m_org->admin.userId)));
    QAction *edit = adminMenu->findChild<QAction *>(QStringLiteral("editAction"));
    QVERIFY(!edit->isEnabled());
    QVERIFY(edit->toolTip().contains(QStringLiteral("Only an Administrator")));
    // The dialog offers no Administrator profile to a manager.
    m_page->editUser(m_pending);
    EditUserDialog *dialog = nullptr;
    QTRY_VERIFY((dialog = m_page->findChild<EditUserDialog *>()) != nullptr);
    QCOMPARE(dialog->findChild<QComboBox *>(QStringLiteral("profileCombo"))
                 ->findText(QStringLiteral("Administrator")),
             -1);
    dialog->reject();
}

// The row menu and UserService::changeEmail give one reason from one function: a Manage Users
// profile may not give an administrator's invitation a new address (it could send it to itself).
void TestUserFeatures::managerIsNotOfferedAnAdministratorsAddress()
{
    const qint64 manager =
        m_org->add(QStringLiteral("Uma Manager"), QStringLiteral("uma@example.com"),
                   QStringLiteral("User Manager"));
    QVERIFY(m_org->confirm(manager, QStringLiteral("a long enough password")));
    const qint64 newAdmin =
        m_org->add(QStringLiteral("Nia Newadmin"), QStringLiteral("nia@example.com"),
                   QStringLiteral("Administrator"));
    auto session =
        AuthService(*m_org->db, m_org->clock)
            .signIn(QStringLiteral("uma@example.com"), QStringLiteral("a long enough password"));
    QVERIFY(session);
    openWindow(session.value());
    const auto refused = UserService(*m_org->db, m_org->clock, manager)
                             .changeEmail(newAdmin, QStringLiteral("uma+nia@example.com"));
    QVERIFY(!refused);
    std::unique_ptr<QMenu> menu(m_page->createMenuForRow(rowOf(m_page, newAdmin)));
    QAction *change = menu->findChild<QAction *>(QStringLiteral("changeEmailAction"));
    QVERIFY(!change->isEnabled());
    QCOMPARE(change->toolTip(), refused.error().message);
}

void TestUserFeatures::invitationHistoryListsEveryInvitation()
{
    // Two more invitations: a copied link and a re-invite (which revokes the link's).
    QVERIFY(m_org->invitations().copyInviteLink(m_pending));
    m_org->clock.advance(10 * minutes);
    QVERIFY(m_org->invitations().reinvite(m_pending));
    QCOMPARE(m_org->deliver(), 1);
    openWindow(m_org->admin);
    QMenu *menu = gearMenu(m_page, m_pending);
    QVERIFY(menu);
    QAction *history = menu->findChild<QAction *>(QStringLiteral("historyAction"));
    QVERIFY(history && history->isEnabled());
    history->trigger();
    menu->close();
    InvitationHistoryDialog *dialog = nullptr;
    QTRY_VERIFY((dialog = m_page->findChild<InvitationHistoryDialog *>()) != nullptr);
    QTRY_VERIFY(dialog->isVisible());
    QTableWidget *table = dialog->table();
    QCOMPARE(table->rowCount(), 3);
    using C = InvitationHistoryDialog;
    // Newest first: open and sent; the copied link revoked, no mail; the first revoked, sent.
    QCOMPARE(table->item(0, C::State)->data(Qt::UserRole).toString(), QStringLiteral("open"));
    QCOMPARE(table->item(0, C::Mail)->data(Qt::UserRole).toString(), QStringLiteral("sent"));
    QCOMPARE(table->item(0, C::SentBy)->text(), QStringLiteral("Ada Admin"));
    QCOMPARE(table->item(1, C::State)->data(Qt::UserRole).toString(), QStringLiteral("revoked"));
    QVERIFY(table->item(1, C::Mail)->text().contains(QStringLiteral("no mail")));
    QCOMPARE(table->item(2, C::State)->data(Qt::UserRole).toString(), QStringLiteral("revoked"));
    QCOMPARE(table->item(2, C::Mail)->text(),
             UsersTableModel::mailStateText(QStringLiteral("sent")));
    // The same as the service says, row for row.
    auto infos = m_org->invitations().invitationHistory(m_pending);
    QVERIFY(infos);
    QCOMPARE(qsizetype(table->rowCount()), infos->size());
    QPointer<InvitationHistoryDialog> closed = dialog;
    dialog->close();
    QTRY_VERIFY(!closed); // deleted on close

    // A confirmed user's history ends with an accepted invitation.
    m_page->showHistory(m_confirmed);
    QTRY_VERIFY((dialog = m_page->findChild<InvitationHistoryDialog *>()) != nullptr);
    QCOMPARE(dialog->table()->item(0, C::State)->data(Qt::UserRole).toString(),
             QStringLiteral("accepted"));
}

static QList<QStringList> readCsv(const QString &path, QByteArray *head = nullptr)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        return {};
    QByteArray raw = f.readAll();
    if (head)
        *head = raw.left(3);
    raw = raw.mid(3);
    // The cells here hold no quotes or line breaks except where a test puts them on purpose.
    QList<QStringList> rows;
    const QString text = QString::fromUtf8(raw);
    QStringList row;
    QString cell;
    bool quoted = false;
    for (qsizetype i = 0; i < text.size(); ++i) {
        const QChar c = text.at(i);
        if (quoted) {
            if (c == u'"' && i + 1 < text.size() && text.at(i + 1) == u'"') {
                cell += u'"';
                ++i;
            } else if (c == u'"') {
                quoted = false;
            } else {
                cell += c;
            }
        } else if (c == u'"') {
            quoted = true;
        } else if (c == u',') {
            row << cell;
            cell.clear();
        } else if (c == u'\r' && i + 1 < text.size() && text.at(i + 1) == u'\n') {
            row << cell;
            rows << row;
            row.clear();
            cell.clear();
            ++i;
        } else {
            cell += c;
        }
    }
    return rows;
}

void TestUserFeatures::exportWritesWhatTheTableShows()
{
    for (int i = 0; i < 30; ++i)
        QVERIFY(m_org->add(QStringLiteral("Export User %1").arg(i, 2, 10, QChar(u'0')),
                           QStringLiteral("export%1@example.com").arg(i)));
    // Their invitations sent now: the window's worker would otherwise change the Mail column
    // between the rows on show and the rows the export reads.
    QCOMPARE(m_org->deliver(), 30);
    openWindow(m_org->admin);
    // The Unconfirmed view, a search, sorted by email descending, a column moved by hand.
    m_page->setView(UserView::Unconfirmed);
    auto *search = m_page->findChild<QLineEdit *>(QStringLiteral("searchEdit"));
    QTest::keyClicks(search, QStringLiteral("export"));
    QTest::mouseClick(
        m_page->view()->horizontalHeader()->viewport(), Qt::LeftButton, {},
        QPoint(m_page->view()->horizontalHeader()->sectionViewportPosition(UsersTableModel::Email) +
                   10,
               5));
    QTest::mouseClick(
        m_page->view()->horizontalHeader()->viewport(), Qt::LeftButton, {},
        QPoint(m_page->view()->horizontalHeader()->sectionViewportPosition(UsersTableModel::Email) +
                   10,
               5));
    m_page->view()->horizontalHeader()->moveSection(
        m_page->view()->horizontalHeader()->visualIndex(UsersTableModel::Email), 0);
    QTRY_COMPARE(m_page->model()->rowCount(), 30);
    QTRY_VERIFY(!m_page->model()->isLoading());
    QVERIFY(m_page->model()->filter().descending);
    QCOMPARE(m_page->model()->shownFilter().view, UserView::Unconfirmed);
    QCOMPARE(m_page->model()->shownFilter().sort, UserFilter::Sort::Email);

    const QString path = m_org->dir.filePath(QStringLiteral("unconfirmed.csv"));
    m_page->setExportPathChooser([path] { return path; });
    QTest::mouseClick(m_page->findChild<QPushButton *>(QStringLiteral("exportButton")),
                      Qt::LeftButton);
    QByteArray bom;
    const QList<QStringList> rows = readCsv(path, &bom);
    QCOMPARE(bom, QByteArray("\xEF\xBB\xBF"));
    QCOMPARE(rows.size(), 31);
    const QList<int> columns = m_page->visibleColumns();
    QCOMPARE(columns.first(), int(UsersTableModel::Email));
    QVERIFY(!columns.contains(UsersTableModel::Actions));
    QStringList header;
    for (int c : columns)
        header << m_page->model()->headerData(c, Qt::Horizontal).toString();
    QCOMPARE(rows.first(), header);
    for (int r = 0; r < m_page->model()->rowCount(); ++r) {
        QStringList expected;
        for (int c : columns)
            expected << m_page->model()->index(r, c).data().toString();
        QCOMPARE(rows.at(r + 1), expected);
    }
    QCOMPARE(rows.at(1).first(), QStringLiteral("export9@example.com")); // descending by email
    QVERIFY(m_window->statusBar()->currentMessage().contains(QStringLiteral("Exported 30 rows")));
}

void TestUserFeatures::exportRightAfterAViewSwitchWritesThatView()
{
    // The view is still being read beside the table (held in the database) when Export is
    // clicked: the export reads it first, and writes its rows under its columns.
    openWindow(m_org->admin);
    ViewLoader *loader = m_page->model()->viewLoader();
    QVERIFY(loader);
    loader->setStatementBeforeLoadForTest(QStringLiteral(
        "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 10000000000) "
        "SELECT count(*) FROM c"));
    m_page->setView(UserView::Unconfirmed);
    QTRY_VERIFY(loader->running() != 0);
    QCOMPARE(m_page->model()->shownFilter().view, UserView::All);
    const QString path = m_org->dir.filePath(QStringLiteral("switched.csv"));
    m_page->setExportPathChooser([path] { return path; });
    QTest::mouseClick(m_page->findChild<QPushButton *>(QStringLiteral("exportButton")),
                      Qt::LeftButton);
    QVERIFY(!m_page->model()->isLoading());
    QCOMPARE(m_page->model()->shownFilter().view, UserView::Unconfirmed);
    const QList<QStringList> rows = readCsv(path);
    QCOMPARE(rows.size(), 2); // the header and Pat, the one unconfirmed CRM user
    const QList<int> columns = m_page->visibleColumns();
    QVERIFY(columns.contains(UsersTableModel::TimesInvited)); // the Unconfirmed view's columns
    QStringList header;
    for (int c : columns)
        header << m_page->model()->headerData(c, Qt::Horizontal).toString();
    QCOMPARE(rows.first(), header);
    QVERIFY(rows.at(1).contains(QStringLiteral("pat@example.com")));
    loader->setStatementBeforeLoadForTest(QString());
}

void TestUserFeatures::exportDefusesFormulas()
{
    QCOMPARE(csvCell(QStringLiteral("=HYPERLINK(\"http://evil\")")),
             QStringLiteral("\"'=HYPERLINK(\"\"http://evil\"\")\""));
    for (const QString &s :
         {QStringLiteral("+1"), QStringLiteral("-2+3"), QStringLiteral("@SUM(A1)"),
          QStringLiteral("\tx"), QStringLiteral("\rx")})
        QVERIFY2(csvCell(s).startsWith(u'\'') || csvCell(s).startsWith(QStringLiteral("\"'")),
                 qPrintable(csvCell(s)));
    QCOMPARE(csvCell(QStringLiteral("Ada Admin")), QStringLiteral("Ada Admin"));
    QCOMPARE(csvCell(QStringLiteral("Nováková, Jana")), QStringLiteral("\"Nováková, Jana\""));

    // Through the page: a portal account that is a formula is written as text.
    QSqlQuery q = m_org->db->prepare(QStringLiteral("UPDATE users SET account = ? WHERE id = ?"));
    q.addBindValue(QStringLiteral("=cmd|' /C calc'!A0"));
    q.addBindValue(m_portal);
    QVERIFY(m_org->db->exec(q));
    openWindow(m_org->admin);
    UsersPage *portal = m_window->portalUsersPage();
    portal->refresh();
    const QString path = m_org->dir.filePath(QStringLiteral("portal.csv"));
    QVERIFY(portal->exportCsv(path));
    const QList<QStringList> rows = readCsv(path);
    QCOMPARE(rows.size(), 2);
    const int account = int(portal->visibleColumns().indexOf(UsersTableModel::Profile));
    QCOMPARE(rows.first().at(account), QStringLiteral("Account"));
    QCOMPARE(rows.at(1).at(account), QStringLiteral("'=cmd|' /C calc'!A0"));
    QFile f(path);
    QVERIFY(f.open(QIODevice::ReadOnly));
    QVERIFY(f.readAll().contains("Polly Portal"));
}

void TestUserFeatures::portalPageViewsAndAddDialog()
{
    openWindow(m_org->admin);
    m_window->showPage(MainWindow::Page::PortalUsers);
    UsersPage *portal = m_window->portalUsersPage();
    QCOMPARE(portal->kind(), UserKind::Portal);
    auto *combo = portal->findChild<QComboBox *>(QStringLiteral("viewCombo"));
    QList<UserView> views;
    for (int i = 0; i < combo->count(); ++i)
        views << UserView(combo->itemData(i).toInt());
    QCOMPARE(views,
             (QList<UserView>{UserView::All, UserView::Active, UserView::Inactive,
                              UserView::Unconfirmed, UserView::Confirmed, UserView::ExpiringSoon,
                              UserView::FailedMail, UserView::Requested, UserView::Bounced}));
    QCOMPARE(portal->model()->rowCount(), 1);
    QCOMPARE(portal->model()->headerData(UsersTableModel::Profile, Qt::Horizontal).toString(),
             QStringLiteral("Account"));
    auto *add = portal->findChild<QPushButton *>(QStringLiteral("addUserButton"));
    QVERIFY(add->text().contains(QStringLiteral("Portal")));
    // The gear menu has every portal entry.
    std::unique_ptr<QMenu> menu(portal->createMenuForRow(0));
    for (const char *name : {"reinviteAction", "deactivateAction", "copyEmailAction",
                             "copyInviteLinkAction", "historyAction", "editAction"})
        QVERIFY2(menu->findChild<QAction *>(QString::fromLatin1(name)), name);
}

void TestUserFeatures::portalGearMenuReinvitesWithThePortalLink()
{
    openWindow(m_org->admin);
    m_window->showPage(MainWindow::Page::PortalUsers);
    UsersPage *portal = m_window->portalUsersPage();
    const QStringList before = m_org->emlFiles();
    QMenu *menu = gearMenu(portal, m_portal);
    QVERIFY(menu);
    QAction *reinvite = menu->findChild<QAction *>(QStringLiteral("reinviteAction"));
    QVERIFY2(reinvite->isEnabled(), qPrintable(reinvite->toolTip()));
    reinvite->trigger();
    menu->close();
    QTRY_VERIFY_WITH_TIMEOUT(m_window->statusBar()->currentMessage().contains(
                                 QStringLiteral("Invitation sent to polly@customer.example")),
                             10000);
    QStringList fresh = m_org->emlFiles();
    for (const QString &f : before)
        fresh.removeAll(f);
    QCOMPARE(fresh.size(), 1);
    QFile f(fresh.first());
    QVERIFY(f.open(QIODevice::ReadOnly));
    QByteArray mail = f.readAll();
    QVERIFY(mail.contains("polly@customer.example"));
    // Subjects are RFC 2047 words when not ASCII; here they are plain.
    QVERIFY2(mail.contains("customer portal"), mail.left(600).constData());
    mail.replace("=\r\n", "").replace("=3D", "=");
    QVERIFY(mail.contains("https://portal.northwind.example/accept?token="));
    QVERIFY(!mail.contains("https://crm.northwind.example/accept"));
    QCOMPARE(m_org->tokensFor(QStringLiteral("polly@customer.example")).size(), 2);
    // The token of the new mail itself: file names sort by second, then by random Message-ID,
    // so "the last file" is not always the newest.
    static const QRegularExpression tokenRe(QStringLiteral("token=([A-Za-z0-9_-]{43})"));
    const QByteArray token = tokenRe.match(QString::fromLatin1(mail)).captured(1).toLatin1();
    QCOMPARE(token.size(), 43);
    // The token is a portal token: the CRM accept page refuses it, the portal's takes it.
    auto asCrm = InvitationService::acceptInvitation(
        *m_org->db, m_org->clock, token, QStringLiteral("a long enough password"), UserKind::Crm);
    QVERIFY(!asCrm);
    auto asPortal = InvitationService::acceptInvitation(*m_org->db, m_org->clock, token,
                                                        QStringLiteral("a long enough password"),
                                                        UserKind::Portal);
    QVERIFY2(asPortal, asPortal ? "" : qPrintable(asPortal.error().message));
    QCOMPARE(asPortal->kind, UserKind::Portal);
    QVERIFY(m_org->user(m_portal).confirmedAt);
    // A portal user never signs in to the console.
    QVERIFY(!AuthService(*m_org->db, m_org->clock)
                 .signIn(QStringLiteral("polly@customer.example"),
                         QStringLiteral("a long enough password")));
}

void TestUserFeatures::portalFailedInvitationsReinviteFromThere()
{
    QSqlQuery q = m_org->db->prepare(
        QStringLiteral("UPDATE users SET mail_state = 'failed', mail_reply = ? WHERE id = ?"));
    q.addBindValue(QStringLiteral("550 5.1.1 <polly@customer.example>: mailbox unavailable"));
    q.addBindValue(m_portal);
    QVERIFY(m_org->db->exec(q));
    openWindow(m_org->admin);
    m_window->showPage(MainWindow::Page::PortalUsers);
    UsersPage *portal = m_window->portalUsersPage();
    portal->setView(UserView::FailedMail);
    QTRY_COMPARE(portal->model()->shownFilter().view, UserView::FailedMail);
    QCOMPARE(portal->model()->rowCount(), 1);
    QCOMPARE(portal->countText(), QStringLiteral("1 failed invitation"));
    QVERIFY(portal->model()
                ->index(0, UsersTableModel::MailState)
                .data()
                .toString()
                .contains(QStringLiteral("550 5.1.1")));
    QMenu *menu = gearMenu(portal, m_portal);
    QVERIFY(menu);
    menu->findChild<QAction *>(QStringLiteral("reinviteAction"))->trigger();
    menu->close();
    QTRY_COMPARE_WITH_TIMEOUT(m_org->user(m_portal).mailState, QStringLiteral("sent"), 10000);
    QCOMPARE(m_org->user(m_portal).inviteCount, 2);
}

QTEST_MAIN(TestUserFeatures)
#include "tst_userfeatures.moc"
