#include "ui/adduserdialog.h"

#include "app/mail/emailaddress.h"
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

AddUserDialog::AddUserDialog(Database &db, const Clock &clock, const Session &session,
                             UserKind kind, QWidget *parent)
    : QDialog(parent), m_db(db), m_clock(clock), m_session(session), m_kind(kind)
{
    setObjectName(QStringLiteral("addUserDialog"));
    setWindowTitle(kind == UserKind::Portal ? tr("Add Portal User") : tr("Add New User"));
    auto *form = new QFormLayout;
    m_name = new QLineEdit(this);
    m_name->setObjectName(QStringLiteral("nameEdit"));
    m_email = new QLineEdit(this);
    m_email->setObjectName(QStringLiteral("emailEdit"));
    m_email->setPlaceholderText(tr("name@example.com"));
    form->addRow(tr("&Name:"), m_name);
    form->addRow(tr("&Email:"), m_email);
    if (kind == UserKind::Crm) {
        m_profile = new QComboBox(this);
        m_profile->setObjectName(QStringLiteral("profileCombo"));
        if (auto profiles = UserRepository(db).profiles())
            for (const Profile &p : profiles.value())
                if (!p.isAdmin || session.isAdmin)
                    m_profile->addItem(p.name);
        m_profile->setCurrentText(QStringLiteral("Standard"));
        form->addRow(tr("&Profile:"), m_profile);
    } else {
        m_account = new QLineEdit(this);
        m_account->setObjectName(QStringLiteral("accountEdit"));
        form->addRow(tr("&Account:"), m_account);
    }
    auto *note = new QLabel(
        tr("The user gets an invitation mail at once; its link works for 7 days."), this);
    note->setWordWrap(true);
    m_problem = new QLabel(this);
    m_problem->setObjectName(QStringLiteral("problemLabel"));
    m_problem->setWordWrap(true);
    m_problem->setStyleSheet(QStringLiteral("color: #c62828;"));
    m_buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this);
    m_buttons->button(QDialogButtonBox::Ok)->setText(tr("Add and &invite"));
    connect(m_buttons, &QDialogButtonBox::accepted, this, &AddUserDialog::accept);
    connect(m_buttons, &QDialogButtonBox::rejected, this, &AddUserDialog::reject);
    connect(m_name, &QLineEdit::textChanged, this, &AddUserDialog::validate);
    connect(m_email, &QLineEdit::textChanged, this, &AddUserDialog::validate);
    if (m_account)
        connect(m_account, &QLineEdit::textChanged, this, &AddUserDialog::validate);

    auto *layout = new QVBoxLayout(this);
    layout->addLayout(form);
    layout->addWidget(note);
    layout->addWidget(m_problem);
    layout->addWidget(m_buttons);
    setMinimumWidth(420);
    validate();
    m_problem->clear(); // no complaints before anything was typed
}

void AddUserDialog::validate()
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
    if (problem.isEmpty() && m_account)
        problem = textFieldProblem(tr("The account"), m_account->text(), 200);
    m_problem->setText(problem);
    m_buttons->button(QDialogButtonBox::Ok)
        ->setEnabled(problem.isEmpty() && !m_name->text().trimmed().isEmpty() && !email.isEmpty());
}

void AddUserDialog::accept()
{
    NewUser nu;
    nu.kind = m_kind;
    nu.name = m_name->text();
    nu.email = m_email->text().trimmed();
    if (m_profile)
        nu.profile = m_profile->currentText();
    if (m_account)
        nu.account = m_account->text();
    UserService service(m_db, m_clock, m_session.userId);
    auto r = service.addUser(nu);
    if (!r) {
        m_problem->setText(r.error().message);
        return;
    }
    m_outcome = r.value();
    QDialog::accept();
}

} // namespace roster
