#include "app/clock.h"
#include "models/database.h"
#include "ui/mainwindow.h"
#include "ui/signindialog.h"
#include "ui/vectoricon.h"
#include "ui/welcomedialog.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QMessageBox>
#include <QSettings>

using namespace roster;

int main(int argc, char **argv)
{
    QApplication app(argc, argv);
    QApplication::setOrganizationName(QStringLiteral("Roster"));
    QApplication::setApplicationName(QStringLiteral("roster"));
    QApplication::setApplicationDisplayName(QStringLiteral("Roster"));
    QApplication::setApplicationVersion(QStringLiteral(PROJECT_VERSION_STRING));
    QApplication::setWindowIcon(vectorIcon(QStringLiteral(":/icons/roster.svg")));

    QCommandLineParser parser;
    parser.setApplicationDescription(
        QApplication::translate("main", "Roster: the console for your CRM's users."));
    parser.addHelpOption();
    parser.addVersionOption();
    QCommandLineOption dbOption(
        QStringLiteral("db"),
        QApplication::translate("main", "The database: a file or a postgresql:// URL (default: "
                                        "ROSTER_DB, else the last one used)."),
        QStringLiteral("PATH|URL"));
    parser.addOption(dbOption);
    parser.process(app);

    QSettings settings;
    QString location = parser.value(dbOption);
    if (location.isEmpty())
        location = qEnvironmentVariable("ROSTER_DB");
    if (location.isEmpty())
        location = settings.value(QStringLiteral("lastDatabase")).toString();
    QString email = qEnvironmentVariable("ROSTER_AS");

    Clock &clock = processClock();
    std::unique_ptr<Database> db;
    while (!db) {
        if (location.isEmpty()) {
            WelcomeDialog welcome;
            if (welcome.exec() != QDialog::Accepted)
                return 0;
            location = welcome.location();
            if (!welcome.suggestedEmail().isEmpty())
                email = welcome.suggestedEmail();
        }
        auto opened = Database::open(location, Database::OpenMode::MustExist);
        if (!opened) {
            QMessageBox::critical(nullptr,
                                  QApplication::translate("main", "Cannot open the database"),
                                  opened.error().message);
            location.clear();
            continue;
        }
        db = std::move(opened).value();
    }
    // Never a password in the settings file: a PostgreSQL URL is remembered without it (the
    // server's own ~/.pgpass or PGPASSWORD supplies it next time).
    settings.setValue(QStringLiteral("lastDatabase"), db->displayName());

    std::optional<Session> session;
    // Like rosterctl: ROSTER_AS + ROSTER_PASSWORD sign in without the dialog (scripts, demos).
    if (const QString pw = qEnvironmentVariable("ROSTER_PASSWORD");
        !email.isEmpty() && !pw.isEmpty()) {
        AuthService auth(*db, clock);
        if (auto s = auth.signIn(email, pw))
            session = s.value();
    }
    if (!session) {
        SignInDialog signIn(*db, clock);
        signIn.setEmail(email);
        if (signIn.exec() != QDialog::Accepted || !signIn.session())
            return 0;
        session = signIn.session();
    }

    MainWindow window(std::move(db), clock, *session);
    window.show();
    return QApplication::exec();
}
