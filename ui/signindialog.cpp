#include "ui/signindialog.h"

#include "app/orgsettings.h"
#include "ui/vectoricon.h"

#include <QComboBox>
#include <QDialogButtonBox>
#include <QFormLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QVBoxLayout>

namespace roster {

SignInDialog::SignInDialog(Database &db, const Clock &clock, QWidget *parent)
    : QDialog(parent), m_db(db), m_clock(clock), m_email(new QLineEdit(this)),
      m_password(new QLineEdit(this)), m_message(new QLabel(this)), m_database(new QComboBox(this))
{
    setObjectName(QStringLiteral("signInDialog"));
    setWindowTitle(tr("Sign in to Roster"));
    setWindowIcon(vectorIcon(QStringLiteral(":/icons/roster.svg")));
    QString org = db.displayName();
    if (auto s = OrgSettings::load(db); s && !s->organisation.isEmpty())
        org = s->organisation;
    auto *intro = new QLabel(
        tr("Sign in to <b>%1</b> with an administrator account.").arg(org.toHtmlEscaped()), this);
    intro->setToolTip(db.displayName());
    intro->setWordWrap(true);
    m_email->setObjectName(QStringLiteral("emailEdit"));
    m_email->setPlaceholderText(tr("you@example.com"));
    m_password->setObjectName(QStringLiteral("passwordEdit"));
    m_password->setEchoMode(QLineEdit::Password);
    m_message->setObjectName(QStringLiteral("messageLabel"));
    m_message->setWordWrap(true);
    m_message->setStyleSheet(QStringLiteral("color: #c62828;"));
    m_message->hide();

    m_database->setObjectName(QStringLiteral("databaseCombo"));
    m_database->setAccessibleName(tr("Database"));
    m_database->setAccessibleDescription(
        tr("The organisation's database; choose another to sign in there"));
    setRecentDatabases({});
    connect(m_database, &QComboBox::activated, this, [this](int index) {
        if (index == 0)
            return;
        m_switchTo = m_database->itemData(index).toString();
        done(SwitchDatabase);
    });

    auto *form = new QFormLayout;
    form->addRow(tr("&Database:"), m_database);
    form->addRow(tr("&Email:"), m_email);
    form->addRow(tr("&Password:"), m_password);
    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this);
    m_signIn = buttons->button(QDialogButtonBox::Ok);
    m_signIn->setObjectName(QStringLiteral("signInButton"));
    m_signIn->setText(tr("&Sign in"));
    connect(buttons, &QDialogButtonBox::accepted, this, &SignInDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, this, &SignInDialog::reject);

    auto *layout = new QVBoxLayout(this);
    layout->addWidget(intro);
    layout->addLayout(form);
    layout->addWidget(m_message);
    layout->addWidget(buttons);
    setMinimumWidth(400);
    m_email->setFocus();
}

void SignInDialog::setRecentDatabases(const QStringList &locations)
{
    m_database->clear();
    m_database->addItem(m_db.displayName(), m_db.displayName());
    for (const QString &l : locations)
        if (l != m_db.displayName())
            m_database->addItem(l, l);
    m_database->addItem(tr("Other database…"), QString());
    m_database->setCurrentIndex(0);
}

void SignInDialog::setEmail(const QString &email)
{
    m_email->setText(email);
    (email.isEmpty() ? m_email : m_password)->setFocus();
}

QString SignInDialog::message() const
{
    return m_message->text();
}

void SignInDialog::accept()
{
    AuthService auth(m_db, m_clock);
    auto s = auth.signIn(m_email->text().trimmed(), m_password->text());
    if (!s) {
        m_message->setText(s.error().message);
        m_message->show();
        m_password->clear();
        m_password->setFocus();
        return;
    }
    m_session = s.value();
    QDialog::accept();
}

} // namespace roster
