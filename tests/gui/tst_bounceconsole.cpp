// The console's side of bounces (SPEC §9, issue 15): the bounced row's look and tooltip, the
// Bounced view, Change email and re-invite (the row menu's entry and its dialog, accepted and
// refused), the re-invite warning (one user and a selection), the Email settings page's bounce
// section with its Test button, and the background worker's reading of the mailbox. Real widgets
// on the offscreen platform; the bounce is a real Postfix DSN applied by BounceService; the IMAP
// server is the scripted one of tests/imap (Dovecot itself is in tests/integration/tst_bounces).
#include "guiorg.h"

#include "app/bouncerules.h"
#include "app/bounceservice.h"
#include "app/mailsettingsservice.h"
#include "app/outboxworker.h"
#include "fakesmtpserver.h"
#include "models/userstablemodel.h"
#include "ui/changeemaildialog.h"
#include "ui/emailsettingspage.h"
#include "ui/mainwindow.h"
#include "ui/userspage.h"
#include "ui/userstableview.h"

#include <QAction>
#include <QApplication>
#include <QCheckBox>
#include <QComboBox>
#include <QDialogButtonBox>
#include <QImage>
#include <QLabel>
#include <QLineEdit>
#include <QMenu>
#include <QPushButton>
#include <QSignalSpy>
#include <QSpinBox>
#include <QSqlQuery>
#include <QTest>

using namespace roster;
using namespace roster::test;

namespace {
const QString diagnostic = QStringLiteral("550 5.1.1");

QByteArray sample(const char *name)
{
    QFile f(qEnvironmentVariable("ROSTER_SOURCE_DIR") + QStringLiteral("/tests/mail/bounces/") +
            QString::fromLatin1(name));
    if (!f.open(QIODevice::ReadOnly))
        qFatal("missing sample %s", name);
    return f.readAll();
}

QList<QByteArray> lines(std::initializer_list<QByteArray> l)
{
    return QList<QByteArray>(l);
}
} // namespace

class TestBounceConsole : public QObject
{
    Q_OBJECT

private slots:
    void init();
    void cleanup();
    void bouncedRowIsRedWithTheDiagnosticInItsTooltip();
    void bouncedRedReadsOnLightAndDarkPalettes();
    void bouncedViewListsOnlyBouncedInvitations();
    void changeEmailFromTheRowMenu();
    void changeEmailRefusals();
    void changeEmailEntryFollowsTheService();
    void reinviteOfABouncedAddressAsksFirst();
    void bulkReinviteSaysHowManyBouncedAndSkipsThem();
    void settingsPageSavesTheBounceSection();
    void settingsPageRefusesInTheServicesWords();
    void testButtonCountsUnseenWithoutBlocking();
    void testButtonSaysWhySignInFailed();
    void workerReadsTheMailboxAndTheRowTurnsRed();
    void quittingDuringAFetchIsSafe();

private:
    void openWindow();
    QString tagOf(qint64 userId);
    bool bounce(qint64 userId);
    void configureMailbox(quint16 port);
    int rowOf(qint64 id) const;
    // The organisation's administrator, who acts in these tests.
    ActorFacts admin() const { return {m_org->admin.userId, true}; }
    QList<QByteArray> mailboxScript(const QByteArray &message) const;

    std::unique_ptr<Org> m_org;
    std::unique_ptr<MainWindow> m_window;
    UsersPage *m_page = nullptr;
    qint64 m_jon = 0, m_pat = 0, m_carl = 0;
};

void TestBounceConsole::init()
{
    m_org = std::make_unique<Org>();
    QVERIFY(m_org->create());
    OrgSettings s = OrgSettings::load(*m_org->db).value();
    s.bounceAddress = QStringLiteral("bounces@roster.test");
    QVERIFY(s.save(*m_org->db));
    m_jon = m_org->add(QStringLiteral("Jon Smith"), QStringLiteral("jon.smiht@bouncing.test"));
    m_pat = m_org->add(QStringLiteral("Pat Pending"), QStringLiteral("pat@example.com"));
    m_carl = m_org->add(QStringLiteral("Carl Confirmed"), QStringLiteral("carl@example.com"));
    QVERIFY(m_jon && m_pat && m_carl);
    QVERIFY(m_org->confirm(m_carl, QStringLiteral("a long enough password")));
    QVERIFY(m_org->deliver() >= 2);
    m_org->clock.advance(10 * minutes); // past every cooldown
}

void TestBounceConsole::cleanup()
{
    m_window.reset();
    m_org.reset();
}

void TestBounceConsole::openWindow()
{
    auto guiDb = m_org->db->reopen();
    QVERIFY(guiDb);
    // The worker is started by the tests that need it: none of the others' scripted servers
    // should see it.
    m_window =
        std::make_unique<MainWindow>(std::move(guiDb).value(), m_org->clock, m_org->admin, false);
    m_window->show();
    QVERIFY(QTest::qWaitForWindowExposed(m_window.get()));
    m_page = m_window->usersPage();
    QTRY_VERIFY(m_page->model()->rowCount() >= 3);
}

QString TestBounceConsole::tagOf(qint64 userId)
{
    QSqlQuery q = m_org->db->prepare(QStringLiteral("SELECT o.bounce_tag FROM outbox o JOIN users "
                                                    "u ON u.last_outbox_id = o.id WHERE u.id = ?"));
    q.addBindValue(userId);
    if (!m_org->db->exec(q) || !q.next())
        return {};
    return q.value(0).toString();
}

// The Postfix DSN of tests/mail/bounces, addressed to the user's latest invitation.
bool TestBounceConsole::bounce(qint64 userId)
{
    const QString tag = tagOf(userId);
    if (tag.isEmpty())
        return false;
    QByteArray m = sample("postfix-dsn-failure.eml");
    m.replace("k7m2qx4ab5cd6efg", tag.toLatin1());
    auto line =
        BounceService(*m_org->db, m_org->clock).apply(m, QStringLiteral("bounces@roster.test"));
    return line && line->outcome == BounceLine::Outcome::Bounced;
}

int TestBounceConsole::rowOf(qint64 id) const
{
    for (int r = 0; r < m_page->model()->rowCount(); ++r)
        if (m_page->model()->userAt(r).id == id)
            return r;
    return -1;
}

void TestBounceConsole::configureMailbox(quint16 port)
{
    MailSettingsService service(*m_org->db, m_org->clock, m_org->admin.userId);
    BounceSettingsChange c;
    MailServerInput m;
    m.host = QStringLiteral("127.0.0.1");
    m.port = port;
    m.security = QStringLiteral("none");
    m.user = QStringLiteral("bob");
    m.password = QStringLiteral("secret");
    m.allowPlainAuth = true;
    c.mailbox = m;
    const Status s = service.saveBounces(c);
    QVERIFY2(s, s ? "" : qPrintable(s.error().message));
}

// One session of the bounce mailbox holding `message` as UID 5, flagged once recognised.
QList<QByteArray> TestBounceConsole::mailboxScript(const QByteArray &message) const
{
    return lines({"S: * OK [CAPABILITY IMAP4rev1] fake ready",
                  "C: R0001 LOGIN \"bob\" \"secret\"",
                  "S: R0001 OK logged in",
                  "C: R0002 SELECT \"INBOX\"",
                  "S: * 1 EXISTS",
                  "S: * OK [UIDVALIDITY 77] UIDs valid",
                  "S: R0002 OK [READ-WRITE] selected",
                  "C: R0003 UID SEARCH UNSEEN UID 1:*",
                  "S: * SEARCH 5",
                  "S: R0003 OK done",
                  "C: R0004 UID FETCH 5 (UID BODY.PEEK[])",
                  "S: * 1 FETCH (UID 5 BODY[] {" + QByteArray::number(message.size()) + "}",
                  "S: " + message + ")",
                  "S: R0004 OK fetched",
                  "C: R0005 UID STORE 5 +FLAGS.SILENT (\\Seen)",
                  "S: R0005 OK stored",
                  "C: R0006 LOGOUT",
                  "S: * BYE see you",
                  "S: R0006 OK bye",
                  "X"});
}

void TestBounceConsole::bouncedRowIsRedWithTheDiagnosticInItsTooltip()
{
    QVERIFY(bounce(m_jon));
    openWindow();
    const int jon = rowOf(m_jon), pat = rowOf(m_pat);
    QVERIFY(jon >= 0 && pat >= 0);
    UsersTableModel *model = m_page->model();
    QVERIFY(model->index(jon, 0).data(UsersTableModel::BouncedRole).toBool());
    QVERIFY(!model->index(pat, 0).data(UsersTableModel::BouncedRole).toBool());
    for (int column :
         {int(UsersTableModel::Name), int(UsersTableModel::Email), int(UsersTableModel::Status)}) {
        const QString tip = model->index(jon, column).data(Qt::ToolTipRole).toString();
        QVERIFY2(tip.contains(diagnostic) && tip.contains(QStringLiteral("bounced")),
                 qPrintable(tip));
        QVERIFY(!model->index(pat, column).data(Qt::ToolTipRole).toString().contains(diagnostic));
    }

    // What is painted: the bounced row's name in red, the other row's not.
    UsersTableView *view = m_page->view();
    view->clearSelection();
    const auto redPixels = [view](int row) {
        const QRect cell = view->visualRect(view->model()->index(row, UsersTableModel::Name));
        const QImage img = view->viewport()->grab(cell).toImage();
        int red = 0;
        for (int y = 0; y < img.height(); ++y)
            for (int x = 0; x < img.width(); ++x) {
                const QColor c = img.pixelColor(x, y);
                red += (c.red() - std::max(c.green(), c.blue()) > 60) ? 1 : 0;
            }
        return red;
    };
    QVERIFY2(redPixels(jon) > 5, "the bounced row's name is not red");
    QCOMPARE(redPixels(pat), 0);
}

void TestBounceConsole::bouncedRedReadsOnLightAndDarkPalettes()
{
    QPalette light;
    light.setColor(QPalette::Base, Qt::white);
    light.setColor(QPalette::Text, Qt::black);
    QPalette dark;
    dark.setColor(QPalette::Base, QColor(0x20, 0x20, 0x24));
    dark.setColor(QPalette::Text, QColor(0xee, 0xee, 0xee));
    for (const QPalette &p : {light, dark}) {
        const QColor red = UserRowDelegate::bouncedTextColor(p);
        QVERIFY(red.red() > red.green() + 60 && red.red() > red.blue() + 60);
        // Far enough from the background in lightness to read (WCAG-ish, in HSL terms).
        QVERIFY2(std::abs(red.lightness() - p.color(QPalette::Base).lightness()) > 80,
                 qPrintable(red.name()));
    }
}

void TestBounceConsole::bouncedViewListsOnlyBouncedInvitations()
{
    QVERIFY(bounce(m_jon));
    openWindow();
    auto *combo = m_page->findChild<QComboBox *>(QStringLiteral("viewCombo"));
    const int index = combo->findData(int(UserView::Bounced));
    QVERIFY(index >= 0);
    QCOMPARE(combo->itemText(index), QStringLiteral("Bounced invitations"));
    combo->setCurrentIndex(index);
    QTRY_COMPARE(m_page->model()->shownFilter().view, UserView::Bounced);
    QTRY_COMPARE(m_page->model()->rowCount(), 1);
    QCOMPARE(m_page->model()->userAt(0).id, m_jon);
    // The view shows the mail's state with the server's diagnostic.
    QVERIFY(!m_page->view()->isColumnHidden(UsersTableModel::MailState));
    QVERIFY2(m_page->model()
                 ->index(0, UsersTableModel::MailState)
                 .data()
                 .toString()
                 .contains(diagnostic),
             qPrintable(m_page->model()->index(0, UsersTableModel::MailState).data().toString()));
}

void TestBounceConsole::changeEmailFromTheRowMenu()
{
    QVERIFY(bounce(m_jon));
    openWindow();
    QMenu *menu = m_page->createMenuForRow(rowOf(m_jon));
    QVERIFY(menu);
    QAction *change = menu->findChild<QAction *>(QStringLiteral("changeEmailAction"));
    QVERIFY(change);
    QVERIFY2(change->isEnabled(), qPrintable(change->toolTip()));
    change->trigger();
    ChangeEmailDialog *dialog = nullptr;
    QTRY_VERIFY((dialog = m_page->findChild<ChangeEmailDialog *>()) != nullptr);
    QVERIFY(
        dialog->findChild<QLabel *>(QStringLiteral("bounceLabel"))->text().contains(diagnostic));
    auto *edit = dialog->findChild<QLineEdit *>(QStringLiteral("newEmailEdit"));
    auto *button = dialog->findChild<QPushButton *>(QStringLiteral("changeButton"));
    QCOMPARE(edit->text(), QStringLiteral("jon.smiht@bouncing.test"));
    QVERIFY(!button->isEnabled()); // the same address
    edit->selectAll();
    QTest::keyClicks(edit, QStringLiteral("jon.smith@example.com"));
    QVERIFY(button->isEnabled());
    QTest::mouseClick(button, Qt::LeftButton);
    QTRY_VERIFY(!m_page->findChild<ChangeEmailDialog *>());

    const UserRecord jon = m_org->user(m_jon);
    QCOMPARE(jon.email, QStringLiteral("jon.smith@example.com"));
    QCOMPARE(jon.mailState, QStringLiteral("queued"));
    QCOMPARE(jon.inviteCount, 2);
    // The row follows: the new address, no longer red.
    QTRY_COMPARE(m_page->model()->index(rowOf(m_jon), UsersTableModel::Email).data().toString(),
                 QStringLiteral("jon.smith@example.com"));
    QVERIFY(!m_page->model()->index(rowOf(m_jon), 0).data(UsersTableModel::BouncedRole).toBool());
    delete menu;
}

void TestBounceConsole::changeEmailRefusals()
{
    openWindow();
    auto *dialog =
        new ChangeEmailDialog(*m_org->db, m_org->clock, m_org->admin, m_org->user(m_jon), m_page);
    dialog->show();
    auto *edit = dialog->findChild<QLineEdit *>(QStringLiteral("newEmailEdit"));
    auto *problem = dialog->findChild<QLabel *>(QStringLiteral("problemLabel"));
    auto *button = dialog->findChild<QPushButton *>(QStringLiteral("changeButton"));

    // Invalid, as it is typed: the service's words, the button off.
    edit->setText(QStringLiteral("jon.smith@"));
    QCOMPARE(problem->text(), newEmailProblem(m_org->user(m_jon), QStringLiteral("jon.smith@")));
    QVERIFY(!problem->text().isEmpty());
    QVERIFY(!button->isEnabled());
    // The same address in other letters.
    edit->setText(QStringLiteral("JON.SMIHT@bouncing.test"));
    QCOMPARE(problem->text(),
             QStringLiteral("jon.smiht@bouncing.test is already this user's address."));
    QVERIFY(!button->isEnabled());
    // Another user's address: refused by the service on Change, the dialog stays open.
    edit->setText(QStringLiteral("pat@example.com"));
    QVERIFY(button->isEnabled());
    QTest::mouseClick(button, Qt::LeftButton);
    QVERIFY(dialog->isVisible());
    QCOMPARE(problem->text(), QStringLiteral("pat@example.com is already a user (Pat Pending)."));
    QCOMPARE(m_org->user(m_jon).email, QStringLiteral("jon.smiht@bouncing.test"));
    // Confirmed meanwhile (another console): the service refuses with its reason.
    QVERIFY(m_org->confirm(m_jon, QStringLiteral("a long enough password")));
    edit->setText(QStringLiteral("jon.smith@example.com"));
    QTest::mouseClick(button, Qt::LeftButton);
    QVERIFY(dialog->isVisible());
    QCOMPARE(problem->text(), changeEmailRefusal(admin(), m_org->user(m_jon))->message);
    QVERIFY(!dialog->outcome());
    delete dialog;
}

void TestBounceConsole::changeEmailEntryFollowsTheService()
{
    QVERIFY(m_org->service().setActive(m_pat, false));
    openWindow();
    for (const qint64 id : {m_carl, m_pat}) {
        QMenu *menu = m_page->createMenuForRow(rowOf(id));
        QVERIFY(menu);
        QAction *change = menu->findChild<QAction *>(QStringLiteral("changeEmailAction"));
        QVERIFY(change);
        const auto refusal = changeEmailRefusal(admin(), m_org->user(id));
        QVERIFY(refusal);
        QVERIFY(!change->isEnabled());
        QCOMPARE(change->toolTip(), refusal->message);
        // And the service refuses with the very same words.
        auto r = m_org->service().changeEmail(id, QStringLiteral("someone.new@example.com"));
        QVERIFY(!r);
        QCOMPARE(r.error().message, refusal->message);
        delete menu;
    }
}

void TestBounceConsole::reinviteOfABouncedAddressAsksFirst()
{
    QVERIFY(bounce(m_jon));
    openWindow();
    QList<BounceQuestion> asked;
    BounceChoice answer = BounceChoice::Cancel;
    m_page->setBounceAsker([&](const BounceQuestion &q) {
        asked << q;
        return answer;
    });
    // A user whose mail did not bounce is not asked about.
    m_page->reinvite(m_pat);
    QVERIFY(asked.isEmpty());
    QCOMPARE(m_org->user(m_pat).inviteCount, 2);

    // Cancel: nothing is sent.
    m_page->reinvite(m_jon);
    QCOMPARE(asked.size(), 1);
    QVERIFY(asked[0].single);
    QCOMPARE(asked[0].text, *bounceWarning(m_org->user(m_jon)));
    QVERIFY2(asked[0].text.startsWith(
                 QStringLiteral("The last invitation to this address bounced: 550 5.1.1")),
             qPrintable(asked[0].text));
    QCOMPARE(m_org->user(m_jon).inviteCount, 1);

    // Change email: the dialog opens instead of the re-invite.
    answer = BounceChoice::ChangeEmail;
    m_page->reinvite(m_jon);
    QTRY_VERIFY(m_page->findChild<ChangeEmailDialog *>());
    delete m_page->findChild<ChangeEmailDialog *>();
    QCOMPARE(m_org->user(m_jon).inviteCount, 1);

    // Re-invite anyway.
    answer = BounceChoice::ReinviteAnyway;
    m_page->reinvite(m_jon);
    QCOMPARE(asked.size(), 3);
    QCOMPARE(m_org->user(m_jon).inviteCount, 2);
    QCOMPARE(m_org->user(m_jon).mailState, QStringLiteral("queued"));
}

void TestBounceConsole::bulkReinviteSaysHowManyBouncedAndSkipsThem()
{
    QVERIFY(bounce(m_jon));
    openWindow();
    QList<BounceQuestion> asked;
    m_page->setBounceAsker([&](const BounceQuestion &q) {
        asked << q;
        return BounceChoice::SkipBounced;
    });
    InvitationService::Plan confirmed;
    m_page->setBulkConfirmer([&](const InvitationService::Plan &plan) {
        confirmed = plan;
        return true;
    });
    QSignalSpy finished(m_page, &UsersPage::bulkFinished);
    m_page->view()->clearSelection();
    m_page->view()->selectionModel()->select(m_page->model()->index(rowOf(m_jon), 0),
                                             QItemSelectionModel::Select |
                                                 QItemSelectionModel::Rows);
    m_page->view()->selectionModel()->select(m_page->model()->index(rowOf(m_pat), 0),
                                             QItemSelectionModel::Select |
                                                 QItemSelectionModel::Rows);
    m_page->reinviteSelected();
    QCOMPARE(asked.size(), 1);
    QVERIFY(!asked[0].single);
    QCOMPARE(asked[0].bounced, 1);
    QCOMPARE(asked[0].total, 2);
    QCOMPARE(confirmed.eligible.size(), 1);
    QCOMPARE(confirmed.eligible[0].id, m_pat);
    QCOMPARE(confirmed.skipped.size(), 1);
    QVERIFY(confirmed.skipped[0].reason.contains(diagnostic));
    QTRY_COMPARE(finished.size(), 1);
    QCOMPARE(m_org->user(m_pat).inviteCount, 2);
    QCOMPARE(m_org->user(m_jon).inviteCount, 1);
}

void TestBounceConsole::settingsPageSavesTheBounceSection()
{
    openWindow();
    m_window->showPage(MainWindow::Page::EmailSettings);
    auto *page = m_window->findChild<EmailSettingsPage *>(QStringLiteral("emailSettingsPage"));
    QVERIFY(page);
    QCOMPARE(page->findChild<QLineEdit *>(QStringLiteral("bounceAddressEdit"))->text(),
             QStringLiteral("bounces@roster.test"));
    page->findChild<QLineEdit *>(QStringLiteral("bounceAddressEdit"))
        ->setText(QStringLiteral("returns@roster.test"));
    page->findChild<QLineEdit *>(QStringLiteral("imapHostEdit"))
        ->setText(QStringLiteral("imap.roster.test"));
    page->findChild<QSpinBox *>(QStringLiteral("imapPortSpin"))->setValue(1143);
    auto *security = page->findChild<QComboBox *>(QStringLiteral("imapSecurityCombo"));
    security->setCurrentIndex(security->findData(QStringLiteral("starttls")));
    page->findChild<QLineEdit *>(QStringLiteral("imapUserEdit"))->setText(QStringLiteral("bob"));
    page->findChild<QLineEdit *>(QStringLiteral("imapPasswordEdit"))
        ->setText(QStringLiteral("Mailbox-Secret-77"));
    page->findChild<QLineEdit *>(QStringLiteral("imapFolderEdit"))
        ->setText(QStringLiteral("Bounces"));
    QVERIFY2(page->save(),
             qPrintable(page->findChild<QLabel *>(QStringLiteral("problemLabel"))->text()));
    const OrgSettings s = OrgSettings::load(*m_org->db).value();
    QCOMPARE(s.bounceAddress, QStringLiteral("returns@roster.test"));
    QCOMPARE(s.imapHost, QStringLiteral("imap.roster.test"));
    QCOMPARE(s.imapPort, 1143);
    QCOMPARE(s.imapSecurity, QStringLiteral("starttls"));
    QCOMPARE(s.imapUser, QStringLiteral("bob"));
    QCOMPARE(s.imapMailbox, QStringLiteral("Bounces"));
    QVERIFY(!s.imapPasswordSealed.isEmpty());
    QVERIFY(!s.imapPasswordSealed.contains(QStringLiteral("Mailbox-Secret-77")));
    QCOMPARE(Sealer::forDatabase(*m_org->db)->unseal(s.imapPasswordSealed, imapPasswordContext),
             QByteArray("Mailbox-Secret-77"));
    // Audited, as rosterctl's bounces configure is.
    QSqlQuery q = m_org->db->prepare(
        QStringLiteral("SELECT detail FROM audit_log WHERE action = 'settings.bounces'"));
    QVERIFY(m_org->db->exec(q));
    QVERIFY(q.next());
    QCOMPARE(q.value(0).toString(),
             QStringLiteral("address returns@roster.test; imap imap.roster.test:1143 starttls "
                            "Bounces"));
    // Saved again without typing the password: the stored one stays, and the unchanged section
    // is not written (nor audited) again.
    QVERIFY(page->findChild<QLineEdit *>(QStringLiteral("imapPasswordEdit"))->text().isEmpty());
    QVERIFY(page->save());
    QCOMPARE(OrgSettings::load(*m_org->db)->imapPasswordSealed, s.imapPasswordSealed);
    QVERIFY(m_org->db->exec(q));
    int entries = 0;
    while (q.next())
        ++entries;
    QCOMPARE(entries, 1);
    // A changed port is saved with the stored password kept.
    page->findChild<QSpinBox *>(QStringLiteral("imapPortSpin"))->setValue(1993);
    QVERIFY2(page->save(),
             qPrintable(page->findChild<QLabel *>(QStringLiteral("problemLabel"))->text()));
    QCOMPARE(OrgSettings::load(*m_org->db)->imapPort, 1993);
    QCOMPARE(OrgSettings::load(*m_org->db)->imapPasswordSealed, s.imapPasswordSealed);
}

void TestBounceConsole::settingsPageRefusesInTheServicesWords()
{
    openWindow();
    m_window->showPage(MainWindow::Page::EmailSettings);
    auto *page = m_window->findChild<EmailSettingsPage *>(QStringLiteral("emailSettingsPage"));
    auto *problem = page->findChild<QLabel *>(QStringLiteral("problemLabel"));
    auto *address = page->findChild<QLineEdit *>(QStringLiteral("bounceAddressEdit"));
    address->setText(QStringLiteral("bounces+x@roster.test"));
    QVERIFY(!page->save());
    QCOMPARE(problem->text(),
             QStringLiteral("The bounce address must not hold '+': Roster adds +TAG to it."));
    QCOMPARE(problem->text(), MailSettingsService::bounceAddressProblem(address->text()));
    address->setText(QStringLiteral("bounces@roster.test"));
    page->findChild<QLineEdit *>(QStringLiteral("imapHostEdit"))
        ->setText(QStringLiteral("imap roster.test"));
    page->findChild<QLineEdit *>(QStringLiteral("imapUserEdit"))->setText(QStringLiteral("bob"));
    page->findChild<QLineEdit *>(QStringLiteral("imapPasswordEdit"))->setText(QStringLiteral("pw"));
    QVERIFY(!page->save());
    QCOMPARE(problem->text(), QStringLiteral("The host holds a space."));
    page->findChild<QLineEdit *>(QStringLiteral("imapHostEdit"))
        ->setText(QStringLiteral("imap.roster.test"));
    page->findChild<QLineEdit *>(QStringLiteral("imapCaFileEdit"))
        ->setText(QStringLiteral("/nonexistent/ca.pem"));
    QVERIFY(!page->save());
    QCOMPARE(problem->text(), QStringLiteral("Cannot read the CA file /nonexistent/ca.pem."));
    // Nothing of it was written.
    QVERIFY(OrgSettings::load(*m_org->db)->imapHost.isEmpty());

    // The permission is the service's, checked where it writes: a User Manager is refused.
    const qint64 manager =
        m_org->add(QStringLiteral("Mia Manager"), QStringLiteral("mia@example.com"),
                   QStringLiteral("User Manager"));
    QVERIFY(m_org->confirm(manager, QStringLiteral("another long password")));
    MailSettingsService service(*m_org->db, m_org->clock, manager);
    BounceSettingsChange c;
    c.address = QStringLiteral("returns@roster.test");
    const Status s = service.saveBounces(c);
    QVERIFY(!s);
    QCOMPARE(s.error().kind, ErrorKind::Refused);
    QCOMPARE(s.error().message,
             QStringLiteral("Only an Administrator may change the mail settings."));
}

void TestBounceConsole::testButtonCountsUnseenWithoutBlocking()
{
    FakeSmtpServer server(
        lines({"S: * OK [CAPABILITY IMAP4rev1] fake ready", "C: R0001 LOGIN \"bob\" \"secret\"",
               "S: R0001 OK logged in", "C: R0002 SELECT \"Bounces\"", "S: * 9 EXISTS",
               "S: * OK [UIDVALIDITY 77] UIDs valid", "S: R0002 OK [READ-WRITE] selected",
               "C: R0003 UID SEARCH UNSEEN UID 1:*", "S: * SEARCH 4 7 9", "S: R0003 OK done",
               "C: R0004 LOGOUT", "S: * BYE see you", "S: R0004 OK bye", "X"}));
    openWindow();
    m_window->showPage(MainWindow::Page::EmailSettings);
    auto *page = m_window->findChild<EmailSettingsPage *>(QStringLiteral("emailSettingsPage"));
    page->findChild<QLineEdit *>(QStringLiteral("imapHostEdit"))
        ->setText(QStringLiteral("127.0.0.1"));
    page->findChild<QSpinBox *>(QStringLiteral("imapPortSpin"))->setValue(server.port());
    auto *security = page->findChild<QComboBox *>(QStringLiteral("imapSecurityCombo"));
    security->setCurrentIndex(security->findData(QStringLiteral("none")));
    page->findChild<QCheckBox *>(QStringLiteral("imapAllowPlainCheck"))->setChecked(true);
    page->findChild<QLineEdit *>(QStringLiteral("imapUserEdit"))->setText(QStringLiteral("bob"));
    page->findChild<QLineEdit *>(QStringLiteral("imapPasswordEdit"))
        ->setText(QStringLiteral("secret"));
    page->findChild<QLineEdit *>(QStringLiteral("imapFolderEdit"))
        ->setText(QStringLiteral("Bounces"));
    auto *button = page->findChild<QPushButton *>(QStringLiteral("testMailboxButton"));
    auto *status = page->findChild<QLabel *>(QStringLiteral("mailboxStatusLabel"));
    QSignalSpy tested(page, &EmailSettingsPage::mailboxTested);
    QTest::mouseClick(button, Qt::LeftButton);
    // The click returned before the server was even reached: the session runs on the event loop.
    QCOMPARE(tested.size(), 0);
    QVERIFY(!button->isEnabled());
    QCOMPARE(status->text(), QStringLiteral("Signing in to 127.0.0.1…"));
    QVERIFY(tested.wait(20000));
    QCOMPARE(tested[0][0].toBool(), true);
    QCOMPARE(status->text(),
             QStringLiteral("Signed in to 127.0.0.1: 3 unseen messages in Bounces."));
    QVERIFY(button->isEnabled());
    QVERIFY(server.scriptDone());
    QVERIFY2(server.problems().isEmpty(), qPrintable(server.problems().join(u'\n')));
    // Nothing was fetched, flagged or saved.
    QVERIFY(OrgSettings::load(*m_org->db)->imapHost.isEmpty());
}

void TestBounceConsole::testButtonSaysWhySignInFailed()
{
    FakeSmtpServer server(
        lines({"S: * OK fake ready", "C: R0001 LOGIN \"bob\" \"wrong\"",
               "S: R0001 NO [AUTHENTICATIONFAILED] Authentication failed.", "X"}));
    configureMailbox(server.port()); // saved with "secret"
    openWindow();
    m_window->showPage(MainWindow::Page::EmailSettings);
    auto *page = m_window->findChild<EmailSettingsPage *>(QStringLiteral("emailSettingsPage"));
    QCOMPARE(page->findChild<QLineEdit *>(QStringLiteral("imapHostEdit"))->text(),
             QStringLiteral("127.0.0.1"));
    page->findChild<QLineEdit *>(QStringLiteral("imapPasswordEdit"))
        ->setText(QStringLiteral("wrong"));
    QSignalSpy tested(page, &EmailSettingsPage::mailboxTested);
    page->testMailbox();
    QVERIFY(tested.wait(20000));
    QCOMPARE(tested[0][0].toBool(), false);
    const QString text = page->findChild<QLabel *>(QStringLiteral("mailboxStatusLabel"))->text();
    QVERIFY2(text.startsWith(QStringLiteral("The bounce mailbox cannot be read: ")),
             qPrintable(text));
    QVERIFY2(text.contains(QStringLiteral("Authentication failed")), qPrintable(text));
}

void TestBounceConsole::workerReadsTheMailboxAndTheRowTurnsRed()
{
    QByteArray dsn = sample("postfix-dsn-failure.eml");
    dsn.replace("k7m2qx4ab5cd6efg", tagOf(m_jon).toLatin1());
    FakeSmtpServer server(mailboxScript(dsn));
    configureMailbox(server.port());
    openWindow();
    QVERIFY(!m_page->model()->index(rowOf(m_jon), 0).data(UsersTableModel::BouncedRole).toBool());
    OutboxWorker *worker = m_window->outboxWorker();
    QSignalSpy fetched(worker, &OutboxWorker::bouncesFetched);
    worker->start(); // as the console does: the first reading of the mailbox at once
    QVERIFY(fetched.wait(30000));
    QCOMPARE(fetched[0][0].toInt(), 1);
    QCOMPARE(fetched[0][1].value<QList<qint64>>(), QList<qint64>{m_jon});
    QVERIFY(server.scriptDone());
    QVERIFY2(server.problems().isEmpty(), qPrintable(server.problems().join(u'\n')));
    QCOMPARE(m_org->user(m_jon).mailState, QStringLiteral("bounced"));
    // Live: the row turns red without a reload.
    QTRY_VERIFY(
        m_page->model()->index(rowOf(m_jon), 0).data(UsersTableModel::BouncedRole).toBool());
    QVERIFY(m_page->model()
                ->index(rowOf(m_jon), UsersTableModel::Name)
                .data(Qt::ToolTipRole)
                .toString()
                .contains(diagnostic));
}

void TestBounceConsole::quittingDuringAFetchIsSafe()
{
    // The server greets, then says nothing more: the session waits in LOGIN when the console quits.
    FakeSmtpServer server(lines({"S: * OK fake ready", "C: R0001 LOGIN \"bob\" \"secret\""}));
    configureMailbox(server.port());
    OutboxWorker worker(m_org->dbPath(), m_org->clock);
    QSignalSpy failed(&worker, &OutboxWorker::bounceFetchFailed);
    QSignalSpy fetched(&worker, &OutboxWorker::bouncesFetched);
    worker.start(60 * 60 * 1000, 60 * 60 * 1000);         // the first fetch at once
    QTRY_VERIFY_WITH_TIMEOUT(server.scriptDone(), 20000); // LOGIN is waiting for its answer
    worker.stop(); // ends the session: the thread is gone, and reports nothing afterwards
    QVERIFY(!worker.isRunning());
    // The session was ended, not left waiting for the server (it would for a minute).
    QTRY_VERIFY(server.clientGone());
    QCoreApplication::processEvents();
    QCOMPARE(fetched.size(), 0);
    QCOMPARE(failed.size(), 0);
    QCOMPARE(m_org->user(m_jon).mailState, QStringLiteral("sent"));
}

QTEST_MAIN(TestBounceConsole)
#include "tst_bounceconsole.moc"
