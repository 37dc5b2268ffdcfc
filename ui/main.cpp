#include "app/clock.h"
#include "models/database.h"
#include "translations/translator.h"
#include "ui/mainwindow.h"
#include "ui/signindialog.h"
#include "ui/vectoricon.h"
#include "ui/welcomedialog.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QInputDialog>
#include <QMessageBox>
#include <QSettings>
#include <QUrl>

#include <cstring>

using namespace roster;

namespace {

constexpr int maxRecent = 8;

void setIdentity()
{
    QCoreApplication::setOrganizationName(QStringLiteral("Roster"));
    QCoreApplication::setApplicationName(QStringLiteral("roster"));
    QCoreApplication::setApplicationVersion(QStringLiteral(PROJECT_VERSION_STRING));
}

struct Options
{
    QCommandLineOption db{
        QStringLiteral("db"),
        QCoreApplication::translate("main", "The database: a file or a postgresql:// URL "
                                            "(default: ROSTER_DB, else the last one used)."),
        QStringLiteral("PATH|URL")};
};

void describe(QCommandLineParser &parser, const Options &o)
{
    parser.setApplicationDescription(
        QCoreApplication::translate("main", "Roster: the console for your CRM's users."));
    parser.addHelpOption();
    parser.addVersionOption();
    parser.addOption(o.db);
}

// --help and --version print and exit before any window system is touched: they work over ssh,
// in a package's post-install check, with no display at all.
bool wantsTextOnly(int argc, char **argv)
{
    for (int i = 1; i < argc; ++i)
        for (const char *o : {"-h", "--help", "-?", "--help-all", "-v", "--version"})
            if (std::strcmp(argv[i], o) == 0)
                return true;
    return false;
}

bool isPostgres(const QString &location)
{
    return location.startsWith(u"postgres://") || location.startsWith(u"postgresql://");
}

// Recent databases, newest first, never with a password (Database::displayName drops it).
void remember(QSettings &settings, const Database &db)
{
    QStringList recent = settings.value(QStringLiteral("recentDatabases")).toStringList();
    recent.removeAll(db.displayName());
    recent.prepend(db.displayName());
    while (recent.size() > maxRecent)
        recent.removeLast();
    settings.setValue(QStringLiteral("recentDatabases"), recent);
    // Never a password in the settings file: a PostgreSQL URL is remembered without it (the
    // password is asked for again, or comes from ~/.pgpass or PGPASSWORD).
    settings.setValue(QStringLiteral("lastDatabase"), db.displayName());
}

} // namespace

int main(int argc, char **argv)
{
    if (wantsTextOnly(argc, argv)) {
        QCoreApplication core(argc, argv);
        setIdentity();
        installTranslations();
        QCommandLineParser parser;
        Options o;
        describe(parser, o);
        parser.process(core); // prints and exits
        return 0;
    }

    QApplication app(argc, argv);
    setIdentity();
    QApplication::setApplicationDisplayName(QStringLiteral("Roster"));
    // Matches packaging/org.roster.Roster.desktop: the shell's icon and window grouping.
    QGuiApplication::setDesktopFileName(QStringLiteral("org.roster.Roster"));
    QApplication::setWindowIcon(vectorIcon(QStringLiteral(":/icons/roster.svg")));
    installTranslations();

    QCommandLineParser parser;
    Options o;
    describe(parser, o);
    parser.process(app);

    QSettings settings;
    QString location = parser.value(o.db);
    if (location.isEmpty())
        location = qEnvironmentVariable("ROSTER_DB");
    if (location.isEmpty())
        location = settings.value(QStringLiteral("lastDatabase")).toString();
    QString email = qEnvironmentVariable("ROSTER_AS");
    QString password = qEnvironmentVariable("ROSTER_PASSWORD");

    Clock &clock = processClock();
    std::unique_ptr<Database> db;
    std::optional<Session> session;
    while (!session) {
        while (!db) {
            const QStringList recent =
                settings.value(QStringLiteral("recentDatabases")).toStringList();
            if (location.isEmpty()) {
                WelcomeDialog welcome(recent);
                if (welcome.exec() != QDialog::Accepted)
                    return 0;
                location = welcome.location();
                if (!welcome.suggestedEmail().isEmpty()) {
                    email = welcome.suggestedEmail();
                    password = welcome.suggestedPassword();
                }
            }
            auto opened = Database::open(location, Database::OpenMode::MustExist);
            if (!opened && isPostgres(location) && QUrl(location).password().isEmpty()) {
                // A remembered server: its password was never stored, so ask for it.
                bool ok = false;
                const QString pw = QInputDialog::getText(
                    nullptr, QCoreApplication::translate("main", "PostgreSQL password"),
                    QCoreApplication::translate("main", "Password for %1:")
                        .arg(location.toHtmlEscaped()),
                    QLineEdit::Password, QString(), &ok);
                if (ok && !pw.isEmpty()) {
                    QUrl url(location);
                    url.setPassword(pw, QUrl::DecodedMode);
                    opened = Database::open(url.toString(QUrl::FullyEncoded),
                                            Database::OpenMode::MustExist);
                }
            }
            if (!opened) {
                QMessageBox::critical(
                    nullptr, QCoreApplication::translate("main", "Cannot open the database"),
                    opened.error().message);
                location.clear();
                continue;
            }
            db = std::move(opened).value();
        }
        remember(settings, *db);

        // Like rosterctl: ROSTER_AS + ROSTER_PASSWORD sign in without the dialog (scripts,
        // demos); so does the password just chosen for a new organisation.
        if (!email.isEmpty() && !password.isEmpty()) {
            AuthService auth(*db, clock);
            if (auto s = auth.signIn(email, password))
                session = s.value();
            password.clear();
        }
        if (session)
            break;
        SignInDialog signIn(*db, clock);
        signIn.setRecentDatabases(settings.value(QStringLiteral("recentDatabases")).toStringList());
        signIn.setEmail(email);
        const int result = signIn.exec();
        if (result == SignInDialog::SwitchDatabase) {
            location = signIn.switchTo(); // empty: the welcome dialog
            db.reset();
            continue;
        }
        if (result != QDialog::Accepted || !signIn.session())
            return 0;
        session = signIn.session();
    }

    MainWindow window(std::move(db), clock, *session);
    window.show();
    if (!session->notice.isEmpty()) {
        // Only the one who just signed in sees it (e.g. that wrong passwords locked the
        // account meanwhile).
        auto *box = new QMessageBox(QMessageBox::Information,
                                    QCoreApplication::translate("main", "Since you last signed in"),
                                    session->notice, QMessageBox::Ok, &window);
        box->setAttribute(Qt::WA_DeleteOnClose);
        box->open();
    }
    return QApplication::exec();
}
