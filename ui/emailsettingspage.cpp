#include "ui/emailsettingspage.h"

#include "app/mail/emailaddress.h"
#include "app/mail/imap/imapclient.h"
#include "app/mailsetup.h"
#include "app/orgsettings.h"
#include "app/outboxworker.h"
#include "app/sealer.h"
#include "ui/pagetitle.h"
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
    QLabel *title = makePageTitle(tr("Email settings"), this);

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
    m_smtp = addServerFields(
        mf, QStringLiteral("smtp"),
        {tr("&Server:"), tr("P&ort:"), tr("S&ecurity:"), tr("&User:"), tr("Pass&word:")}, false);
    m_caFile = line("smtpCaFileEdit");
    m_caFile->setPlaceholderText(tr("system certificates"));
    m_allowPlain = new QCheckBox(tr("Allow the password over an unencrypted connection"), this);
    m_passwordStore = new QLabel(this);
    m_passwordStore->setObjectName(QStringLiteral("passwordStoreLabel"));
    m_passwordStore->setWordWrap(true);
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

    // Bounces (SPEC §9): the envelope sender, and the mailbox its reports come back to.
    auto *bounceBox = new QGroupBox(tr("Bounces"), this);
    bounceBox->setObjectName(QStringLiteral("bounceGroup"));
    auto *bf = new QFormLayout(bounceBox);
    m_bounceAddress = line("bounceAddressEdit");
    m_bounceAddress->setPlaceholderText(tr("none: bounces go to the sender address"));
    m_bounceAddress->setToolTip(tr("The envelope sender of invitation mail; Roster tags it per "
                                   "message (bounces+TAG@…), so it must not hold '+'."));
    bf->addRow(tr("Bounce a&ddress:"), m_bounceAddress);
    m_imap = addServerFields(bf, QStringLiteral("imap"),
                             {tr("&IMAP server:"), tr("Po&rt:"), tr("Securit&y:"),
                              tr("Mailbox &user:"), tr("Mailbox pa&ssword:")},
                             true);
    m_imap.host->setPlaceholderText(tr("none: bounces are not read"));
    m_imapFolder = line("imapFolderEdit");
    m_imapFolder->setPlaceholderText(QStringLiteral("INBOX"));
    m_imapCaFile = line("imapCaFileEdit");
    m_imapCaFile->setPlaceholderText(tr("system certificates"));
    m_imapAllowPlain =
        new QCheckBox(tr("Allow the mailbox password over an unencrypted connection"), this);
    m_imapAllowPlain->setObjectName(QStringLiteral("imapAllowPlainCheck"));
    m_testMailbox = new QPushButton(tr("Te&st mailbox"), this);
    m_testMailbox->setObjectName(QStringLiteral("testMailboxButton"));
    m_testMailbox->setToolTip(
        tr("Sign in to the mailbox with these settings and count its unseen messages"));
    m_mailboxStatus = new QLabel(this);
    m_mailboxStatus->setObjectName(QStringLiteral("mailboxStatusLabel"));
    m_mailboxStatus->setWordWrap(true);
    bf->addRow(tr("Mailbo&x folder:"), m_imapFolder);
    bf->addRow(tr("CA fi&le:"), m_imapCaFile);
    bf->addRow(QString(), m_imapAllowPlain);
    auto *testRow = new QHBoxLayout;
    testRow->addWidget(m_testMailbox);
    testRow->addWidget(m_mailboxStatus, 1);
    bf->addRow(QString(), testRow);

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
    cl->addWidget(bounceBox);
    cl->addWidget(m_problem);
    cl->addLayout(buttons);
    cl->addStretch();
    content->setMaximumWidth(760);

    // The page scrolls when the window is shorter than its sections.
    auto *scroll = new QScrollArea(this);
    scroll->setObjectName(QStringLiteral("emailSettingsScroll"));
    scroll->setFrameShape(QFrame::NoFrame);
    scroll->setWidgetResizable(true);
    auto *inner = new QWidget(scroll);
    auto *il = new QVBoxLayout(inner);
    il->setContentsMargins(0, 0, 0, 0);
    il->addWidget(content);
    il->addStretch();
    scroll->setWidget(inner);
    auto *layout = new QVBoxLayout(this);
    layout->addWidget(title);
    layout->addWidget(scroll);

    if (!session.isAdmin) {
        m_save->setEnabled(false);
        m_save->setToolTip(tr("Only an Administrator may change the mail settings."));
        // The test signs in with the saved password: an administrator's to use.
        m_testMailbox->setEnabled(false);
        m_testMailbox->setToolTip(tr("Only an Administrator may read the bounce mailbox."));
    }
    connect(m_save, &QPushButton::clicked, this, &EmailSettingsPage::save);
    connect(revert, &QPushButton::clicked, this, &EmailSettingsPage::refresh);
    connect(test, &QPushButton::clicked, this, &EmailSettingsPage::sendTest);
    connect(m_testMailbox, &QPushButton::clicked, this, &EmailSettingsPage::testMailbox);
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
    m_smtp.host->setText(s->smtpHost);
    m_smtp.port->setValue(s->smtpPort);
    m_smtp.security->setCurrentIndex(std::max(0, m_smtp.security->findData(s->smtpSecurity)));
    m_smtp.user->setText(s->smtpUser);
    m_passwordStored = !s->smtpPasswordSealed.isEmpty();
    m_passwordStore->setText(
        m_passwordStored
            ? tr("The password is sealed in the database with the organisation's key: every "
                 "computer that holds the key file can send.")
        : !s->smtpUser.isEmpty()
            ? tr("No SMTP password is saved for the organisation: enter it, or mail stays "
                 "queued.")
            : QString());
    m_smtp.password->clear();
    m_smtp.password->setPlaceholderText(m_passwordStored ? tr("(stored; type to replace)")
                                                         : QString());
    m_caFile->setText(s->smtpCaFile);
    m_allowPlain->setChecked(s->smtpAllowPlainAuth);
    m_bounceAddress->setText(s->bounceAddress);
    m_imap.host->setText(s->imapHost);
    m_imap.port->setValue(s->imapPort);
    m_imap.security->setCurrentIndex(std::max(0, m_imap.security->findData(s->imapSecurity)));
    m_imap.user->setText(s->imapUser);
    m_imap.password->clear();
    m_imap.password->setPlaceholderText(
        s->imapPasswordSealed.isEmpty() ? QString() : tr("(stored; type to replace)"));
    m_imapFolder->setText(s->imapMailbox);
    m_imapCaFile->setText(s->imapCaFile);
    m_imapAllowPlain->setChecked(s->imapAllowPlainAuth);
    m_problem->clear();
}

MailSettingsLabels EmailSettingsPage::labels()
{
    MailSettingsLabels l;
    l.organisation = tr("The organisation");
    l.senderName = tr("The sender's name");
    l.sender = tr("The sender's name");
    l.user = tr("The user");
    l.host = tr("The host");
    l.folder = tr("The mailbox folder");
    l.passwordOnStandardInput = false;
    return l;
}

MailServerInput EmailSettingsPage::mailboxInput() const
{
    MailServerInput m;
    m.host = m_imap.host->text().trimmed();
    m.port = m_imap.port->value();
    m.security = m_imap.security->currentData().toString();
    m.user = m_imap.user->text().trimmed();
    if (!m_imap.password->text().isEmpty())
        m.password = m_imap.password->text();
    m.caFile = m_imapCaFile->text().trimmed();
    m.allowPlainAuth = m_imapAllowPlain->isChecked();
    return m;
}

bool EmailSettingsPage::save()
{
    auto loaded = OrgSettings::load(m_db);
    if (!loaded) {
        m_problem->setText(loaded.error().message);
        return false;
    }
    MailSettingsChange mail;
    mail.organisation = m_organisation->text();
    mail.sender = m_senderAddress->text();
    // The address field takes a mailbox too ("Acme CRM <noreply@acme.example>"), like --from:
    // then its name is the sender's.
    if (!m_senderAddress->text().contains(u'<'))
        mail.senderName = m_senderName->text();
    mail.acceptUrl = m_acceptUrl->text();
    mail.portalAcceptUrl = m_portalAcceptUrl->text();
    mail.cooldownMinutes = m_cooldown->value();
    mail.reminderDays = m_reminderDays->value();
    mail.transport = m_transport->currentData().toString();
    mail.mailDir = m_mailDir->text();
    mail.smtp.host = m_smtp.host->text().trimmed();
    mail.smtp.port = m_smtp.port->value();
    mail.smtp.security = m_smtp.security->currentData().toString();
    mail.smtp.user = m_smtp.user->text().trimmed();
    if (!m_smtp.password->text().isEmpty())
        mail.smtp.password = m_smtp.password->text();
    mail.smtp.caFile = m_caFile->text().trimmed();
    mail.smtp.allowPlainAuth = m_allowPlain->isChecked();

    // The bounce section is saved when it says something new: a changed bounce address, or a
    // mailbox host (an empty host keeps the mailbox as it is).
    std::optional<BounceSettingsChange> bounces;
    const QString bounceAddress = m_bounceAddress->text().trimmed();
    const MailServerInput box = mailboxInput();
    const QString folder = m_imapFolder->text().trimmed();
    const bool mailboxChanged =
        !box.host.isEmpty() &&
        (box.host != loaded->imapHost || box.port != loaded->imapPort ||
         box.security != loaded->imapSecurity || box.user != loaded->imapUser || box.password ||
         box.caFile != loaded->imapCaFile || box.allowPlainAuth != loaded->imapAllowPlainAuth ||
         (folder.isEmpty() ? QStringLiteral("INBOX") : folder) != loaded->imapMailbox);
    if (bounceAddress != loaded->bounceAddress || mailboxChanged) {
        BounceSettingsChange b;
        b.address = bounceAddress;
        if (mailboxChanged) {
            b.mailbox = box;
            b.folder = folder;
        }
        bounces = b;
    }

    MailSettingsService service(m_db, m_clock, m_session.userId, labels());
    // Both sections are checked before either is written.
    QString problem = service.mailProblem(mail);
    if (problem.isEmpty() && bounces)
        problem = service.bounceProblem(*bounces);
    if (!problem.isEmpty()) {
        m_problem->setText(problem);
        return false;
    }
    if (Status r = service.saveMail(mail); !r) {
        m_problem->setText(r.error().message);
        return false;
    }
    if (bounces)
        if (Status r = service.saveBounces(*bounces); !r) {
            m_problem->setText(r.error().message);
            return false;
        }
    // The organisation's sealed copy is the one every sender uses: an entry an older version
    // left in the keyring is stale from now on.
    QString storeNote;
    if (mail.smtp.user.isEmpty() || mail.smtp.password) {
        SmtpPasswordStore::remove(m_db.databaseId());
        if (mail.transport == u"smtp" && mail.smtp.password)
            storeNote = tr("The password is sealed in the database with the organisation's key: "
                           "every computer that holds the key file can send.");
    }
    refresh();
    if (!storeNote.isEmpty())
        m_passwordStore->setText(storeNote);
    emit statusMessage(tr("Mail settings saved."), 5000);
    return true;
}

void EmailSettingsPage::testMailbox()
{
    if (m_mailboxTest)
        return;
    MailSettingsService service(m_db, m_clock, m_session.userId, labels());
    auto settings = service.imapSettingsFor(mailboxInput(), m_imapFolder->text());
    if (!settings) {
        m_mailboxStatus->setText(settings.error().message);
        emit mailboxTested(false, settings.error().message);
        return;
    }
    ImapSettings s = settings.value();
    s.countOnly = true;
    // Asynchronous on this thread (QtNetwork): the window keeps answering while it signs in.
    auto *client = new ImapClient(s, this);
    m_mailboxTest = client;
    m_testMailbox->setEnabled(false);
    m_mailboxStatus->setText(tr("Signing in to %1…").arg(s.host));
    const QString host = s.host, folder = s.mailbox;
    connect(client, &ImapClient::finished, this, [this, client, host, folder](ImapClient::Error e) {
        client->deleteLater();
        m_testMailbox->setEnabled(m_session.isAdmin);
        const bool ok = e == ImapClient::Error::NoError;
        const QString text =
            ok ? (client->summary().unseen == 1
                      ? tr("Signed in to %1: 1 unseen message in %2.").arg(host, folder)
                      : tr("Signed in to %1: %2 unseen messages in %3.")
                            .arg(host)
                            .arg(client->summary().unseen)
                            .arg(folder))
               : tr("The bounce mailbox cannot be read: %1").arg(client->errorString());
        m_mailboxStatus->setText(text);
        emit mailboxTested(ok, text);
    });
    client->start({}, {});
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

EmailSettingsPage::ServerFields EmailSettingsPage::addServerFields(QFormLayout *form,
                                                                   const QString &prefix,
                                                                   const QStringList &labels,
                                                                   bool tlsFirst)
{
    ServerFields f;
    f.host = new QLineEdit(this);
    f.host->setObjectName(prefix + QStringLiteral("HostEdit"));
    f.port = new QSpinBox(this);
    f.port->setObjectName(prefix + QStringLiteral("PortSpin"));
    f.port->setRange(1, 65535);
    f.security = new QComboBox(this);
    f.security->setObjectName(prefix + QStringLiteral("SecurityCombo"));
    const int tls = tlsFirst ? 0 : 1;
    f.security->addItem(tr("STARTTLS"), QStringLiteral("starttls"));
    f.security->insertItem(tls, tr("TLS (implicit)"), QStringLiteral("tls"));
    f.security->addItem(tr("None (not encrypted)"), QStringLiteral("none"));
    f.user = new QLineEdit(this);
    f.user->setObjectName(prefix + QStringLiteral("UserEdit"));
    f.password = new QLineEdit(this);
    f.password->setObjectName(prefix + QStringLiteral("PasswordEdit"));
    f.password->setEchoMode(QLineEdit::Password);
    const QList<QWidget *> fields = {f.host, f.port, f.security, f.user, f.password};
    for (qsizetype i = 0; i < fields.size(); ++i)
        form->addRow(labels.value(i), fields[i]);
    return f;
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
