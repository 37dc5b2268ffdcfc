#pragma once

#include "ui/userformdialog.h"

namespace roster {

// Change email and re-invite (SPEC §9), from the row menu or the bounce warning: the new address,
// checked as it is typed by the service's own newEmailProblem(); on Change, UserService::
// changeEmail changes it, revokes the open invitations and queues one to the new address, in one
// transaction. Its refusals (an address another user has, a user confirmed meanwhile) are shown
// in the dialog, which stays open with what was typed.
class ChangeEmailDialog final : public UserFormDialog
{
    Q_OBJECT

public:
    ChangeEmailDialog(Database &db, const Clock &clock, const Session &session,
                      const UserRecord &user, QWidget *parent = nullptr);

private:
    Check check() const override;
    QString submit(UserService &service) override;
};

} // namespace roster
