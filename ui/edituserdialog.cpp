#include "ui/edituserdialog.h"

#include "app/validation.h"
#include "models/userrepository.h"

#include <QComboBox>
#include <QDialogButtonBox>
#include <QFormLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QVBoxLayout>

namespace roster {

EditUserDialog::EditUserDialog(Database &db, const Clock &clock, const Session &session,
                               const UserRecord &user, QWidget *parent)
    : QDialog(parent), m_db(db), m_clock(clock), m_session(session), m_user(user)
{
    setObjectName(QStringLiteral("editUserDialog"));
    setWindowTitle(tr("Edit %1").arg(user.email));
    auto *form = new QFormLayout;
    m_name = new QLineEdit(user.name, this);
    m_name->setObjectName(QStringLiteral("nameEdit"));
    m_email = new QLineEdit(user.email, this);
    m_email->setObjectName(QStringLiteral("emailEdit"));
    m_email->setReadOnly(true);
    m_email->setToolTip(tr("The email cannot be changed: a new address needs a new invitation. "
                           "Add the user with the new address, then deactivate this one."));
    form->addRow(tr("&Name:"), m_name);
    form->addRow(tr("Email:"), m_email);
    if (user.kind == UserKind::Crm) {
        m_profile = new QComboBox(this);
        m_profile->setObjectName(QStringLiteral("profileCombo"));
        if (auto profiles = UserRepository(db).profiles())
            for (const Profile &p : profiles.value())
                // A Manage Users profile can neither give Administrator nor see it offered.
                if (!p.isAdmin || session.isAdmin || p.id == user.profileId)
                    m_profile->addItem(p.name);
        m_profile->setCurrentText(user.profileName);
        form->addRow(tr("&Profile:"), m_profile);
    } else {
        m_account = new QLineEdit(user.account, this);
        m_account->setObjectName(QStringLiteral("accountEdit"));
        form->addRow(tr("&Account:"), m_account);
    }
    auto *note = new QLabel(tr("The email stays as it is: changing an address is a new "
                               "invitation (add the user with the new address)."),
                            this);
    note->setObjectName(QStringLiteral("emailNote"));
    note->setWordWrap(true);
    m_problem = new QLabel(this);
    m_problem->setObjectName(QStringLiteral("problemLabel"));
    m_problem->setWordWrap(true);
    m_problem->setStyleSheet(QStringLiteral("color: #c62828;"));
    m_buttons = new QDialogButtonBox(QDialogButtonBox::Save | QDialogButtonBox::Cancel, this);
    connect(m_buttons, &QDialogButtonBox::accepted, this, &EditUserDialog::accept);
    connect(m_buttons, &QDialogButtonBox::rejected, this, &EditUserDialog::reject);
    connect(m_name, &QLineEdit::textChanged, this, &EditUserDialog::validate);
    if (m_account)
        connect(m_account, &QLineEdit::textChanged, this, &EditUserDialog::validate);

    auto *layout = new QVBoxLayout(this);
    layout->addLayout(form);
    layout->addWidget(note);
    layout->addWidget(m_problem);
    layout->addWidget(m_buttons);
    setMinimumWidth(440);
    validate();
}

void EditUserDialog::validate()
{
    QString problem = userNameProblem(m_name->text());
    if (problem.isEmpty() && m_account)
        problem = textFieldProblem(tr("The account"), m_account->text(), 200);
    m_problem->setText(problem);
    m_buttons->button(QDialogButtonBox::Save)->setEnabled(problem.isEmpty());
}

void EditUserDialog::accept()
{
    UserService service(m_db, m_clock, m_session.userId);
    auto r = service.updateUser(
        m_user.id, m_name->text(), m_profile ? m_profile->currentText() : QString(),
        m_account ? std::optional<QString>(m_account->text()) : std::nullopt);
    if (!r) {
        m_problem->setText(r.error().message);
        return;
    }
    m_updated = r.value();
    QDialog::accept();
}

} // namespace roster
