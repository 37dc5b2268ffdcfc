#include "ui/welcomedialog.h"

#include "app/authservice.h"
#include "app/demodata.h"
#include "app/orgsettings.h"
#include "ui/vectoricon.h"

#include <QApplication>
#include <QDateTime>
#include <QDir>
#include <QFileDialog>
#include <QLabel>
#include <QMessageBox>
#include <QPushButton>
#include <QRandomGenerator>
#include <QStandardPaths>
#include <QVBoxLayout>

namespace roster {

WelcomeDialog::WelcomeDialog(QWidget *parent) : QDialog(parent), m_problem(new QLabel(this))
{
    setObjectName(QStringLiteral("welcomeDialog"));
    setWindowTitle(tr("Welcome to Roster"));
    setWindowIcon(vectorIcon(QStringLiteral(":/icons/roster.svg")));
    auto *text = new QLabel(tr("<h3>Welcome to Roster</h3><p>Roster keeps your CRM's users in "
                               "order: who is invited, who never accepted, who may sign in.</p>"
                               "<p>Open your organisation's database, or create a demo "
                               "organisation to look around.</p>"),
                            this);
    text->setWordWrap(true);
    auto *open = new QPushButton(tr("&Open a database file…"), this);
    auto *demo = new QPushButton(tr("Create a &demo organisation"), this);
    auto *quit = new QPushButton(tr("&Quit"), this);
    m_problem->setWordWrap(true);
    m_problem->setStyleSheet(QStringLiteral("color: #c62828;"));
    auto *layout = new QVBoxLayout(this);
    layout->addWidget(text);
    layout->addWidget(open);
    layout->addWidget(demo);
    layout->addWidget(m_problem);
    layout->addWidget(quit);
    connect(open, &QPushButton::clicked, this, &WelcomeDialog::openFile);
    connect(demo, &QPushButton::clicked, this, &WelcomeDialog::createDemo);
    connect(quit, &QPushButton::clicked, this, &QDialog::reject);
    setMinimumWidth(440);
}

void WelcomeDialog::openFile()
{
    const QString file =
        QFileDialog::getOpenFileName(this, tr("Open a Roster database"), QDir::homePath(),
                                     tr("Roster databases (*.db *.sqlite);;All files (*)"));
    if (file.isEmpty())
        return;
    m_location = file;
    accept();
}

void WelcomeDialog::createDemo()
{
    const QString dir = QStandardPaths::writableLocation(QStandardPaths::AppDataLocation);
    QDir().mkpath(dir);
    const QString path = dir + QStringLiteral("/demo-") +
                         QDateTime::currentDateTime().toString(QStringLiteral("yyyyMMdd-hhmmss")) +
                         QStringLiteral(".db");
    QApplication::setOverrideCursor(Qt::WaitCursor);
    auto db = Database::open(path, Database::OpenMode::CreateIfMissing);
    QString password;
    const QString alphabet =
        QStringLiteral("abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789");
    for (int i = 0; i < 16; ++i)
        password += alphabet.at(QRandomGenerator::system()->bounded(int(alphabet.size())));
    const QString email = QStringLiteral("admin@northwind.example");
    Status st = ok();
    if (!db) {
        st = db.error();
    } else {
        auto admin = AuthService::createFirstAdmin(*db.value(), processClock(), email,
                                                   QStringLiteral("Ada Admin"), password);
        if (!admin) {
            st = admin.error();
        } else if (auto s = OrgSettings::load(*db.value()); !s) {
            st = s.error();
        } else {
            OrgSettings settings = s.value();
            settings.organisation = QStringLiteral("Northwind Traders");
            settings.senderAddress = QStringLiteral("invitations@northwind.example");
            settings.senderName = QStringLiteral("Northwind Traders");
            st = settings.save(*db.value());
            if (st)
                st = generateDemoData(*db.value(), processClock(), admin->userId, DemoOptions{});
        }
    }
    QApplication::restoreOverrideCursor();
    if (!st) {
        m_problem->setText(st.error().message);
        return;
    }
    QMessageBox box(QMessageBox::Information, tr("Demo organisation created"),
                    tr("Northwind Traders is ready, with 200 users in every state.\n\n"
                       "Sign in as %1 with the password:\n\n%2\n\n"
                       "(Copy it now: it is shown only once.)")
                        .arg(email, password),
                    QMessageBox::Ok, this);
    box.setTextInteractionFlags(Qt::TextSelectableByMouse);
    box.exec();
    m_location = path;
    m_email = email;
    accept();
}

} // namespace roster
