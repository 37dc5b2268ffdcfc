#include "ui/userformdialog.h"

#include "app/validation.h"
#include "models/userrepository.h"
#include "ui/userstableview.h"

#include <QComboBox>
#include <QDialogButtonBox>
#include <QFormLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QVBoxLayout>

namespace roster {

UserFormDialog::UserFormDialog(Database &db, const Clock &clock, const Session &session,
                               const UserRecord &user, const QString &objectName, QWidget *parent)
    : QDialog(parent), m_db(db), m_clock(clock), m_session(session), m_user(user)
{
    setObjectName(objectName);
}

QFormLayout *UserFormDialog::userFields(bool emailEditable, std::optional<qint64> heldProfile)
{
    const UserRecord &user = m_user;
    auto *form = new QFormLayout;
    m_name = new QLineEdit(user.name, this);
    m_name->setObjectName(QStringLiteral("nameEdit"));
    m_email = new QLineEdit(user.email, this);
    m_email->setObjectName(QStringLiteral("emailEdit"));
    if (emailEditable) {
        m_email->setPlaceholderText(tr("name@example.com"));
    } else {
        m_email->setReadOnly(true);
        m_email->setToolTip(tr("The email cannot be changed: a new address needs a new "
                               "invitation. Add the user with the new address, then deactivate "
                               "this one."));
    }
    form->addRow(tr("&Name:"), m_name);
    form->addRow(emailEditable ? tr("&Email:") : tr("Email:"), m_email);
    if (user.kind == UserKind::Crm) {
        m_profile = new QComboBox(this);
        m_profile->setObjectName(QStringLiteral("profileCombo"));
        if (auto profiles = UserRepository(m_db).profiles())
            for (const Profile &p : profiles.value())
                // A Manage Users profile can neither give Administrator nor see it offered.
                if (!p.isAdmin || m_session.isAdmin || p.id == heldProfile)
                    m_profile->addItem(p.name);
        m_profile->setCurrentText(user.profileName);
        form->addRow(tr("&Profile:"), m_profile);
    } else {
        m_account = new QLineEdit(user.account, this);
        m_account->setObjectName(QStringLiteral("accountEdit"));
        form->addRow(tr("&Account:"), m_account);
    }
    for (QLineEdit *edit : {m_name, m_email, m_account})
        if (edit && !edit->isReadOnly())
            connect(edit, &QLineEdit::textChanged, this, &UserFormDialog::validate);
    return form;
}

void UserFormDialog::finish(QVBoxLayout *layout, QDialogButtonBox *buttons, int minimumWidth,
                            ProblemColour colour)
{
    m_problem = new QLabel(this);
    m_problem->setObjectName(QStringLiteral("problemLabel"));
    m_problem->setWordWrap(true);
    if (colour == ProblemColour::Fixed) {
        m_problem->setStyleSheet(QStringLiteral("color: #c62828;"));
    } else {
        m_problem->setTextFormat(Qt::PlainText);
        QPalette p = m_problem->palette();
        p.setColor(QPalette::WindowText, UserRowDelegate::bouncedTextColor(p));
        m_problem->setPalette(p);
    }
    m_buttons = buttons;
    connect(m_buttons, &QDialogButtonBox::accepted, this, &UserFormDialog::accept);
    connect(m_buttons, &QDialogButtonBox::rejected, this, &UserFormDialog::reject);
    layout->addWidget(m_problem);
    layout->addWidget(m_buttons);
    setMinimumWidth(minimumWidth);
    validate();
}

void UserFormDialog::validate()
{
    const Check c = check();
    m_problem->setText(c.shown);
    for (QAbstractButton *b : m_buttons->buttons())
        if (m_buttons->buttonRole(b) == QDialogButtonBox::AcceptRole)
            b->setEnabled(c.acceptable);
}

void UserFormDialog::showProblem(const QString &text)
{
    m_problem->setText(text);
}

QString UserFormDialog::accountProblem() const
{
    return m_account ? textFieldProblem(tr("The account"), m_account->text(), 200) : QString();
}

void UserFormDialog::accept()
{
    // The button is off then; a caller's accept() is held to the same check.
    if (!check().acceptable)
        return;
    UserService service(m_db, m_clock, m_session.userId);
    if (const QString refusal = submit(service); !refusal.isEmpty()) {
        m_problem->setText(refusal);
        return;
    }
    QDialog::accept();
}

} // namespace roster
