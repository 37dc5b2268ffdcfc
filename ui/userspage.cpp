#include "ui/userspage.h"

#include "app/bouncerules.h"
#include "app/orgsettings.h"
#include "app/outboxworker.h"
#include "models/changenotifier.h"
#include "models/userrepository.h"
#include "models/userstablemodel.h"
#include "ui/adduserdialog.h"
#include "ui/bulkreinvitejob.h"
#include "ui/changeemaildialog.h"
#include "ui/csvexport.h"
#include "ui/edituserdialog.h"
#include "ui/invitationhistorydialog.h"
#include "ui/userstableview.h"
#include "ui/vectoricon.h"

#include <QAction>
#include <QApplication>
#include <QClipboard>
#include <QComboBox>
#include <QDateTime>
#include <QDialog>
#include <QDialogButtonBox>
#include <QDir>
#include <QFileDialog>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QItemSelectionModel>
#include <QLabel>
#include <QLineEdit>
#include <QLocale>
#include <QMessageBox>
#include <QPlainTextEdit>
#include <QProgressDialog>
#include <QPushButton>
#include <QScrollBar>
#include <QSet>
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
    auto *title =
        new QLabel(kind == UserKind::Portal ? tr("Customer Portal Users") : tr("Users"), this);
    QFont tf = title->font();
    tf.setPointSizeF(tf.pointSizeF() * 1.4);
    tf.setBold(true);
    title->setFont(tf);

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
    m_search->setMinimumWidth(260);
    m_search->setAccessibleName(tr("Search"));

    m_countLabel->setObjectName(QStringLiteral("countLabel"));
    m_countLabel->setMinimumWidth(170);

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
                        emit statusMessage(
                            ids.size() == 1
                                ? tr("Sent an automatic reminder to 1 user.")
                                : tr("Sent automatic reminders to %1 users.").arg(ids.size()),
                            10000);
                    });
    }
    // Issue 5: other administrators' changes show up without a refresh. Known rows are re-read in
    // place; "reload" (new users, bulk changes, SQLite) re-counts, and only a changed count resets
    // the model, after which the scroll position and the selection are put back.
    // A change that arrives while a view, sort or search is being read is applied once its rows
    // are on show: the read may have been made just before the change.
    auto *notifier = new ChangeNotifier(db, this);
    const auto usersChanged = [this](const QList<qint64> &ids) {
        if (m_model->isLoading()) {
            m_allChangedWhileLoading = m_allChangedWhileLoading || ids.isEmpty();
            m_idsChangedWhileLoading += ids;
            return;
        }
        const int first = std::max(0, m_view->rowAt(0));
        int last = m_view->rowAt(m_view->viewport()->height() - 1);
        last = last < 0 ? std::min(m_model->rowCount() - 1, first + 100) : last;
        QList<qint64> changed = ids;
        if (changed.isEmpty()) {
            UserFilter f = m_model->filter();
            f.nowMs = m_clock.nowMs();
            auto count = UserRepository(m_db).count(f);
            if (count && count.value() != qint64(m_model->rowCount())) {
                const QList<qint64> selected = selectedUserIds();
                const int scroll = m_view->verticalScrollBar()->value();
                m_model->reload();
                m_view->verticalScrollBar()->setValue(scroll);
                QItemSelection selection;
                for (int row = first; row <= std::min(last, m_model->rowCount() - 1); ++row)
                    if (selected.contains(m_model->userAt(row).id))
                        selection.select(m_model->index(row, 0),
                                         m_model->index(row, UsersTableModel::ColumnCount - 1));
                m_view->selectionModel()->select(selection, QItemSelectionModel::ClearAndSelect);
                return;
            }
            for (int row = first; row <= last; ++row)
                changed.append(m_model->userAt(row).id);
        }
        m_model->refreshUsers(changed);
        updateButtons();
    };
    connect(notifier, &ChangeNotifier::usersChanged, this, usersChanged);

    m_confirmBulk = [this](const InvitationService::Plan &plan) { return confirmBulkDialog(plan); };
    m_askBounce = [this](const BounceQuestion &q) { return askAboutBounce(this, q); };

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
    connect(m_model, &UsersTableModel::loadingChanged, this, [this, usersChanged](bool loading) {
        if (loading) {
            m_busyDelay->start();
        } else {
            m_busyDelay->stop();
            updateCount(m_model->rowCount());
            if (m_allChangedWhileLoading || !m_idsChangedWhileLoading.isEmpty()) {
                // Queued: this runs inside the model's filter change or load.
                QTimer::singleShot(0, this, [this, usersChanged] {
                    const bool all = m_allChangedWhileLoading;
                    if ((!all && m_idsChangedWhileLoading.isEmpty()) || m_model->isLoading())
                        return;
                    const QList<qint64> ids = all ? QList<qint64>() : m_idsChangedWhileLoading;
                    m_allChangedWhileLoading = false;
                    m_idsChangedWhileLoading.clear();
                    usersChanged(ids);
                });
            }
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
    const QString num = QLocale().toString(n);
    QString text;
    // The rows on show, which lag the search box while a search loads.
    const bool searching = !m_model->shownFilter().search.trimmed().isEmpty();
    switch (m_model->shownFilter().view) {
    default: // All, and views added later
        text = n == 1 ? tr("1 user") : tr("%1 users").arg(num);
        break;
    case UserView::Active:
        text = n == 1 ? tr("1 active user") : tr("%1 active users").arg(num);
        break;
    case UserView::Inactive:
        text = n == 1 ? tr("1 inactive user") : tr("%1 inactive users").arg(num);
        break;
    case UserView::Unconfirmed:
        text = n == 1 ? tr("1 unconfirmed user") : tr("%1 unconfirmed users").arg(num);
        break;
    case UserView::Confirmed:
        text = n == 1 ? tr("1 confirmed user") : tr("%1 confirmed users").arg(num);
        break;
    case UserView::Admins:
        text = n == 1 ? tr("1 administrator") : tr("%1 administrators").arg(num);
        break;
    case UserView::ExpiringSoon:
        text =
            n == 1 ? tr("1 invitation expiring soon") : tr("%1 invitations expiring soon").arg(num);
        break;
    case UserView::FailedMail:
        text = n == 1 ? tr("1 failed invitation") : tr("%1 failed invitations").arg(num);
        break;
    case UserView::Requested:
        text = n == 1 ? tr("1 user asked for a new invitation")
                      : tr("%1 users asked for a new invitation").arg(num);
        break;
    case UserView::Bounced:
        text = n == 1 ? tr("1 bounced invitation") : tr("%1 bounced invitations").arg(num);
        break;
    }
    if (searching)
        text = tr("%1 matching").arg(text);
    m_countLabel->setText(text);
}

void UsersPage::updateButtons()
{
    int selected = 0;
    const QItemSelection selection = m_view->selectionModel()->selection();
    for (const QItemSelectionRange &r : selection)
        if (r.left() == 0) // one range per row block (rows are selected whole)
            selected += r.height();
    m_reinviteButton->setEnabled(selected > 0);
    m_reinviteButton->setText(selected > 1 ? tr("&Re-invite %1 selected").arg(selected)
                                           : tr("&Re-invite selected"));
}

QList<qint64> UsersPage::selectedUserIds() const
{
    // By ranges, not by row: Ctrl+A on a long view is one range of many thousand rows.
    QList<qint64> ids;
    const QItemSelection selection = m_view->selectionModel()->selection();
    for (const QItemSelectionRange &r : selection)
        ids += m_model->userIds(r.top(), r.bottom());
    // Ranges of a row selection may repeat rows (one range per column block).
    QSet<qint64> seen;
    QList<qint64> unique;
    unique.reserve(ids.size());
    for (qint64 id : std::as_const(ids))
        if (!seen.contains(id)) {
            seen.insert(id);
            unique.append(id);
        }
    return unique;
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
    emit statusMessage(tr("Sending a new invitation to %1…").arg(r->user.email), 0);
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
        emit statusMessage(
            tr("Mail server unavailable — %1 (%2 invitations waiting); delivery will retry at %3.")
                .arg(reply)
                .arg(deferred)
                .arg(QLocale().toString(QDateTime::fromMSecsSinceEpoch(retryAt).time(),
                                        QLocale::ShortFormat)),
            0);
    for (const DeliveryReport &r : reports) {
        const auto it = m_awaitingDelivery.constFind(r.outboxId);
        if (it == m_awaitingDelivery.cend())
            continue;
        const QString email = *it;
        m_awaitingDelivery.erase(it);
        if (r.state == u"sent")
            emit statusMessage(tr("Invitation sent to %1.").arg(email), 10000);
        else if (r.state == u"deferred")
            emit statusMessage(
                tr("Queued — %1: %2; will retry at %3.")
                    .arg(email, r.reply,
                         QLocale().toString(QDateTime::fromMSecsSinceEpoch(r.nextAttemptAt).time(),
                                            QLocale::ShortFormat)),
                0);
        else
            emit statusMessage(tr("The invitation to %1 failed: %2").arg(email, r.reply), 0);
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
    emit statusMessage(
        active
            ? (r->confirmedAt ? tr("%1 is active again.").arg(r->email)
                              : tr("%1 is active again: re-invite them for a new invitation link.")
                                    .arg(r->email))
            : tr("%1 is deactivated: their invitation links stop working and unsent "
                 "invitation mail is cancelled.")
                  .arg(r->email),
        10000);
}

void UsersPage::copyEmail(qint64 userId)
{
    const int row = m_model->indexOf(userId);
    const UserRecord u = m_model->userAt(row);
    if (!u.isValid())
        return;
    QGuiApplication::clipboard()->setText(u.email);
    emit statusMessage(tr("Copied %1.").arg(u.email), 5000);
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
    emit statusMessage(
        tr("Copied a new invitation link for %1; earlier links stop working.").arg(r->user.email),
        10000);
}

bool UsersPage::confirmBulkDialog(const InvitationService::Plan &plan)
{
    QDialog dialog(this);
    dialog.setObjectName(QStringLiteral("bulkConfirmDialog"));
    dialog.setWindowTitle(tr("Re-invite users"));
    auto *layout = new QVBoxLayout(&dialog);
    const qsizetype n = plan.eligible.size();
    auto *head =
        new QLabel(n == 0   ? tr("None of the selected users can be re-invited now.")
                   : n == 1 ? tr("1 user will get a new invitation; earlier links stop working.")
                            : tr("%1 users will get a new invitation; earlier links stop working.")
                                  .arg(QLocale().toString(qint64(n))),
                   &dialog);
    head->setWordWrap(true);
    layout->addWidget(head);
    if (!plan.skipped.isEmpty()) {
        layout->addWidget(new QLabel(
            plan.skipped.size() == 1 ? tr("1 user will be skipped:")
                                     : tr("%1 users will be skipped:")
                                           .arg(QLocale().toString(qint64(plan.skipped.size()))),
            &dialog));
        auto *list = new QPlainTextEdit(&dialog);
        list->setObjectName(QStringLiteral("skippedList"));
        list->setReadOnly(true);
        // Grouped by why, so that thirty "already confirmed" do not hide the one deactivated.
        int confirmed = 0, deactivated = 0, cooling = 0;
        QList<InvitationService::Skipped> ordered = plan.skipped;
        auto rank = [](const UserRecord &u) { return !u.active ? 0 : u.confirmedAt ? 2 : 1; };
        std::stable_sort(ordered.begin(), ordered.end(),
                         [&](const auto &a, const auto &b) { return rank(a.user) < rank(b.user); });
        for (const auto &s : ordered)
            ++(!s.user.active ? deactivated : s.user.confirmedAt ? confirmed : cooling);
        QStringList why;
        if (deactivated)
            why << tr("%1 deactivated (activate them first)").arg(deactivated);
        if (cooling)
            why << tr("%1 invited moments ago (cooldown)").arg(cooling);
        if (confirmed)
            why << tr("%1 already confirmed").arg(confirmed);
        auto *summary = new QLabel(why.join(QStringLiteral(" · ")), &dialog);
        summary->setObjectName(QStringLiteral("skipSummary"));
        summary->setWordWrap(true);
        layout->addWidget(summary);
        QStringList lines;
        for (const auto &s : ordered.mid(0, 1000))
            lines << s.reason;
        if (plan.skipped.size() > 1000)
            lines << tr("… and %1 more").arg(plan.skipped.size() - 1000);
        list->setPlainText(lines.join(u'\n'));
        layout->addWidget(list);
    }
    auto *buttons = new QDialogButtonBox(&dialog);
    if (n > 0) {
        auto *go =
            buttons->addButton(n == 1 ? tr("Re-invite 1 user")
                                      : tr("Re-invite %1 users").arg(QLocale().toString(qint64(n))),
                               QDialogButtonBox::AcceptRole);
        go->setDefault(true);
        buttons->addButton(QDialogButtonBox::Cancel);
    } else {
        buttons->addButton(QDialogButtonBox::Close);
    }
    connect(buttons, &QDialogButtonBox::accepted, &dialog, &QDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, &dialog, &QDialog::reject);
    layout->addWidget(buttons);
    dialog.resize(520, plan.skipped.isEmpty() ? 140 : 360);
    return dialog.exec() == QDialog::Accepted && n > 0;
}

void UsersPage::reinviteSelected()
{
    if (m_bulk)
        return;
    const QList<qint64> ids = selectedUserIds();
    if (ids.isEmpty())
        return;
    InvitationService service(m_db, m_clock, m_session.userId);
    auto plan = service.planReinvite(ids);
    if (!plan) {
        emit statusMessage(plan.error().message, 10000);
        return;
    }
    InvitationService::Plan chosen = plan.value();
    if (const qsizetype bounced = countBounced(chosen)) {
        const BounceChoice c = m_askBounce({QString(), bounced, ids.size(), false});
        if (c == BounceChoice::Cancel)
            return;
        if (c == BounceChoice::SkipBounced)
            skipBounced(chosen);
    }
    if (!m_confirmBulk(chosen) || chosen.eligible.isEmpty())
        return;
    QList<qint64> eligible;
    for (const UserRecord &u : chosen.eligible)
        eligible.append(u.id);

    auto *job = new BulkReinviteJob(m_db.location(), m_clock, m_session.userId, eligible, this);
    m_bulk = job;
    auto *progress = new QProgressDialog(tr("Re-inviting %1 users…").arg(eligible.size()),
                                         tr("Cancel"), 0, int(eligible.size()), this);
    progress->setObjectName(QStringLiteral("bulkProgress"));
    progress->setWindowTitle(tr("Re-invite users"));
    progress->setWindowModality(Qt::WindowModal);
    progress->setMinimumDuration(300);
    progress->setAutoClose(false);
    progress->setAutoReset(false);
    progress->setValue(0);
    m_progress = progress;
    connect(progress, &QProgressDialog::canceled, job, &BulkReinviteJob::cancel);
    connect(job, &BulkReinviteJob::progress, progress,
            [progress](qint64 done, qint64) { progress->setValue(int(done)); });
    connect(job, &BulkReinviteJob::finished, this,
            [this, job, progress, eligible](bool ok, const InvitationService::BulkResult &result,
                                            const QString &error) {
                progress->close();
                progress->deleteLater();
                job->deleteLater();
                QList<qint64> outboxIds;
                for (const InviteOutcome &o : result.invited)
                    outboxIds.append(o.outboxId);
                m_model->refreshUsers(eligible);
                // Every due message, not a list of ten thousand ids (bound values are capped).
                if (m_worker && !outboxIds.isEmpty())
                    m_worker->deliverNow();
                QString text = result.invited.size() == 1
                                   ? tr("Re-invited 1 user.")
                                   : tr("Re-invited %1 users.")
                                         .arg(QLocale().toString(qint64(result.invited.size())));
                if (!result.skipped.isEmpty())
                    text += u' ' + tr("Skipped %1 (changed meanwhile).").arg(result.skipped.size());
                if (result.cancelled)
                    text += u' ' + tr("Cancelled: the rest were not invited.");
                if (!ok)
                    text += u' ' + error;
                emit statusMessage(text, 0);
                emit bulkFinished(result);
            });
    job->start();
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
    emit statusMessage(tr("Added %1; sending the invitation…").arg(out.user.email), 0);
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
            emit statusMessage(tr("Saved %1.").arg(u->email), 10000);
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
    emit statusMessage(
        rows.value() == 1
            ? tr("Exported 1 row to %1.").arg(path)
            : tr("Exported %1 rows to %2.").arg(QLocale().toString(rows.value()), path),
        10000);
    return true;
}

} // namespace roster
