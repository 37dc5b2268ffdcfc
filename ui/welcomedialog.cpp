#include "ui/welcomedialog.h"

#include "app/authservice.h"
#include "app/demodata.h"
#include "app/orgsettings.h"
#include "app/validation.h"
#include "ui/vectoricon.h"

#include <QApplication>
#include <QDateTime>
#include <QDialogButtonBox>
#include <QDir>
#include <QFile>
#include <QFileDialog>
#include <QFormLayout>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QMessageBox>
#include <QPushButton>
#include <QRandomGenerator>
#include <QRegularExpression>
#include <QSpinBox>
#include <QStackedWidget>
#include <QStandardPaths>
#include <QUrl>
#include <QVBoxLayout>

namespace roster {

namespace {
enum PageIndex { ChoicePage, CreatePage, PostgresPage };
} // namespace

WelcomeDialog::WelcomeDialog(const QStringList &recentDatabases, QWidget *parent)
    : QDialog(parent), m_pages(new QStackedWidget(this)), m_problem(new QLabel(this))
{
    setObjectName(QStringLiteral("welcomeDialog"));
    setWindowTitle(tr("Welcome to Roster"));
    setWindowIcon(vectorIcon(QStringLiteral(":/icons/roster.svg")));
    m_pages->addWidget(makeChoicePage(recentDatabases));
    m_pages->addWidget(makeCreatePage());
    m_pages->addWidget(makePostgresPage());
    m_problem->setObjectName(QStringLiteral("problemLabel"));
    m_problem->setWordWrap(true);
    m_problem->setStyleSheet(QStringLiteral("color: #d32f2f;"));
    m_problem->hide();
    auto *layout = new QVBoxLayout(this);
    layout->addWidget(m_pages);
    layout->addWidget(m_problem);
    connect(m_pages, &QStackedWidget::currentChanged, this, [this] { m_problem->hide(); });
    setMinimumWidth(480);
}

QWidget *WelcomeDialog::makeChoicePage(const QStringList &recent)
{
    auto *page = new QWidget(this);
    auto *text = new QLabel(tr("<h3>Welcome to Roster</h3><p>Roster keeps your CRM's users in "
                               "order: who is invited, who never accepted, who may sign in.</p>"),
                            page);
    text->setWordWrap(true);
    auto button = [page](const QString &label, const QString &name, const QString &description) {
        auto *b = new QPushButton(label, page);
        b->setObjectName(name);
        b->setAccessibleDescription(description);
        b->setToolTip(description);
        return b;
    };
    auto *create = button(tr("&Create a new organisation…"), QStringLiteral("createButton"),
                          tr("A new database file with you as its first administrator"));
    auto *open = button(tr("&Open a database file…"), QStringLiteral("openButton"),
                        tr("An organisation's existing Roster database (SQLite)"));
    auto *pg = button(tr("Connect to a &PostgreSQL server…"), QStringLiteral("postgresButton"),
                      tr("An organisation's database on a PostgreSQL server"));
    auto *demo = button(tr("Open the &demo organisation"), QStringLiteral("demoButton"),
                        tr("Northwind Traders, with 200 made-up users in every state"));
    auto *quit = button(tr("&Quit"), QStringLiteral("quitButton"), tr("Close Roster"));
    auto *layout = new QVBoxLayout(page);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(text);
    for (QPushButton *b : {create, open, pg, demo})
        layout->addWidget(b);
    if (!recent.isEmpty()) {
        auto *label = new QLabel(tr("&Recent databases:"), page);
        m_recent = new QListWidget(page);
        m_recent->setObjectName(QStringLiteral("recentList"));
        m_recent->setAccessibleName(tr("Recent databases"));
        m_recent->setAccessibleDescription(tr("Press Enter or double-click to open"));
        m_recent->addItems(recent);
        m_recent->setMaximumHeight(m_recent->sizeHintForRow(0) * 5 + 6);
        label->setBuddy(m_recent);
        layout->addWidget(label);
        layout->addWidget(m_recent);
        connect(m_recent, &QListWidget::itemActivated, this, [this](QListWidgetItem *item) {
            m_location = item->text();
            accept();
        });
    }
    layout->addStretch();
    layout->addWidget(quit, 0, Qt::AlignRight);
    connect(create, &QPushButton::clicked, this, [this] {
        m_pages->setCurrentIndex(CreatePage);
        m_orgName->setFocus();
    });
    connect(open, &QPushButton::clicked, this, &WelcomeDialog::openFile);
    connect(pg, &QPushButton::clicked, this, [this] {
        m_pages->setCurrentIndex(PostgresPage);
        m_pgHost->setFocus();
    });
    connect(demo, &QPushButton::clicked, this, &WelcomeDialog::createDemo);
    connect(quit, &QPushButton::clicked, this, &QDialog::reject);
    return page;
}

QWidget *WelcomeDialog::makeCreatePage()
{
    auto *page = new QWidget(this);
    auto *intro = new QLabel(tr("<h3>A new organisation</h3><p>You become its first "
                                "administrator; invite everyone else from the Users page.</p>"),
                             page);
    intro->setWordWrap(true);
    auto edit = [page](const char *name) {
        auto *e = new QLineEdit(page);
        e->setObjectName(QString::fromLatin1(name));
        return e;
    };
    m_orgName = edit("orgNameEdit");
    m_adminEmail = edit("adminEmailEdit");
    m_adminEmail->setPlaceholderText(tr("you@example.com"));
    m_adminName = edit("adminNameEdit");
    m_adminPassword = edit("adminPasswordEdit");
    m_adminPassword->setEchoMode(QLineEdit::Password);
    m_adminPassword2 = edit("adminPassword2Edit");
    m_adminPassword2->setEchoMode(QLineEdit::Password);
    auto *form = new QFormLayout;
    form->addRow(tr("&Organisation:"), m_orgName);
    form->addRow(tr("Your &email:"), m_adminEmail);
    form->addRow(tr("Your &name:"), m_adminName);
    form->addRow(tr("&Password:"), m_adminPassword);
    form->addRow(tr("&Repeat password:"), m_adminPassword2);
    QPushButton *next = finishFormPage(page, intro, form, tr("Choose &file and create…"));
    next->setObjectName(QStringLiteral("createOrgButton"));
    connect(next, &QPushButton::clicked, this, &WelcomeDialog::chooseNewFile);
    return page;
}

QWidget *WelcomeDialog::makePostgresPage()
{
    auto *page = new QWidget(this);
    auto *intro = new QLabel(tr("<h3>A PostgreSQL server</h3><p>The password is used for this "
                                "connection only and never stored; next time Roster asks again "
                                "(or reads ~/.pgpass).</p>"),
                             page);
    intro->setWordWrap(true);
    m_pgHost = new QLineEdit(QStringLiteral("localhost"), page);
    m_pgHost->setObjectName(QStringLiteral("pgHostEdit"));
    m_pgPort = new QSpinBox(page);
    m_pgPort->setObjectName(QStringLiteral("pgPortSpin"));
    m_pgPort->setRange(1, 65535);
    m_pgPort->setValue(5432);
    m_pgDatabase = new QLineEdit(QStringLiteral("roster"), page);
    m_pgDatabase->setObjectName(QStringLiteral("pgDatabaseEdit"));
    m_pgUser = new QLineEdit(page);
    m_pgUser->setObjectName(QStringLiteral("pgUserEdit"));
    m_pgPassword = new QLineEdit(page);
    m_pgPassword->setObjectName(QStringLiteral("pgPasswordEdit"));
    m_pgPassword->setEchoMode(QLineEdit::Password);
    auto *form = new QFormLayout;
    form->addRow(tr("&Host:"), m_pgHost);
    form->addRow(tr("P&ort:"), m_pgPort);
    form->addRow(tr("&Database:"), m_pgDatabase);
    form->addRow(tr("&User:"), m_pgUser);
    form->addRow(tr("Pass&word:"), m_pgPassword);
    QPushButton *connectButton = finishFormPage(page, intro, form, tr("&Connect"));
    connectButton->setObjectName(QStringLiteral("pgConnectButton"));
    connect(connectButton, &QPushButton::clicked, this, [this] {
        if (m_pgHost->text().trimmed().isEmpty() || m_pgDatabase->text().trimmed().isEmpty()) {
            showProblem(tr("Give the server's host name and the database's name."));
            return;
        }
        m_location = postgresUrl();
        accept();
    });
    return page;
}

QPushButton *WelcomeDialog::finishFormPage(QWidget *page, QLabel *intro, QFormLayout *form,
                                           const QString &action)
{
    auto *buttons = new QDialogButtonBox(page);
    QPushButton *button = buttons->addButton(action, QDialogButtonBox::AcceptRole);
    button->setDefault(true);
    QPushButton *back = buttons->addButton(tr("&Back"), QDialogButtonBox::RejectRole);
    connect(back, &QPushButton::clicked, this, [this] { m_pages->setCurrentIndex(ChoicePage); });
    auto *layout = new QVBoxLayout(page);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(intro);
    layout->addLayout(form);
    layout->addStretch();
    layout->addWidget(buttons);
    return button;
}

QString WelcomeDialog::postgresUrl() const
{
    QUrl url;
    url.setScheme(QStringLiteral("postgresql"));
    url.setHost(m_pgHost->text().trimmed());
    url.setPort(m_pgPort->value());
    url.setPath(u'/' + m_pgDatabase->text().trimmed());
    if (!m_pgUser->text().isEmpty())
        url.setUserName(m_pgUser->text(), QUrl::DecodedMode);
    if (!m_pgPassword->text().isEmpty())
        url.setPassword(m_pgPassword->text(), QUrl::DecodedMode);
    return url.toString(QUrl::FullyEncoded);
}

void WelcomeDialog::showProblem(const QString &text)
{
    m_problem->setText(text);
    m_problem->setVisible(!text.isEmpty());
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

void WelcomeDialog::chooseNewFile()
{
    // Check what can be checked before asking where to put the file.
    if (m_adminPassword->text() != m_adminPassword2->text()) {
        showProblem(tr("The two passwords differ: type the same password twice."));
        m_adminPassword2->clear();
        m_adminPassword2->setFocus();
        return;
    }
    if (const QString p = textFieldProblem(tr("The organisation name"), m_orgName->text(), 200);
        !p.isEmpty() || m_orgName->text().trimmed().isEmpty()) {
        showProblem(p.isEmpty() ? tr("Give the organisation's name.") : p);
        m_orgName->setFocus();
        return;
    }
    QString suggested = m_orgName->text().trimmed().toLower();
    suggested.replace(QRegularExpression(QStringLiteral("[^a-z0-9]+")), QStringLiteral("-"));
    const QString file =
        QFileDialog::getSaveFileName(this, tr("Where to keep the new organisation's database"),
                                     QDir::home().filePath(suggested + QStringLiteral(".db")),
                                     tr("Roster databases (*.db *.sqlite);;All files (*)"));
    if (file.isEmpty())
        return;
    if (createOrganisation(file))
        accept();
}

bool WelcomeDialog::createOrganisation(const QString &path)
{
    if (m_adminPassword->text() != m_adminPassword2->text()) {
        showProblem(tr("The two passwords differ: type the same password twice."));
        return false;
    }
    if (QFile::exists(path)) {
        // Never overwrite an organisation: the file dialog has already asked, but a database
        // that holds users must be opened, not replaced.
        showProblem(tr("%1 already exists: choose a new file name, or open it instead.")
                        .arg(QDir::toNativeSeparators(path)));
        return false;
    }
    QApplication::setOverrideCursor(Qt::WaitCursor);
    Status st = ok();
    auto db = Database::open(path, Database::OpenMode::CreateIfMissing);
    const QString email = m_adminEmail->text().trimmed();
    if (!db) {
        st = db.error();
    } else if (auto admin = AuthService::createFirstAdmin(*db.value(), processClock(), email,
                                                          m_adminName->text().trimmed(),
                                                          m_adminPassword->text());
               !admin) {
        st = admin.error();
    } else if (auto s = OrgSettings::load(*db.value()); !s) {
        st = s.error();
    } else {
        OrgSettings settings = s.value();
        settings.organisation = m_orgName->text().trimmed();
        st = settings.save(*db.value());
    }
    QApplication::restoreOverrideCursor();
    if (!st) {
        // A half-made file would be offered as an organisation next time: remove it.
        if (db)
            db.value().reset();
        QFile::remove(path);
        showProblem(st.error().message);
        return false;
    }
    m_location = path;
    m_email = email;
    m_password = m_adminPassword->text();
    return true;
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
        showProblem(st.error().message);
        return;
    }
    QMessageBox box(QMessageBox::Information, tr("Demo organisation created"),
                    tr("Northwind Traders is ready, with 200 users in every state.\n\n"
                       "Sign in as %1 with the password:\n\n%2\n\n"
                       "(Copy it now: it is shown only once.)")
                        .arg(email, password),
                    QMessageBox::Ok, this);
    box.setObjectName(QStringLiteral("demoCredentials"));
    box.setTextInteractionFlags(Qt::TextSelectableByMouse);
    box.exec();
    m_location = path;
    m_email = email;
    accept();
}

} // namespace roster
