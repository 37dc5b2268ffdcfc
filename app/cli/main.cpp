#include "app/cli/cli.h"
#include "translations/translator.h"

#include <QCoreApplication>
#include <QLoggingCategory>

int main(int argc, char **argv)
{
    // No desktop integration to serve here: Qt's own event dispatcher instead of GLib's, on this
    // thread and on the SMTP session's. GLib's wakes its poll through an eventfd each time a
    // socket notifier is switched on, two write/poll/read rounds a message sent.
    qputenv("QT_NO_GLIB", "1");
    QCoreApplication app(argc, argv);
    // Errors reach the user as one line from the command itself; the subsystems' log lines are
    // for ROSTER_DEBUG=1 (or QT_LOGGING_RULES).
    if (qEnvironmentVariableIsEmpty("ROSTER_DEBUG") &&
        qEnvironmentVariableIsEmpty("QT_LOGGING_RULES"))
        QLoggingCategory::setFilterRules(QStringLiteral("roster.*=false\nqt.*.warning=false"));
    QCoreApplication::setApplicationName(QStringLiteral("rosterctl"));
    QCoreApplication::setOrganizationName(QStringLiteral("roster"));
    QCoreApplication::setApplicationVersion(QStringLiteral(ROSTER_VERSION));
    // Messages in the user's language; JSON keys, CSV headers, exit codes and the per-recipient
    // words (sent, deferred, failed) are a contract for scripts and never translated.
    roster::installTranslations();
    QStringList args = QCoreApplication::arguments();
    args.removeFirst();
    return roster::cli::run(args);
}
