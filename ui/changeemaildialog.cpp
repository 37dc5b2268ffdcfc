#include "ui/changeemaildialog.h"

#include "app/bouncerules.h"
#include "ui/userstableview.h"

#include <QDialogButtonBox>
#include <QFormLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QVBoxLayout>

namespace roster {

ChangeEmailDialog::ChangeEmailDialog(Database &db, const Clock &clock, const Session &session,
                                     const UserRecord &user, QWidget *parent)
    : QDialog(parent), m_db(db), m_clock(clock), m_session(session), m_user(user)
{
    setObjectName(QStringLiteral("changeEmailDialog"));
    setWindowTitle(tr("Change email of %1").arg(user.name));
    auto *intro = new QLabel(tr("%1 has not confirmed the invitation to %2. Give the right "
                                "address: the open invitations are revoked and a new one is "
                                "sent there.")
                                 .arg(user.name, user.email),
                             this);
    intro->setTextFormat(Qt::PlainText);
    intro->setWordWrap(true);
    auto *layout = new QVBoxLayout(this);
    layout->addWidget(intro);
    if (const auto warning = bounceWarning(user)) {
        auto *bounced = new QLabel(*warning, this);
        bounced->setObjectName(QStringLiteral("bounceLabel"));
        bounced->setTextFormat(Qt::PlainText);
        bounced->setWordWrap(true);
        QPalette p = bounced->palette();
        p.setColor(QPalette::WindowText, UserRowDelegate::bouncedTextColor(p));
        bounced->setPalette(p);
        layout->addWidget(bounced);
    }
    auto *form = new QFormLayout;
    auto *old = new QLabel(user.email, this);
    old->setTextFormat(Qt::PlainText);
    old->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_email = new QLineEdit(user.email, this);
    m_email->setObjectName(QStringLiteral("newEmailEdit"));
    m_email->selectAll();
    form->addRow(tr("Current address:"), old);
    form->addRow(tr("&New address:"), m_email);
    layout->addLayout(form);
    m_problem = new QLabel(this);
    m_problem->setObjectName(QStringLiteral("problemLabel"));
    m_problem->setTextFormat(Qt::PlainText);
    m_problem->setWordWrap(true);
    QPalette pp = m_problem->palette();
    pp.setColor(QPalette::WindowText, UserRowDelegate::bouncedTextColor(pp));
    m_problem->setPalette(pp);
    layout->addWidget(m_problem);
    m_buttons = new QDialogButtonBox(QDialogButtonBox::Cancel, this);
    QPushButton *change =
        m_buttons->addButton(tr("&Change and re-invite"), QDialogButtonBox::AcceptRole);
    change->setObjectName(QStringLiteral("changeButton"));
    change->setDefault(true);
    layout->addWidget(m_buttons);
    connect(m_buttons, &QDialogButtonBox::accepted, this, &ChangeEmailDialog::accept);
    connect(m_buttons, &QDialogButtonBox::rejected, this, &ChangeEmailDialog::reject);
    connect(m_email, &QLineEdit::textChanged, this, &ChangeEmailDialog::validate);
    setMinimumWidth(480);
    validate();
}

void ChangeEmailDialog::validate()
{
    // The service's words, as the address is typed; an untouched field says nothing yet.
    const QString problem = newEmailProblem(m_user, m_email->text());
    m_problem->setText(m_email->text().trimmed() == m_user.email ? QString() : problem);
    for (QAbstractButton *b : m_buttons->buttons())
        if (m_buttons->buttonRole(b) == QDialogButtonBox::AcceptRole)
            b->setEnabled(problem.isEmpty());
}

void ChangeEmailDialog::accept()
{
    if (!newEmailProblem(m_user, m_email->text()).isEmpty())
        return;
    UserService service(m_db, m_clock, m_session.userId);
    auto r = service.changeEmail(m_user.id, m_email->text());
    if (!r) {
        m_problem->setText(r.error().message);
        return;
    }
    m_outcome = r.value();
    QDialog::accept();
}

} // namespace roster
