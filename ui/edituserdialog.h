#pragma once

#include "app/authservice.h"
#include "app/userservice.h"

#include <QDialog>

#include <optional>

class QComboBox;
class QDialogButtonBox;
class QLabel;
class QLineEdit;

namespace roster {

// Edit… from the row menu: the name, and the profile (CRM users) or the account (portal users).
// The email is shown, not editable: a new address is a new invitation. Saves through
// UserService::updateUser, whose refusals (last administrator, Manage Users and Administrator)
// are shown in the dialog, which stays open with what was typed.
class EditUserDialog final : public QDialog
{
    Q_OBJECT

public:
    EditUserDialog(Database &db, const Clock &clock, const Session &session, const UserRecord &user,
                   QWidget *parent = nullptr);

    std::optional<UserRecord> updated() const { return m_updated; }
    void accept() override;

private:
    void validate();

    Database &m_db;
    const Clock &m_clock;
    Session m_session;
    UserRecord m_user;
    QLineEdit *m_name;
    QLineEdit *m_email;
    QComboBox *m_profile = nullptr;
    QLineEdit *m_account = nullptr;
    QLabel *m_problem;
    QDialogButtonBox *m_buttons;
    std::optional<UserRecord> m_updated;
};

} // namespace roster
