#include "ui/userspage.h"

#include "app/bouncerules.h"
#include "app/orgsettings.h"
#include "app/outboxworker.h"
#include "models/changenotifier.h"
#include "models/userrepository.h"
#include "models/userstablemodel.h"
#include "ui/adduserdialog.h"
#include "ui/bulkreinviteflow.h"
#include "ui/changeemaildialog.h"
#include "ui/csvexport.h"
#include "ui/edituserdialog.h"
#include "ui/invitationhistorydialog.h"
#include "ui/pagetitle.h"
#include "ui/userslivemerge.h"
#include "ui/userspagetexts.h"
#include "ui/userstableview.h"
#include "ui/vectoricon.h"

#include <QAction>
#include <QApplication>
#include <QClipboard>
#include <QComboBox>
#include <QDateTime>
#include <QDir>
#include <QFileDialog>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QItemSelectionModel>
#include <QLabel>
#include <QLineEdit>
#include <QLocale>
#include <QMessageBox>
#include <QProgressDialog>
#include <QPushButton>
#include <QTimer>
#include <QVBoxLayout>

namespace roster {

UsersPage::UsersPage(Database &db, const Clock &clock, const Session &session, UserKind kind,
                     OutboxWorker *worker, QWidget *parent)
    : QWidget(parent), m_db(db), m_clock(clock), m_session(session), m_kind(kind), m_worker(worker),
      m_model(new UsersTableModel(
          db, [&clock] { return clock.nowMs(); }, this)),
      m_view(new UsersTableView(this)), m_viewCombo(new QComboBox(this)),
      m_search(new QLineEdit(this)), m_countLabel(new QLabel(this)),
      m_addButton(new QPushButton(this)), m_reinviteButton(new QPushButton(this)),
      m_searchDelay(new QTimer(this)), m_busyDelay(new QTimer(this))
{
    setObjectName(kind == UserKind::Portal ? QStringLiteral("portalUsersPage")
                                           : QStringLiteral("usersPage"));
    QLabel *title =
        makePageTitle(kind == UserKind::Portal ? tr("Customer Portal Users") : tr("Users"), this);

    m_viewCombo->setObjectName(QStringLiteral("viewCombo"));
    const QList<QPair<QString, UserView>> views = {
        {tr("All users"), UserView::All},
        {tr("Active users"), UserView::Active},
        {tr("Inactive users"), UserView::Inactive},
        {tr("Unconfirmed users"), UserView::Unconfirmed},
        {tr("Confirmed users"), UserView::Confirmed},
        {tr("Administrators"), UserView::Admins},
        {tr("Invitations expiring soon"), UserView::ExpiringSoon},
        {tr("Failed invitations"), UserView::FailedMail},
        {tr("Asked for a new invitation"), UserView::Requested},
        {tr("Bounced invitations"), UserView::Bounced},
    };
    for (const auto &[text, v] : views)
        if (!(kind == UserKind::Portal && v == UserView::Admins))
            m_viewCombo->addItem(text, int(v));
    m_viewCombo->setAccessibleName(tr("View"));
    auto *viewLabel = new QLabel(tr("&View:"), this);
    viewLabel->setBuddy(m_viewCombo);

    m_search->setObjectName(QStringLiteral("searchEdit"));
    m_search->setPlaceholderText(tr("Search name or email (Ctrl+F)"));
    m_search->setClearButtonEnabled(true);
    m_search->addAction(vectorIcon(QStringLiteral(":/icons/search.svg")),
                        QLineEdit::LeadingPosition);
    m_search->setMinimumWidth(220);
    m_search->setAccessibleName(tr("Search"));

    m_countLabel->setObjectName(QStringLiteral("countLabel"));
    m_countLabel->setMinimumWidth(150);

    m_addButton->setObjectName(QStringLiteral("addUserButton"));
    m_addButton->setText(kind == UserKind::Portal ? tr("&Add Portal User…") : tr("&Add New User…"));
    m_addButton->setIcon(vectorIcon(QStringLiteral(":/icons/plus.svg")));
    m_reinviteButton->setObjectName(QStringLiteral("reinviteButton"));
    m_reinviteButton->setText(tr("&Re-invite selected"));
    m_reinviteButton->setIcon(vectorIcon(QStringLiteral(":/icons/mail.svg")));
    m_reinviteButton->setToolTip(tr("Send new invitations to the selected users who have not "
                                    "accepted theirs"));
    m_exportButton = new QPushButton(tr("E&xport CSV…"), this);
    m_exportButton->setObjectName(QStringLiteral("exportButton"));
    m_exportButton->setToolTip(tr("Save this view — its columns, search and order — as a CSV "
                                  "file for a spreadsheet"));

    m_view->setObjectName(QStringLiteral("usersTable"));
    m_view->setModel(m_model);
    auto *header = m_view->horizontalHeader();
    header->setSectionResizeMode(QHeaderView::Interactive);
    header->setStretchLastSection(false);
    header->setMinimumSectionSize(32);
    m_view->setColumnWidth(UsersTableModel::Name, 200);
    m_view->setColumnWidth(UsersTableModel::Email, 250);
    m_view->setColumnWidth(UsersTableModel::Profile, 130);
    m_view->setColumnWidth(UsersTableModel::Status, 240);
    m_view->setColumnWidth(UsersTableModel::Invited, 230);
    m_view->setColumnWidth(UsersTableModel::InvitedAt, 140);
    m_view->setColumnWidth(UsersTableModel::Expires, 130);
    m_view->setColumnWidth(UsersTableModel::TimesInvited, 100);
    m_view->setColumnWidth(UsersTableModel::LastInvitedBy, 130);
    m_view->setColumnWidth(UsersTableModel::MailState, 90);
    header->setSectionResizeMode(UsersTableModel::Actions, QHeaderView::Fixed);
    // The email takes what is left, so the gear column sits at the right edge, not in mid-air.
    header->setSectionResizeMode(UsersTableModel::Email, QHeaderView::Stretch);
    m_view->setColumnWidth(UsersTableModel::Actions, 36);

    auto *bar = new QHBoxLayout;
    bar->addWidget(viewLabel);
    bar->addWidget(m_viewCombo);
    bar->addSpacing(8);
    bar->addWidget(m_search, 1);
    bar->addSpacing(8);
    bar->addWidget(m_countLabel);
    bar->addStretch();
    bar->addWidget(m_exportButton);
    bar->addWidget(m_reinviteButton);
    bar->addWidget(m_addButton);

    auto *layout = new QVBoxLayout(this);
    layout->addWidget(title);
    layout->addLayout(bar);
    layout->addWidget(m_view, 1);

    m_searchDelay->setObjectName(QStringLiteral("searchDelay"));
    m_searchDelay->setSingleShot(true);
    m_searchDelay->setInterval(150);
    connect(m_searchDelay, &QTimer::timeout, this, &UsersPage::applyFilter);
    connect(m_search, &QLineEdit::textChanged, m_searchDelay, qOverload<>(&QTimer::start));
    connect(m_viewCombo, &QComboBox::currentIndexChanged, this, [this] {
        // A view opens in its own order (Unconfirmed: oldest invitation first).
        UserFilter f = m_model->filter();
        f.sort = UserFilter::defaultSort(currentView());
        f.descending = false;
        f.view = currentView();
        f.search = m_search->text();
        // Read beside the table like a search: the rows on show stay until the view's arrive.
        m_model->requestFilter(f);
    });
    connect(m_model, &UsersTableModel::countChanged, this, &UsersPage::updateCount);
    connect(m_model, &UsersTableModel::errorOccurred, this,
            [this](const QString &m) { emit statusMessage(m, 0); });
    connect(m_model, &QAbstractItemModel::modelReset, this, [this] {
        if (m_columnsView != m_model->shownFilter().view)
            updateColumns();
        updateButtons();
    });
    connect(m_view->selectionModel(), &QItemSelectionModel::selectionChanged, this,
            &UsersPage::updateButtons);
    connect(m_view, &UsersTableView::rowMenuRequested, this, &UsersPage::popupMenu);
    connect(m_view, &QAbstractItemView::activated, this, [this](const QModelIndex &i) {
        if (i.column() == UsersTableModel::Actions)
            return;
        // Enter on a row: its menu, the one place every action on a user lives.
        popupMenu(i.row(), m_view->viewport()->mapToGlobal(m_view->visualRect(i).bottomLeft()));
    });
    connect(m_addButton, &QPushButton::clicked, this, &UsersPage::addUser);
    connect(m_reinviteButton, &QPushButton::clicked, this, &UsersPage::reinviteSelected);
    connect(m_exportButton, &QPushButton::clicked, this, &UsersPage::exportView);
    m_chooseExportPath = [this] {
        const QString name = m_kind == UserKind::Portal ? tr("portal-users.csv") : tr("users.csv");
        return QFileDialog::getSaveFileName(this, tr("Export CSV"), QDir::home().filePath(name),
                                            tr("CSV files (*.csv)"));
    };
    if (m_worker) {
        connect(m_worker, &OutboxWorker::delivered, this, &UsersPage::onDelivered);
        connect(m_worker, &OutboxWorker::usersChanged, m_model, &UsersTableModel::refreshUsers);
        if (m_kind == UserKind::Crm)
            connect(m_worker, &OutboxWorker::remindersQueued, this,
                    [this](const QList<qint64> &ids) {
                        emit statusMessage(UsersPageTexts::remindersSent(ids.size()), 10000);
                    });
    }
    // Issue 5: other administrators' changes show up without a refresh (UsersLiveMerge).
    auto *notifier = new ChangeNotifier(db, this);
    m_live = new UsersLiveMerge(db, clock, m_model, m_view, this);
    connect(notifier, &ChangeNotifier::usersChanged, m_live, &UsersLiveMerge::usersChanged);
    connect(m_live, &UsersLiveMerge::merged, this, &UsersPage::updateButtons);

    m_askBounce = [this](const BounceQuestion &q) { return askAboutBounce(this, q); };
    m_bulk = new BulkReinviteFlow(db, clock, session.userId, worker, this);
    m_bulk->setBounceAsker([this](const BounceQuestion &q) { return m_askBounce(q); });
    connect(m_bulk, &BulkReinviteFlow::message, this, &UsersPage::statusMessage);
    connect(m_bulk, &BulkReinviteFlow::finished, this,
            [this](const InvitationService::BulkResult &result, const QString &text,
                   const QList<qint64> &affected) {
                m_model->refreshUsers(affected);
                emit statusMessage(text, 0);
                emit bulkFinished(result);
            });

    UserFilter f;
    f.kind = kind;
    f.view = UserView::All;
    f.sort = UserFilter::defaultSort(f.view);
    m_model->setFilter(f);
    // Search as you type reads on a second connection: a broad search on a million users never
    // holds the window, and the next key stops it inside the database.
    m_model->setBackgroundLoading(true);
    m_busyDelay->setSingleShot(true);
    m_busyDelay->setInterval(250);
    connect(m_busyDelay, &QTimer::timeout, this, [this] {
        if (!m_model->isLoading())
            return;
        const UserFilter wanted = m_model->filter(), shown = m_model->shownFilter();
        const bool sameRows = wanted.view == shown.view && wanted.sort == shown.sort &&
                              wanted.descending == shown.descending;
        m_countLabel->setText(sameRows ? tr("Searching…") : tr("Loading…"));
    });
    connect(m_model, &UsersTableModel::loadingChanged, this, [this](bool loading) {
        if (loading) {
            m_busyDelay->start();
        } else {
            m_busyDelay->stop();
            updateCount(m_model->rowCount());
        }
    });
    m_view->horizontalHeader()->setSortIndicator(UsersTableModel::Name, Qt::AscendingOrder);
    updateColumns();
    updateButtons();
}

UsersPage::~UsersPage()
{
    if (m_bulk)
        m_bulk->cancel();
}

UserView UsersPage::currentView() const
{
    return UserView(m_viewCombo->currentData().toInt());
}

void UsersPage::setView(UserView view)
{
    const int i = m_viewCombo->findData(int(view));
    if (i >= 0)
        m_viewCombo->setCurrentIndex(i);
}

void UsersPage::applyFilter()
{
    UserFilter f = m_model->filter();
    f.search = m_search->text();
    m_model->requestFilter(f);
}

void UsersPage::refresh()
{
    m_searchDelay->stop();
    UserFilter f = m_model->filter();
    f.search = m_search->text();
    m_model->setFilter(f);
    m_model->reload();
}

void UsersPage::focusSearch()
{
    m_search->setFocus(Qt::ShortcutFocusReason);
    m_search->selectAll();
}

void UsersPage::updateColumns()
{
    const UserView view = m_model->shownFilter().view;
    m_columnsView = view;
    const bool failed = view == UserView::FailedMail || view == UserView::Bounced;
    const bool unconfirmed = view == UserView::Unconfirmed || view == UserView::ExpiringSoon ||
                             view == UserView::Requested || failed;
    for (int c :
         {UsersTableModel::InvitedAt, UsersTableModel::Expires, UsersTableModel::TimesInvited,
          UsersTableModel::LastInvitedBy, UsersTableModel::MailState})
        m_view->setColumnHidden(c, !unconfirmed);
    // The Invited column says date + age; the Unconfirmed view spells it out in its own columns.
    m_view->setColumnHidden(UsersTableModel::Invited, unconfirmed);
    // The failed list is about the server's reply: room for it instead of expiry and inviter.
    m_view->setColumnHidden(UsersTableModel::Expires, !unconfirmed || failed);
    m_view->setColumnHidden(UsersTableModel::LastInvitedBy, !unconfirmed || failed);
    const UserFilter f = m_model->shownFilter();
    // Widths per view: the Unconfirmed view has five more columns, so its badge is the short one
    // and the email (stretched) keeps what is left.
    const QList<int> widths = failed        ? QList<int>{170, 0, 110, 100, 0, 135, 0, 60, 0, 330}
                              : unconfirmed ? QList<int>{170, 0, 110, 100, 0, 135, 140, 60, 110, 80}
                                            : QList<int>{200, 0, 130, 270, 220, 0, 0, 0, 0, 0};
    for (int c = 0; c < widths.size(); ++c)
        if (widths.at(c) > 0)
            m_view->setColumnWidth(c, widths.at(c));
    m_view->horizontalHeader()->blockSignals(true);
    int col = UsersTableModel::sortColumn(f.sort);
    if (unconfirmed && col == UsersTableModel::Invited)
        col = UsersTableModel::InvitedAt;
    m_view->horizontalHeader()->setSortIndicator(col, f.descending ? Qt::DescendingOrder
                                                                   : Qt::AscendingOrder);
    m_view->horizontalHeader()->blockSignals(false);
}

QString UsersPage::countText() const
{
    return m_countLabel->text();
}

void UsersPage::updateCount(qint64 n)
{
    // The rows on show, which lag the search box while a search loads.
    const UserFilter shown = m_model->shownFilter();
    m_countLabel->setText(UsersPageTexts::count(shown.view, n, !shown.search.trimmed().isEmpty()));
}

void UsersPage::updateButtons()
{
    int selected = 0;
    const QItemSelection selection = m_view->selectionModel()->selection();
    for (const QItemSelectionRange &r : selection)
        if (r.left() == 0) // one range per row block (rows are selected whole)
            selected += r.height();
    m_reinviteButton->setEnabled(selected > 0);
    m_reinviteButton->setText(UsersPageTexts::reinviteButton(selected));
}

QList<qint64> UsersPage::selectedUserIds() const
{
    return UsersLiveMerge::selectedUserIds(m_view, m_model);
}

void UsersPage::setBulkConfirmer(BulkConfirmer confirmer)
{
    m_bulk->setConfirmer(std::move(confirmer));
}

UserMenuContext UsersPage::menuContext()
{
    UserMenuContext ctx;
    ctx.nowMs = m_clock.nowMs();
    if (auto s = OrgSettings::load(m_db))
        ctx.cooldownMinutes = s->cooldownMinutes;
    ctx.actorId = m_session.userId;
    ctx.actorIsAdmin = m_session.isAdmin;
    return ctx;
}

QMenu *UsersPage::createMenuForRow(int row, QWidget *parent)
{
    const UserRecord user = m_model->userAt(row);
    if (!user.isValid())
        return nullptr;
    QMenu *menu = createUserMenu(user, menuContext(), parent ? parent : this);
    const qint64 id = user.id;
    connect(menu, &QMenu::triggered, this, [this, id](QAction *a) {
        switch (UserAction(a->data().toInt())) {
        case UserAction::Reinvite:
            reinvite(id);
            break;
        case UserAction::Activate:
            setActive(id, true);
            break;
        case UserAction::Deactivate:
            setActive(id, false);
            break;
        case UserAction::Edit:
            editUser(id);
            break;
        case UserAction::History:
            showHistory(id);
            break;
        case UserAction::CopyEmail:
            copyEmail(id);
            break;
        case UserAction::CopyInviteLink:
            copyInviteLink(id);
            break;
        case UserAction::ChangeEmail:
            changeEmail(id);
            break;
        }
    });
    return menu;
}

void UsersPage::popupMenu(int row, const QPoint &globalPos)
{
    if (m_menu)
        m_menu->close();
    QMenu *menu = createMenuForRow(row);
    if (!menu)
        return;
    menu->setAttribute(Qt::WA_DeleteOnClose);
    m_menu = menu;
    menu->popup(globalPos);
}

void UsersPage::reinvite(qint64 userId)
{
    if (!confirmBouncedReinvite(userId))
        return;
    InvitationService service(m_db, m_clock, m_session.userId);
    auto r = service.reinvite(userId);
    if (!r) {
        emit statusMessage(r.error().message, 10000);
        return;
    }
    // The row shows the new invitation (date, count, "Queued") before the mail goes out.
    m_model->refreshUsers({userId});
    m_awaitingDelivery.insert(r->outboxId, r->user.email);
    emit statusMessage(UsersPageTexts::sending(r->user.email), 0);
    if (m_worker)
        m_worker->deliverNow({r->outboxId});
}

void UsersPage::onDelivered(const QList<DeliveryReport> &reports)
{
    // Mail this page did not just send (reminders, retries, another console's queue): when the
    // server is away, say once that the worker will retry. The CRM page speaks for both pages.
    int deferred = 0;
    qint64 retryAt = 0;
    QString reply;
    for (const DeliveryReport &r : reports)
        if (r.state == u"deferred" && !m_awaitingDelivery.contains(r.outboxId)) {
            ++deferred;
            reply = r.reply;
            retryAt = retryAt ? std::min(retryAt, r.nextAttemptAt) : r.nextAttemptAt;
        }
    if (deferred && m_kind == UserKind::Crm)
        emit statusMessage(UsersPageTexts::serverUnavailable(reply, deferred, retryAt), 0);
    for (const DeliveryReport &r : reports) {
        const auto it = m_awaitingDelivery.constFind(r.outboxId);
        if (it == m_awaitingDelivery.cend())
            continue;
        const QString email = *it;
        m_awaitingDelivery.erase(it);
        emit statusMessage(UsersPageTexts::delivered(r, email), r.state == u"sent" ? 10000 : 0);
    }
}

void UsersPage::setActive(qint64 userId, bool active)
{
    UserService service(m_db, m_clock, m_session.userId);
    auto r = service.setActive(userId, active);
    if (!r) {
        emit statusMessage(r.error().message, 10000);
        return;
    }
    m_model->refreshUsers({userId});
    emit statusMessage(UsersPageTexts::activeChanged(r.value(), active), 10000);
}

void UsersPage::copyEmail(qint64 userId)
{
    const int row = m_model->indexOf(userId);
    const UserRecord u = m_model->userAt(row);
    if (!u.isValid())
        return;
    QGuiApplication::clipboard()->setText(u.email);
    emit statusMessage(UsersPageTexts::copiedEmail(u.email), 5000);
}

void UsersPage::copyInviteLink(qint64 userId)
{
    InvitationService service(m_db, m_clock, m_session.userId);
    auto r = service.copyInviteLink(userId);
    if (!r) {
        emit statusMessage(r.error().message, 10000);
        return;
    }
    QGuiApplication::clipboard()->setText(r->link);
    m_model->refreshUsers({userId});
    emit statusMessage(UsersPageTexts::copiedInviteLink(r->user.email), 10000);
}

void UsersPage::reinviteSelected()
{
    if (!m_bulk->isRunning())
        m_bulk->start(selectedUserIds());
}

bool UsersPage::confirmBouncedReinvite(qint64 userId)
{
    auto user = UserRepository(m_db).byId(userId);
    if (!user)
        return true; // the service says what is wrong
    const auto warning = bounceWarning(user.value());
    if (!warning)
        return true;
    switch (m_askBounce({*warning, 1, 1, true})) {
    case BounceChoice::ChangeEmail:
        changeEmail(userId);
        return false;
    case BounceChoice::ReinviteAnyway:
        return true;
    case BounceChoice::SkipBounced:
    case BounceChoice::Cancel:
        break;
    }
    return false;
}

void UsersPage::changeEmail(qint64 userId)
{
    auto user = UserRepository(m_db).byId(userId);
    if (!user) {
        emit statusMessage(user.error().message, 10000);
        return;
    }
    auto *dialog = new ChangeEmailDialog(m_db, m_clock, m_session, user.value(), this);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    connect(dialog, &QDialog::accepted, this, [this, dialog, userId] {
        const auto out = dialog->outcome();
        if (!out)
            return;
        m_model->refreshUsers({userId});
        m_awaitingDelivery.insert(out->outboxId, out->user.email);
        emit statusMessage(
            tr("Changed the address to %1; sending the invitation…").arg(out->user.email), 0);
        if (m_worker)
            m_worker->deliverNow({out->outboxId});
    });
    dialog->open();
}

void UsersPage::addUser()
{
    AddUserDialog dialog(m_db, m_clock, m_session, m_kind, this);
    if (dialog.exec() != QDialog::Accepted || !dialog.outcome())
        return;
    const InviteOutcome out = *dialog.outcome();
    m_model->reload();
    m_awaitingDelivery.insert(out.outboxId, out.user.email);
    emit statusMessage(UsersPageTexts::added(out.user.email), 0);
    if (m_worker)
        m_worker->deliverNow({out.outboxId});
    const int row = m_model->indexOf(out.user.id);
    if (row >= 0)
        m_view->selectRow(row);
}

void UsersPage::editUser(qint64 userId)
{
    // Read afresh: the cached row may be older than another console's change.
    auto user = UserRepository(m_db).byId(userId);
    if (!user) {
        emit statusMessage(user.error().message, 10000);
        return;
    }
    auto *dialog = new EditUserDialog(m_db, m_clock, m_session, user.value(), this);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    connect(dialog, &QDialog::accepted, this, [this, dialog, userId] {
        m_model->refreshUsers({userId});
        if (const auto u = dialog->updated())
            emit statusMessage(UsersPageTexts::saved(u->email), 10000);
    });
    dialog->open();
}

void UsersPage::showHistory(qint64 userId)
{
    auto user = UserRepository(m_db).byId(userId);
    if (!user) {
        emit statusMessage(user.error().message, 10000);
        return;
    }
    auto *dialog = new InvitationHistoryDialog(m_db, m_clock, m_session, user.value(), this);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    if (m_worker)
        connect(m_worker, &OutboxWorker::usersChanged, dialog,
                [dialog, userId](const QList<qint64> &ids) {
                    if (ids.contains(userId))
                        dialog->reload();
                });
    dialog->show();
}

QList<int> UsersPage::visibleColumns() const
{
    QList<int> columns;
    const QHeaderView *header = m_view->horizontalHeader();
    for (int visual = 0; visual < header->count(); ++visual) {
        const int logical = header->logicalIndex(visual);
        if (logical != UsersTableModel::Actions && !m_view->isColumnHidden(logical))
            columns.append(logical);
    }
    return columns;
}

void UsersPage::exportView()
{
    const QString path = m_chooseExportPath ? m_chooseExportPath() : QString();
    if (!path.isEmpty())
        exportCsv(path);
}

bool UsersPage::exportCsv(const QString &path)
{
    // What is on screen: a search typed in the last 150 ms counts too.
    if (m_searchDelay->isActive()) {
        m_searchDelay->stop();
        applyFilter();
    }
    // A view, sort or search still being read beside the table: read it now, so that the rows
    // and the columns written are the ones asked for.
    if (m_model->isLoading())
        m_model->setFilter(m_model->filter());
    QProgressDialog progress(tr("Exporting…"), tr("Cancel"), 0, 100, this);
    progress.setWindowModality(Qt::WindowModal);
    progress.setMinimumDuration(500);
    const Clock &clock = m_clock;
    auto rows = exportUsersCsv(
        m_db, m_model->shownFilter(), visibleColumns(), [&clock] { return clock.nowMs(); }, path,
        [&progress](qint64 done, qint64 total) {
            progress.setValue(total ? int(done * 100 / total) : 100);
            return !progress.wasCanceled();
        });
    if (!rows) {
        emit statusMessage(rows.error().message, 0);
        return false;
    }
    emit statusMessage(UsersPageTexts::exported(rows.value(), path), 10000);
    return true;
}

} // namespace roster
