#pragma once

#include "app/authservice.h"
#include "app/userservice.h"

#include <QDialog>

#include <optional>

class QDialogButtonBox;
class QLabel;
class QLineEdit;

namespace roster {

// Change email and re-invite (SPEC §9), from the row menu or the bounce warning: the new address,
// checked as it is typed by the service's own newEmailProblem(); on Change, UserService::
// changeEmail changes it, revokes the open invitations and queues one to the new address, in one
// transaction. Its refusals (an address another user has, a user confirmed meanwhile) are shown
// in the dialog, which stays open with what was typed.
class ChangeEmailDialog final : public QDialog
{
    Q_OBJECT

public:
    ChangeEmailDialog(Database &db, const Clock &clock, const Session &session,
                      const UserRecord &user, QWidget *parent = nullptr);

    std::optional<InviteOutcome> outcome() const { return m_outcome; }
    void accept() override;

private:
    void validate();

    Database &m_db;
    const Clock &m_clock;
    Session m_session;
    UserRecord m_user;
    QLineEdit *m_email;
    QLabel *m_problem;
    QDialogButtonBox *m_buttons;
    std::optional<InviteOutcome> m_outcome;
};

} // namespace roster
