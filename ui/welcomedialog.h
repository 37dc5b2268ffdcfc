#pragma once

#include <QDialog>

class QLabel;

namespace roster {

// First run, when no database was named: open an organisation's database file, or make a demo
// organisation to look around in.
class WelcomeDialog final : public QDialog
{
    Q_OBJECT

public:
    explicit WelcomeDialog(QWidget *parent = nullptr);

    QString location() const { return m_location; }
    // The administrator to sign in as (the demo's), or empty.
    QString suggestedEmail() const { return m_email; }

private:
    void openFile();
    void createDemo();

    QLabel *m_problem;
    QString m_location;
    QString m_email;
};

} // namespace roster
