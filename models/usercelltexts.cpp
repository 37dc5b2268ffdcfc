#include "models/usercelltexts.h"

#include "models/userstablemodel.h"

#include <QDateTime>
#include <QLocale>

#include <iterator>
#include <utility>

namespace roster {

UserCellTexts::UserCellTexts(qint64 now, UserView view) : m_now(now), m_view(view) {}

QString UserCellTexts::formatDate(qint64 ms)
{
    return QLocale().toString(QDateTime::fromMSecsSinceEpoch(ms).date(), QLocale::ShortFormat);
}

QString UserCellTexts::mailStateText(const QString &state)
{
    // The outbox's states as the Mail column words them; anything else shows nothing.
    static const std::pair<QStringView, const char *> words[] = {
        {u"queued", QT_TR_NOOP("Queued")},  {u"sending", QT_TR_NOOP("Sending")},
        {u"sent", QT_TR_NOOP("Sent")},      {u"deferred", QT_TR_NOOP("Will retry")},
        {u"failed", QT_TR_NOOP("Failed")},  {u"cancelled", QT_TR_NOOP("Cancelled")},
        {u"bounced", QT_TR_NOOP("Bounced")}};
    for (const auto &[name, word] : words)
        if (state == name)
            return tr(word);
    return {};
}

QString UserCellTexts::requestedText()
{
    return tr("asked for a new invitation");
}

QString UserCellTexts::loadingText()
{
    return tr("Loading…");
}

QVariant UserCellTexts::display(const UserRecord &u, int column) const
{
    using enum UsersTableModel::Column;
    const qint64 now = m_now;
    switch (column) {
    case Name:
        return u.name;
    case Email:
        return u.email;
    case Profile:
        return u.kind == UserKind::Portal ? u.account : u.profileName;
    case Status:
        if (u.asksForInvitation())
            return QString(u.statusText(now) + QStringLiteral(" · ") + requestedText());
        return u.statusText(now);
    case Invited:
        if (!u.invitedAt)
            return QString();
        {
            // Calendar days, as the date beside it is one (24-hour periods called an invitation
            // of 22:00 yesterday "today" at 02:00).
            const auto days = QDateTime::fromMSecsSinceEpoch(*u.invitedAt)
                                  .date()
                                  .daysTo(QDateTime::fromMSecsSinceEpoch(now).date());
            const QString age = days <= 0   ? tr("today")
                                : days == 1 ? tr("yesterday")
                                            : tr("%1 days ago").arg(days);
            return QString(formatDate(*u.invitedAt) + QStringLiteral(" (") + age + u')');
        }
    case InvitedAt:
        if (!u.invitedAt)
            return QString();
        return QString(
            formatDate(*u.invitedAt) + u' ' +
            QDateTime::fromMSecsSinceEpoch(*u.invitedAt).time().toString(QStringLiteral("HH:mm")));
    case Expires:
        if (!u.inviteExpiresAt || u.confirmedAt)
            return QString();
        {
            const int days = daysUntil(now, *u.inviteExpiresAt);
            if (*u.inviteExpiresAt > now)
                return days <= 1 ? tr("expires within a day") : tr("expires in %1 days").arg(days);
            return days == 0    ? tr("expired today")
                   : days == -1 ? tr("expired yesterday")
                                : tr("expired %1 days ago").arg(-days);
        }
    case TimesInvited:
        return u.inviteCount;
    case LastInvitedBy:
        return u.lastInvitedBy;
    case MailState:
        // The failed-invitations list shows the server's reply itself.
        if ((m_view == UserView::FailedMail || m_view == UserView::Bounced) &&
            !u.mailReply.isEmpty())
            return QString(mailStateText(u.mailState) + QStringLiteral(" — ") + u.mailReply);
        return mailStateText(u.mailState);
    case Actions:
        return QString();
    }
    return {};
}

QVariant UserCellTexts::tooltip(const UserRecord &u, int column) const
{
    using enum UsersTableModel::Column;
    if (u.lastInvitationBounced() && column != Actions)
        return QString(
            u.statusText(m_now) + u'\n' +
            tr("The last invitation to %1 bounced: %2")
                .arg(u.email, u.mailReply.isEmpty() ? tr("no diagnostic given") : u.mailReply));
    switch (column) {
    case MailState:
    case Status:
        if (!u.mailReply.isEmpty() && (u.mailState == u"deferred" || u.mailState == u"failed"))
            return QString(
                u.statusText(m_now) + u'\n' +
                tr("Invitation mail: %1 — %2").arg(mailStateText(u.mailState), u.mailReply));
        if (column == Status && u.asksForInvitation())
            return QString(
                u.statusText(m_now) + u'\n' +
                tr("Asked for a new invitation on %1")
                    .arg(QLocale().toString(QDateTime::fromMSecsSinceEpoch(*u.inviteRequestedAt),
                                            QLocale::LongFormat)));
        return column == Status ? QVariant(u.statusText(m_now)) : QVariant();
    case Invited:
    case InvitedAt:
        if (u.invitedAt)
            return tr("Invited %1 by %2; invitations so far: %3")
                .arg(QLocale().toString(QDateTime::fromMSecsSinceEpoch(*u.invitedAt),
                                        QLocale::LongFormat),
                     u.lastInvitedBy)
                .arg(u.inviteCount);
        return {};
    case Actions:
        return tr("Actions for %1 (Menu key or Shift+F10)").arg(u.name);
    default:
        return {};
    }
}

QVariant UserCellTexts::alignment(int column)
{
    return column == UsersTableModel::TimesInvited
               ? QVariant(int(Qt::AlignRight | Qt::AlignVCenter))
               : QVariant(int(Qt::AlignLeft | Qt::AlignVCenter));
}

bool UserCellTexts::answers(int role)
{
    using enum UsersTableModel::Role;
    switch (role) {
    case Qt::DisplayRole:
    case Qt::ToolTipRole:
    case Qt::AccessibleTextRole:
    case Qt::AccessibleDescriptionRole:
    case UserIdRole:
    case StatusRole:
    case MailStateRole:
    case EmailRole:
    case RequestedRole:
    case BouncedRole:
        return true;
    default:
        return false;
    }
}

QVariant UserCellTexts::data(const UserRecord &u, int column, int role) const
{
    using enum UsersTableModel::Column;
    using enum UsersTableModel::Role;
    switch (role) {
    case Qt::DisplayRole:
        return display(u, column);
    case Qt::AccessibleTextRole:
        return column == Actions ? tr("Actions for %1").arg(u.name) : display(u, column);
    case Qt::ToolTipRole:
    case Qt::AccessibleDescriptionRole: // screen readers: the gear's keys, the badge's sentence
        return tooltip(u, column);
    case UserIdRole:
        return u.id;
    case StatusRole:
        return int(u.status(m_now));
    case MailStateRole:
        return u.mailState;
    case EmailRole:
        return u.email;
    case RequestedRole:
        return u.asksForInvitation();
    case BouncedRole:
        return u.lastInvitationBounced();
    }
    return {};
}

QVariant UserCellTexts::header(int section, int role, UserKind kind)
{
    using enum UsersTableModel::Column;
    if (role == Qt::AccessibleTextRole && section == Actions)
        return tr("Actions");
    if (role != Qt::DisplayRole || section < 0 || section >= ColumnCount)
        return {};
    if (section == Actions)
        return QString(); // the gear's column has no title
    if (section == Profile && kind == UserKind::Portal)
        return tr("Account");
    // In the order of UsersTableModel::Column, up to the gear's column.
    static constexpr const char *titles[] = {
        QT_TR_NOOP("Name"),    QT_TR_NOOP("Email"),   QT_TR_NOOP("Profile"),
        QT_TR_NOOP("Status"),  QT_TR_NOOP("Invited"), QT_TR_NOOP("Invited at"),
        QT_TR_NOOP("Expires"), QT_TR_NOOP("Invites"), QT_TR_NOOP("Last invited by"),
        QT_TR_NOOP("Mail")};
    static_assert(std::size(titles) == Actions);
    return tr(titles[section]);
}

} // namespace roster
