#pragma once

#include "app/authservice.h"

#include <QDialog>

#include <optional>

class QComboBox;
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
    // done() code when another database was chosen: switchTo() says which ("" = the welcome).
    static constexpr int SwitchDatabase = 2;

    SignInDialog(Database &db, const Clock &clock, QWidget *parent = nullptr);

    // Offers these databases (besides the open one) and "Other…" in the Database field.
    void setRecentDatabases(const QStringList &locations);
    QString switchTo() const { return m_switchTo; }

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
    QComboBox *m_database;
    QString m_switchTo;
    std::optional<Session> m_session;
};

} // namespace roster
