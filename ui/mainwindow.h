#pragma once

#include "app/authservice.h"
#include "app/clock.h"
#include "models/database.h"

#include <QMainWindow>

#include <memory>

class QSplitter;
class QStackedWidget;
class QTreeWidget;
class QTreeWidgetItem;

namespace roster {

class OutboxWorker;
class UsersPage;

// Setup navigation on the left, the page on the right, outcomes in the status bar. Owns the
// database connection of the GUI thread and the background mail delivery.
class MainWindow final : public QMainWindow
{
    Q_OBJECT

public:
    enum class Page { Users, Profiles, PortalUsers, EmailSettings, AuditLog };

    MainWindow(std::unique_ptr<Database> db, const Clock &clock, const Session &session,
               bool startDelivery = true, QWidget *parent = nullptr);
    ~MainWindow() override;

    void showPage(Page page);
    UsersPage *usersPage() const { return m_users; }
    UsersPage *portalUsersPage() const { return m_portalUsers; }
    OutboxWorker *outboxWorker() const { return m_worker; }
    QTreeWidget *navigation() const { return m_nav; }

public slots:
    void refreshCurrent();
    // Ctrl+A: every row of the current users view (one selection range, however long).
    void selectAllUsers();
    void focusSearch();
    void showStatus(const QString &text, int timeoutMs = 0);

protected:
    void closeEvent(QCloseEvent *event) override;

private:
    void saveLayout() const;
    void restoreLayout();

    std::unique_ptr<Database> m_db;
    const Clock &m_clock;
    Session m_session;
    OutboxWorker *m_worker;
    QTreeWidget *m_nav;
    QStackedWidget *m_stack;
    QSplitter *m_split;
    UsersPage *m_users;
    UsersPage *m_portalUsers;
};

} // namespace roster
