#pragma once

#include "app/authservice.h"
#include "app/outbox.h"
#include "models/database.h"

#include <QWidget>

class QCheckBox;
class QComboBox;
class QLabel;
class QLineEdit;
class QPushButton;
class QSpinBox;
class QStackedWidget;

namespace roster {

class OutboxWorker;

// Setup › Email settings: how invitations leave (file folder or SMTP server), who they come
// from, the accept links, the re-invite cooldown and the automatic reminder; "Send test email"
// goes through the outbox and the background worker like any invitation. The SMTP password goes
// to the desktop keyring, or sealed into the database where there is none (the page says which).
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

signals:
    void statusMessage(const QString &text, int timeoutMs = 0);

private:
    void onDelivered(const QList<DeliveryReport> &reports);

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
    QLineEdit *m_host, *m_user, *m_password, *m_caFile;
    QSpinBox *m_port;
    QComboBox *m_security;
    QCheckBox *m_allowPlain;
    QLineEdit *m_testTo;
    QLabel *m_problem;
    QPushButton *m_save;
    qint64 m_testOutboxId = 0;
    bool m_passwordStored = false;
};

} // namespace roster
