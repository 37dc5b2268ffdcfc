#include "ui/adduserdialog.h"

#include "app/mail/emailaddress.h"
#include "app/validation.h"

#include <QComboBox>
#include <QDialogButtonBox>
#include <QFormLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QVBoxLayout>

namespace roster {

namespace {
UserRecord blankUser(UserKind kind)
{
    UserRecord blank;
    blank.kind = kind;
    blank.profileName = QStringLiteral("Standard");
    return blank;
}
} // namespace

AddUserDialog::AddUserDialog(Database &db, const Clock &clock, const Session &session,
                             UserKind kind, QWidget *parent)
    : UserFormDialog(db, clock, session, blankUser(kind), QStringLiteral("addUserDialog"), parent)
{
    setWindowTitle(kind == UserKind::Portal ? tr("Add Portal User") : tr("Add New User"));
    QFormLayout *form = userFields(true, std::nullopt);
    auto *note = new QLabel(
        tr("The user gets an invitation mail at once; its link works for 7 days."), this);
    note->setWordWrap(true);
    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this);
    buttons->button(QDialogButtonBox::Ok)->setText(tr("Add and &invite"));

    auto *layout = new QVBoxLayout(this);
    layout->addLayout(form);
    layout->addWidget(note);
    finish(layout, buttons, 420);
    showProblem(QString()); // no complaints before anything was typed
}

UserFormDialog::Check AddUserDialog::check() const
{
    QString problem;
    const QString email = m_email->text().trimmed();
    if (!m_name->text().isEmpty())
        problem = userNameProblem(m_name->text());
    // No field has a maximum length: a pasted value that is too long is refused with its
    // length (SPEC §7), never cut (a cut address can be another valid one).
    if (problem.isEmpty() && !email.isEmpty() &&
        ((email.contains(u'@') && email.section(u'@', 1).contains(u'.')) || email.size() > 254))
        problem = emailAddressProblem(email);
    if (problem.isEmpty())
        problem = accountProblem();
    return {problem, problem.isEmpty() && !m_name->text().trimmed().isEmpty() && !email.isEmpty()};
}

QString AddUserDialog::submit(UserService &service)
{
    NewUser nu;
    nu.kind = m_user.kind;
    nu.name = m_name->text();
    nu.email = m_email->text().trimmed();
    if (m_profile)
        nu.profile = m_profile->currentText();
    if (m_account)
        nu.account = m_account->text();
    return keep(service.addUser(nu), m_outcome);
}

} // namespace roster
