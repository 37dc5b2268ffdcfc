#pragma once

#include "ui/userformdialog.h"

namespace roster {

// Add New User / Add Portal User: checks the fields as they are typed, then adds the user and
// queues the first invitation through UserService (the same path as a re-invite). A refusal
// (duplicate email, …) is shown in the dialog, which stays open with what was typed.
class AddUserDialog final : public UserFormDialog
{
    Q_OBJECT

public:
    AddUserDialog(Database &db, const Clock &clock, const Session &session, UserKind kind,
                  QWidget *parent = nullptr);

private:
    Check check() const override;
    QString submit(UserService &service) override;
};

} // namespace roster
