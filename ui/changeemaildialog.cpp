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
    : UserFormDialog(db, clock, session, user, QStringLiteral("changeEmailDialog"), parent)
{
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
    connect(m_email, &QLineEdit::textChanged, this, &ChangeEmailDialog::validate);
    form->addRow(tr("Current address:"), old);
    form->addRow(tr("&New address:"), m_email);
    layout->addLayout(form);
    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Cancel, this);
    QPushButton *change =
        buttons->addButton(tr("&Change and re-invite"), QDialogButtonBox::AcceptRole);
    change->setObjectName(QStringLiteral("changeButton"));
    change->setDefault(true);
    finish(layout, buttons, 480, ProblemColour::LikeBounce);
}

UserFormDialog::Check ChangeEmailDialog::check() const
{
    // The service's words, as the address is typed; an untouched field says nothing yet.
    const QString problem = newEmailProblem(m_user, m_email->text());
    return {m_email->text().trimmed() == m_user.email ? QString() : problem, problem.isEmpty()};
}

QString ChangeEmailDialog::submit(UserService &service)
{
    return keep(service.changeEmail(m_user.id, m_email->text()), m_outcome);
}

} // namespace roster
