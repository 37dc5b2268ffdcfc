#pragma once

#include "ui/userformdialog.h"

namespace roster {

// Edit… from the row menu: the name, and the profile (CRM users) or the account (portal users).
// The email is shown, not editable: a new address is a new invitation. Saves through
// UserService::updateUser, whose refusals (last administrator, Manage Users and Administrator)
// are shown in the dialog, which stays open with what was typed.
class EditUserDialog final : public UserFormDialog
{
    Q_OBJECT

public:
    EditUserDialog(Database &db, const Clock &clock, const Session &session, const UserRecord &user,
                   QWidget *parent = nullptr);

    std::optional<UserRecord> updated() const { return m_updated; }

private:
    Check check() const override;
    QString submit(UserService &service) override;

    std::optional<UserRecord> m_updated;
};

} // namespace roster
