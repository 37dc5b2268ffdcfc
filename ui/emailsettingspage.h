#pragma once

#include "app/authservice.h"
#include "app/mailsettingsservice.h"
#include "app/outbox.h"
#include "models/database.h"

#include <QPointer>
#include <QWidget>

class QCheckBox;
class QComboBox;
class QFormLayout;
class QLabel;
class QLineEdit;
class QPushButton;
class QSpinBox;
class QStackedWidget;

namespace roster {

class ImapClient;
class OutboxWorker;

// Setup › Email settings: how invitations leave (file folder or SMTP server), who they come
// from, the accept links, the re-invite cooldown and the automatic reminder; "Send test email"
// goes through the outbox and the background worker like any invitation. The SMTP password goes
// to the desktop keyring, or sealed into the database where there is none (the page says which).
// The Bounces section (SPEC §9) holds the envelope sender and the IMAP mailbox the reports come
// back to; its Test button signs in and counts the unseen messages without blocking the window.
// Validation, permission and audit are MailSettingsService's, in rosterctl's words.
class EmailSettingsPage final : public QWidget
{
    Q_OBJECT

public:
    EmailSettingsPage(Database &db, const Clock &clock, const Session &session,
                      OutboxWorker *worker, QWidget *parent = nullptr);

public slots:
    void refresh();
    bool save();
    void sendTest();
    // Signs in to the mailbox the fields describe (the saved password when the field is empty)
    // and counts its unseen messages; the answer goes to mailboxStatusLabel and mailboxTested.
    void testMailbox();

signals:
    void statusMessage(const QString &text, int timeoutMs = 0);
    void mailboxTested(bool ok, const QString &text);

private:
    // What the SMTP server and the bounce mailbox both have.
    struct ServerFields
    {
        QLineEdit *host;
        QSpinBox *port;
        QComboBox *security;
        QLineEdit *user;
        QLineEdit *password;
    };
    // Makes them (named `prefix`HostEdit, `prefix`PortSpin, …) as rows of `form` under `labels`;
    // the security combo offers STARTTLS, TLS and none, or TLS first.
    ServerFields addServerFields(QFormLayout *form, const QString &prefix,
                                 const QStringList &labels, bool tlsFirst);
    void onDelivered(const QList<DeliveryReport> &reports);
    static MailSettingsLabels labels();
    MailServerInput mailboxInput() const;

    Database &m_db;
    const Clock &m_clock;
    Session m_session;
    OutboxWorker *m_worker;
    QLineEdit *m_organisation, *m_senderName, *m_senderAddress, *m_acceptUrl, *m_portalAcceptUrl;
    QSpinBox *m_cooldown;
    QSpinBox *m_reminderDays;
    QLabel *m_passwordStore; // where the SMTP password is kept: keyring, or sealed in the database
    QComboBox *m_transport;
    QStackedWidget *m_transportPages;
    QLineEdit *m_mailDir;
    ServerFields m_smtp;
    QLineEdit *m_caFile;
    QCheckBox *m_allowPlain;
    QLineEdit *m_bounceAddress, *m_imapFolder, *m_imapCaFile;
    ServerFields m_imap;
    QCheckBox *m_imapAllowPlain;
    QPushButton *m_testMailbox;
    QLabel *m_mailboxStatus;
    QPointer<ImapClient> m_mailboxTest;
    QLineEdit *m_testTo;
    QLabel *m_problem;
    QPushButton *m_save;
    qint64 m_testOutboxId = 0;
    bool m_passwordStored = false;
};

} // namespace roster
