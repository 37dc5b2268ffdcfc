// roster-web: the invitee's side (SPEC §8). Answers the links of invitation mails on the path of
// the organisation's accept-url and portal-accept-url.
#include "app/formsecret.h"
#include "app/orgsettings.h"
#include "models/database.h"
#include "web/acceptsite.h"
#include "web/httpserver.h"
#include "web/languages.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QFile>
#include <QRegularExpression>
#include <QThread>
#include <QUrl>

#include <csignal>
#include <cstdio>
#include <pthread.h>

using namespace roster;
using namespace roster::web;

namespace {
enum Exit { Stopped = 0, CannotListen = 1, Usage = 2, DatabaseError = 5 };

// The command line's texts, under a context lupdate can see (a free tr() has none, so its
// strings never reached the .ts files).
struct RosterWeb
{
    Q_DECLARE_TR_FUNCTIONS(RosterWeb)
};

// One line per message on stderr, for the journal. Belt and braces: whatever a message holds,
// something shaped like a token (43 base64url characters, or a token= parameter) is cut out.
void logLine(QtMsgType type, const QMessageLogContext &, const QString &message)
{
    static const QRegularExpression secret(
        QStringLiteral("(token=)[^&\\s]*|(?<![A-Za-z0-9_-])[A-Za-z0-9_-]{43}(?![A-Za-z0-9_-])"));
    QString text = message;
    text.replace(secret, QStringLiteral("\\1[redacted]"));
    text.replace(u'\n', u' ').replace(u'\r', u' ');
    const char *level = type == QtDebugMsg     ? "debug"
                        : type == QtInfoMsg    ? "info"
                        : type == QtWarningMsg ? "warning"
                                               : "error";
    const QByteArray line = "roster-web: " + QByteArray(level) + ": " + text.toUtf8() + '\n';
    std::fwrite(line.constData(), 1, size_t(line.size()), stderr);
    std::fflush(stderr);
}

int usage(const QString &message)
{
    std::fprintf(stderr, "roster-web: %s\n", qPrintable(message));
    return Usage;
}

std::optional<QByteArray> readPem(const QString &path, QString *error)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly)) {
        *error = RosterWeb::tr("Cannot read %1: %2.").arg(path, f.errorString());
        return std::nullopt;
    }
    QByteArray pem = f.readAll();
    if (!pem.contains("-----BEGIN ")) {
        *error = RosterWeb::tr("%1 is not a PEM file.").arg(path);
        return std::nullopt;
    }
    return pem;
}
} // namespace

int main(int argc, char *argv[])
{
    // SIGINT and SIGTERM are taken by sigwait() below: blocked before any thread starts, so
    // every thread inherits the mask and none of them is interrupted.
    sigset_t stopSignals;
    sigemptyset(&stopSignals);
    sigaddset(&stopSignals, SIGINT);
    sigaddset(&stopSignals, SIGTERM);
    sigaddset(&stopSignals, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &stopSignals, nullptr);
    std::signal(SIGPIPE, SIG_IGN);

    qInstallMessageHandler(logLine);
    QCoreApplication app(argc, argv);
    QCoreApplication::setApplicationName(QStringLiteral("roster-web"));
    QCoreApplication::setApplicationVersion(QStringLiteral(ROSTER_VERSION));
    // The pages speak each request's language; the command line speaks the system's.
    Languages::install();
    const LanguageScope cliLanguage(Languages::ofSystem());

    QCommandLineParser parser;
    parser.setApplicationDescription(RosterWeb::tr(
        "Serves the links of Roster's invitation mails: the invitee chooses a password and "
        "the invitation is accepted."));
    parser.addHelpOption();
    parser.addVersionOption();
    const QCommandLineOption dbOption(
        QStringLiteral("db"),
        RosterWeb::tr("The organisation's database: an SQLite file or a postgresql:// URL."),
        RosterWeb::tr("PATH|URL"));
    const QCommandLineOption listenOption(
        QStringLiteral("listen"), RosterWeb::tr("Address and port to listen on (port 0: any)."),
        RosterWeb::tr("HOST:PORT"));
    const QCommandLineOption certOption(QStringLiteral("tls-cert"),
                                        RosterWeb::tr("Speak TLS with this certificate chain."),
                                        RosterWeb::tr("PEM"));
    const QCommandLineOption keyOption(QStringLiteral("tls-key"),
                                       RosterWeb::tr("The private key of --tls-cert."),
                                       RosterWeb::tr("PEM"));
    const QCommandLineOption proxyOption(
        QStringLiteral("trusted-proxy"),
        RosterWeb::tr("A reverse proxy whose X-Forwarded-For names the client (repeatable)."),
        RosterWeb::tr("ADDRESS"));
    const QCommandLineOption threadsOption(
        QStringLiteral("threads"),
        RosterWeb::tr("Worker threads (default: one per core, at least 2)."), RosterWeb::tr("N"));
    const QCommandLineOption perIpOption(
        QStringLiteral("max-connections-per-ip"),
        RosterWeb::tr("Open connections one address may hold (default 128)."), RosterWeb::tr("N"));
    parser.addOptions(
        {dbOption, listenOption, certOption, keyOption, proxyOption, threadsOption, perIpOption});
    if (!parser.parse(QCoreApplication::arguments()))
        return usage(parser.errorText());
    if (parser.isSet(QStringLiteral("help"))) {
        std::fputs(qPrintable(parser.helpText()), stdout);
        return Stopped;
    }
    if (parser.isSet(QStringLiteral("version"))) {
        std::printf("roster-web %s\n", ROSTER_VERSION);
        return Stopped;
    }
    if (!parser.positionalArguments().isEmpty())
        return usage(
            RosterWeb::tr("Unexpected argument \"%1\".").arg(parser.positionalArguments().first()));

    ServerSettings server;
    server.threads = unsigned(qMax(2, QThread::idealThreadCount()));
    if (!parser.isSet(listenOption))
        return usage(
            RosterWeb::tr("--listen HOST:PORT is required, e.g. --listen 127.0.0.1:8080."));
    {
        const QString listen = parser.value(listenOption);
        const qsizetype colon = listen.lastIndexOf(u':');
        bool numeric = false;
        const uint port = colon > 0 ? listen.mid(colon + 1).toUInt(&numeric) : 0;
        QString host = colon > 0 ? listen.left(colon) : QString();
        if (host.startsWith(u'[') && host.endsWith(u']'))
            host = host.mid(1, host.size() - 2);
        if (!numeric || port > 65535 || host.isEmpty())
            return usage(
                RosterWeb::tr("--listen wants HOST:PORT (e.g. 127.0.0.1:8080 or [::1]:8080), not "
                              "\"%1\".")
                    .arg(listen));
        server.host = host;
        server.port = quint16(port);
    }
    if (parser.isSet(certOption) != parser.isSet(keyOption))
        return usage(RosterWeb::tr("--tls-cert and --tls-key go together."));
    if (parser.isSet(certOption)) {
        QString error;
        auto cert = readPem(parser.value(certOption), &error);
        if (!cert)
            return usage(error);
        auto key = readPem(parser.value(keyOption), &error);
        if (!key)
            return usage(error);
        server.tlsCertPem = *cert;
        server.tlsKeyPem = *key;
    }
    if (parser.isSet(threadsOption)) {
        bool numeric = false;
        const uint n = parser.value(threadsOption).toUInt(&numeric);
        if (!numeric || n < 1 || n > 256)
            return usage(RosterWeb::tr("--threads wants a number from 1 to 256."));
        server.threads = n;
    }
    if (parser.isSet(perIpOption)) {
        bool numeric = false;
        const uint n = parser.value(perIpOption).toUInt(&numeric);
        if (!numeric || n < 1)
            return usage(RosterWeb::tr("--max-connections-per-ip wants a positive number."));
        server.perIpConnectionLimit = n;
    }
    SiteSettings site;
    site.tls = !server.tlsCertPem.isEmpty();
    for (const QString &p : parser.values(proxyOption)) {
        QHostAddress a;
        if (!a.setAddress(p))
            return usage(RosterWeb::tr("--trusted-proxy wants an IP address, not \"%1\".").arg(p));
        site.trustedProxies.append(a);
    }

    QString location = parser.value(dbOption);
    if (location.isEmpty())
        location = qEnvironmentVariable("ROSTER_DB");
    if (location.isEmpty())
        return usage(RosterWeb::tr("No database: give --db PATH|URL."));
    auto db = Database::open(location, Database::OpenMode::MustExist);
    if (!db) {
        std::fprintf(stderr, "roster-web: %s\n", qPrintable(db.error().message));
        return DatabaseError;
    }
    auto secret = formSecret(*db.value());
    if (!secret) {
        std::fprintf(stderr, "roster-web: %s\n", qPrintable(secret.error().message));
        return DatabaseError;
    }
    auto org = OrgSettings::load(*db.value());
    if (!org) {
        std::fprintf(stderr, "roster-web: %s\n", qPrintable(org.error().message));
        return DatabaseError;
    }

    AcceptSite accept(*db.value(), secret.value(), site);
    HttpServer http(server, [&accept](const Request &r) { return accept.handle(r); });
    if (Status s = http.start(); !s) {
        std::fprintf(stderr, "roster-web: %s\n", qPrintable(s.error().message));
        return CannotListen;
    }
    qCInfo(lcWeb, "%s", qPrintable(http.settings().describe()));
    QStringList proxies;
    for (const QHostAddress &a : std::as_const(site.trustedProxies))
        proxies << a.toString();
    qCInfo(lcWeb,
           "database %s; organisation \"%s\"; serving %s (CRM) and %s (Customer Portal); "
           "languages %s; X-Forwarded-For trusted from %s; at most %d refused POSTs a "
           "minute per client",
           qPrintable(db.value()->displayName()), qPrintable(org->organisation),
           qPrintable(QUrl(org->acceptUrl).path()), qPrintable(QUrl(org->portalAcceptUrl).path()),
           qPrintable(Languages::available().join(u',')),
           proxies.isEmpty() ? "nobody" : qPrintable(proxies.join(u',')),
           site.refusedPostsPerMinute);

    int signal = 0;
    sigwait(&stopSignals, &signal);
    qCInfo(lcWeb, "stopping (signal %d)", signal);
    http.stop();
    return Stopped;
}
