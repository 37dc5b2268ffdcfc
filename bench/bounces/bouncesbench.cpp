// Issue 15's speed targets: `rosterctl bounces fetch` of a mailbox of 10,000 messages, 2,000 of
// them Postfix DSNs for queued invitations and 8,000 other mail, on a private Dovecot on loopback
// (tests/support/privatemail.h, the servers tst_bounces runs), then later fetches with nothing new.
// Prints the whole process's time and, apart, what it is made of: process start, sign-in, the TLS
// handshake with Dovecot and the fetch itself (BounceService::fetch in this process).
//   build/release/bench/bounces/bounces_bench [--messages N] [--reports N] [--runs N]
// Needs dovecot-imapd and openssl; the organisation is a temporary SQLite database (or PostgreSQL
// with ROSTER_TEST_ENGINE=postgresql and ROSTER_TEST_PG_URL, as the test suites). See
// docs/performance.md.
#include "app/bounceservice.h"
#include "app/orgsettings.h"
#include "app/passwordhasher.h"
#include "app/sealer.h"
#include "privatemail.h"
#include "testsupport.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QElapsedTimer>
#include <QFile>
#include <QSqlQuery>
#include <QSslConfiguration>
#include <QSslSocket>

#include <algorithm>
#include <cstdio>

using namespace roster;
using namespace testsupport;

namespace {

QByteArray sample(const char *name)
{
    QFile f(QStringLiteral(ROSTER_SOURCE_DIR "/tests/mail/bounces/") + QString::fromLatin1(name));
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}

// Postfix's DSN as tst_bounces receives it, for another tag, recipient and queue id.
QByteArray dsnFor(const QByteArray &tmpl, const QByteArray &tag, const QByteArray &email, int i)
{
    QByteArray m = tmpl;
    const QByteArray queueId = QByteArray::number(0x4F1B21C0000 + i, 16).toUpper();
    m.replace("k7m2qx4ab5cd6efg", tag)
        .replace("jon.smiht@bouncing.test", email)
        .replace("4F1B21C0A8E", queueId)
        .replace("0123456789abcdef0123456789abcdef", QByteArray::number(i).rightJustified(32, '0'));
    return m;
}

// Other mail: questions, auto-replies, newsletters; none of them a report.
QByteArray otherMail(const QList<QByteArray> &kinds, int i)
{
    QByteArray m = kinds.at(i % kinds.size());
    const QByteArray n = QByteArray::number(i);
    m.replace("<hello.1@acme.test>", QByteArray("<other." + n + "@acme.test>"))
        .replace("<oof.1234@acme.test>", QByteArray("<oof." + n + "@acme.test>"))
        .replace("Why did I get this?", QByteArray("Question " + n));
    m += "\nFiller line " + n + " to give it a body of a usual size.\n" + QByteArray(1200, 'x') +
         '\n';
    return m;
}

double ms(qint64 ns)
{
    return double(ns) / 1e6;
}

struct Stats
{
    QList<double> v;
    double median() const
    {
        QList<double> s = v;
        std::sort(s.begin(), s.end());
        return s.isEmpty() ? 0 : s.at(s.size() / 2);
    }
    double min() const { return v.isEmpty() ? 0 : *std::min_element(v.begin(), v.end()); }
    double max() const { return v.isEmpty() ? 0 : *std::max_element(v.begin(), v.end()); }
};

void print(const char *what, const Stats &s)
{
    std::printf("  %-58s median %8.1f ms  min %8.1f  max %8.1f  (n=%lld)\n", what, s.median(),
                s.min(), s.max(), static_cast<long long>(s.v.size()));
}

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    QCommandLineParser parser;
    parser.addHelpOption();
    parser.addOption({QStringLiteral("messages"), QStringLiteral("Messages in the mailbox."),
                      QStringLiteral("N"), QStringLiteral("10000")});
    parser.addOption({QStringLiteral("reports"), QStringLiteral("Of which DSNs."),
                      QStringLiteral("N"), QStringLiteral("2000")});
    parser.addOption({QStringLiteral("runs"), QStringLiteral("Empty fetches to time."),
                      QStringLiteral("N"), QStringLiteral("20")});
    parser.addOption({QStringLiteral("trace"),
                      QStringLiteral("Also print one empty fetch's IMAP log, with times.")});
    parser.process(app);
    const int total = parser.value(QStringLiteral("messages")).toInt();
    const int reports = std::min(total, parser.value(QStringLiteral("reports")).toInt());
    const int runs = std::max(1, parser.value(QStringLiteral("runs")).toInt());
    qputenv("ROSTERCTL", ROSTERCTL_PATH);

    QString error;
    PrivateDovecot dovecot;
    if (!dovecot.start(&error)) {
        std::fprintf(stderr, "dovecot: %s\n", qPrintable(error));
        return 1;
    }
    TestOrg org;
    if (!org.isValid()) {
        std::fprintf(stderr, "database: %s\n", qPrintable(org.error()));
        return 1;
    }
    const QProcessEnvironment env = org.rosterctlEnvironment();
    auto ctl = [&](const QStringList &args, const QByteArray &input = {}) {
        return rosterctl(args, input, env);
    };
    auto must = [](const RunResult &r, const char *what) {
        if (r.exitCode != 0) {
            std::fprintf(stderr, "%s: exit %d: %s\n", what, r.exitCode, qPrintable(r.err));
            std::exit(1);
        }
    };
    must(ctl({QStringLiteral("mail"), QStringLiteral("configure"), QStringLiteral("--transport"),
              QStringLiteral("file"), QStringLiteral("--dir"), org.mailDir()}),
         "mail configure");
    must(ctl({QStringLiteral("bounces"), QStringLiteral("configure"), QStringLiteral("--address"),
              QStringLiteral("bounces@roster.test")}),
         "bounces configure --address");

    // The invitations the reports are about: queued, then sent (file transport) with their tags.
    QElapsedTimer t;
    t.start();
    for (int i = 0; i < reports; ++i)
        if (!org.addUnconfirmedUser(QStringLiteral("user%1@bouncing.test").arg(i)))
            return 1;
    while (org.deliver() > 0) {
    }
    QSqlQuery q = org.db().prepare(QStringLiteral(
        "SELECT u.email, o.bounce_tag FROM users u JOIN outbox o ON o.id = u.last_outbox_id "
        "WHERE o.bounce_tag IS NOT NULL AND o.bounce_tag <> '' ORDER BY u.id"));
    if (!org.db().exec(q))
        return 1;
    QList<std::pair<QByteArray, QByteArray>> tagged;
    while (q.next())
        tagged.append({q.value(0).toString().toUtf8(), q.value(1).toString().toLatin1()});
    q.finish();
    if (tagged.size() != reports) {
        std::fprintf(stderr, "%lld tagged invitations, %d wanted\n",
                     static_cast<long long>(tagged.size()), reports);
        return 1;
    }
    const QByteArray dsn = sample("postfix-dsn-failure.eml");
    const QList<QByteArray> kinds{sample("ordinary-mail.eml"), sample("out-of-office.eml"),
                                  sample("out-of-office-xautoreply.eml")};
    // Reports spread among the other mail, as they arrive in a real bounce mailbox.
    const int every = reports > 0 ? std::max(1, total / reports) : total + 1;
    int r = 0, o = 0;
    for (int i = 0; i < total; ++i) {
        const bool report = r < reports && (i % every == 0 || total - i <= reports - r);
        const QByteArray m =
            report ? dsnFor(dsn, tagged.at(r).second, tagged.at(r).first, r) : otherMail(kinds, o);
        (report ? r : o)++;
        if (!dovecot.drop(m, &error)) {
            std::fprintf(stderr, "%s\n", qPrintable(error));
            return 1;
        }
    }
    std::printf("bounces bench: %d messages (%d DSNs, %d other) on Dovecot, %s; set up in %.1f s\n",
                total, r, o, qPrintable(org.engine()), double(t.elapsed()) / 1000);

    must(ctl({QStringLiteral("bounces"), QStringLiteral("configure"), QStringLiteral("--host"),
              QStringLiteral("localhost"), QStringLiteral("--port"),
              QString::number(dovecot.imapsPort()), QStringLiteral("--security"),
              QStringLiteral("tls"), QStringLiteral("--user"), PrivateDovecot::user(),
              QStringLiteral("--ca-file"), dovecot.caFile()},
             PrivateDovecot::password() + '\n'),
         "bounces configure --host");

    // The first fetch, then again while it says more is waiting.
    int bounced = 0, fetches = 0;
    QElapsedTimer all;
    all.start();
    for (;;) {
        QElapsedTimer one;
        one.start();
        const RunResult f = ctl({QStringLiteral("bounces"), QStringLiteral("fetch")});
        const double took = ms(one.nsecsElapsed());
        must(f, "bounces fetch");
        const int lines = int(f.out.count(QStringLiteral("bounced ")));
        bounced += lines;
        ++fetches;
        std::printf("  fetch %d: %8.1f ms, %d bounced%s\n", fetches, took, lines,
                    f.err.contains(QStringLiteral("More messages")) ? ", more waiting" : "");
        if (!f.err.contains(QStringLiteral("More messages")) || fetches > 10)
            break;
    }
    std::printf("  first fetch of the mailbox, all of it: %.1f ms in %d run(s), %d of %d reports "
                "applied (target < 10 s)\n",
                ms(all.nsecsElapsed()), fetches, bounced, reports);

    // Later fetches with nothing new: the whole process, then its parts.
    Stats whole, version, signedIn, inProcess, handshake, systemCas, argon, dbOpen;
    int systemCaCount = 0;
    for (int i = 0; i < runs; ++i) {
        QElapsedTimer one;
        one.start();
        const RunResult f = ctl({QStringLiteral("bounces"), QStringLiteral("fetch")});
        whole.v << ms(one.nsecsElapsed());
        must(f, "bounces fetch (empty)");
        if (!f.out.trimmed().isEmpty()) {
            std::fprintf(stderr, "an empty fetch printed: %s\n", qPrintable(f.out));
            return 1;
        }
        one.restart();
        must(ctl({QStringLiteral("--version")}), "--version");
        version.v << ms(one.nsecsElapsed());
        // Signed in, one small query, no mail: the database and Argon2 part of the process.
        one.restart();
        must(ctl({QStringLiteral("user"), QStringLiteral("list"), QStringLiteral("--view"),
                  QStringLiteral("admins")}),
             "user list");
        signedIn.v << ms(one.nsecsElapsed());
    }
    auto settings = OrgSettings::load(org.db());
    auto sealer = Sealer::forDatabase(org.db());
    if (!settings || !sealer)
        return 1;
    const QString hash = PasswordHasher::hash(TestOrg::adminPassword());
    for (int i = 0; i < runs; ++i) {
        QElapsedTimer one;
        one.start();
        if (!PasswordHasher::verify(hash, TestOrg::adminPassword()))
            return 1;
        argon.v << ms(one.nsecsElapsed());
        one.restart();
        auto db = Database::open(org.location(), Database::OpenMode::MustExist);
        dbOpen.v << ms(one.nsecsElapsed());
        if (!db)
            return 1;
    }
    for (int i = 0; i < runs; ++i) {
        BounceService service(org.db(), org.clock());
        QElapsedTimer one;
        one.start();
        auto f = service.fetch(settings.value(), sealer.value());
        inProcess.v << ms(one.nsecsElapsed());
        if (!f || !f->lines.isEmpty()) {
            std::fprintf(stderr, "in-process fetch: %s\n",
                         f ? "read something" : qPrintable(f.error().message));
            return 1;
        }
        // The TLS handshake alone (TCP connect included), with the same trust as the client.
        QSslSocket s;
        QSslConfiguration conf = QSslConfiguration::defaultConfiguration();
        conf.addCaCertificates(dovecot.caFile());
        s.setSslConfiguration(conf);
        one.restart();
        s.connectToHostEncrypted(QStringLiteral("localhost"), dovecot.imapsPort());
        if (!s.waitForEncrypted(10000)) {
            std::fprintf(stderr, "handshake: %s\n", qPrintable(s.errorString()));
            return 1;
        }
        handshake.v << ms(one.nsecsElapsed());
        s.abort();
        one.restart();
        const qsizetype n = QSslConfiguration::systemCaCertificates().size();
        systemCas.v << ms(one.nsecsElapsed());
        systemCaCount = int(n);
    }
    if (parser.isSet(QStringLiteral("trace"))) {
        QProcessEnvironment traced = env;
        traced.insert(QStringLiteral("QT_LOGGING_RULES"), QStringLiteral("roster.*.debug=true"));
        traced.insert(QStringLiteral("QT_MESSAGE_PATTERN"),
                      QStringLiteral("%{time process} %{category} %{message}"));
        const RunResult f =
            rosterctl({QStringLiteral("bounces"), QStringLiteral("fetch")}, {}, traced);
        std::printf("one empty fetch, traced (seconds since the process started):\n%s\n",
                    qPrintable(f.err));
    }
    std::printf("later fetches with nothing new (target < 100 ms):\n");
    print("rosterctl bounces fetch, the whole process", whole);
    print("  rosterctl --version (process start, no database)", version);
    print("  rosterctl user list --view admins (start + sign-in)", signedIn);
    print("    Argon2id verify (the sign-in's password check)", argon);
    print("    database open + schema check", dbOpen);
    print("  BounceService::fetch in this process (the fetch itself)", inProcess);
    print("    TCP connect + TLS handshake with Dovecot", handshake);
    print(qPrintable(
              QStringLiteral("    reading the system's %1 CA certificates").arg(systemCaCount)),
          systemCas);
    return 0;
}
