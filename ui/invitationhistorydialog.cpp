#include "ui/invitationhistorydialog.h"

#include "models/userstablemodel.h"

#include <QDateTime>
#include <QDialogButtonBox>
#include <QHeaderView>
#include <QLabel>
#include <QLocale>
#include <QPushButton>
#include <QTableWidget>
#include <QVBoxLayout>

namespace roster {

namespace {
QString dateTime(qint64 ms)
{
    return QLocale().toString(QDateTime::fromMSecsSinceEpoch(ms), QLocale::ShortFormat);
}
} // namespace

InvitationHistoryDialog::InvitationHistoryDialog(Database &db, const Clock &clock,
                                                 const Session &session, const UserRecord &user,
                                                 QWidget *parent)
    : QDialog(parent), m_db(db), m_clock(clock), m_session(session), m_user(user),
      m_summary(new QLabel(this)), m_table(new QTableWidget(this))
{
    setObjectName(QStringLiteral("invitationHistoryDialog"));
    setWindowTitle(tr("Invitation history — %1").arg(user.email));
    m_summary->setObjectName(QStringLiteral("historySummary"));
    m_summary->setWordWrap(true);
    m_table->setObjectName(QStringLiteral("historyTable"));
    m_table->setColumnCount(ColumnCount);
    m_table->setHorizontalHeaderLabels(
        {tr("Sent at"), tr("By"), tr("Expires"), tr("Mail"), tr("Server reply"), tr("State")});
    m_table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->verticalHeader()->hide();
    m_table->horizontalHeader()->setSectionResizeMode(Reply, QHeaderView::Stretch);
    m_table->setAccessibleName(tr("Invitations of %1").arg(user.email));
    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Close, this);
    auto *refresh = buttons->addButton(tr("&Refresh"), QDialogButtonBox::ActionRole);
    connect(refresh, &QPushButton::clicked, this, &InvitationHistoryDialog::reload);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    auto *layout = new QVBoxLayout(this);
    layout->addWidget(m_summary);
    layout->addWidget(m_table, 1);
    layout->addWidget(buttons);
    resize(860, 360);
    reload();
}

void InvitationHistoryDialog::reload()
{
    InvitationService service(m_db, m_clock, m_session.userId);
    auto history = service.invitationHistory(m_user.id);
    m_table->setRowCount(0);
    if (!history) {
        m_summary->setText(history.error().message);
        return;
    }
    const qint64 now = m_clock.nowMs();
    const QList<InvitationInfo> &list = history.value();
    m_summary->setText(list.isEmpty() ? tr("%1 has never been invited.").arg(m_user.name)
                       : list.size() == 1
                           ? tr("%1 was invited once.").arg(m_user.name)
                           : tr("%1 was invited %2 times.").arg(m_user.name).arg(list.size()));
    m_table->setRowCount(int(list.size()));
    for (int row = 0; row < list.size(); ++row) {
        const InvitationInfo &i = list.at(row);
        const QString state = i.state(now);
        QString stateText;
        if (state == u"accepted")
            stateText = tr("Accepted %1").arg(dateTime(*i.acceptedAt));
        else if (state == u"revoked")
            stateText = tr("Revoked %1 (replaced)").arg(dateTime(*i.revokedAt));
        else if (state == u"expired")
            stateText = tr("Expired");
        else
            stateText = tr("Open");
        const QString mail = i.mailState.isEmpty() ? tr("Link copied (no mail)")
                                                   : UsersTableModel::mailStateText(i.mailState);
        const QStringList cells{dateTime(i.createdAt), i.createdBy, dateTime(i.expiresAt), mail,
                                i.mailReply,           stateText};
        for (int c = 0; c < ColumnCount; ++c) {
            auto *item = new QTableWidgetItem(cells.at(c));
            if (c == Reply && !i.mailReply.isEmpty())
                item->setToolTip(i.mailReply);
            if (c == State)
                item->setData(Qt::UserRole, state); // accepted | revoked | expired | open
            if (c == Mail)
                item->setData(Qt::UserRole, i.mailState);
            m_table->setItem(row, c, item);
        }
    }
    m_table->resizeColumnsToContents();
    m_table->horizontalHeader()->setSectionResizeMode(Reply, QHeaderView::Stretch);
}

} // namespace roster
