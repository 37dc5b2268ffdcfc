// Issue 9, SPEC §7: hostile or broken input, as one table. Every row runs the real rosterctl (or
// the service layer directly, for what argv cannot carry, such as NUL) and asserts three things:
// the exit code, exactly one clear line on stderr, and that the stored data did not change —
// compared through a dump of every table (or the bytes of a broken database file). Mail rows may
// leave exactly what was completed: the test message's outbox row, deferred or failed.
//
// tst_rosterctl::badInput keeps the usage errors of the command line itself (unknown options,
// formats, states); this table is about the data.
#include "../smtp/smtptestservers.h"
#include "app/mailsetup.h"
#include "app/sealer.h"
#include "app/userservice.h"
#include "testsupport.h"

#include <QFile>
#include <QSqlDatabase>
#include <QSqlQuery>
#include <QStandardPaths>
#include <QTest>

#include <unistd.h>

using namespace roster;
using namespace testsupport;

namespace {

// What a row needs before rosterctl runs.
enum class Setup {
    Plain,
    Unconfirmed,      // una@acme.example, unconfirmed, past the cooldown
    AsManager,        // acting as a confirmed "User Manager" (Manage Users, not Administrator)
    TokenUsed,        // @TOKEN@: accepted already
    TokenRevoked,     // @TOKEN@: superseded by a re-invite
    TokenExpired,     // @TOKEN@: 7 days and 1 minute old
    TokenDeactivated, // @TOKEN@: its user was deactivated
    TokenCrm,         // @TOKEN@: a valid CRM user's token (offered to the portal accept page)
    DbGarbage,        // @DB@: 20 kB of random bytes
    DbTruncated,      // @DB@: the first page of a real Roster database
    DbHeaderOnly,     // @DB@: the 100-byte SQLite header of one
    DbEmpty,          // @DB@: a zero-byte file
    DbOtherApp,       // @DB@: an SQLite file of another program
    DbNewer,          // @DB@: a Roster database of schema 99
    DbLocked,         // the org's database, with a write transaction held by the test
    DbReadOnly,       // the org's database, rosterctl run as "nobody" (needs root and setpriv)
    SmtpDeadPort,     // SMTP on a port where nothing listens
    SmtpNoSuchHost,   // SMTP host name that does not resolve
    SmtpWrongPassword,
    SmtpWrongName,  // implicit TLS, a certificate for mail.example.com, connecting to 127.0.0.1
    SmtpNoStartTls, // --security starttls against a server that does not offer it
};

bool isDbFile(Setup s)
{
    return s >= Setup::DbGarbage && s <= Setup::DbNewer;
}
bool isSmtp(Setup s)
{
    return s >= Setup::SmtpDeadPort;
}

QString S(const char *s)
{
    return QString::fromUtf8(s);
}

} // namespace

Q_DECLARE_METATYPE(Setup)

class TestHostileInput : public QObject
{
    Q_OBJECT
    QTemporaryDir pki;
    std::unique_ptr<TestOrg> org;

    static QString show(const RunResult &r)
    {
        return QStringLiteral("exit %1\nstdout: %2\nstderr: %3")
            .arg(r.exitCode)
            .arg(r.out.left(2000), r.err.left(2000));
    }
    // SPEC §6: every error is one clear line: "rosterctl: " and a sentence, nothing else.
    static bool oneErrorLine(const RunResult &r)
    {
        return r.err.startsWith(QStringLiteral("rosterctl: ")) && r.err.endsWith(u'\n') &&
               r.err.count(u'\n') == 1 && r.err.size() > 25 && r.err.size() < 600;
    }

    QByteArray tokenFor(Setup setup)
    {
        const qint64 id = setup == Setup::TokenCrm
                              ? org->addUnconfirmedUser(S("tom@acme.example"))
                              : org->addUnconfirmedUser(S("tina@acme.example"));
        if (id <= 0)
            return {};
        org->clock().advanceMinutes(6);
        UserService s(org->db(), org->clock(), org->adminId());
        InvitationService invitations(org->db(), org->clock(), org->adminId());
        auto link = invitations.copyInviteLink(id);
        if (!link)
            return {};
        switch (setup) {
        case Setup::TokenUsed:
            if (!InvitationService::acceptInvitation(org->db(), org->clock(), link->token,
                                                     S("a strong password")))
                return {};
            break;
        case Setup::TokenRevoked:
            org->clock().advanceMinutes(6);
            if (!invitations.reinvite(id))
                return {};
            break;
        case Setup::TokenExpired:
            org->clock().advance(invitationLifetimeMs + 60000);
            break;
        case Setup::TokenDeactivated:
            if (!s.setActive(id, false))
                return {};
            break;
        default:
            break;
        }
        return link->token;
    }

    // A database file for the Db* rows, next to (not inside) the org's database.
    QString brokenDatabase(Setup setup)
    {
        const QString path = org->dir() + QStringLiteral("/broken.db");
        QByteArray bytes;
        if (setup == Setup::DbGarbage) {
            bytes.resize(20000);
            for (qsizetype i = 0; i < bytes.size(); ++i)
                bytes[i] = char((i * 7919 + 13) % 251);
        } else if (setup == Setup::DbTruncated || setup == Setup::DbHeaderOnly ||
                   setup == Setup::DbNewer) {
            if (!org->db().exec(QStringLiteral("PRAGMA wal_checkpoint(TRUNCATE)")))
                return {};
            bytes = readFile(org->location());
            if (setup == Setup::DbTruncated)
                bytes.truncate(4096);
            else if (setup == Setup::DbHeaderOnly)
                bytes.truncate(100);
        }
        QFile f(path);
        if (!f.open(QIODevice::WriteOnly))
            return {};
        f.write(bytes);
        f.close();
        if (setup == Setup::DbOtherApp || setup == Setup::DbNewer) {
            const QString name = QStringLiteral("hostile-craft");
            {
                QSqlDatabase c = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), name);
                c.setDatabaseName(path);
                if (!c.open())
                    return {};
                QSqlQuery q(c);
                const bool ok =
                    setup == Setup::DbOtherApp
                        ? q.exec(QStringLiteral(
                              "CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)")) &&
                              q.exec(QStringLiteral("INSERT INTO notes (body) VALUES ('keep me')"))
                        : q.exec(QStringLiteral(
                              "UPDATE meta SET value = '99' WHERE key = 'schema_version'"));
                // Back to a single file, so that the bytes compared afterwards are the whole
                // database.
                q.exec(QStringLiteral("PRAGMA journal_mode = DELETE"));
                c.close();
                if (!ok)
                    return {};
            }
            QSqlDatabase::removeDatabase(name);
        }
        return path;
    }

    // Servers for the Smtp* rows live as long as the row.
    std::unique_ptr<AiosmtpdServer> smtpServer;

    bool configureSmtp(Setup setup, QString *error)
    {
        auto st = OrgSettings::load(org->db()).value();
        st.transport = QStringLiteral("smtp");
        st.smtpHost = QStringLiteral("127.0.0.1");
        st.smtpSecurity = QStringLiteral("none");
        smtpServer.reset();
        switch (setup) {
        case Setup::SmtpDeadPort:
            st.smtpPort = freeLocalPort();
            break;
        case Setup::SmtpNoSuchHost:
            st.smtpHost = QStringLiteral("no-such-host.invalid");
            st.smtpPort = 25;
            break;
        case Setup::SmtpWrongPassword:
        case Setup::SmtpWrongName:
        case Setup::SmtpNoStartTls: {
            smtpServer = std::make_unique<AiosmtpdServer>();
            QStringList args;
            if (setup == Setup::SmtpWrongPassword)
                args = {QStringLiteral("--starttls"),
                        QStringLiteral("--cert"),
                        pki.filePath(QStringLiteral("server.pem")),
                        QStringLiteral("--key"),
                        pki.filePath(QStringLiteral("server.key")),
                        QStringLiteral("--auth"),
                        QStringLiteral("mailer:right")};
            else if (setup == Setup::SmtpWrongName)
                args = {QStringLiteral("--tls"), QStringLiteral("--cert"),
                        pki.filePath(QStringLiteral("elsewhere.pem")), QStringLiteral("--key"),
                        pki.filePath(QStringLiteral("elsewhere.key"))};
            if (!smtpServer->start(args, error))
                return false;
            st.smtpPort = smtpServer->port();
            st.smtpCaFile = pki.filePath(QStringLiteral("ca.pem"));
            st.smtpSecurity =
                setup == Setup::SmtpWrongName ? QStringLiteral("tls") : QStringLiteral("starttls");
            if (setup == Setup::SmtpWrongPassword) {
                auto sealer = Sealer::forDatabase(org->db());
                if (!sealer) {
                    *error = sealer.error().message;
                    return false;
                }
                st.smtpUser = QStringLiteral("mailer");
                st.smtpPasswordSealed = sealer->seal("wrong", smtpPasswordContext);
            }
            break;
        }
        default:
            break;
        }
        if (Status s = st.save(org->db()); !s) {
            *error = s.error().message;
            return false;
        }
        return true;
    }

    RunResult runAsNobody(const QStringList &args, const QProcessEnvironment &base)
    {
        RunResult r;
        QProcessEnvironment env = base;
        env.insert(QStringLiteral("HOME"), QStringLiteral("/tmp"));
        env.insert(QStringLiteral("XDG_CONFIG_HOME"), QStringLiteral("/tmp"));
        QProcess p;
        p.setProcessEnvironment(env);
        p.start(QStringLiteral("setpriv"),
                QStringList{QStringLiteral("--reuid=nobody"), QStringLiteral("--regid=nogroup"),
                            QStringLiteral("--clear-groups"), qEnvironmentVariable("ROSTERCTL")} +
                    args);
        p.closeWriteChannel();
        if (!p.waitForFinished(60000))
            return r;
        r.exitCode = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
        r.out = QString::fromUtf8(p.readAllStandardOutput());
        r.err = QString::fromUtf8(p.readAllStandardError());
        return r;
    }

private slots:
    void initTestCase()
    {
        QString error;
        QVERIFY2(TestPki::makeCa(pki.path(), QStringLiteral("ca"), &error), qPrintable(error));
        QVERIFY2(TestPki::makeServerCert(pki.path(), QStringLiteral("ca"), QStringLiteral("server"),
                                         QStringLiteral("DNS:localhost,IP:127.0.0.1"), &error),
                 qPrintable(error));
        QVERIFY2(TestPki::makeServerCert(pki.path(), QStringLiteral("ca"),
                                         QStringLiteral("elsewhere"),
                                         QStringLiteral("DNS:mail.example.com"), &error),
                 qPrintable(error));
    }
    void init()
    {
        org = std::make_unique<TestOrg>();
        QVERIFY2(org->isValid(), qPrintable(org->error()));
    }
    void cleanup()
    {
        smtpServer.reset();
        org.reset();
    }

    void hostileInput_data()
    {
        QTest::addColumn<Setup>("setup");
        QTest::addColumn<QStringList>("args");
        QTest::addColumn<QByteArray>("input");
        QTest::addColumn<int>("exitCode");
        QTest::addColumn<QString>("needle"); // in the stderr line (or, for exit 0, on stdout)

        const QByteArray pw("a strong password\n");
        const auto add = [](const QString &email, const QString &name = S("Nora North"),
                            const QStringList &extra = {}) {
            return QStringList{S("user"), S("add"), S("--email"), email, S("--name"), name} + extra;
        };
        const auto accept = [](const QString &token, const QStringList &extra = {}) {
            return QStringList{S("invitation"), S("accept"), S("--token"), token} + extra;
        };
        const auto configure = [](const QStringList &opts) {
            return QStringList{S("mail"), S("configure")} + opts;
        };
        const auto list = [](const QString &search) {
            return QStringList{S("user"), S("list"),     S("--search"),
                               search,    S("--format"), S("json")};
        };
        const QString long64 = QString(64, u'l');
        const QString label63 = QString(63, u'd');
        const QStringList mailTest{S("mail"), S("test"), S("--to"), S("ops@acme.example")};

        // --- Emails: malformed, look-alikes, duplicates
        // --------------------------------------------
        QTest::newRow("email: Cyrillic a in the domain")
            << Setup::Plain << add(S("nora@\u0430cme.example")) << QByteArray() << 2 << S("ASCII");
        QTest::newRow("email: Greek omicron look-alike")
            << Setup::Plain << add(S("n\u03bfra@acme.example")) << QByteArray() << 2 << S("ASCII");
        QTest::newRow("email: fullwidth at sign")
            << Setup::Plain << add(S("nora\uff20acme.example")) << QByteArray() << 2 << S("ASCII");
        QTest::newRow("email: IDN domain") << Setup::Plain << add(S("nora@b\u00fccher.example"))
                                           << QByteArray() << 2 << S("ASCII");
        QTest::newRow("email: zero-width space")
            << Setup::Plain << add(S("no\u200bra@acme.example")) << QByteArray() << 2 << S("ASCII");
        QTest::newRow("email: quoted local part")
            << Setup::Plain << add(S("\"nora.north\"@acme.example")) << QByteArray() << 2
            << S("quotation mark");
        QTest::newRow("email: comment") << Setup::Plain << add(S("nora(sales)@acme.example"))
                                        << QByteArray() << 2 << S("parenthesis");
        QTest::newRow("email: display name")
            << Setup::Plain << add(S("Nora <nora@acme.example>")) << QByteArray() << 2 << S("");
        QTest::newRow("email: trailing dot")
            << Setup::Plain << add(S("nora@acme.example.")) << QByteArray() << 2 << S("dot");
        QTest::newRow("email: leading dot")
            << Setup::Plain << add(S(".nora@acme.example")) << QByteArray() << 2 << S("dot");
        QTest::newRow("email: two @") << Setup::Plain << add(S("nora@north@acme.example"))
                                      << QByteArray() << 2 << S("more than one");
        QTest::newRow("email: IP literal")
            << Setup::Plain << add(S("nora@[192.0.2.1]")) << QByteArray() << 2 << S("");
        QTest::newRow("email: 65-char local part")
            << Setup::Plain << add(long64 + S("x@acme.example")) << QByteArray() << 2
            << S("65 characters");
        QTest::newRow("email: 259 characters")
            << Setup::Plain
            << add(long64 + u'@' + label63 + u'.' + label63 + u'.' + label63 + u'.' + S("example"))
            << QByteArray() << 2 << S("characters long");
        QTest::newRow("email: 10,000 characters")
            << Setup::Plain << add(QString(10000, u'x') + S("@acme.example")) << QByteArray() << 2
            << S("characters");
        QTest::newRow("email: duplicate, upper case")
            << Setup::Plain << add(S("ADMIN@ACME.EXAMPLE")) << QByteArray() << 3
            << S("already a user");
        QTest::newRow("email: duplicate, padded")
            << Setup::Plain << add(S("  admin@acme.example\t")) << QByteArray() << 3
            << S("already a user");
        QTest::newRow("email: duplicate of unconfirmed")
            << Setup::Unconfirmed << add(S("Una@Acme.EXAMPLE")) << QByteArray() << 3
            << S("re-invite them instead");

        // --- CR/LF and control characters in every field
        // -------------------------------------------
        QTest::newRow("email: CRLF header injection")
            << Setup::Plain << add(S("nora@acme.example\r\nBcc: all@evil.example")) << QByteArray()
            << 2 << S("");
        QTest::newRow("email: TAB")
            << Setup::Plain << add(S("nora\t@acme.example")) << QByteArray() << 2 << S("");
        QTest::newRow("email: U+2028 inside")
            << Setup::Plain << add(S("no\u2028ra@acme.example")) << QByteArray() << 2 << S("");
        QTest::newRow("name: TAB") << Setup::Plain << add(S("nora@acme.example"), S("Nora\tNorth"))
                                   << QByteArray() << 2 << S("control character");
        QTest::newRow("name: escape sequence")
            << Setup::Plain << add(S("nora@acme.example"), S("Nora \x1b[31mNorth")) << QByteArray()
            << 2 << S("control character");
        QTest::newRow("name: U+2028 line separator")
            << Setup::Plain << add(S("nora@acme.example"), S("Nora\u2028Bcc: x@evil.example"))
            << QByteArray() << 2 << S("control character");
        QTest::newRow("name: bidi override")
            << Setup::Plain << add(S("nora@acme.example"), S("Nora \u202egnp.exe")) << QByteArray()
            << 2 << S("control character");
        QTest::newRow("name: 10,000 accented characters")
            << Setup::Plain << add(S("nora@acme.example"), QString(10000, QChar(0xe9)))
            << QByteArray() << 2 << S("10000 characters");
        QTest::newRow("account: CRLF") << Setup::Plain
                                       << add(S("nora@acme.example"), S("Nora"),
                                              {S("--portal"), S("--account"), S("Acme\r\nInc")})
                                       << QByteArray() << 2 << S("control character");
        QTest::newRow("account: 10,000 characters")
            << Setup::Plain
            << add(S("nora@acme.example"), S("Nora"),
                   {S("--portal"), S("--account"), QString(10000, u'a')})
            << QByteArray() << 2 << S("10000 characters");
        QTest::newRow("profile: trailing LF")
            << Setup::Plain
            << add(S("nora@acme.example"), S("Nora"), {S("--profile"), S("Administrator\n")})
            << QByteArray() << 2 << S("control character");
        QTest::newRow("profile: SQL")
            << Setup::Plain
            << add(S("nora@acme.example"), S("Nora"), {S("--profile"), S("Standard' OR '1'='1")})
            << QByteArray() << 2 << S("No profile");
        QTest::newRow("org: CRLF")
            << Setup::Plain << configure({S("--org"), S("Acme\r\nBcc: x@evil.example")})
            << QByteArray() << 2 << S("control character");
        QTest::newRow("org: 10,000 characters")
            << Setup::Plain << configure({S("--org"), QString(10000, u'o')}) << QByteArray() << 2
            << S("10000 characters");
        QTest::newRow("from: CRLF")
            << Setup::Plain
            << configure({S("--from"), S("invites@acme.example\r\nBcc: x@evil.example")})
            << QByteArray() << 2 << S("");
        QTest::newRow("from-name: bidi override")
            << Setup::Plain << configure({S("--from-name"), S("Acme \u202eevil")}) << QByteArray()
            << 2 << S("control character");
        QTest::newRow("smtp host: CRLF")
            << Setup::Plain
            << configure({S("--transport"), S("smtp"), S("--host"),
                          S("mail.example\r\nRCPT TO:<x@evil.example>"), S("--port"), S("25"),
                          S("--security"), S("none")})
            << QByteArray() << 2 << S("control character");
        QTest::newRow("accept URL: CRLF")
            << Setup::Plain
            << configure(
                   {S("--accept-url"), S("https://crm.acme.example/accept\r\nSet-Cookie: a=b")})
            << QByteArray() << 2 << S("accept URL");
        QTest::newRow("accept URL: file scheme")
            << Setup::Plain << configure({S("--accept-url"), S("file:///etc/passwd")})
            << QByteArray() << 2 << S("accept URL");
        QTest::newRow("accept URL: no host")
            << Setup::Plain << configure({S("--portal-accept-url"), S("https:///accept")})
            << QByteArray() << 2 << S("accept URL");
        QTest::newRow("search: escape sequence") << Setup::Plain << list(S("\x1b]0;owned\x07"))
                                                 << QByteArray() << 2 << S("control character");
        QTest::newRow("search: 10,000 characters") << Setup::Plain << list(QString(10000, u's'))
                                                   << QByteArray() << 2 << S("10000 characters");
        QTest::newRow("init: CRLF in the admin name")
            << Setup::Plain
            << QStringList{S("--db"),          S("@NEWDB@"),      S("init"),  S("--admin-email"),
                           S("b@new.example"), S("--admin-name"), S("B\r\nC")}
            << pw << 2 << S("control character");

        // --- SQL metacharacters: bound values, LIKE wildcards escaped
        // ------------------------------
        QTest::newRow("sql: quote in reinvite")
            << Setup::Plain << QStringList{S("user"), S("reinvite"), S("' OR '1'='1")}
            << QByteArray() << 4 << S("No user");
        QTest::newRow("sql: --as injection")
            << Setup::Plain
            << QStringList{S("--as"), S("admin@acme.example' --"), S("user"), S("list")}
            << QByteArray() << 3 << S("Wrong email or password");
        QTest::newRow("sql: tautology in search")
            << Setup::Plain << list(S("' OR ''='")) << QByteArray() << 0 << S("\"count\":0");
        QTest::newRow("sql: LIKE percent in search")
            << Setup::Plain << list(S("%")) << QByteArray() << 0 << S("\"count\":0");
        QTest::newRow("sql: LIKE underscore in search")
            << Setup::Plain << list(S("_")) << QByteArray() << 0 << S("\"count\":0");

        // --- Tokens
        // -------------------------------------------------------------------------------
        QTest::newRow("token: 44 characters")
            << Setup::Plain << accept(QString(44, u'A')) << pw << 2 << S("not valid");
        QTest::newRow("token: 42 characters")
            << Setup::Plain << accept(QString(42, u'A')) << pw << 2 << S("not valid");
        QTest::newRow("token: standard base64 alphabet")
            << Setup::Plain << accept(QString(41, u'A') + S("+/")) << pw << 2 << S("not valid");
        QTest::newRow("token: padded")
            << Setup::Plain << accept(QString(42, u'A') + S("=")) << pw << 2 << S("not valid");
        QTest::newRow("token: non-canonical last character")
            << Setup::Plain << accept(QString(42, u'A') + u'B') << pw << 2 << S("not valid");
        QTest::newRow("token: Cyrillic look-alikes")
            << Setup::Plain << accept(QString(43, QChar(0x0410))) << pw << 2 << S("not valid");
        QTest::newRow("token: CRLF inside")
            << Setup::Plain << accept(QString(20, u'A') + S("\r\n") + QString(21, u'A')) << pw << 2
            << S("not valid");
        QTest::newRow("token: the whole link")
            << Setup::Plain
            << accept(S("https://crm.acme.example/accept?token=") + QString(43, u'A')) << pw << 2
            << S("not valid");
        QTest::newRow("token: already used")
            << Setup::TokenUsed << accept(S("@TOKEN@")) << pw << 3 << S("already accepted");
        QTest::newRow("token: revoked") << Setup::TokenRevoked << accept(S("@TOKEN@")) << pw << 3
                                        << S("replaced by a newer one");
        QTest::newRow("token: expired")
            << Setup::TokenExpired << accept(S("@TOKEN@")) << pw << 3 << S("expired");
        QTest::newRow("token: user deactivated")
            << Setup::TokenDeactivated << accept(S("@TOKEN@")) << pw << 3 << S("deactivated");
        QTest::newRow("token: CRM token on the portal")
            << Setup::TokenCrm << accept(S("@TOKEN@"), {S("--portal")}) << pw << 4
            << S("not valid");
        QTest::newRow("token: valid, password with a NUL")
            << Setup::TokenCrm << accept(S("@TOKEN@")) << QByteArray("a strong\0password\n", 19)
            << 2 << S("");

        // --- Database files
        // -----------------------------------------------------------------------
        const QStringList listAt{S("--db"), S("@DB@"), S("user"), S("list")};
        QTest::newRow("db: random bytes")
            << Setup::DbGarbage << listAt << QByteArray() << 5 << S("not an SQLite file");
        QTest::newRow("db: truncated to one page")
            << Setup::DbTruncated << listAt << QByteArray() << 5 << S("damaged");
        QTest::newRow("db: SQLite header only")
            << Setup::DbHeaderOnly << listAt << QByteArray() << 5 << S("damaged");
        QTest::newRow("db: empty file")
            << Setup::DbEmpty << listAt << QByteArray() << 4 << S("is empty");
        QTest::newRow("db: another program's SQLite")
            << Setup::DbOtherApp << listAt << QByteArray() << 5 << S("another program");
        QTest::newRow("db: newer schema")
            << Setup::DbNewer
            << QStringList{S("--db"),    S("@DB@"),           S("user"),   S("add"),
                           S("--email"), S("n@acme.example"), S("--name"), S("N")}
            << QByteArray() << 5 << S("newer Roster");
        QTest::newRow("db: locked, add")
            << Setup::DbLocked << add(S("nora@acme.example")) << QByteArray() << 5 << S("locked");
        QTest::newRow("db: locked, mail configure")
            << Setup::DbLocked << configure({S("--org"), S("Other")}) << QByteArray() << 5
            << S("locked");
        QTest::newRow("db: read-only, add") << Setup::DbReadOnly << add(S("nora@acme.example"))
                                            << QByteArray() << 5 << S("read-only");
        QTest::newRow("db: scheme ftp")
            << Setup::Plain
            << QStringList{S("--db"), S("ftp://files.example/roster.db"), S("user"), S("list")}
            << QByteArray() << 2 << S("scheme");
        QTest::newRow("db: scheme sqlite")
            << Setup::Plain
            << QStringList{S("--db"), S("sqlite:///tmp/roster.db"), S("user"), S("list")}
            << QByteArray() << 2 << S("scheme");
        QTest::newRow("db: a folder")
            << Setup::Plain << QStringList{S("--db"), S("/tmp"), S("user"), S("list")}
            << QByteArray() << 2 << S("folder");

        // --- Mail servers that fail
        // -----------------------------------------------------------------
        QTest::newRow("smtp: nothing listening")
            << Setup::SmtpDeadPort << mailTest << QByteArray() << 6 << S("");
        QTest::newRow("smtp: host does not resolve")
            << Setup::SmtpNoSuchHost << mailTest << QByteArray() << 6 << S("");
        QTest::newRow("smtp: wrong password")
            << Setup::SmtpWrongPassword << mailTest << QByteArray() << 6 << S("");
        QTest::newRow("smtp: certificate for another name")
            << Setup::SmtpWrongName << mailTest << QByteArray() << 6 << S("host name");
        QTest::newRow("smtp: STARTTLS required, not offered")
            << Setup::SmtpNoStartTls << mailTest << QByteArray() << 6 << S("STARTTLS");

        // --- Permissions with the GUI bypassed (SPEC §2.1, §1 Manage Users)
        // -------------------------
        QTest::newRow("manager: adds an Administrator")
            << Setup::AsManager
            << add(S("nora@acme.example"), S("Nora"), {S("--profile"), S("Administrator")})
            << QByteArray() << 3 << S("Administrator");
        QTest::newRow("manager: deactivates an Administrator")
            << Setup::AsManager << QStringList{S("user"), S("deactivate"), S("admin@acme.example")}
            << QByteArray() << 3 << S("Administrator");
        QTest::newRow("manager: changes the accept URL")
            << Setup::AsManager << configure({S("--accept-url"), S("https://evil.example/accept")})
            << QByteArray() << 3 << S("Administrator");
    }

    void hostileInput()
    {
        QFETCH(Setup, setup);
        QFETCH(QStringList, args);
        QFETCH(QByteArray, input);
        QFETCH(int, exitCode);
        QFETCH(QString, needle);
        if (org->engine() != u"sqlite" &&
            (isDbFile(setup) || setup == Setup::DbLocked || setup == Setup::DbReadOnly))
            QSKIP("SQLite files");
        if (setup == Setup::DbReadOnly &&
            (::geteuid() != 0 ||
             QStandardPaths::findExecutable(QStringLiteral("setpriv")).isEmpty()))
            QSKIP("needs root and setpriv to run rosterctl as the user nobody");

        QProcessEnvironment env = org->rosterctlEnvironment();
        env.insert(QStringLiteral("ROSTER_SMTP_TIMEOUT_MS"), QStringLiteral("5000"));
        env.insert(QStringLiteral("ROSTER_BUSY_TIMEOUT_MS"), QStringLiteral("200"));
        QString dbFile;
        switch (setup) {
        case Setup::Unconfirmed:
            QVERIFY(org->addUnconfirmedUser(S("una@acme.example")) > 0);
            org->clock().advanceMinutes(6);
            break;
        case Setup::AsManager:
            QVERIFY(org->addConfirmedUser(S("uma@acme.example"), S("User Manager")) > 0);
            env.insert(QStringLiteral("ROSTER_AS"), S("uma@acme.example"));
            break;
        case Setup::TokenUsed:
        case Setup::TokenRevoked:
        case Setup::TokenExpired:
        case Setup::TokenDeactivated:
        case Setup::TokenCrm: {
            const QByteArray token = tokenFor(setup);
            QCOMPARE(token.size(), 43);
            args.replaceInStrings(S("@TOKEN@"), QString::fromLatin1(token));
            break;
        }
        case Setup::DbGarbage:
        case Setup::DbTruncated:
        case Setup::DbHeaderOnly:
        case Setup::DbEmpty:
        case Setup::DbOtherApp:
        case Setup::DbNewer:
            dbFile = brokenDatabase(setup);
            QVERIFY(!dbFile.isEmpty());
            args.replaceInStrings(S("@DB@"), dbFile);
            break;
        default:
            if (isSmtp(setup)) {
                QString error;
                QVERIFY2(configureSmtp(setup, &error), qPrintable(error));
            }
            break;
        }
        // The tokens' setup moved the fake clock: rosterctl must see the same time.
        if (setup != Setup::AsManager) {
            const QString as = env.value(QStringLiteral("ROSTER_AS"));
            env = org->rosterctlEnvironment();
            env.insert(QStringLiteral("ROSTER_AS"), as);
            env.insert(QStringLiteral("ROSTER_SMTP_TIMEOUT_MS"), QStringLiteral("5000"));
            env.insert(QStringLiteral("ROSTER_BUSY_TIMEOUT_MS"), QStringLiteral("200"));
        }
        const QString newDb = org->dir() + QStringLiteral("/new.db");
        args.replaceInStrings(S("@NEWDB@"), newDb);

        const QByteArray fileBefore = dbFile.isEmpty() ? QByteArray() : readFile(dbFile);
        const QString before = org->dump();
        const qint64 maxOutbox =
            org->scalar(QStringLiteral("SELECT coalesce(max(id), 0) FROM outbox"));

        RunResult r;
        if (setup == Setup::DbLocked) {
            // Another writer holds the database for the whole run.
            QVERIFY(org->db().exec(QStringLiteral("BEGIN IMMEDIATE")));
            QVERIFY(org->db().exec(QStringLiteral("UPDATE settings SET value = value WHERE 0")));
            r = rosterctl(args, input, env);
            QVERIFY(org->db().exec(QStringLiteral("ROLLBACK")));
        } else if (setup == Setup::DbReadOnly) {
            QVERIFY(org->db().exec(QStringLiteral("PRAGMA wal_checkpoint(TRUNCATE)")));
            const auto readable =
                QFileDevice::ReadOwner | QFileDevice::WriteOwner | QFileDevice::ReadOther;
            QVERIFY(QFile::setPermissions(org->dir(), readable | QFileDevice::ExeOwner |
                                                          QFileDevice::ExeOther));
            const QStringList files{org->location(), org->location() + QStringLiteral("-wal"),
                                    org->location() + QStringLiteral("-shm"),
                                    org->dir() + QStringLiteral("/sealing.key")};
            for (const QString &f : files)
                QFile::setPermissions(f, readable);
            r = runAsNobody(args, env);
        } else {
            r = rosterctl(args, input, env);
        }

        QVERIFY2(r.exitCode == exitCode, qPrintable(show(r)));
        if (exitCode == 0) {
            QVERIFY2(r.err.isEmpty(), qPrintable(show(r)));
            QVERIFY2(r.out.contains(needle), qPrintable(show(r)));
        } else {
            QVERIFY2(oneErrorLine(r), qPrintable(show(r)));
            QVERIFY2(r.err.contains(needle, Qt::CaseInsensitive), qPrintable(show(r)));
        }
        // No secret ever reaches the error line.
        QVERIFY2(!r.err.contains(QStringLiteral("wrong\n")) &&
                     !r.err.contains(TestOrg::adminPassword()),
                 qPrintable(show(r)));

        if (!dbFile.isEmpty())
            QVERIFY2(readFile(dbFile) == fileBefore, "the broken database file was changed");
        QVERIFY2(!QFile::exists(newDb), "init made a database despite refusing its input");
        if (isSmtp(setup)) {
            // What was completed: the test message was queued and its attempt recorded. Exactly
            // that.
            QCOMPARE(org->scalar(QStringLiteral("SELECT count(*) FROM outbox WHERE id > ?"),
                                 {maxOutbox}),
                     1);
            QCOMPARE(
                org->scalar(
                    QStringLiteral(
                        "SELECT count(*) FROM outbox WHERE id > ? AND kind = 'test' AND "
                        "state IN ('deferred', 'failed') AND attempts = 1 AND sent_at IS NULL"),
                    {maxOutbox}),
                1);
            QVERIFY(
                org->db().exec(QStringLiteral("DELETE FROM outbox WHERE id > %1").arg(maxOutbox)));
        }
        const QString after = org->dump();
        QVERIFY2(after == before,
                 qPrintable(QStringLiteral("stored data changed:\n--- before\n%1\n--- after\n%2")
                                .arg(before.left(3000), after.left(3000))));
    }

    // What argv cannot carry (NUL) and what the console passes straight to the services: the same
    // refusals, with the GUI and rosterctl's own checks bypassed.
    void serviceLayer_data()
    {
        QTest::addColumn<QString>("email");
        QTest::addColumn<QString>("name");
        QTest::addColumn<QString>("account");
        QTest::addColumn<QString>("profile");
        QTest::addColumn<int>("kind");
        QTest::addColumn<int>("error");
        const QString nul = QString(QChar(0));
        const int crm = int(UserKind::Crm), portal = int(UserKind::Portal);
        const int invalid = int(ErrorKind::Invalid), refused = int(ErrorKind::Refused);
        QTest::newRow("NUL in email") << S("no") + nul + S("ra@acme.example") << S("Nora")
                                      << QString() << QString() << crm << invalid;
        QTest::newRow("NUL in name") << S("nora@acme.example") << S("No") + nul + S("ra")
                                     << QString() << QString() << crm << invalid;
        QTest::newRow("NUL in account")
            << S("nora@acme.example") << S("Nora") << S("Ac") + nul + S("me") << QString() << portal
            << invalid;
        QTest::newRow("CR in name") << S("nora@acme.example") << S("Nora\rBcc: x@evil.example")
                                    << QString() << QString() << crm << invalid;
        QTest::newRow("10,000-char name") << S("nora@acme.example") << QString(10000, u'n')
                                          << QString() << QString() << crm << invalid;
        QTest::newRow("whitespace name")
            << S("nora@acme.example") << S("\u00a0\t ") << QString() << QString() << crm << invalid;
        QTest::newRow("trailing LF email") << S("nora@acme.example\nBcc: x@evil.example")
                                           << S("Nora") << QString() << QString() << crm << invalid;
        QTest::newRow("duplicate, mixed case")
            << S("Admin@Acme.Example") << S("Nora") << QString() << QString() << crm << refused;
        QTest::newRow("LF after the profile") << S("nora@acme.example") << S("Nora") << QString()
                                              << S("Administrator\n") << crm << invalid;
        QTest::newRow("NUL in the profile") << S("nora@acme.example") << S("Nora") << QString()
                                            << S("Standard") + nul << crm << invalid;
        QTest::newRow("look-alike, Cyrillic e")
            << S("nora@acm\u0435.example") << S("Nora") << QString() << QString() << crm << invalid;
    }
    void serviceLayer()
    {
        QFETCH(QString, email);
        QFETCH(QString, name);
        QFETCH(QString, account);
        QFETCH(QString, profile);
        QFETCH(int, kind);
        QFETCH(int, error);
        const QString before = org->dump();
        UserService s(org->db(), org->clock(), org->adminId());
        NewUser nu;
        nu.kind = UserKind(kind);
        nu.email = email;
        nu.name = name;
        nu.account = account;
        nu.profile = profile;
        auto r = s.addUser(nu);
        QVERIFY(!r);
        QCOMPARE(int(r.error().kind), error);
        QVERIFY(!r.error().message.isEmpty());
        QVERIFY2(!r.error().message.contains(u'\n') && !r.error().message.contains(u'\r') &&
                     !r.error().message.contains(QChar(0)),
                 qPrintable(r.error().message));
        QCOMPARE(org->dump(), before);
    }

    // Tokens the accept page may receive, straight into the service: bytes argv cannot carry.
    void serviceLayerTokens_data()
    {
        QTest::addColumn<QByteArray>("token");
        QTest::newRow("NUL in the middle")
            << QByteArray(21, 'A') + QByteArray(1, '\0') + QByteArray(21, 'A');
        QTest::newRow("43 high bytes") << QByteArray(43, '\xff');
        QTest::newRow("1 MB") << QByteArray(1 << 20, 'A');
        QTest::newRow("SQL") << QByteArray("' OR token_hash IS NOT NULL --            ");
    }
    void serviceLayerTokens()
    {
        QFETCH(QByteArray, token);
        const QString before = org->dump();
        auto r = InvitationService::acceptInvitation(org->db(), org->clock(), token,
                                                     S("a strong password"));
        QVERIFY(!r);
        QVERIFY(r.error().kind == ErrorKind::Invalid || r.error().kind == ErrorKind::NotFound);
        QCOMPARE(org->dump(), before);
    }

    // SQL metacharacters in a valid name are stored verbatim (bound values, never spliced).
    void sqlMetacharactersAreStoredVerbatim()
    {
        const QString name = S("Robert'); DROP TABLE users; -- \"Bobby\" 100% _x_");
        const qint64 id = org->addUnconfirmedUser(S("o'brien@acme.example"), name);
        QVERIFY(id > 0);
        QCOMPARE(
            org->scalar(QStringLiteral("SELECT count(*) FROM users WHERE name = ? AND email = ?"),
                        {name, S("o'brien@acme.example")}),
            1);
        auto r =
            rosterctl({S("user"), S("list"), S("--search"), S("100%"), S("--format"), S("json")},
                      {}, org->rosterctlEnvironment());
        QCOMPARE(r.exitCode, 0);
        QVERIFY2(r.out.contains(S("\"count\":1")), qPrintable(r.out));
    }
};

QTEST_GUILESS_MAIN(TestHostileInput)
#include "tst_hostileinput.moc"
