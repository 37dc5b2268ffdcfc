#include "ui/userspagetexts.h"

#include <QDateTime>
#include <QLocale>

namespace roster {

namespace {
QString timeOfDay(qint64 ms)
{
    return QLocale().toString(QDateTime::fromMSecsSinceEpoch(ms).time(), QLocale::ShortFormat);
}
} // namespace

QString UsersPageTexts::count(UserView view, qint64 n, bool searching)
{
    const QString num = QLocale().toString(n);
    QString text;
    switch (view) {
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
    return text;
}

QString UsersPageTexts::reinviteButton(int selected)
{
    return selected > 1 ? tr("&Re-invite %1 selected").arg(selected) : tr("&Re-invite selected");
}

QString UsersPageTexts::bulkFinished(const InvitationService::BulkResult &result,
                                     const QString &error)
{
    QString text =
        result.invited.size() == 1
            ? tr("Re-invited 1 user.")
            : tr("Re-invited %1 users.").arg(QLocale().toString(qint64(result.invited.size())));
    if (!result.skipped.isEmpty())
        text += u' ' + tr("Skipped %1 (changed meanwhile).").arg(result.skipped.size());
    if (result.cancelled)
        text += u' ' + tr("Cancelled: the rest were not invited.");
    if (!error.isEmpty())
        text += u' ' + error;
    return text;
}

QString UsersPageTexts::bulkProgress(qsizetype users)
{
    return tr("Re-inviting %1 users…").arg(users);
}

QString UsersPageTexts::bulkTitle()
{
    return tr("Re-invite users");
}

QString UsersPageTexts::cancel()
{
    return tr("Cancel");
}

QString UsersPageTexts::remindersSent(qsizetype users)
{
    return users == 1 ? tr("Sent an automatic reminder to 1 user.")
                      : tr("Sent automatic reminders to %1 users.").arg(users);
}

QString UsersPageTexts::sending(const QString &email)
{
    return tr("Sending a new invitation to %1…").arg(email);
}

QString UsersPageTexts::added(const QString &email)
{
    return tr("Added %1; sending the invitation…").arg(email);
}

QString UsersPageTexts::delivered(const DeliveryReport &r, const QString &email)
{
    if (r.state == u"sent")
        return tr("Invitation sent to %1.").arg(email);
    if (r.state == u"deferred")
        return tr("Queued — %1: %2; will retry at %3.")
            .arg(email, r.reply, timeOfDay(r.nextAttemptAt));
    return tr("The invitation to %1 failed: %2").arg(email, r.reply);
}

QString UsersPageTexts::serverUnavailable(const QString &reply, int waiting, qint64 retryAtMs)
{
    return tr("Mail server unavailable — %1 (%2 invitations waiting); delivery will retry at %3.")
        .arg(reply)
        .arg(waiting)
        .arg(timeOfDay(retryAtMs));
}

QString UsersPageTexts::activeChanged(const UserRecord &u, bool active)
{
    if (!active)
        return tr("%1 is deactivated: their invitation links stop working and unsent "
                  "invitation mail is cancelled.")
            .arg(u.email);
    return u.confirmedAt
               ? tr("%1 is active again.").arg(u.email)
               : tr("%1 is active again: re-invite them for a new invitation link.").arg(u.email);
}

QString UsersPageTexts::copiedEmail(const QString &email)
{
    return tr("Copied %1.").arg(email);
}

QString UsersPageTexts::copiedInviteLink(const QString &email)
{
    return tr("Copied a new invitation link for %1; earlier links stop working.").arg(email);
}

QString UsersPageTexts::saved(const QString &email)
{
    return tr("Saved %1.").arg(email);
}

QString UsersPageTexts::exported(qint64 rows, const QString &path)
{
    return rows == 1 ? tr("Exported 1 row to %1.").arg(path)
                     : tr("Exported %1 rows to %2.").arg(QLocale().toString(rows), path);
}

} // namespace roster
