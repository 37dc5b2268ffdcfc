#include "ui/emailsettingspage.h"

#include "app/audit.h"
#include "app/mail/emailaddress.h"
#include "app/mailsetup.h"
#include "app/orgsettings.h"
#include "app/outboxworker.h"
#include "app/sealer.h"
#include "app/validation.h"
#include "ui/smtppasswordstore.h"

#include <QCheckBox>
#include <QComboBox>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QScrollArea>
#include <QSpinBox>
#include <QStackedWidget>
#include <QVBoxLayout>

namespace roster {

EmailSettingsPage::EmailSettingsPage(Database &db, const Clock &clock, const Session &session,
                                     OutboxWorker *worker, QWidget *parent)
    : QWidget(parent), m_db(db), m_clock(clock), m_session(session), m_worker(worker)
{
    setObjectName(QStringLiteral("emailSettingsPage"));
    auto *title = new QLabel(tr("Email settings"), this);
    QFont tf = title->font();
    tf.setPointSizeF(tf.pointSizeF() * 1.4);
    tf.setBold(true);
    title->setFont(tf);

    auto line = [this](const char *name) {
        auto *e = new QLineEdit(this);
        e->setObjectName(QString::fromLatin1(name));
        return e;
    };
    m_organisation = line("organisationEdit");
    m_senderName = line("senderNameEdit");
    m_senderAddress = line("senderAddressEdit");
    m_acceptUrl = line("acceptUrlEdit");
    m_portalAcceptUrl = line("portalAcceptUrlEdit");
    m_cooldown = new QSpinBox(this);
    m_cooldown->setRange(0, 10080);
    m_cooldown->setSuffix(tr(" min"));
    m_cooldown->setToolTip(tr("How long after an invitation the same user cannot be re-invited"));
    m_reminderDays = new QSpinBox(this);
    m_reminderDays->setObjectName(QStringLiteral("reminderDaysSpin"));
    m_reminderDays->setRange(0, 6);
    m_reminderDays->setSpecialValueText(tr("Off"));
    m_reminderDays->setSuffix(tr(" days before expiry"));
    m_reminderDays->setToolTip(tr("Re-invite unconfirmed users once, this many days before their "
                                  "invitation expires (sent by the console's background delivery "
                                  "and by rosterctl outbox deliver)"));

    auto *sender = new QGroupBox(tr("Invitations"), this);
    auto *sf = new QFormLayout(sender);
    sf->addRow(tr("&Organisation:"), m_organisation);
    sf->addRow(tr("Sender &name:"), m_senderName);
    sf->addRow(tr("Sender &address:"), m_senderAddress);
    sf->addRow(tr("A&ccept URL:"), m_acceptUrl);
    sf->addRow(tr("&Portal accept URL:"), m_portalAcceptUrl);
    sf->addRow(tr("Re-invite &cooldown:"), m_cooldown);
    sf->addRow(tr("Automatic &reminder:"), m_reminderDays);

    m_transport = new QComboBox(this);
    m_transport->setObjectName(QStringLiteral("transportCombo"));
    m_transport->addItem(tr("Files in a folder (no server)"), QStringLiteral("file"));
    m_transport->addItem(tr("SMTP server"), QStringLiteral("smtp"));
    m_transportPages = new QStackedWidget(this);
    auto *filePage = new QWidget(this);
    auto *ff = new QFormLayout(filePage);
    m_mailDir = line("mailDirEdit");
    ff->addRow(tr("&Folder:"), m_mailDir);
    auto *smtpPage = new QWidget(this);
    auto *mf = new QFormLayout(smtpPage);
    m_host = line("smtpHostEdit");
    m_port = new QSpinBox(this);
    m_port->setRange(1, 65535);
    m_security = new QComboBox(this);
    m_security->addItem(tr("STARTTLS"), QStringLiteral("starttls"));
    m_security->addItem(tr("TLS (implicit)"), QStringLiteral("tls"));
    m_security->addItem(tr("None (not encrypted)"), QStringLiteral("none"));
    m_user = line("smtpUserEdit");
    m_password = line("smtpPasswordEdit");
    m_password->setEchoMode(QLineEdit::Password);
    m_caFile = line("smtpCaFileEdit");
    m_caFile->setPlaceholderText(tr("system certificates"));
    m_allowPlain = new QCheckBox(tr("Allow the password over an unencrypted connection"), this);
    m_passwordStore = new QLabel(this);
    m_passwordStore->setObjectName(QStringLiteral("passwordStoreLabel"));
    m_passwordStore->setWordWrap(true);
    mf->addRow(tr("&Server:"), m_host);
    mf->addRow(tr("P&ort:"), m_port);
    mf->addRow(tr("S&ecurity:"), m_security);
    mf->addRow(tr("&User:"), m_user);
    mf->addRow(tr("Pass&word:"), m_password);
    mf->addRow(QString(), m_passwordStore);
    mf->addRow(tr("CA &file:"), m_caFile);
    mf->addRow(QString(), m_allowPlain);
    m_transportPages->addWidget(filePage);
    m_transportPages->addWidget(smtpPage);
    // The stack takes the height of the page shown, not of the tallest (no empty SMTP-sized box
    // under the folder field).
    connect(m_transport, &QComboBox::currentIndexChanged, this, [this](int index) {
        for (int i = 0; i < m_transportPages->count(); ++i)
            m_transportPages->widget(i)->setSizePolicy(
                QSizePolicy::Preferred, i == index ? QSizePolicy::Preferred : QSizePolicy::Ignored);
        m_transportPages->setCurrentIndex(index);
        m_transportPages->adjustSize();
    });
    filePage->setSizePolicy(QSizePolicy::Preferred, QSizePolicy::Preferred);
    smtpPage->setSizePolicy(QSizePolicy::Preferred, QSizePolicy::Ignored);

    auto *delivery = new QGroupBox(tr("Delivery"), this);
    auto *df = new QVBoxLayout(delivery);
    auto *tl = new QFormLayout;
    tl->addRow(tr("&Transport:"), m_transport);
    df->addLayout(tl);
    df->addWidget(m_transportPages);

    m_problem = new QLabel(this);
    m_problem->setObjectName(QStringLiteral("problemLabel"));
    m_problem->setWordWrap(true);
    m_problem->setStyleSheet(QStringLiteral("color: #c62828;"));
    m_save = new QPushButton(tr("&Save settings"), this);
    m_save->setObjectName(QStringLiteral("saveButton"));
    auto *revert = new QPushButton(tr("Re&vert"), this);
    m_testTo = line("testToEdit");
    m_testTo->setPlaceholderText(tr("recipient for a test message"));
    m_testTo->setText(session.email);
    auto *test = new QPushButton(tr("Send &test email"), this);
    test->setObjectName(QStringLiteral("sendTestButton"));

    auto *buttons = new QHBoxLayout;
    buttons->addWidget(m_save);
    buttons->addWidget(revert);
    buttons->addStretch();
    buttons->addWidget(m_testTo);
    buttons->addWidget(test);

    auto *content = new QWidget(this);
    auto *cl = new QVBoxLayout(content);
    cl->addWidget(sender);
    cl->addWidget(delivery);
    cl->addWidget(m_problem);
    cl->addLayout(buttons);
    cl->addStretch();
    content->setMaximumWidth(760);

    auto *layout = new QVBoxLayout(this);
    layout->addWidget(title);
    layout->addWidget(content);
    layout->addStretch();

    if (!session.isAdmin) {
        m_save->setEnabled(false);
        m_save->setToolTip(tr("Only an Administrator may change the mail settings."));
    }
    connect(m_save, &QPushButton::clicked, this, &EmailSettingsPage::save);
    connect(revert, &QPushButton::clicked, this, &EmailSettingsPage::refresh);
    connect(test, &QPushButton::clicked, this, &EmailSettingsPage::sendTest);
    if (m_worker) {
        connect(m_worker, &OutboxWorker::delivered, this, &EmailSettingsPage::onDelivered);
        // The background delivery sends reminders as the signed-in administrator. It uses the
        // organisation's sealed SMTP password, like every other sender (issue 13 #5).
        m_worker->setActor(session.userId);
    }
    refresh();
}

void EmailSettingsPage::refresh()
{
    auto s = OrgSettings::load(m_db);
    if (!s) {
        m_problem->setText(s.error().message);
        return;
    }
    m_organisation->setText(s->organisation);
    m_senderName->setText(s->senderName);
    m_senderAddress->setText(s->senderAddress);
    m_acceptUrl->setText(s->acceptUrl);
    m_portalAcceptUrl->setText(s->portalAcceptUrl);
    m_cooldown->setValue(s->cooldownMinutes);
    m_reminderDays->setValue(s->reminderDaysBefore);
    m_transport->setCurrentIndex(s->transport == u"smtp" ? 1 : 0);
    m_mailDir->setText(s->mailDir.isEmpty() ? OrgSettings::defaultMailDir() : s->mailDir);
    m_host->setText(s->smtpHost);
    m_port->setValue(s->smtpPort);
    m_security->setCurrentIndex(std::max(0, m_security->findData(s->smtpSecurity)));
    m_user->setText(s->smtpUser);
    m_passwordStored = !s->smtpPasswordSealed.isEmpty();
    m_passwordStore->setText(
        m_passwordStored
            ? tr("The password is sealed in the database with the organisation's key: every "
                 "computer that holds the key file can send.")
        : !s->smtpUser.isEmpty()
            ? tr("No SMTP password is saved for the organisation: enter it, or mail stays "
                 "queued.")
            : QString());
    m_password->clear();
    m_password->setPlaceholderText(m_passwordStored ? tr("(stored; type to replace)") : QString());
    m_caFile->setText(s->smtpCaFile);
    m_allowPlain->setChecked(s->smtpAllowPlainAuth);
    m_problem->clear();
}

bool EmailSettingsPage::save()
{
    auto loaded = OrgSettings::load(m_db);
    if (!loaded) {
        m_problem->setText(loaded.error().message);
        return false;
    }
    OrgSettings s = loaded.value();
    QString problem;
    // The address field takes a mailbox too ("Acme CRM <noreply@acme.example>"), like --from.
    const std::optional<Mailbox> from = parseMailbox(m_senderAddress->text(), &problem);
    if (problem.isEmpty())
        problem = acceptUrlProblem(m_acceptUrl->text().trimmed());
    if (problem.isEmpty() && !m_portalAcceptUrl->text().trimmed().isEmpty())
        problem = acceptUrlProblem(m_portalAcceptUrl->text().trimmed());
    if (problem.isEmpty())
        problem = textFieldProblem(tr("The organisation"), m_organisation->text(), 200);
    if (problem.isEmpty() && m_transport->currentData().toString() == u"smtp" &&
        m_host->text().trimmed().isEmpty())
        problem = tr("Give the SMTP server's host name.");
    if (!problem.isEmpty()) {
        m_problem->setText(problem);
        return false;
    }
    s.organisation = m_organisation->text().trimmed();
    s.senderName = from->name.isEmpty() ? m_senderName->text().trimmed() : from->name;
    s.senderAddress = from->address;
    s.acceptUrl = m_acceptUrl->text().trimmed();
    s.portalAcceptUrl = m_portalAcceptUrl->text().trimmed();
    s.cooldownMinutes = m_cooldown->value();
    s.reminderDaysBefore = m_reminderDays->value();
    s.transport = m_transport->currentData().toString();
    s.mailDir = m_mailDir->text().trimmed();
    s.smtpHost = m_host->text().trimmed();
    s.smtpPort = m_port->value();
    s.smtpSecurity = m_security->currentData().toString();
    s.smtpUser = m_user->text().trimmed();
    s.smtpCaFile = m_caFile->text().trimmed();
    s.smtpAllowPlainAuth = m_allowPlain->isChecked();
    QString storeNote;
    if (s.smtpUser.isEmpty()) {
        s.smtpPasswordSealed.clear();
        SmtpPasswordStore::remove(m_db.databaseId());
    } else if (!m_password->text().isEmpty()) {
        // The organisation's sealed copy is the one every sender (this console's worker,
        // rosterctl, other machines) uses: never only a keyring, which only this desktop reads.
        auto sealer = Sealer::forDatabase(m_db);
        if (!sealer) {
            m_problem->setText(sealer.error().message);
            return false;
        }
        s.smtpPasswordSealed = sealer->seal(m_password->text().toUtf8(), smtpPasswordContext);
        // An entry an older version left in the keyring is stale from now on.
        SmtpPasswordStore::remove(m_db.databaseId());
        storeNote = tr("The password is sealed in the database with the organisation's key: "
                       "every computer that holds the key file can send.");
    } else if (s.smtpPasswordSealed.isEmpty()) {
        problem =
            tr("Give the SMTP password of %1: without it no mail can be sent.").arg(s.smtpUser);
        m_problem->setText(problem);
        return false;
    }
    Transaction tx(m_db);
    Status r = tx.status();
    if (r)
        r = s.save(m_db);
    if (r)
        r = writeAudit(m_db, AuditEntry{0, m_clock.nowMs(), m_session.userId, m_session.email,
                                        QStringLiteral("settings.mail"), 0, QString(),
                                        s.transport == u"smtp"
                                            ? QStringLiteral("smtp %1:%2 %3")
                                                  .arg(s.smtpHost)
                                                  .arg(s.smtpPort)
                                                  .arg(s.smtpSecurity)
                                            : QStringLiteral("file %1").arg(s.mailDir)});
    if (r)
        r = tx.commit();
    if (!r) {
        m_problem->setText(r.error().message);
        return false;
    }
    refresh();
    if (!storeNote.isEmpty())
        m_passwordStore->setText(storeNote);
    emit statusMessage(tr("Mail settings saved."), 5000);
    return true;
}

void EmailSettingsPage::sendTest()
{
    const QString to = m_testTo->text().trimmed();
    if (const QString p = emailAddressProblem(to); !p.isEmpty()) {
        m_problem->setText(p);
        return;
    }
    auto s = OrgSettings::load(m_db);
    if (!s) {
        m_problem->setText(s.error().message);
        return;
    }
    auto id = Outbox(m_db, m_clock).enqueueTest(s.value(), to);
    if (!id) {
        m_problem->setText(id.error().message);
        return;
    }
    m_problem->clear();
    m_testOutboxId = id.value();
    emit statusMessage(tr("Sending a test message to %1…").arg(to), 0);
    if (m_worker)
        m_worker->deliverNow({m_testOutboxId});
}

void EmailSettingsPage::onDelivered(const QList<DeliveryReport> &reports)
{
    for (const DeliveryReport &r : reports) {
        if (r.outboxId != m_testOutboxId || !m_testOutboxId)
            continue;
        m_testOutboxId = 0;
        if (r.state == u"sent")
            emit statusMessage(tr("Test message sent to %1.").arg(r.recipient), 10000);
        else
            emit statusMessage(
                tr("The test message to %1 was not sent: %2").arg(r.recipient, r.reply), 0);
    }
}

} // namespace roster
