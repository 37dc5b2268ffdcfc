#pragma once

#include "models/userfilter.h"
#include "models/userrecord.h"

#include <QCoreApplication>
#include <QVariant>

namespace roster {

// What a cell of the users table shows for a user read: the display texts, tooltips and roles
// of UsersTableModel's columns, the status and mail words, the Invited column's calendar days,
// the headers. It reads nothing; UsersTableModel::data() asks it once it has the row. Its words
// keep the model's translation context.
class UserCellTexts
{
    Q_DECLARE_TR_FUNCTIONS(roster::UsersTableModel)

public:
    // Texts as at `now`, for the rows of `view` (the failed and bounced lists show the reply).
    UserCellTexts(qint64 now, UserView view);

    // `role` of `column` for `u`: any role answers() accepts but Qt::TextAlignmentRole.
    QVariant data(const UserRecord &u, int column, int role) const;
    QVariant display(const UserRecord &u, int column) const;
    QVariant tooltip(const UserRecord &u, int column) const;

    // The roles the model answers for a cell, its alignment aside.
    static bool answers(int role);
    static QVariant alignment(int column);
    // A horizontal header's `role`; the Profile column is "Account" for portal users.
    static QVariant header(int section, int role, UserKind kind);
    static QString formatDate(qint64 ms);
    static QString mailStateText(const QString &state);
    static QString requestedText();
    static QString loadingText();

private:
    qint64 m_now;
    UserView m_view;
};

} // namespace roster
