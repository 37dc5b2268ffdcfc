#pragma once

#include "app/authservice.h"
#include "app/clock.h"
#include "app/outbox.h"
#include "app/userservice.h"
#include "models/database.h"
#include "models/userfilter.h"
#include "ui/bouncequestion.h"
#include "ui/bulkreinviteflow.h"
#include "ui/usermenu.h"

#include <QHash>
#include <QPointer>
#include <QWidget>

#include <functional>
#include <optional>

class QComboBox;
class QLabel;
class QLineEdit;
class QPushButton;
class QTimer;

namespace roster {

class BulkReinviteFlow;
class OutboxWorker;
class UsersTableModel;
class UsersTableView;
class UsersLiveMerge;

// Setup › Users & Permissions › Users, and Setup › Customer Portal › Users: one page class,
// configured by the kind of user it lists (issue 7).
class UsersPage final : public QWidget
{
    Q_OBJECT

public:
    UsersPage(Database &db, const Clock &clock, const Session &session, UserKind kind,
              OutboxWorker *worker, QWidget *parent = nullptr);
    ~UsersPage() override;

    UserKind kind() const { return m_kind; }
    UsersTableModel *model() const { return m_model; }
    UsersTableView *view() const { return m_view; }
    void setView(UserView view);
    UserView currentView() const;
    QString countText() const;

    // The row menu for `row` (also what the gear, right-click and the keyboard pop up).
    QMenu *createMenuForRow(int row, QWidget *parent = nullptr);
    // The menu popped up last, while it is open (tests).
    QMenu *openMenu() const { return m_menu; }

    // What a bulk re-invite asks before it starts; tests answer instead of a person (rule 8).
    using BulkConfirmer = BulkReinviteFlow::Confirmer;
    void setBulkConfirmer(BulkConfirmer confirmer);
    QList<qint64> selectedUserIds() const;
    // What a re-invite asks first when the last invitation bounced (SPEC §9); tests answer.
    using BounceAsker = std::function<BounceChoice(const BounceQuestion &question)>;
    void setBounceAsker(BounceAsker asker) { m_askBounce = std::move(asker); }

    // Where Export CSV… writes; tests answer instead of the file dialog (rule 8). Empty: cancel.
    using PathChooser = std::function<QString()>;
    void setExportPathChooser(PathChooser chooser) { m_chooseExportPath = std::move(chooser); }
    // The columns the table shows, in the order it shows them (what an export writes).
    QList<int> visibleColumns() const;
    // Writes the current view (columns, view, search, sort) to `path`; false with a status
    // message when it could not.
    bool exportCsv(const QString &path);

public slots:
    void refresh();
    void focusSearch();
    void reinvite(qint64 userId);
    void setActive(qint64 userId, bool active);
    void copyEmail(qint64 userId);
    void copyInviteLink(qint64 userId);
    void reinviteSelected();
    void addUser();
    void editUser(qint64 userId);
    void showHistory(qint64 userId);
    void exportView();
    // Change email and re-invite (SPEC §9): the dialog, then the new invitation's delivery.
    void changeEmail(qint64 userId);

signals:
    void statusMessage(const QString &text, int timeoutMs = 0);
    void bulkFinished(const roster::InvitationService::BulkResult &result);

private:
    void applyFilter();
    void updateCount(qint64 count);
    void updateColumns();
    void updateButtons();
    void popupMenu(int row, const QPoint &globalPos);
    void onDelivered(const QList<DeliveryReport> &reports);
    UserMenuContext menuContext();
    // false when the administrator cancelled or chose to change the address instead.
    bool confirmBouncedReinvite(qint64 userId);

    Database &m_db;
    const Clock &m_clock;
    Session m_session;
    UserKind m_kind;
    QPointer<OutboxWorker> m_worker;
    UsersTableModel *m_model;
    UsersTableView *m_view;
    QComboBox *m_viewCombo;
    QLineEdit *m_search;
    QLabel *m_countLabel;
    QPushButton *m_addButton;
    QPushButton *m_reinviteButton;
    QPushButton *m_exportButton = nullptr;
    PathChooser m_chooseExportPath;
    QTimer *m_searchDelay;
    QTimer *m_busyDelay; // "Searching…"/"Loading…" in the count label when a read takes a while
    // The view whose columns are on show: they change when its rows arrive, not with the combo.
    std::optional<UserView> m_columnsView;
    UsersLiveMerge *m_live = nullptr;
    QPointer<QMenu> m_menu;
    QHash<qint64, QString> m_awaitingDelivery; // outbox id → recipient, for the status bar
    BounceAsker m_askBounce;
    BulkReinviteFlow *m_bulk = nullptr;
};

} // namespace roster
