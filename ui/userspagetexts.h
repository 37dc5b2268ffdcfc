#pragma once

#include "app/outbox.h"
#include "app/userservice.h"
#include "models/userfilter.h"
#include "models/userrecord.h"

#include <QCoreApplication>
#include <QString>

namespace roster {

// The Users page's status texts, built in one place and testable without the page. They keep
// the page's translation context ("roster::UsersPage"), so the translations made for the page
// still apply.
class UsersPageTexts
{
    Q_DECLARE_TR_FUNCTIONS(roster::UsersPage)

public:
    // The count beside the search box: "1 user", "12 unconfirmed users", "3 users matching".
    static QString count(UserView view, qint64 n, bool searching);
    // The Re-invite button for `selected` rows.
    static QString reinviteButton(int selected);
    // What a bulk re-invite did: the committed ones, those skipped meanwhile, a cancel, and the
    // error of the batch that failed (`error` empty when none did).
    static QString bulkFinished(const InvitationService::BulkResult &result, const QString &error);
    static QString bulkProgress(qsizetype users);
    static QString bulkTitle();
    static QString cancel();
    static QString remindersSent(qsizetype users);
    static QString sending(const QString &email);
    static QString added(const QString &email);
    // A message this page sent, as the worker reported it.
    static QString delivered(const DeliveryReport &report, const QString &email);
    // Mail the page did not send, deferred because the server is away.
    static QString serverUnavailable(const QString &reply, int waiting, qint64 retryAtMs);
    static QString activeChanged(const UserRecord &user, bool active);
    static QString copiedEmail(const QString &email);
    static QString copiedInviteLink(const QString &email);
    static QString saved(const QString &email);
    static QString exported(qint64 rows, const QString &path);
};

} // namespace roster
