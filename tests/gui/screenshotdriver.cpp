// Puts the real console into the states docs/screenshots show (hovered row, open row menu,
// Unconfirmed view, a bounced row's tooltip, the change-email dialog, the Email settings page's
// bounce section), for `import -window root` under xvfb. Not a test: see docs/console.md.
//   roster_screenshot_driver --db PATH --stage users|hover|menu|unconfirmed|bounced|changeemail|
//                                              bounces
// Signs in with ROSTER_AS / ROSTER_PASSWORD.

#include "app/authservice.h"
#include "models/userstablemodel.h"
#include "translations/translator.h"
#include "ui/emailsettingspage.h"
#include "ui/mainwindow.h"
#include "ui/userspage.h"
#include "ui/userstableview.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QElapsedTimer>
#include <QLineEdit>
#include <QMenu>
#include <QPalette>
#include <QPushButton>
#include <QScrollArea>
#include <QTest>
#include <QTimer>
#include <QToolTip>

using namespace roster;

int main(int argc, char **argv)
{
    QApplication app(argc, argv);
    // As roster does: LANG=de_DE.UTF-8 takes the German screenshot.
    roster::installTranslations();
    QCommandLineParser parser;
    parser.addOption({QStringLiteral("db"), QStringLiteral("database"), QStringLiteral("PATH")});
    parser.addOption(
        {QStringLiteral("stage"), QStringLiteral("what to show"), QStringLiteral("STAGE")});
    parser.addOption({QStringLiteral("dark"), QStringLiteral("a dark Fusion palette")});
    parser.process(app);
    if (parser.isSet(QStringLiteral("dark"))) {
        QApplication::setStyle(QStringLiteral("Fusion"));
        QPalette p;
        p.setColor(QPalette::Window, QColor(0x2b, 0x2d, 0x30));
        p.setColor(QPalette::WindowText, QColor(0xe6, 0xe6, 0xe6));
        p.setColor(QPalette::Base, QColor(0x1e, 0x1f, 0x22));
        p.setColor(QPalette::AlternateBase, QColor(0x26, 0x28, 0x2b));
        p.setColor(QPalette::Text, QColor(0xe6, 0xe6, 0xe6));
        p.setColor(QPalette::Button, QColor(0x3a, 0x3d, 0x41));
        p.setColor(QPalette::ButtonText, QColor(0xe6, 0xe6, 0xe6));
        p.setColor(QPalette::Highlight, QColor(0x2f, 0x6f, 0xb3));
        p.setColor(QPalette::HighlightedText, Qt::white);
        p.setColor(QPalette::PlaceholderText, QColor(0x90, 0x90, 0x90));
        QApplication::setPalette(p);
    }
    auto db = Database::open(parser.value(QStringLiteral("db")));
    if (!db)
        qFatal("%s", qPrintable(db.error().message));
    AuthService auth(*db.value(), processClock());
    auto session =
        auth.signIn(qEnvironmentVariable("ROSTER_AS"), qEnvironmentVariable("ROSTER_PASSWORD"));
    if (!session)
        qFatal("%s", qPrintable(session.error().message));
    MainWindow window(std::move(db).value(), processClock(), session.value());
    window.show();
    const QString stage = parser.value(QStringLiteral("stage"));
    QTimer::singleShot(800, &window, [&] {
        UsersPage *page = window.usersPage();
        // A view is read beside the table: its rows arrive a moment after setView().
        const auto showView = [page](UserView v) {
            page->setView(v);
            QElapsedTimer waited;
            waited.start();
            while (page->model()->isLoading() && waited.elapsed() < 30000)
                QCoreApplication::processEvents(QEventLoop::WaitForMoreEvents, 10);
        };
        UsersTableView *view = page->view();
        auto rowWhere = [&](UserStatus s) {
            for (int r = 0; r < 30; ++r)
                if (page->model()->userAt(r).status(processClock().nowMs()) == s)
                    return r;
            return 3;
        };
        if (stage == u"unconfirmed") {
            showView(UserView::Unconfirmed);
            const int r = 4;
            QTest::mouseMove(
                view->viewport(),
                view->visualRect(page->model()->index(r, UsersTableModel::Name)).center());
            return;
        }
        if (stage == u"users")
            return;
        // The first bounced user among the rows on show (UsersTableModel::BouncedRole).
        const auto bouncedRow = [page] {
            for (int r = 0; r < std::min(200, page->model()->rowCount()); ++r)
                if (page->model()->index(r, 0).data(UsersTableModel::BouncedRole).toBool())
                    return r;
            return -1;
        };
        if (stage == u"bounced") {
            const int r = bouncedRow();
            if (r < 0)
                qFatal("no bounced user among the first rows");
            const QModelIndex email = page->model()->index(r, UsersTableModel::Email);
            view->scrollTo(email);
            const QPoint at = view->visualRect(email).center();
            QTest::mouseMove(view->viewport(), at);
            QToolTip::showText(view->viewport()->mapToGlobal(at + QPoint(0, 12)),
                               email.data(Qt::ToolTipRole).toString(), view->viewport());
            return;
        }
        if (stage == u"changeemail") {
            const int r = bouncedRow();
            if (r < 0)
                qFatal("no bounced user among the first rows");
            const UserRecord user = page->model()->userAt(r);
            page->changeEmail(user.id);
            // The address as the administrator corrects it: the domain's typo fixed.
            if (auto *edit = page->findChild<QLineEdit *>(QStringLiteral("newEmailEdit"))) {
                edit->setText(user.email.section(u'@', 0, 0).section(u'.', 0, 1) +
                              QStringLiteral("@fabrikam.example"));
                edit->setFocus();
            }
            return;
        }
        if (stage == u"bounces") {
            window.showPage(MainWindow::Page::EmailSettings);
            auto *email =
                window.findChild<EmailSettingsPage *>(QStringLiteral("emailSettingsPage"));
            if (auto *area = email->findChild<QScrollArea *>())
                area->ensureWidgetVisible(
                    email->findChild<QWidget *>(QStringLiteral("bounceGroup")));
            email->testMailbox();
            return;
        }
        if (stage == u"end") {
            // Ctrl+End on the whole list, then the Unconfirmed view, timed (stderr).
            QElapsedTimer t;
            t.start();
            view->setFocus();
            QTest::keyClick(view, Qt::Key_End, Qt::ControlModifier);
            view->viewport()->repaint();
            qInfo("Ctrl+End painted in %lld ms (row %d of %d)", t.elapsed(),
                  view->currentIndex().row(), page->model()->rowCount());
            t.restart();
            showView(UserView::Unconfirmed);
            view->viewport()->repaint();
            qInfo("Unconfirmed view painted in %lld ms (%d rows)", t.elapsed(),
                  page->model()->rowCount());
            return;
        }
        if (stage == u"portal") {
            window.showPage(MainWindow::Page::PortalUsers);
            return;
        }
        if (stage == u"email") {
            window.showPage(MainWindow::Page::EmailSettings);
            return;
        }
        if (stage == u"add") {
            page->addUser();
            return;
        }
        if (stage == u"bulk") {
            showView(UserView::Unconfirmed);
            view->selectAll();
            // A deactivated and a confirmed user in the selection too.
            showView(UserView::All);
            view->selectionModel()->select(
                QItemSelection(page->model()->index(0, 0), page->model()->index(40, 0)),
                QItemSelectionModel::Select | QItemSelectionModel::Rows);
            page->reinviteSelected();
            return;
        }
        const int row = rowWhere(UserStatus::Expired);
        const QModelIndex name = page->model()->index(row, UsersTableModel::Name);
        QTest::mouseMove(view->viewport(), view->visualRect(name).center());
        if (stage == u"menu") {
            const QModelIndex gear = page->model()->index(row, UsersTableModel::Actions);
            QTest::mouseMove(view->viewport(), view->visualRect(gear).center());
            QTest::mouseClick(view->viewport(), Qt::LeftButton, {},
                              view->visualRect(gear).center());
            QTimer::singleShot(300, &window, [page] {
                if (QMenu *m = page->openMenu()) {
                    // Point at the disabled entry, so its reason shows in the status bar.
                    const auto actions = m->actions();
                    for (QAction *a : actions)
                        if (!a->isEnabled() && !a->isSeparator()) {
                            m->setActiveAction(a);
                            break;
                        }
                }
            });
        }
    });
    return QApplication::exec();
}
