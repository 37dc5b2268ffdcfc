#pragma once

#include "app/authservice.h"

#include <QDialog>

#include <optional>

class QLabel;
class QLineEdit;
class QPushButton;

namespace roster {

// Email + password; only Administrators and Manage Users profiles get a session (AuthService
// decides, with one message for a wrong email and a wrong password alike).
class SignInDialog final : public QDialog
{
    Q_OBJECT

public:
    SignInDialog(Database &db, const Clock &clock, QWidget *parent = nullptr);

    void setEmail(const QString &email);
    std::optional<Session> session() const { return m_session; }
    QString message() const;
    void accept() override;

private:
    Database &m_db;
    const Clock &m_clock;
    QLineEdit *m_email;
    QLineEdit *m_password;
    QLabel *m_message;
    QPushButton *m_signIn;
    std::optional<Session> m_session;
};

} // namespace roster
