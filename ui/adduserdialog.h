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

// Add New User / Add Portal User: checks the fields as they are typed, then adds the user and
// queues the first invitation through UserService (the same path as a re-invite). A refusal
// (duplicate email, …) is shown in the dialog, which stays open with what was typed.
class AddUserDialog final : public QDialog
{
    Q_OBJECT

public:
    AddUserDialog(Database &db, const Clock &clock, const Session &session, UserKind kind,
                  QWidget *parent = nullptr);

    std::optional<InviteOutcome> outcome() const { return m_outcome; }
    void accept() override;

private:
    void validate();

    Database &m_db;
    const Clock &m_clock;
    Session m_session;
    UserKind m_kind;
    QLineEdit *m_name;
    QLineEdit *m_email;
    QComboBox *m_profile = nullptr;
    QLineEdit *m_account = nullptr;
    QLabel *m_problem;
    QDialogButtonBox *m_buttons;
    std::optional<InviteOutcome> m_outcome;
};

} // namespace roster
