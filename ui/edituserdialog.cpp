#include "ui/edituserdialog.h"

#include "app/validation.h"

#include <QComboBox>
#include <QDialogButtonBox>
#include <QFormLayout>
#include <QLabel>
#include <QLineEdit>
#include <QVBoxLayout>

namespace roster {

EditUserDialog::EditUserDialog(Database &db, const Clock &clock, const Session &session,
                               const UserRecord &user, QWidget *parent)
    : UserFormDialog(db, clock, session, user, QStringLiteral("editUserDialog"), parent)
{
    setWindowTitle(tr("Edit %1").arg(user.email));
    QFormLayout *form = userFields(false, user.profileId);
    auto *note = new QLabel(tr("The email stays as it is: changing an address is a new "
                               "invitation (add the user with the new address)."),
                            this);
    note->setObjectName(QStringLiteral("emailNote"));
    note->setWordWrap(true);
    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Save | QDialogButtonBox::Cancel, this);

    auto *layout = new QVBoxLayout(this);
    layout->addLayout(form);
    layout->addWidget(note);
    finish(layout, buttons, 440);
}

UserFormDialog::Check EditUserDialog::check() const
{
    QString problem = userNameProblem(m_name->text());
    if (problem.isEmpty())
        problem = accountProblem();
    return {problem, problem.isEmpty()};
}

QString EditUserDialog::submit(UserService &service)
{
    return keep(service.updateUser(
                    m_user.id, m_name->text(), m_profile ? m_profile->currentText() : QString(),
                    m_account ? std::optional<QString>(m_account->text()) : std::nullopt),
                m_updated);
}

} // namespace roster
