#include "ui/mainwindow.h"

#include "app/outboxworker.h"
#include "ui/auditpage.h"
#include "ui/emailsettingspage.h"
#include "ui/profilespage.h"
#include "ui/userspage.h"
#include "ui/userstableview.h"
#include "ui/vectoricon.h"

#include <QAction>
#include <QApplication>
#include <QCloseEvent>
#include <QHeaderView>
#include <QKeySequence>
#include <QLabel>
#include <QMenuBar>
#include <QSettings>
#include <QSplitter>
#include <QStackedWidget>
#include <QStatusBar>
#include <QTreeWidget>
#include <QTreeWidgetItemIterator>

namespace roster {

MainWindow::MainWindow(std::unique_ptr<Database> db, const Clock &clock, const Session &session,
                       bool startDelivery, QWidget *parent)
    : QMainWindow(parent), m_db(std::move(db)), m_clock(clock), m_session(session),
      m_worker(new OutboxWorker(m_db->location(), clock, this)), m_nav(new QTreeWidget(this)),
      m_stack(new QStackedWidget(this))
{
    setObjectName(QStringLiteral("mainWindow"));
    setWindowTitle(tr("Roster — %1").arg(m_db->displayName()));
    setWindowIcon(vectorIcon(QStringLiteral(":/icons/roster.svg")));

    m_users = new UsersPage(*m_db, clock, session, UserKind::Crm, m_worker, this);
    auto *profiles = new ProfilesPage(*m_db, this);
    m_portalUsers = new UsersPage(*m_db, clock, session, UserKind::Portal, m_worker, this);
    auto *email = new EmailSettingsPage(*m_db, clock, session, m_worker, this);
    auto *audit = new AuditPage(*m_db, this);
    for (QWidget *w : {static_cast<QWidget *>(m_users), static_cast<QWidget *>(profiles),
                       static_cast<QWidget *>(m_portalUsers), static_cast<QWidget *>(email),
                       static_cast<QWidget *>(audit)})
        m_stack->addWidget(w);
    for (UsersPage *p : {m_users, m_portalUsers})
        connect(p, &UsersPage::statusMessage, this, &MainWindow::showStatus);
    connect(email, &EmailSettingsPage::statusMessage, this, &MainWindow::showStatus);
    connect(m_worker, &OutboxWorker::failed, this, [this](const QString &m) {
        showStatus(tr("Mail delivery: %1 The mail stays queued.").arg(m), 0);
    });
    connect(m_worker, &OutboxWorker::bounceFetchFailed, this, [this](const QString &m) {
        showStatus(tr("Bounce mailbox: %1 It is read again in a few minutes.").arg(m), 0);
    });

    m_nav->setObjectName(QStringLiteral("navigation"));
    m_nav->setHeaderHidden(true);
    m_nav->setRootIsDecorated(true);
    m_nav->setUniformRowHeights(true);
    m_nav->setAccessibleName(tr("Setup"));
    auto *setup = new QTreeWidgetItem(m_nav, {tr("Setup")});
    setup->setFlags(Qt::ItemIsEnabled);
    auto *uap = new QTreeWidgetItem(setup, {tr("Users & Permissions")});
    uap->setFlags(Qt::ItemIsEnabled);
    auto page = [](QTreeWidgetItem *parentItem, const QString &text, Page p) {
        auto *i = new QTreeWidgetItem(parentItem, {text});
        i->setData(0, Qt::UserRole, int(p));
        return i;
    };
    QTreeWidgetItem *usersItem = page(uap, tr("Users"), Page::Users);
    page(uap, tr("Profiles"), Page::Profiles);
    auto *portal = new QTreeWidgetItem(setup, {tr("Customer Portal")});
    portal->setFlags(Qt::ItemIsEnabled);
    page(portal, tr("Users"), Page::PortalUsers);
    page(setup, tr("Email settings"), Page::EmailSettings);
    page(setup, tr("Audit log"), Page::AuditLog);
    m_nav->expandAll();
    // Long (German, French) labels are elided when the page claims the width: the tooltip has
    // the whole label.
    for (QTreeWidgetItemIterator it(m_nav); *it; ++it)
        (*it)->setToolTip(0, (*it)->text(0));
    m_nav->setCurrentItem(usersItem);
    connect(m_nav, &QTreeWidget::currentItemChanged, this, [this](QTreeWidgetItem *item) {
        if (!item || !item->data(0, Qt::UserRole).isValid())
            return;
        m_stack->setCurrentIndex(item->data(0, Qt::UserRole).toInt());
        QMetaObject::invokeMethod(m_stack->currentWidget(), "refresh");
    });

    m_split = new QSplitter(this);
    m_split->setObjectName(QStringLiteral("mainSplitter"));
    m_split->addWidget(m_nav);
    m_split->addWidget(m_stack);
    m_split->setStretchFactor(1, 1);
    m_split->setSizes({220, 1180});
    m_split->setChildrenCollapsible(false);
    setCentralWidget(m_split);
    m_users->view()->setColumnSettingsGroup(QStringLiteral("columns/usersPage"));
    m_portalUsers->view()->setColumnSettingsGroup(QStringLiteral("columns/portalUsersPage"));

    auto *fileMenu = menuBar()->addMenu(tr("&File"));
    auto *refresh = fileMenu->addAction(vectorIcon(QStringLiteral(":/icons/refresh.svg")),
                                        tr("&Refresh"), this, &MainWindow::refreshCurrent);
    refresh->setShortcut(QKeySequence::Refresh);
    refresh->setObjectName(QStringLiteral("refreshAction"));
    refresh->setStatusTip(tr("Read the current page again from the database (F5)"));
    auto *find = fileMenu->addAction(vectorIcon(QStringLiteral(":/icons/search.svg")),
                                     tr("&Find user"), this, &MainWindow::focusSearch);
    find->setShortcut(QKeySequence::Find);
    find->setObjectName(QStringLiteral("findAction"));
    find->setStatusTip(tr("Search the users by name or email (Ctrl+F)"));
    auto *deliver = fileMenu->addAction(tr("&Deliver queued mail now"), this,
                                        [this] { m_worker->deliverNow(); });
    deliver->setStatusTip(tr("Send every invitation that is waiting, without waiting for the "
                             "next automatic run"));
    fileMenu->addSeparator();
    deliver->setObjectName(QStringLiteral("deliverAction"));
    auto *quit = fileMenu->addAction(tr("&Quit"), this, &QWidget::close);
    quit->setShortcut(QKeySequence::Quit);
    quit->setObjectName(QStringLiteral("quitAction"));
    quit->setStatusTip(tr("Close Roster; queued mail waits for the next start"));
    auto *editMenu = menuBar()->addMenu(tr("&Edit"));
    // A text field keeps Ctrl+A for its own text (QLineEdit claims the standard key first).
    auto *selectAll =
        editMenu->addAction(tr("Select &all users"), this, &MainWindow::selectAllUsers);
    selectAll->setShortcut(QKeySequence::SelectAll);
    selectAll->setObjectName(QStringLiteral("selectAllAction"));
    selectAll->setStatusTip(tr("Select every user of the current view, e.g. to re-invite them"));
    auto *goMenu = menuBar()->addMenu(tr("&Go"));
    const QList<QPair<QString, Page>> goTo = {{tr("&Users"), Page::Users},
                                              {tr("&Profiles"), Page::Profiles},
                                              {tr("&Customer Portal users"), Page::PortalUsers},
                                              {tr("&Email settings"), Page::EmailSettings},
                                              {tr("&Audit log"), Page::AuditLog}};
    int n = 1;
    for (const auto &[text, p] : goTo) {
        auto *a = goMenu->addAction(text, this, [this, p = p] { showPage(p); });
        a->setShortcut(QKeySequence(Qt::CTRL | Qt::Key(Qt::Key_0 + n++)));
        a->setStatusTip(
            tr("Show the page %1 (%2)")
                .arg(QString(text).remove(u'&'), a->shortcut().toString(QKeySequence::NativeText)));
    }

    auto *who = new QLabel(tr("Signed in as %1").arg(session.email), this);
    statusBar()->addPermanentWidget(who);
    statusBar()->setObjectName(QStringLiteral("statusBar"));
    resize(1400, 860);
    restoreLayout();

    if (startDelivery)
        m_worker->start();
    m_users->view()->setFocus();
}

MainWindow::~MainWindow()
{
    // Stop delivery before the pages (and the GUI connection) go.
    m_worker->stop();
    delete takeCentralWidget();
}

void MainWindow::closeEvent(QCloseEvent *event)
{
    saveLayout();
    QMainWindow::closeEvent(event);
}

void MainWindow::saveLayout() const
{
    QSettings settings;
    settings.setValue(QStringLiteral("window/geometry"), saveGeometry());
    settings.setValue(QStringLiteral("window/state"), saveState());
    settings.setValue(QStringLiteral("window/splitter"), m_split->saveState());
}

void MainWindow::restoreLayout()
{
    const QSettings settings;
    restoreGeometry(settings.value(QStringLiteral("window/geometry")).toByteArray());
    restoreState(settings.value(QStringLiteral("window/state")).toByteArray());
    m_split->restoreState(settings.value(QStringLiteral("window/splitter")).toByteArray());
}

void MainWindow::selectAllUsers()
{
    auto *page = qobject_cast<UsersPage *>(m_stack->currentWidget());
    if (!page)
        return;
    page->view()->setFocus(Qt::ShortcutFocusReason);
    page->view()->selectAll();
}

void MainWindow::showPage(Page page)
{
    for (QTreeWidgetItemIterator it(m_nav); *it; ++it)
        if ((*it)->data(0, Qt::UserRole).isValid() &&
            (*it)->data(0, Qt::UserRole).toInt() == int(page))
            m_nav->setCurrentItem(*it);
}

void MainWindow::refreshCurrent()
{
    QMetaObject::invokeMethod(m_stack->currentWidget(), "refresh");
    showStatus(tr("Refreshed."), 2000);
}

void MainWindow::focusSearch()
{
    if (auto *p = qobject_cast<UsersPage *>(m_stack->currentWidget())) {
        p->focusSearch();
    } else {
        showPage(Page::Users);
        m_users->focusSearch();
    }
}

void MainWindow::showStatus(const QString &text, int timeoutMs)
{
    statusBar()->showMessage(text, timeoutMs);
}

} // namespace roster
