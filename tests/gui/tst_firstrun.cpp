// First run and everyday comfort: the welcome dialog creates an organisation and builds
// PostgreSQL URLs, the sign-in dialog switches database, the keyboard (Ctrl+F, F5, Ctrl+A over a
// long view without reading it, Delete doing nothing), and the window's layout remembered.

#include "guiorg.h"

#include "app/demodata.h"
#include "models/userstablemodel.h"
#include "ui/mainwindow.h"
#include "ui/signindialog.h"
#include "ui/userspage.h"
#include "ui/userstableview.h"
#include "ui/welcomedialog.h"

#include <QComboBox>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QSettings>
#include <QSpinBox>
#include <QStatusBar>
#include <QUrl>

using namespace roster;
using namespace roster::test;

class TestFirstRun final : public QObject
{
    Q_OBJECT

private slots:
    void createOrganisation();
    void createRefusesDifferentPasswords();
    void postgresUrl();
    void signInSwitchesDatabase();
    void keyboard();
    void selectAllReadsNoRows();
    void layoutRemembered();

private:
    std::unique_ptr<MainWindow> window(Org &org);
};

std::unique_ptr<MainWindow> TestFirstRun::window(Org &org)
{
    auto guiDb = org.db->reopen();
    if (!guiDb)
        return {};
    auto w = std::make_unique<MainWindow>(std::move(guiDb).value(), org.clock, org.admin, false);
    w->show();
    if (!QTest::qWaitForWindowExposed(w.get()))
        return {};
    return w;
}

void TestFirstRun::createOrganisation()
{
    QTemporaryDir dir;
    WelcomeDialog welcome;
    welcome.findChild<QLineEdit *>(QStringLiteral("orgNameEdit"))->setText(QStringLiteral("Acme"));
    welcome.findChild<QLineEdit *>(QStringLiteral("adminEmailEdit"))
        ->setText(QStringLiteral("root@acme.example"));
    welcome.findChild<QLineEdit *>(QStringLiteral("adminNameEdit"))
        ->setText(QStringLiteral("Rita Root"));
    welcome.findChild<QLineEdit *>(QStringLiteral("adminPasswordEdit"))->setText(adminPassword);
    welcome.findChild<QLineEdit *>(QStringLiteral("adminPassword2Edit"))->setText(adminPassword);
    const QString path = dir.filePath(QStringLiteral("acme.db"));
    QVERIFY(welcome.createOrganisation(path));
    QCOMPARE(welcome.location(), path);
    QCOMPARE(welcome.suggestedEmail(), QStringLiteral("root@acme.example"));
    // The new organisation opens, knows its name, and its administrator signs in.
    auto db = Database::open(path, Database::OpenMode::MustExist);
    QVERIFY(db);
    QCOMPARE(OrgSettings::load(*db.value())->organisation, QStringLiteral("Acme"));
    AuthService auth(*db.value(), processClock());
    QVERIFY(auth.signIn(QStringLiteral("root@acme.example"), adminPassword));
    // Never over an existing file.
    QVERIFY(!welcome.createOrganisation(path));
}

void TestFirstRun::createRefusesDifferentPasswords()
{
    QTemporaryDir dir;
    WelcomeDialog welcome;
    welcome.findChild<QLineEdit *>(QStringLiteral("orgNameEdit"))->setText(QStringLiteral("Acme"));
    welcome.findChild<QLineEdit *>(QStringLiteral("adminEmailEdit"))
        ->setText(QStringLiteral("root@acme.example"));
    welcome.findChild<QLineEdit *>(QStringLiteral("adminNameEdit"))
        ->setText(QStringLiteral("Rita Root"));
    welcome.findChild<QLineEdit *>(QStringLiteral("adminPasswordEdit"))->setText(adminPassword);
    welcome.findChild<QLineEdit *>(QStringLiteral("adminPassword2Edit"))
        ->setText(QStringLiteral("something else entirely"));
    const QString path = dir.filePath(QStringLiteral("acme.db"));
    QVERIFY(!welcome.createOrganisation(path));
    QVERIFY(!QFile::exists(path));
    auto *problem = welcome.findChild<QLabel *>(QStringLiteral("problemLabel"));
    QVERIFY(problem->text().contains(QStringLiteral("passwords differ")));
}

void TestFirstRun::postgresUrl()
{
    WelcomeDialog welcome;
    welcome.findChild<QLineEdit *>(QStringLiteral("pgHostEdit"))
        ->setText(QStringLiteral("db.example"));
    welcome.findChild<QSpinBox *>(QStringLiteral("pgPortSpin"))->setValue(6432);
    welcome.findChild<QLineEdit *>(QStringLiteral("pgDatabaseEdit"))
        ->setText(QStringLiteral("crm"));
    welcome.findChild<QLineEdit *>(QStringLiteral("pgUserEdit"))->setText(QStringLiteral("ad@m"));
    welcome.findChild<QLineEdit *>(QStringLiteral("pgPasswordEdit"))
        ->setText(QStringLiteral("p:w/d@x"));
    // Whatever QUrl escapes, the parts come back whole (Database::open reads it with QUrl).
    const QUrl url(welcome.postgresUrl(), QUrl::StrictMode);
    QVERIFY2(url.isValid(), qPrintable(welcome.postgresUrl()));
    QCOMPARE(url.scheme(), QStringLiteral("postgresql"));
    QCOMPARE(url.userName(), QStringLiteral("ad@m"));
    QCOMPARE(url.password(), QStringLiteral("p:w/d@x"));
    QCOMPARE(url.host(), QStringLiteral("db.example"));
    QCOMPARE(url.port(), 6432);
    QCOMPARE(url.path(), QStringLiteral("/crm"));
}

void TestFirstRun::signInSwitchesDatabase()
{
    Org org;
    QVERIFY(org.create());
    SignInDialog signIn(*org.db, org.clock);
    signIn.setRecentDatabases({org.db->displayName(), QStringLiteral("/srv/other.db")});
    auto *combo = signIn.findChild<QComboBox *>(QStringLiteral("databaseCombo"));
    QVERIFY(combo);
    // The open one, the other recent one (no duplicate), and "Other database…".
    QCOMPARE(combo->count(), 3);
    QCOMPARE(combo->itemText(1), QStringLiteral("/srv/other.db"));
    signIn.show();
    QVERIFY(QTest::qWaitForWindowExposed(&signIn));
    // Focus starts in the email field, as before.
    QCOMPARE(QApplication::focusWidget()->objectName(), QStringLiteral("emailEdit"));
    emit combo->activated(1);
    QCOMPARE(signIn.result(), int(SignInDialog::SwitchDatabase));
    QCOMPARE(signIn.switchTo(), QStringLiteral("/srv/other.db"));
}

void TestFirstRun::keyboard()
{
    Org org;
    QVERIFY(org.create());
    const qint64 pat = org.add(QStringLiteral("Pat Pending"), QStringLiteral("pat@example.com"));
    QVERIFY(pat);
    auto w = window(org);
    QVERIFY(w);
    w->activateWindow();
    QVERIFY(QTest::qWaitForWindowActive(w.get()));
    UsersTableView *view = w->usersPage()->view();

    // Ctrl+F: the search box.
    view->setFocus();
    QTest::keyClick(w.get(), Qt::Key_F, Qt::ControlModifier);
    QCOMPARE(QApplication::focusWidget()->objectName(), QStringLiteral("searchEdit"));
    // F5: refresh, said in the status bar.
    QTest::keyClick(w.get(), Qt::Key_F5);
    QVERIFY(!w->statusBar()->currentMessage().isEmpty());

    // Delete on a selected row changes nothing.
    view->setFocus();
    const int rows = view->model()->rowCount();
    int row = -1;
    for (int r = 0; r < rows; ++r)
        if (view->model()->index(r, 0).data(UsersTableModel::UserIdRole).toLongLong() == pat)
            row = r;
    QVERIFY(row >= 0);
    view->selectRow(row);
    const auto before = UserRepository(*org.db).byId(pat);
    QVERIFY(before);
    QTest::keyClick(view, Qt::Key_Delete);
    QTest::keyClick(view, Qt::Key_Backspace);
    // Whatever the keys queued runs before a call queued after them: once it has run, nothing
    // is still on its way.
    bool afterTheKeys = false;
    QMetaObject::invokeMethod(
        view, [&afterTheKeys] { afterTheKeys = true; }, Qt::QueuedConnection);
    QTRY_VERIFY(afterTheKeys);
    const auto after = UserRepository(*org.db).byId(pat);
    QVERIFY(after);
    QCOMPARE(after->active, before->active);
    QCOMPARE(after->inviteCount, before->inviteCount);
    QCOMPARE(view->model()->rowCount(), rows);
    QVERIFY(view->selectionModel()->isRowSelected(row, {}));
}

void TestFirstRun::selectAllReadsNoRows()
{
    Org org;
    QVERIFY(org.create());
    DemoOptions demo;
    demo.users = 50000;
    demo.portalUsers = 0;
    QVERIFY(generateDemoData(*org.db, org.clock, org.admin.userId, demo));
    auto w = window(org);
    QVERIFY(w);
    UsersTableView *view = w->usersPage()->view();
    auto *model = qobject_cast<UsersTableModel *>(view->model());
    QVERIFY(model);
    QVERIFY(model->rowCount() > 50000);
    QCoreApplication::processEvents();
    const int fetches = model->pageFetches();
    view->setFocus();
    QTest::keyClick(view, Qt::Key_A, Qt::ControlModifier);
    QCoreApplication::processEvents();
    // One range over every row; no page beyond what the screen shows was read.
    const QItemSelection sel = view->selectionModel()->selection();
    QCOMPARE(sel.size(), 1);
    QCOMPARE(sel.first().top(), 0);
    QCOMPARE(sel.first().bottom(), model->rowCount() - 1);
    QVERIFY2(model->pageFetches() - fetches <= 1,
             qPrintable(QString::number(model->pageFetches() - fetches)));
    // Typing into the table does not walk the rows either (QAbstractItemView's keyboard search).
    QTest::keyClicks(view, QStringLiteral("zz"));
    QVERIFY(model->pageFetches() - fetches <= 1);
}

void TestFirstRun::layoutRemembered()
{
    QSettings().clear();
    Org org;
    QVERIFY(org.create());
    {
        auto w = window(org);
        QVERIFY(w);
        w->resize(1250, 760);
        // A user drags the Name column wider (a release on the header saves it).
        UsersTableView *view = w->usersPage()->view();
        view->setColumnWidth(UsersTableModel::Name, 333);
        QTest::mouseRelease(view->horizontalHeader()->viewport(), Qt::LeftButton);
        QTRY_COMPARE(QSettings().value(view->columnSettingsKey()).toList().value(0).toInt(), 333);
        w->close();
    }
    auto w = window(org);
    QVERIFY(w);
    QCOMPARE(w->size(), QSize(1250, 760));
    QTRY_COMPARE(w->usersPage()->view()->columnWidth(UsersTableModel::Name), 333);
}

QTEST_MAIN(TestFirstRun)
#include "tst_firstrun.moc"
