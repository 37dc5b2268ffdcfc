#pragma once

#include <QDialog>

class QFormLayout;
class QLabel;
class QLineEdit;
class QListWidget;
class QPushButton;
class QSpinBox;
class QStackedWidget;

namespace roster {

// First run, or when the database chosen is gone: create a new organisation (its first
// administrator), open an SQLite file, connect to a PostgreSQL server, open a recent database,
// or make a demo organisation to look around in.
class WelcomeDialog final : public QDialog
{
    Q_OBJECT

public:
    explicit WelcomeDialog(const QStringList &recentDatabases = {}, QWidget *parent = nullptr);

    // A file path or a postgresql:// URL (with the password typed here, if any; never stored).
    QString location() const { return m_location; }
    // The administrator to sign in as (the new organisation's or the demo's), or empty.
    QString suggestedEmail() const { return m_email; }
    // The password just chosen for a new organisation: signs in without asking again.
    QString suggestedPassword() const { return m_password; }

    // Tests: create the organisation at `path` from the create page's fields (no file dialog).
    bool createOrganisation(const QString &path);
    // The PostgreSQL page's fields as a URL (user and password percent-encoded).
    QString postgresUrl() const;

private:
    QWidget *makeChoicePage(const QStringList &recent);
    QWidget *makeCreatePage();
    QWidget *makePostgresPage();
    // Lays out a page of fields: `intro`, `form`, and `action` (the default button) beside Back
    // (to the choice page); returns the action's button.
    QPushButton *finishFormPage(QWidget *page, QLabel *intro, QFormLayout *form,
                                const QString &action);
    void openFile();
    void createDemo();
    void chooseNewFile();
    void showProblem(const QString &text);

    QStackedWidget *m_pages;
    QLabel *m_problem;
    QListWidget *m_recent = nullptr;
    QLineEdit *m_orgName = nullptr;
    QLineEdit *m_adminEmail = nullptr;
    QLineEdit *m_adminName = nullptr;
    QLineEdit *m_adminPassword = nullptr;
    QLineEdit *m_adminPassword2 = nullptr;
    QLineEdit *m_pgHost = nullptr;
    QSpinBox *m_pgPort = nullptr;
    QLineEdit *m_pgDatabase = nullptr;
    QLineEdit *m_pgUser = nullptr;
    QLineEdit *m_pgPassword = nullptr;
    QString m_location;
    QString m_email;
    QString m_password;
};

} // namespace roster
