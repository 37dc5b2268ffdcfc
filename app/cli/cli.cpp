#include "app/cli/cli.h"

#include "app/audit.h"
#include "app/authservice.h"
#include "app/bounceservice.h"
#include "app/demodata.h"
#include "app/mail/emailaddress.h"
#include "app/mailsetup.h"
#include "app/orgsettings.h"
#include "app/outbox.h"
#include "app/sealer.h"
#include "app/userservice.h"
#include "app/validation.h"
#include "models/csvwriter.h"
#include "models/userrepository.h"

#include "app/mail/smtp/smtpsettings.h"

#include <QCoreApplication>
#include <QDateTime>
#include <QFile>
#include <QFileInfo>
#include <QHash>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QRandomGenerator>
#include <QSet>
#include <QTextStream>
#include <QTimeZone>

#include <cstdio>
#include <optional>

namespace roster::cli {

namespace {

QString tr(const char *s, int n = -1)
{
    return QCoreApplication::translate("rosterctl", s, nullptr, n);
}

QTextStream &out()
{
    static QTextStream s(stdout);
    return s;
}

// Every error is one line on stderr.
void errorLine(const QString &message)
{
    QString m = message;
    m.replace(u'\n', u' ');
    QTextStream e(stderr);
    e << "rosterctl: " << m << Qt::endl;
}

int exitFor(ErrorKind kind)
{
    switch (kind) {
    case ErrorKind::Invalid:
        return Usage;
    case ErrorKind::Refused:
        return Refused;
    case ErrorKind::NotFound:
        return NotFound;
    case ErrorKind::Database:
    case ErrorKind::Cancelled:
        return DatabaseError;
    case ErrorKind::Mail:
        return MailError;
    }
    return DatabaseError;
}

int fail(const Error &e)
{
    errorLine(e.message);
    return exitFor(e.kind);
}

int usage(const QString &message)
{
    errorLine(message + u' ' + tr("(see \"rosterctl --help\")"));
    return Usage;
}

struct Args
{
    QStringList positional;
    QHash<QString, QString> values;
    QSet<QString> flags;
    QString value(const QString &k) const { return values.value(k); }
    bool has(const QString &k) const { return values.contains(k) || flags.contains(k); }
};

// Options taking a value and plain flags, per command; anything else is a usage error.
std::optional<Args> parseArgs(const QStringList &argv, const QStringList &valueOptions,
                              const QStringList &flagOptions, QString *error)
{
    Args a;
    for (qsizetype i = 0; i < argv.size(); ++i) {
        QString arg = argv.at(i);
        if (arg == u"--") {
            a.positional += argv.mid(i + 1);
            break;
        }
        if (!arg.startsWith(u"--") || arg.size() == 2) {
            a.positional << arg;
            continue;
        }
        QString name = arg.mid(2);
        std::optional<QString> inlineValue;
        if (const qsizetype eq = name.indexOf(u'='); eq > 0) {
            inlineValue = name.mid(eq + 1);
            name = name.left(eq);
        }
        if (valueOptions.contains(name)) {
            if (inlineValue) {
                a.values.insert(name, *inlineValue);
            } else if (i + 1 < argv.size()) {
                a.values.insert(name, argv.at(++i));
            } else {
                *error = tr("--%1 needs a value.").arg(name);
                return std::nullopt;
            }
        } else if (flagOptions.contains(name) && !inlineValue) {
            a.flags.insert(name);
        } else {
            *error = tr("Unknown option --%1.").arg(name);
            return std::nullopt;
        }
    }
    return a;
}

std::optional<QString> readStdinLine()
{
    static QTextStream in(stdin);
    if (in.atEnd())
        return std::nullopt;
    QString line = in.readLine();
    if (line.isNull())
        return std::nullopt;
    if (line.endsWith(u'\r'))
        line.chop(1);
    return line;
}

QString isoTime(qint64 ms)
{
    return QDateTime::fromMSecsSinceEpoch(ms, QTimeZone::utc()).toString(Qt::ISODate);
}

const char *const globalHelp = R"(Usage: rosterctl [--db PATH|URL] [--as EMAIL] COMMAND ...

Manage a Roster organisation's users from scripts. ROSTER_DB and ROSTER_AS are the defaults of
--db and --as; acting commands read the password of --as from ROSTER_PASSWORD, else from the
first line of standard input.

Commands:
  init --admin-email E --admin-name N [--org NAME]   new database and its first Administrator
                                                     (password from stdin)
  demo [--users N] [--admin-email E --admin-name N]  new database of demo data
  user add --email E --name N [--profile P] [--portal] [--account A] [--queue-only]
  user list [--view all|active|inactive|unconfirmed|confirmed|admins|expiring|failed|bounced|
             requested]
            [--search TEXT] [--portal] [--format table|json|csv]
  user reinvite EMAIL... | --all-unconfirmed [--expired-only]   [--portal] [--queue-only]
  user activate EMAIL...      user deactivate EMAIL...          [--portal]
  user history EMAIL [--portal] [--format table|json]
  user change-email OLD NEW [--portal] [--queue-only]
                 (unconfirmed users: new address, old invitations revoked, a new one sent)
  user edit EMAIL [--name N] [--profile P] [--account A] [--portal]
                 (the email stays: a new address is a new user and a new invitation)
  invitation accept --token TOKEN [--portal]        (password for the user from stdin)
  mail configure --transport file --dir DIR
  mail configure --transport smtp --host H --port P --security none|starttls|tls
                 [--user U] [--from ADDR] [--ca-file PEM] [--allow-plain-auth]
                 (password from stdin)
  mail configure [--org NAME] [--from ADDR|"NAME <ADDR>"] [--from-name NAME] [--accept-url URL]
                 [--portal-accept-url URL] [--cooldown-minutes N] [--reminder-days N]
  mail show      mail test --to ADDR
  outbox list [--state S] [--format table|json]      outbox deliver
  bounces configure --address ADDR                   envelope sender of invitation mail
  bounces configure --host H --port P --security none|starttls|tls --user U
                 [--mailbox NAME] [--ca-file PEM] [--allow-plain-auth]
                 (the bounce mailbox over IMAP; password from stdin)
  bounces fetch [--format table|json]                read new mail in that mailbox once

Commands that queue mail deliver it before they exit (unless --queue-only) and print, per
recipient: sent, deferred (with the reply) or failed.

Exit codes: 0 done; 1 some recipients deferred or failed; 2 usage; 3 refused by a rule or a
permission; 4 not found; 5 database error; 6 mail configuration or connection error.
)";

class Command
{
public:
    QString dbLocation;
    QString actAs;
    std::unique_ptr<Database> db;
    std::optional<Session> session;
    Clock &clock = processClock();

    int openDb(Database::OpenMode mode = Database::OpenMode::MustExist)
    {
        if (dbLocation.isEmpty())
            return usage(tr("No database given: pass --db PATH or set ROSTER_DB."));
        auto r = Database::open(dbLocation, mode);
        if (!r)
            return fail(r.error());
        db = std::move(r).value();
        return Done;
    }

    // Opens the database and signs in as --as (SPEC §6).
    int signIn()
    {
        if (int rc = openDb(); rc != Done)
            return rc;
        if (actAs.isEmpty())
            return usage(tr("This command acts on users: pass --as EMAIL (or set ROSTER_AS) "
                            "to sign in as an administrator."));
        QString password = qEnvironmentVariable("ROSTER_PASSWORD");
        if (password.isEmpty()) {
            auto line = readStdinLine();
            if (!line || line->isEmpty())
                return usage(tr("No password for %1: set ROSTER_PASSWORD or give it on standard "
                                "input.")
                                 .arg(actAs));
            password = *line;
        }
        AuthService auth(*db, clock);
        auto s = auth.signIn(actAs, password);
        if (!s)
            return fail(s.error());
        session = s.value();
        if (!session->notice.isEmpty())
            errorLine(session->notice); // stderr: for the one who signed in, not for the output
        return Done;
    }

    Result<Sealer> sealer() { return Sealer::forDatabase(*db); }

    // Delivers the given outbox rows (all due ones when empty) and prints one line per recipient,
    // after those of `earlier` (what a BackgroundDelivery already sent).
    int deliver(const QList<qint64> &ids, bool all, const QList<DeliveryReport> &earlier = {})
    {
        auto settings = OrgSettings::load(*db);
        if (!settings)
            return fail(settings.error());
        auto seal = sealer();
        if (!seal)
            return fail(seal.error());
        auto transport = makeTransport(settings.value(), seal.value());
        if (!transport) {
            for (qint64 id : ids)
                Q_UNUSED(id);
            errorLine(transport.error().message + u' ' + tr("The mail stays queued."));
            return MailError;
        }
        if (!all && ids.isEmpty() && earlier.isEmpty())
            return Done;
        Outbox outbox(*db, clock);
        auto reports = earlier;
        if (all || !ids.isEmpty()) {
            auto rest = outbox.deliverDue(*transport.value(), seal.value(), 200,
                                          all ? QList<qint64>{} : ids);
            if (!rest)
                return fail(rest.error());
            reports += rest.value();
        }
        int rc = Done;
        for (const DeliveryReport &r : reports) {
            if (r.claimLost)
                errorLine(tr("Another sender took back the message to %1 while this one was "
                             "sending it, so its result was not saved: it may arrive twice.")
                              .arg(r.recipient));
            if (r.state == u"sent") {
                out() << "sent " << r.recipient << Qt::endl;
            } else {
                rc = Undelivered;
                out() << r.state << ' ' << r.recipient << ": " << r.reply;
                if (r.state == u"deferred")
                    out() << " (" << tr("retry at %1").arg(isoTime(r.nextAttemptAt)) << ')';
                out() << Qt::endl;
            }
        }
        if (all && !ids.isEmpty()) {
        }
        return rc;
    }
};

UserKind kindOf(const Args &a)
{
    return a.has(QStringLiteral("portal")) ? UserKind::Portal : UserKind::Crm;
}

QJsonObject userJson(const UserRecord &u, qint64 now)
{
    QJsonObject o{
        {QStringLiteral("id"), u.id},
        {QStringLiteral("email"), u.email},
        {QStringLiteral("name"), u.name},
        {QStringLiteral("kind"), userKindKey(u.kind)},
        {QStringLiteral("profile"),
         u.kind == UserKind::Crm ? QJsonValue(u.profileName) : QJsonValue()},
        {QStringLiteral("status"), userStatusKey(u.status(now))},
        {QStringLiteral("status_text"), u.statusText(now)},
        {QStringLiteral("active"), u.active},
        {QStringLiteral("confirmed_at"),
         u.confirmedAt ? QJsonValue(isoTime(*u.confirmedAt)) : QJsonValue()},
        {QStringLiteral("invited_at"),
         u.invitedAt ? QJsonValue(isoTime(*u.invitedAt)) : QJsonValue()},
        {QStringLiteral("invite_expires_at"),
         u.inviteExpiresAt ? QJsonValue(isoTime(*u.inviteExpiresAt)) : QJsonValue()},
        {QStringLiteral("invite_count"), u.inviteCount},
        {QStringLiteral("last_invited_by"), u.lastInvitedBy},
        {QStringLiteral("mail_state"),
         u.mailState.isEmpty() ? QJsonValue() : QJsonValue(u.mailState)},
        {QStringLiteral("mail_reply"),
         u.mailReply.isEmpty() ? QJsonValue() : QJsonValue(u.mailReply)},
        // Asked for a new invitation (SPEC §8) since the latest one; a re-invite clears it.
        {QStringLiteral("requested_at"),
         u.asksForInvitation() ? QJsonValue(isoTime(*u.inviteRequestedAt)) : QJsonValue()},
    };
    if (u.kind == UserKind::Portal)
        o.insert(QStringLiteral("account"), u.account);
    return o;
}

// ---------------------------------------------------------------- init / demo

int cmdInit(Command &c, const QStringList &argv)
{
    QString err;
    auto a = parseArgs(
        argv, {QStringLiteral("admin-email"), QStringLiteral("admin-name"), QStringLiteral("org")},
        {}, &err);
    if (!a)
        return usage(err);
    if (!a->positional.isEmpty())
        return usage(tr("init takes no arguments besides its options."));
    const QString email = a->value(QStringLiteral("admin-email"));
    const QString name = a->value(QStringLiteral("admin-name"));
    if (email.isEmpty() || name.isEmpty())
        return usage(tr("init needs --admin-email and --admin-name."));
    if (const QString p = emailAddressProblem(email); !p.isEmpty())
        return usage(p);
    if (const QString p = userNameProblem(name); !p.isEmpty())
        return usage(p);
    const QString org = a->value(QStringLiteral("org"));
    if (const QString p = textFieldProblem(tr("The organisation name"), org, 200); !p.isEmpty())
        return usage(p);
    auto password = readStdinLine();
    if (!password || password->isEmpty())
        return usage(tr("No password for the administrator: give it on standard input."));
    if (int rc = c.openDb(Database::OpenMode::CreateIfMissing); rc != Done)
        return rc;
    auto s = AuthService::createFirstAdmin(*c.db, c.clock, email, name, *password);
    if (!s)
        return fail(s.error());
    if (!org.isEmpty()) {
        auto settings = OrgSettings::load(*c.db);
        if (!settings)
            return fail(settings.error());
        OrgSettings st = settings.value();
        st.organisation = org;
        if (Status r = st.save(*c.db); !r)
            return fail(r.error());
    }
    out() << tr("Created %1 with the administrator %2.").arg(c.db->displayName(), email)
          << Qt::endl;
    return Done;
}

int cmdDemo(Command &c, const QStringList &argv)
{
    QString err;
    auto a = parseArgs(argv,
                       {QStringLiteral("users"), QStringLiteral("admin-email"),
                        QStringLiteral("admin-name"), QStringLiteral("portal-users"),
                        QStringLiteral("seed")},
                       {}, &err);
    if (!a)
        return usage(err);
    if (!a->positional.isEmpty())
        return usage(tr("demo takes no arguments besides its options."));
    DemoOptions options;
    if (a->has(QStringLiteral("users"))) {
        bool ok = false;
        options.users = a->value(QStringLiteral("users")).toLongLong(&ok);
        if (!ok || options.users < 0 || options.users > 10'000'000)
            return usage(tr("--users takes a number from 0 to 10,000,000."));
    }
    if (a->has(QStringLiteral("portal-users"))) {
        bool ok = false;
        options.portalUsers = a->value(QStringLiteral("portal-users")).toLongLong(&ok);
        if (!ok || options.portalUsers < 0 || options.portalUsers > 10'000'000)
            return usage(tr("--portal-users takes a number from 0 to 10,000,000."));
    }
    if (a->has(QStringLiteral("seed")))
        options.seed = a->value(QStringLiteral("seed")).toUInt();
    QString email = a->value(QStringLiteral("admin-email"));
    QString name = a->value(QStringLiteral("admin-name"));
    if (email.isEmpty() != name.isEmpty())
        return usage(tr("Give both --admin-email and --admin-name, or neither."));
    QString password;
    bool printPassword = false;
    if (email.isEmpty()) {
        email = QStringLiteral("admin@northwind.example");
        name = QStringLiteral("Ada Admin");
        const QString alphabet =
            QStringLiteral("abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789");
        for (int i = 0; i < 16; ++i)
            password += alphabet.at(QRandomGenerator::system()->bounded(int(alphabet.size())));
        printPassword = true;
    } else {
        if (const QString p = emailAddressProblem(email); !p.isEmpty())
            return usage(p);
        auto line = readStdinLine();
        if (!line || line->isEmpty())
            return usage(tr("No password for the administrator: give it on standard input."));
        password = *line;
    }
    if (int rc = c.openDb(Database::OpenMode::CreateIfMissing); rc != Done)
        return rc;
    auto s = AuthService::createFirstAdmin(*c.db, c.clock, email, name, password);
    if (!s)
        return fail(s.error());
    auto settings = OrgSettings::load(*c.db);
    if (!settings)
        return fail(settings.error());
    OrgSettings st = settings.value();
    st.organisation = QStringLiteral("Northwind Traders");
    st.senderAddress = QStringLiteral("invitations@northwind.example");
    st.senderName = QStringLiteral("Northwind Traders");
    if (Status r = st.save(*c.db); !r)
        return fail(r.error());
    if (Status r = generateDemoData(*c.db, c.clock, s->userId, options); !r)
        return fail(r.error());
    out() << tr("Created %1: %2 users and %3 portal users of Northwind Traders.")
                 .arg(c.db->displayName())
                 .arg(options.users)
                 .arg(options.portalUsers >= 0 ? options.portalUsers : options.users / 10)
          << Qt::endl;
    if (printPassword)
        out() << tr("Sign in as %1 with the password %2").arg(email, password) << Qt::endl;
    return Done;
}

// ---------------------------------------------------------------- user

int cmdUserAdd(Command &c, const QStringList &argv)
{
    QString err;
    auto a = parseArgs(argv,
                       {QStringLiteral("email"), QStringLiteral("name"), QStringLiteral("profile"),
                        QStringLiteral("account")},
                       {QStringLiteral("portal"), QStringLiteral("queue-only")}, &err);
    if (!a)
        return usage(err);
    if (!a->positional.isEmpty())
        return usage(tr("Unexpected argument \"%1\".").arg(a->positional.first()));
    if (!a->has(QStringLiteral("email")) || !a->has(QStringLiteral("name")))
        return usage(tr("user add needs --email and --name."));
    NewUser nu;
    nu.kind = kindOf(*a);
    nu.email = a->value(QStringLiteral("email"));
    nu.name = a->value(QStringLiteral("name"));
    nu.profile = a->value(QStringLiteral("profile"));
    nu.account = a->value(QStringLiteral("account"));
    if (const QString p = emailAddressProblem(nu.email.trimmed()); !p.isEmpty())
        return usage(p);
    if (const QString p = userNameProblem(nu.name); !p.isEmpty())
        return usage(p);
    if (int rc = c.signIn(); rc != Done)
        return rc;
    UserService service(*c.db, c.clock, c.session->userId);
    auto r = service.addUser(nu);
    if (!r)
        return fail(r.error());
    out() << tr("added %1").arg(r->user.email) << Qt::endl;
    if (a->has(QStringLiteral("queue-only"))) {
        out() << "queued " << r->user.email << Qt::endl;
        return Done;
    }
    return c.deliver({r->outboxId}, false);
}

int cmdUserList(Command &c, const QStringList &argv)
{
    QString err;
    auto a = parseArgs(argv,
                       {QStringLiteral("view"), QStringLiteral("search"), QStringLiteral("format"),
                        QStringLiteral("limit")},
                       {QStringLiteral("portal")}, &err);
    if (!a)
        return usage(err);
    if (!a->positional.isEmpty())
        return usage(tr("Unexpected argument \"%1\".").arg(a->positional.first()));
    UserFilter f;
    f.kind = kindOf(*a);
    if (a->has(QStringLiteral("view"))) {
        auto v = UserFilter::parseView(a->value(QStringLiteral("view")));
        if (!v)
            return usage(
                tr("Unknown view \"%1\": use all, active, inactive, unconfirmed, confirmed, "
                   "admins, expiring, failed, bounced or requested.")
                    .arg(a->value(QStringLiteral("view"))));
        f.view = *v;
    }
    f.sort = UserFilter::defaultSort(f.view);
    f.search = a->value(QStringLiteral("search"));
    if (const QString p = textFieldProblem(tr("The search text"), f.search, 200); !p.isEmpty())
        return usage(p);
    const QString format = a->has(QStringLiteral("format")) ? a->value(QStringLiteral("format"))
                                                            : QStringLiteral("table");
    if (format != u"table" && format != u"json" && format != u"csv")
        return usage(tr("Unknown format \"%1\": use table, json or csv.").arg(format));
    qint64 limit = -1;
    if (a->has(QStringLiteral("limit"))) {
        bool ok = false;
        limit = a->value(QStringLiteral("limit")).toLongLong(&ok);
        if (!ok || limit < 0)
            return usage(tr("--limit takes a positive number."));
    }
    if (int rc = c.signIn(); rc != Done)
        return rc;
    const qint64 now = c.clock.nowMs();
    f.nowMs = now;
    UserRepository repo(*c.db);
    auto total = repo.count(f);
    if (!total)
        return fail(total.error());
    const qint64 wanted = limit >= 0 ? std::min(limit, total.value()) : total.value();

    QStringList lines;
    if (format == u"json") {
        out() << "{\"view\":\"" << UserFilter::viewKey(f.view) << "\",\"kind\":\""
              << userKindKey(f.kind) << "\",\"count\":" << total.value() << ",\"users\":[";
    } else if (format == u"csv") {
        out() << "email,name,kind,profile,status,invited_at,invite_expires_at,invite_count,last_"
                 "invited_by,mail_state,account,requested_at\r\n";
    }
    // Streamed a page at a time: a million users never sit in memory at once.
    constexpr int page = 2000;
    QList<QStringList> table;
    bool first = true;
    for (qint64 offset = 0; offset < wanted; offset += page) {
        auto rows = repo.fetch(f, offset, int(std::min<qint64>(page, wanted - offset)), false,
                               total.value());
        if (!rows)
            return fail(rows.error());
        for (const UserRecord &u : rows.value()) {
            if (format == u"json") {
                out() << (first ? "" : ",")
                      << QString::fromUtf8(
                             QJsonDocument(userJson(u, now)).toJson(QJsonDocument::Compact));
                first = false;
            } else if (format == u"csv") {
                out() << csvCell(u.email) << ',' << csvCell(u.name) << ',' << userKindKey(u.kind)
                      << ',' << csvCell(u.profileName) << ',' << userStatusKey(u.status(now)) << ','
                      << (u.invitedAt ? isoTime(*u.invitedAt) : QString()) << ','
                      << (u.inviteExpiresAt ? isoTime(*u.inviteExpiresAt) : QString()) << ','
                      << u.inviteCount << ',' << csvCell(u.lastInvitedBy) << ',' << u.mailState
                      << ',' << csvCell(u.account) << ','
                      << (u.asksForInvitation() ? isoTime(*u.inviteRequestedAt) : QString())
                      << "\r\n";
            } else {
                table.append({u.name, u.email,
                              u.kind == UserKind::Portal ? u.account : u.profileName,
                              u.statusText(now),
                              u.invitedAt ? QDateTime::fromMSecsSinceEpoch(*u.invitedAt)
                                                .toString(QStringLiteral("yyyy-MM-dd"))
                                          : QString()});
                if (f.view == UserView::Requested)
                    table.last().append(u.inviteRequestedAt
                                            ? QDateTime::fromMSecsSinceEpoch(*u.inviteRequestedAt)
                                                  .toString(QStringLiteral("yyyy-MM-dd HH:mm"))
                                            : QString());
            }
        }
    }
    if (format == u"json") {
        out() << "]}" << Qt::endl;
    } else if (format == u"table") {
        QStringList header{tr("NAME"), tr("EMAIL"),
                           f.kind == UserKind::Portal ? tr("ACCOUNT") : tr("PROFILE"), tr("STATUS"),
                           tr("INVITED")};
        if (f.view == UserView::Requested)
            header << tr("ASKED");
        QList<qsizetype> widths;
        for (const QString &h : header)
            widths << h.size();
        for (const QStringList &r : table)
            for (int i = 0; i < r.size(); ++i)
                widths[i] = std::min<qsizetype>(std::max(widths[i], r[i].size()), 40);
        auto printRow = [&](const QStringList &r) {
            QString line;
            for (int i = 0; i < r.size(); ++i) {
                QString cell = r[i].size() > 40 ? r[i].left(39) + u'…' : r[i];
                line += i + 1 < r.size() ? cell.leftJustified(widths[i] + 2) : cell;
            }
            out() << line << Qt::endl;
        };
        printRow(header);
        for (const QStringList &r : table)
            printRow(r);
        out() << (total.value() == 1 ? tr("1 user") : tr("%1 users").arg(total.value()))
              << Qt::endl;
    }
    out().flush();
    return Done;
}

// Resolves emails to users; prints one error line per unknown email.
std::optional<QList<UserRecord>> resolve(Command &c, const QStringList &emails, UserKind kind,
                                         int *rc)
{
    UserRepository repo(*c.db);
    QList<UserRecord> users;
    for (const QString &e : emails) {
        auto u = repo.byEmail(kind, e);
        if (!u) {
            *rc = fail(u.error());
            return std::nullopt;
        }
        users.append(u.value());
    }
    return users;
}

int cmdUserReinvite(Command &c, const QStringList &argv)
{
    QString err;
    auto a = parseArgs(argv, {},
                       {QStringLiteral("all-unconfirmed"), QStringLiteral("expired-only"),
                        QStringLiteral("portal"), QStringLiteral("queue-only")},
                       &err);
    if (!a)
        return usage(err);
    const bool all = a->has(QStringLiteral("all-unconfirmed"));
    if (all == !a->positional.isEmpty())
        return usage(tr("user reinvite takes EMAIL... or --all-unconfirmed."));
    if (a->has(QStringLiteral("expired-only")) && !all)
        return usage(tr("--expired-only goes with --all-unconfirmed."));
    if (int rc = c.signIn(); rc != Done)
        return rc;
    UserService service(*c.db, c.clock, c.session->userId);
    const UserKind kind = kindOf(*a);
    int rc = Done;
    QList<qint64> outboxIds;
    if (all) {
        UserFilter f;
        f.kind = kind;
        f.view = UserView::Unconfirmed;
        f.sort = UserFilter::Sort::Invited;
        f.nowMs = c.clock.nowMs();
        UserRepository repo(*c.db);
        auto n = repo.count(f);
        if (!n)
            return fail(n.error());
        QList<qint64> ids;
        for (qint64 offset = 0; offset < n.value(); offset += 5000) {
            auto rows = repo.fetch(f, offset, 5000, false, n.value());
            if (!rows)
                return fail(rows.error());
            for (const UserRecord &u : rows.value())
                if (!a->has(QStringLiteral("expired-only")) ||
                    u.status(f.nowMs) == UserStatus::Expired)
                    ids.append(u.id);
        }
        // Each batch's mail goes out while the next batch is written (issue 16). PostgreSQL
        // only: SQLite has one write lock, and the side thread's small transactions waited for
        // the gaps between the batches longer than delivering after them takes.
        std::optional<BackgroundDelivery> background;
        auto settings = OrgSettings::load(*c.db);
        auto seal = c.sealer();
        if (!a->has(QStringLiteral("queue-only")) && c.db->dialect() == Dialect::Postgres &&
            settings && seal) {
            background.emplace(c.dbLocation, c.clock, seal.value(), settings.value());
            if (!background->start(*c.db))
                background.reset();
        }
        qsizetype handed = 0;
        auto r = service.reinviteMany(ids, [&](qsizetype done, qsizetype) {
            if (background)
                background->committed(ids.mid(handed, done - handed));
            handed = done;
            return true;
        });
        QString backgroundError;
        const QList<DeliveryReport> early =
            background ? background->finish(&backgroundError) : QList<DeliveryReport>{};
        if (!backgroundError.isEmpty())
            errorLine(tr("Sending beside the re-invite stopped: %1").arg(backgroundError));
        if (!r)
            return fail(r.error());
        for (const auto &s : r->skipped)
            out() << "skipped " << s.user.email << ": " << s.reason << Qt::endl;
        for (const auto &i : r->invited)
            outboxIds.append(i.outboxId);
        // A batch failed after others committed: what they queued is reported and delivered
        // like any other, and the failure is told (and exits) after it.
        const std::optional<Error> failure = r->error;
        if (a->has(QStringLiteral("queue-only"))) {
            for (const auto &i : r->invited)
                out() << "queued " << i.user.email << Qt::endl;
            return failure ? fail(*failure) : Done;
        }
        if (failure) {
            (void)c.deliver(outboxIds, false, early);
            return fail(*failure);
        }
        const int delivered = c.deliver(outboxIds, false, early);
        return rc != Done ? rc : delivered;
    } else {
        auto users = resolve(c, a->positional, kind, &rc);
        if (!users)
            return rc;
        for (const UserRecord &u : *users) {
            auto r = service.reinvite(u.id);
            if (!r) {
                errorLine(r.error().message);
                rc = std::max(rc, exitFor(r.error().kind));
                continue;
            }
            outboxIds.append(r->outboxId);
            if (a->has(QStringLiteral("queue-only")))
                out() << "queued " << u.email << Qt::endl;
        }
        if (a->has(QStringLiteral("queue-only")))
            return rc;
    }
    const int delivered = c.deliver(outboxIds, false);
    return rc != Done ? rc : delivered;
}

int cmdUserActivate(Command &c, const QStringList &argv, bool active)
{
    QString err;
    auto a = parseArgs(argv, {}, {QStringLiteral("portal")}, &err);
    if (!a)
        return usage(err);
    if (a->positional.isEmpty())
        return usage(active ? tr("user activate needs at least one EMAIL.")
                            : tr("user deactivate needs at least one EMAIL."));
    if (int rc = c.signIn(); rc != Done)
        return rc;
    int rc = Done;
    auto users = resolve(c, a->positional, kindOf(*a), &rc);
    if (!users)
        return rc;
    UserService service(*c.db, c.clock, c.session->userId);
    for (const UserRecord &u : *users) {
        auto r = service.setActive(u.id, active);
        if (!r) {
            errorLine(r.error().message);
            rc = std::max(rc, exitFor(r.error().kind));
            continue;
        }
        out() << (active ? "activated " : "deactivated ") << u.email << Qt::endl;
    }
    return rc;
}

int cmdUserHistory(Command &c, const QStringList &argv);
int cmdBouncesFetch(Command &c, const QStringList &argv);

int cmdUserEdit(Command &c, const QStringList &argv)
{
    QString err;
    auto a = parseArgs(
        argv, {QStringLiteral("name"), QStringLiteral("profile"), QStringLiteral("account")},
        {QStringLiteral("portal")}, &err);
    if (!a)
        return usage(err);
    if (a->positional.size() != 1)
        return usage(tr("user edit needs exactly one EMAIL."));
    if (!a->has(QStringLiteral("name")) && !a->has(QStringLiteral("profile")) &&
        !a->has(QStringLiteral("account")))
        return usage(tr("user edit needs --name, --profile or --account."));
    const UserKind kind = kindOf(*a);
    if (kind == UserKind::Portal && a->has(QStringLiteral("profile")))
        return usage(tr("Portal users have no profile: change their --account instead."));
    if (kind == UserKind::Crm && a->has(QStringLiteral("account")))
        return usage(
            tr("Only portal users belong to an account: add --portal, or give --profile."));
    if (a->has(QStringLiteral("name")))
        if (const QString p = userNameProblem(a->value(QStringLiteral("name"))); !p.isEmpty())
            return usage(p);
    if (int rc = c.signIn(); rc != Done)
        return rc;
    int rc = Done;
    auto users = resolve(c, a->positional, kind, &rc);
    if (!users)
        return rc;
    const UserRecord u = users->first();
    UserService service(*c.db, c.clock, c.session->userId);
    auto r = service.updateUser(
        u.id, a->has(QStringLiteral("name")) ? a->value(QStringLiteral("name")) : u.name,
        a->value(QStringLiteral("profile")),
        a->has(QStringLiteral("account"))
            ? std::optional<QString>(a->value(QStringLiteral("account")))
            : std::nullopt);
    if (!r)
        return fail(r.error());
    out() << "edited " << r->email << ": " << r->name;
    if (r->kind == UserKind::Crm)
        out() << ", " << r->profileName;
    else if (!r->account.isEmpty())
        out() << ", " << r->account;
    out() << Qt::endl;
    return Done;
}

int cmdUserChangeEmail(Command &c, const QStringList &argv)
{
    QString err;
    auto a = parseArgs(argv, {}, {QStringLiteral("portal"), QStringLiteral("queue-only")}, &err);
    if (!a)
        return usage(err);
    if (a->positional.size() != 2)
        return usage(tr("user change-email takes OLD and NEW."));
    if (int rc = c.signIn(); rc != Done)
        return rc;
    int rc = Done;
    auto users = resolve(c, {a->positional.first()}, kindOf(*a), &rc);
    if (!users)
        return rc;
    UserService service(*c.db, c.clock, c.session->userId);
    auto r = service.changeEmail(users->first().id, a->positional.at(1));
    if (!r)
        return fail(r.error());
    out() << "changed " << a->positional.first() << " -> " << r->user.email << Qt::endl;
    if (a->has(QStringLiteral("queue-only"))) {
        out() << "queued " << r->user.email << Qt::endl;
        return Done;
    }
    return c.deliver({r->outboxId}, false);
}

int cmdUser(Command &c, const QStringList &argv)
{
    if (argv.isEmpty())
        return usage(
            tr("user needs a subcommand: add, list, reinvite, activate, deactivate, history, edit, "
               "change-email."));
    const QString sub = argv.first();
    const QStringList rest = argv.mid(1);
    if (sub == u"add")
        return cmdUserAdd(c, rest);
    if (sub == u"list")
        return cmdUserList(c, rest);
    if (sub == u"reinvite")
        return cmdUserReinvite(c, rest);
    if (sub == u"activate")
        return cmdUserActivate(c, rest, true);
    if (sub == u"deactivate")
        return cmdUserActivate(c, rest, false);
    if (sub == u"history")
        return cmdUserHistory(c, rest);
    if (sub == u"edit")
        return cmdUserEdit(c, rest);
    if (sub == u"change-email")
        return cmdUserChangeEmail(c, rest);
    return usage(tr("Unknown user subcommand \"%1\".").arg(sub));
}

// ---------------------------------------------------------------- invitation

int cmdInvitation(Command &c, const QStringList &argv)
{
    if (argv.isEmpty() || argv.first() != u"accept")
        return usage(tr("invitation needs the subcommand accept."));
    QString err;
    auto a = parseArgs(argv.mid(1), {QStringLiteral("token")}, {QStringLiteral("portal")}, &err);
    if (!a)
        return usage(err);
    if (!a->positional.isEmpty())
        return usage(tr("Unexpected argument \"%1\".").arg(a->positional.first()));
    if (!a->has(QStringLiteral("token")))
        return usage(tr("invitation accept needs --token."));
    auto password = readStdinLine();
    if (!password || password->isEmpty())
        return usage(tr("No password for the new account: give it on standard input."));
    if (int rc = c.openDb(); rc != Done)
        return rc;
    std::optional<UserKind> kind;
    if (a->has(QStringLiteral("portal")))
        kind = UserKind::Portal;
    auto r = UserService::acceptInvitation(
        *c.db, c.clock, a->value(QStringLiteral("token")).toUtf8(), *password, kind);
    if (!r)
        return fail(r.error());
    out() << tr("accepted %1").arg(r->email) << Qt::endl;
    return Done;
}

// ---------------------------------------------------------------- mail

// --security and --port of a mail server (mail configure's SMTP, bounces configure's IMAP):
// read into `security` and `port`, or one line saying what is wrong.
QString serverOptionsProblem(const Args &a, std::optional<SmtpSettings::Security> *security,
                             int *port)
{
    *security = parseSmtpSecurity(a.value(QStringLiteral("security")));
    if (!*security)
        return tr("Unknown security \"%1\": use none, starttls or tls.")
            .arg(a.value(QStringLiteral("security")));
    bool ok = false;
    *port = a.value(QStringLiteral("port")).toInt(&ok);
    if (!ok || *port < 1 || *port > 65535)
        return tr("--port takes a number from 1 to 65535.");
    return {};
}

int cmdMailConfigure(Command &c, const QStringList &argv)
{
    QString err;
    auto a = parseArgs(argv,
                       {QStringLiteral("transport"), QStringLiteral("dir"), QStringLiteral("host"),
                        QStringLiteral("port"), QStringLiteral("security"), QStringLiteral("user"),
                        QStringLiteral("from"), QStringLiteral("from-name"),
                        QStringLiteral("ca-file"), QStringLiteral("org"),
                        QStringLiteral("accept-url"), QStringLiteral("portal-accept-url"),
                        QStringLiteral("cooldown-minutes"), QStringLiteral("reminder-days")},
                       {QStringLiteral("allow-plain-auth")}, &err);
    if (!a)
        return usage(err);
    if (!a->positional.isEmpty())
        return usage(tr("Unexpected argument \"%1\".").arg(a->positional.first()));
    const QString transport = a->value(QStringLiteral("transport"));
    if (!transport.isEmpty() && transport != u"file" && transport != u"smtp")
        return usage(tr("Unknown transport \"%1\": use file or smtp.").arg(transport));
    if (transport == u"file" && !a->has(QStringLiteral("dir")))
        return usage(tr("--transport file needs --dir DIR."));
    std::optional<SmtpSettings::Security> security;
    int port = 0;
    if (transport == u"smtp") {
        if (!a->has(QStringLiteral("host")) || !a->has(QStringLiteral("port")) ||
            !a->has(QStringLiteral("security")))
            return usage(tr("--transport smtp needs --host, --port and --security."));
        if (const QString p = serverOptionsProblem(*a, &security, &port); !p.isEmpty())
            return usage(p);
        if (const QString p =
                textFieldProblem(tr("The host"), a->value(QStringLiteral("host")), 255);
            !p.isEmpty() || a->value(QStringLiteral("host")).contains(u' '))
            return usage(p.isEmpty() ? tr("The host holds a space.") : p);
        if (a->has(QStringLiteral("ca-file")) &&
            !QFileInfo(a->value(QStringLiteral("ca-file"))).isReadable())
            return usage(
                tr("Cannot read the CA file %1.").arg(a->value(QStringLiteral("ca-file"))));
    } else {
        for (const char *o : {"host", "port", "security", "user", "ca-file", "allow-plain-auth"})
            if (a->has(QString::fromLatin1(o)))
                return usage(tr("--%1 goes with --transport smtp.").arg(QString::fromLatin1(o)));
    }
    std::optional<Mailbox> from;
    if (a->has(QStringLiteral("from"))) {
        QString p;
        from = parseMailbox(a->value(QStringLiteral("from")), &p);
        if (!from)
            return usage(p);
        if (!from->name.isEmpty() && a->has(QStringLiteral("from-name")))
            return usage(tr("--from already gives the sender's name: drop --from-name, or give "
                            "only the address in --from."));
        if (const QString n = textFieldProblem(QStringLiteral("--from"), from->name, 200);
            !n.isEmpty())
            return usage(n);
    }
    for (const char *o : {"accept-url", "portal-accept-url"})
        if (a->has(QString::fromLatin1(o)))
            if (const QString p = acceptUrlProblem(a->value(QString::fromLatin1(o))); !p.isEmpty())
                return usage(p);
    for (const char *o : {"org", "from-name", "user"})
        if (const QString p = textFieldProblem(QStringLiteral("--") + QString::fromLatin1(o),
                                               a->value(QString::fromLatin1(o)), 200);
            !p.isEmpty())
            return usage(p);
    int cooldown = -1, reminder = -1;
    if (a->has(QStringLiteral("cooldown-minutes"))) {
        bool ok = false;
        cooldown = a->value(QStringLiteral("cooldown-minutes")).toInt(&ok);
        if (!ok || cooldown < 0 || cooldown > 7 * 24 * 60)
            return usage(tr("--cooldown-minutes takes a number from 0 to 10080."));
    }
    if (a->has(QStringLiteral("reminder-days"))) {
        bool ok = false;
        reminder = a->value(QStringLiteral("reminder-days")).toInt(&ok);
        if (!ok || reminder < 0 || reminder > 6)
            return usage(tr("--reminder-days takes a number from 0 (off) to 6."));
    }
    if (int rc = c.signIn(); rc != Done)
        return rc;
    if (!c.session->isAdmin)
        return fail(makeError(ErrorKind::Refused,
                              tr("Only an Administrator may change the mail settings.")));
    auto loaded = OrgSettings::load(*c.db);
    if (!loaded)
        return fail(loaded.error());
    OrgSettings s = loaded.value();
    if (transport == u"file") {
        s.transport = transport;
        s.mailDir = QFileInfo(a->value(QStringLiteral("dir"))).absoluteFilePath();
    } else if (transport == u"smtp") {
        s.transport = transport;
        s.smtpHost = a->value(QStringLiteral("host"));
        s.smtpPort = port;
        s.smtpSecurity = smtpSecurityName(*security);
        s.smtpUser = a->value(QStringLiteral("user"));
        s.smtpCaFile = a->has(QStringLiteral("ca-file"))
                           ? QFileInfo(a->value(QStringLiteral("ca-file"))).absoluteFilePath()
                           : QString();
        s.smtpAllowPlainAuth = a->has(QStringLiteral("allow-plain-auth"));
        s.smtpPasswordSealed.clear();
        if (!s.smtpUser.isEmpty()) {
            auto pw = readStdinLine();
            if (!pw || pw->isEmpty())
                return usage(
                    tr("No SMTP password for %1: give it on standard input.").arg(s.smtpUser));
            auto seal = c.sealer();
            if (!seal)
                return fail(seal.error());
            s.smtpPasswordSealed = seal->seal(pw->toUtf8(), smtpPasswordContext);
        }
    }
    if (from) {
        s.senderAddress = from->address;
        if (!from->name.isEmpty())
            s.senderName = from->name;
    }
    if (a->has(QStringLiteral("from-name")))
        s.senderName = a->value(QStringLiteral("from-name"));
    if (a->has(QStringLiteral("org")))
        s.organisation = a->value(QStringLiteral("org"));
    if (a->has(QStringLiteral("accept-url")))
        s.acceptUrl = a->value(QStringLiteral("accept-url"));
    if (a->has(QStringLiteral("portal-accept-url")))
        s.portalAcceptUrl = a->value(QStringLiteral("portal-accept-url"));
    if (cooldown >= 0)
        s.cooldownMinutes = cooldown;
    if (reminder >= 0)
        s.reminderDaysBefore = reminder;
    Transaction tx(*c.db);
    if (!tx.status())
        return fail(tx.status().error());
    if (Status r = s.save(*c.db); !r)
        return fail(r.error());
    AuditEntry e{
        0,
        c.clock.nowMs(),
        c.session->userId,
        c.session->email,
        QStringLiteral("settings.mail"),
        0,
        QString(),
        s.transport == u"smtp"
            ? QStringLiteral("smtp %1:%2 %3").arg(s.smtpHost).arg(s.smtpPort).arg(s.smtpSecurity)
            : QStringLiteral("file %1").arg(s.mailDir)};
    if (Status r = writeAudit(*c.db, e); !r)
        return fail(r.error());
    if (Status r = tx.commit(); !r)
        return fail(r.error());
    out() << tr("Mail settings saved.") << Qt::endl;
    return Done;
}

int cmdMail(Command &c, const QStringList &argv)
{
    if (argv.isEmpty())
        return usage(tr("mail needs a subcommand: configure, show, test."));
    const QString sub = argv.first();
    if (sub == u"configure")
        return cmdMailConfigure(c, argv.mid(1));
    if (sub == u"show") {
        if (argv.size() > 1)
            return usage(tr("mail show takes no arguments."));
        if (int rc = c.signIn(); rc != Done)
            return rc;
        auto s = OrgSettings::load(*c.db);
        if (!s)
            return fail(s.error());
        out() << "organisation: " << s->organisation << Qt::endl
              << "from: " << s->senderName << " <" << s->senderAddress << '>' << Qt::endl
              << "accept-url: " << s->acceptUrl << Qt::endl
              << "portal-accept-url: " << s->portalAcceptUrl << Qt::endl
              << "cooldown-minutes: " << s->cooldownMinutes << Qt::endl
              << "reminder-days: " << s->reminderDaysBefore << Qt::endl
              << "transport: " << s->transport << Qt::endl;
        if (s->transport == u"smtp")
            out() << "smtp: " << s->smtpHost << ':' << s->smtpPort << ' ' << s->smtpSecurity
                  << (s->smtpUser.isEmpty() ? QString() : u" user " + s->smtpUser) << Qt::endl;
        else
            out() << "dir: " << s->mailDir << Qt::endl;
        return Done;
    }
    if (sub == u"test") {
        QString err;
        auto a = parseArgs(argv.mid(1), {QStringLiteral("to")}, {}, &err);
        if (!a)
            return usage(err);
        if (!a->has(QStringLiteral("to")))
            return usage(tr("mail test needs --to ADDR."));
        if (const QString p = emailAddressProblem(a->value(QStringLiteral("to"))); !p.isEmpty())
            return usage(p);
        if (int rc = c.signIn(); rc != Done)
            return rc;
        auto s = OrgSettings::load(*c.db);
        if (!s)
            return fail(s.error());
        auto seal = c.sealer();
        if (!seal)
            return fail(seal.error());
        auto transport = makeTransport(s.value(), seal.value());
        if (!transport)
            return fail(transport.error());
        Outbox outbox(*c.db, c.clock);
        auto id = outbox.enqueueTest(s.value(), a->value(QStringLiteral("to")));
        if (!id)
            return fail(id.error());
        auto reports = outbox.deliverDue(*transport.value(), seal.value(), 1, {id.value()});
        if (!reports)
            return fail(reports.error());
        for (const DeliveryReport &r : reports.value()) {
            if (r.state == u"sent") {
                out() << "sent " << r.recipient << Qt::endl;
                return Done;
            }
            errorLine(r.reply);
            return r.connectionError ? MailError : Undelivered;
        }
        errorLine(tr("The test message was not sent."));
        return MailError;
    }
    return usage(tr("Unknown mail subcommand \"%1\".").arg(sub));
}

// ---------------------------------------------------------------- bounces (SPEC §9)

int cmdBouncesConfigure(Command &c, const QStringList &argv)
{
    QString err;
    auto a = parseArgs(argv,
                       {QStringLiteral("address"), QStringLiteral("host"), QStringLiteral("port"),
                        QStringLiteral("security"), QStringLiteral("user"),
                        QStringLiteral("mailbox"), QStringLiteral("ca-file")},
                       {QStringLiteral("allow-plain-auth")}, &err);
    if (!a)
        return usage(err);
    if (!a->positional.isEmpty())
        return usage(tr("Unexpected argument \"%1\".").arg(a->positional.first()));
    const bool mailbox = a->has(QStringLiteral("host"));
    if (!mailbox && !a->has(QStringLiteral("address")))
        return usage(tr("bounces configure needs --address ADDR, or --host, --port, --security "
                        "and --user for the bounce mailbox."));
    if (a->has(QStringLiteral("address")) && !a->value(QStringLiteral("address")).isEmpty())
        if (const QString p = emailAddressProblem(a->value(QStringLiteral("address")));
            !p.isEmpty())
            return usage(p);
    if (a->value(QStringLiteral("address")).contains(u'+'))
        return usage(tr("The bounce address must not hold '+': Roster adds +TAG to it."));
    std::optional<SmtpSettings::Security> security;
    int port = 0;
    if (mailbox) {
        if (!a->has(QStringLiteral("port")) || !a->has(QStringLiteral("security")) ||
            !a->has(QStringLiteral("user")))
            return usage(tr("The bounce mailbox needs --host, --port, --security and --user."));
        if (const QString p = serverOptionsProblem(*a, &security, &port); !p.isEmpty())
            return usage(p);
        for (const char *o : {"host", "user", "mailbox"})
            if (const QString p = textFieldProblem(QStringLiteral("--") + QString::fromLatin1(o),
                                                   a->value(QString::fromLatin1(o)), 255);
                !p.isEmpty())
                return usage(p);
        if (a->value(QStringLiteral("host")).contains(u' '))
            return usage(tr("The host holds a space."));
        if (a->has(QStringLiteral("ca-file")) &&
            !QFileInfo(a->value(QStringLiteral("ca-file"))).isReadable())
            return usage(
                tr("Cannot read the CA file %1.").arg(a->value(QStringLiteral("ca-file"))));
    } else {
        for (const char *o : {"port", "security", "user", "mailbox", "ca-file", "allow-plain-auth"})
            if (a->has(QString::fromLatin1(o)))
                return usage(tr("--%1 goes with --host.").arg(QString::fromLatin1(o)));
    }
    if (int rc = c.signIn(); rc != Done)
        return rc;
    if (!c.session->isAdmin)
        return fail(makeError(ErrorKind::Refused,
                              tr("Only an Administrator may change the mail settings.")));
    auto loaded = OrgSettings::load(*c.db);
    if (!loaded)
        return fail(loaded.error());
    OrgSettings s = loaded.value();
    QStringList detail;
    if (a->has(QStringLiteral("address"))) {
        s.bounceAddress = a->value(QStringLiteral("address"));
        detail << QStringLiteral("address %1").arg(s.bounceAddress);
    }
    if (mailbox) {
        s.imapHost = a->value(QStringLiteral("host"));
        s.imapPort = port;
        s.imapSecurity = smtpSecurityName(*security);
        s.imapUser = a->value(QStringLiteral("user"));
        s.imapMailbox = a->has(QStringLiteral("mailbox")) ? a->value(QStringLiteral("mailbox"))
                                                          : QStringLiteral("INBOX");
        s.imapCaFile = a->has(QStringLiteral("ca-file"))
                           ? QFileInfo(a->value(QStringLiteral("ca-file"))).absoluteFilePath()
                           : QString();
        s.imapAllowPlainAuth = a->has(QStringLiteral("allow-plain-auth"));
        auto pw = readStdinLine();
        if (!pw || pw->isEmpty())
            return usage(tr("No IMAP password for %1: give it on standard input.").arg(s.imapUser));
        auto seal = c.sealer();
        if (!seal)
            return fail(seal.error());
        s.imapPasswordSealed = seal->seal(pw->toUtf8(), imapPasswordContext);
        detail << QStringLiteral("imap %1:%2 %3 %4")
                      .arg(s.imapHost)
                      .arg(s.imapPort)
                      .arg(s.imapSecurity, s.imapMailbox);
    }
    Transaction tx(*c.db);
    if (!tx.status())
        return fail(tx.status().error());
    if (Status r = s.save(*c.db); !r)
        return fail(r.error());
    AuditEntry e{
        0, c.clock.nowMs(), c.session->userId, c.session->email, QStringLiteral("settings.bounces"),
        0, QString(),       detail.join(u"; ")};
    if (Status r = writeAudit(*c.db, e); !r)
        return fail(r.error());
    if (Status r = tx.commit(); !r)
        return fail(r.error());
    out() << tr("Bounce settings saved.") << Qt::endl;
    return Done;
}

int cmdBouncesFetch(Command &c, const QStringList &argv)
{
    QString err;
    auto a = parseArgs(argv, {QStringLiteral("format")}, {}, &err);
    if (!a)
        return usage(err);
    if (!a->positional.isEmpty())
        return usage(tr("Unexpected argument \"%1\".").arg(a->positional.first()));
    const QString format = a->has(QStringLiteral("format")) ? a->value(QStringLiteral("format"))
                                                            : QStringLiteral("table");
    if (format != u"table" && format != u"json")
        return usage(tr("Unknown format \"%1\": use table or json.").arg(format));
    if (int rc = c.signIn(); rc != Done)
        return rc;
    if (!c.session->isAdmin)
        return fail(makeError(ErrorKind::Refused,
                              tr("Only an Administrator may read the bounce mailbox.")));
    auto settings = OrgSettings::load(*c.db);
    if (!settings)
        return fail(settings.error());
    auto seal = c.sealer();
    if (!seal)
        return fail(seal.error());
    BounceService service(*c.db, c.clock);
    auto result = service.fetch(settings.value(), seal.value());
    if (!result)
        return fail(result.error()); // a mailbox or connection error: 6
    // One line per report; ordinary mail and auto-replies are not reports.
    QJsonArray arr;
    for (const BounceLine &l : result->lines) {
        if (!l.isReport())
            continue;
        const QString key = BounceLine::outcomeKey(l.outcome);
        if (format == u"json") {
            arr.append(QJsonObject{
                {QStringLiteral("uid"), qint64(l.uid)},
                {QStringLiteral("outcome"), key},
                {QStringLiteral("email"), l.email.isEmpty() ? QJsonValue() : QJsonValue(l.email)},
                {QStringLiteral("user_id"), l.userId ? QJsonValue(l.userId) : QJsonValue()},
                {QStringLiteral("diagnostic"), l.diagnostic},
                {QStringLiteral("matched_by"),
                 l.matchedBy.isEmpty() ? QJsonValue() : QJsonValue(l.matchedBy)},
            });
        } else {
            out() << key << ' ' << (l.email.isEmpty() ? QStringLiteral("-") : l.email);
            if (!l.diagnostic.isEmpty())
                out() << ": " << l.diagnostic;
            out() << Qt::endl;
        }
    }
    if (format == u"json")
        out() << QJsonDocument(arr).toJson(QJsonDocument::Indented);
    if (result->more)
        errorLine(tr("More messages are waiting: run bounces fetch again."));
    return Done;
}

int cmdBounces(Command &c, const QStringList &argv)
{
    if (argv.isEmpty())
        return usage(tr("bounces needs a subcommand: configure or fetch."));
    const QString sub = argv.first();
    if (sub == u"configure")
        return cmdBouncesConfigure(c, argv.mid(1));
    if (sub == u"fetch")
        return cmdBouncesFetch(c, argv.mid(1));
    return usage(tr("Unknown bounces subcommand \"%1\".").arg(sub));
}

// ---------------------------------------------------------------- outbox

int cmdOutbox(Command &c, const QStringList &argv)
{
    if (argv.isEmpty())
        return usage(tr("outbox needs a subcommand: list or deliver."));
    const QString sub = argv.first();
    QString err;
    if (sub == u"list") {
        auto a = parseArgs(
            argv.mid(1),
            {QStringLiteral("state"), QStringLiteral("format"), QStringLiteral("limit")}, {}, &err);
        if (!a)
            return usage(err);
        const QString state = a->value(QStringLiteral("state"));
        static const QStringList states{QStringLiteral("queued"), QStringLiteral("sending"),
                                        QStringLiteral("sent"),   QStringLiteral("deferred"),
                                        QStringLiteral("failed"), QStringLiteral("cancelled")};
        if (!state.isEmpty() && !states.contains(state))
            return usage(
                tr("Unknown state \"%1\": use %2.").arg(state, states.join(QStringLiteral(", "))));
        const QString format = a->has(QStringLiteral("format")) ? a->value(QStringLiteral("format"))
                                                                : QStringLiteral("table");
        if (format != u"table" && format != u"json")
            return usage(tr("Unknown format \"%1\": use table or json.").arg(format));
        int limit = 1000;
        if (a->has(QStringLiteral("limit"))) {
            bool ok = false;
            limit = a->value(QStringLiteral("limit")).toInt(&ok);
            if (!ok || limit < 1)
                return usage(tr("--limit takes a positive number."));
        }
        if (int rc = c.signIn(); rc != Done)
            return rc;
        Outbox outbox(*c.db, c.clock);
        auto rows = outbox.list(state, limit);
        if (!rows)
            return fail(rows.error());
        if (format == u"json") {
            QJsonArray arr;
            for (const OutboxEntry &e : rows.value())
                arr.append(
                    QJsonObject{{QStringLiteral("id"), e.id},
                                {QStringLiteral("kind"), e.kind},
                                {QStringLiteral("recipient"), e.recipient},
                                {QStringLiteral("message_id"), e.messageId},
                                {QStringLiteral("state"), e.state},
                                {QStringLiteral("attempts"), e.attempts},
                                {QStringLiteral("created_at"), isoTime(e.createdAt)},
                                {QStringLiteral("next_attempt_at"), isoTime(e.nextAttemptAt)},
                                {QStringLiteral("sent_at"),
                                 e.sentAt ? QJsonValue(isoTime(e.sentAt)) : QJsonValue()},
                                {QStringLiteral("last_reply"), e.lastReply}});
            out() << QString::fromUtf8(QJsonDocument(QJsonObject{{QStringLiteral("messages"), arr}})
                                           .toJson(QJsonDocument::Compact))
                  << Qt::endl;
        } else {
            for (const OutboxEntry &e : rows.value())
                out() << e.id << '\t' << e.state << '\t' << e.recipient << '\t' << e.attempts
                      << '\t' << isoTime(e.createdAt) << '\t' << e.lastReply << Qt::endl;
        }
        return Done;
    }
    if (sub == u"deliver") {
        auto a = parseArgs(argv.mid(1), {}, {}, &err);
        if (!a)
            return usage(err);
        if (!a->positional.isEmpty())
            return usage(tr("outbox deliver takes no arguments."));
        if (int rc = c.signIn(); rc != Done)
            return rc;
        // The automatic reminder rides on every delivery run.
        UserService service(*c.db, c.clock, c.session->userId);
        auto reminders = service.sendDueReminders();
        if (!reminders)
            return fail(reminders.error());
        for (const auto &r : reminders.value())
            out() << "reminder " << r.user.email << Qt::endl;
        return c.deliver({}, true);
    }
    return usage(tr("Unknown outbox subcommand \"%1\".").arg(sub));
}

int cmdUserHistory(Command &c, const QStringList &argv)
{
    QString err;
    auto a = parseArgs(argv, {QStringLiteral("format")}, {QStringLiteral("portal")}, &err);
    if (!a)
        return usage(err);
    if (a->positional.size() != 1)
        return usage(tr("user history takes one EMAIL."));
    const QString format = a->has(QStringLiteral("format")) ? a->value(QStringLiteral("format"))
                                                            : QStringLiteral("table");
    if (format != u"table" && format != u"json")
        return usage(tr("Unknown format \"%1\": use table or json.").arg(format));
    if (int rc = c.signIn(); rc != Done)
        return rc;
    int rc = Done;
    auto users = resolve(c, a->positional, kindOf(*a), &rc);
    if (!users)
        return rc;
    UserService service(*c.db, c.clock, c.session->userId);
    auto history = service.invitationHistory(users->first().id);
    if (!history)
        return fail(history.error());
    const qint64 now = c.clock.nowMs();
    if (format == u"json") {
        QJsonArray arr;
        for (const InvitationInfo &i : history.value())
            arr.append(
                QJsonObject{{QStringLiteral("id"), i.id},
                            {QStringLiteral("state"), i.state(now)},
                            {QStringLiteral("invited_at"), isoTime(i.createdAt)},
                            {QStringLiteral("expires_at"), isoTime(i.expiresAt)},
                            {QStringLiteral("invited_by"), i.createdBy},
                            {QStringLiteral("accepted_at"),
                             i.acceptedAt ? QJsonValue(isoTime(*i.acceptedAt)) : QJsonValue()},
                            {QStringLiteral("revoked_at"),
                             i.revokedAt ? QJsonValue(isoTime(*i.revokedAt)) : QJsonValue()},
                            {QStringLiteral("mail_state"),
                             i.mailState.isEmpty() ? QJsonValue() : QJsonValue(i.mailState)},
                            {QStringLiteral("mail_reply"),
                             i.mailReply.isEmpty() ? QJsonValue() : QJsonValue(i.mailReply)}});
        out() << QString::fromUtf8(
                     QJsonDocument(QJsonObject{{QStringLiteral("email"), users->first().email},
                                               {QStringLiteral("invitations"), arr}})
                         .toJson(QJsonDocument::Compact))
              << Qt::endl;
        return Done;
    }
    for (const InvitationInfo &i : history.value())
        out() << isoTime(i.createdAt) << '\t' << i.state(now) << '\t' << i.createdBy << '\t'
              << (i.mailState.isEmpty() ? QStringLiteral("link copied") : i.mailState) << '\t'
              << i.mailReply << Qt::endl;
    return Done;
}

} // namespace

int run(const QStringList &arguments)
{
    Command c;
    c.dbLocation = qEnvironmentVariable("ROSTER_DB");
    c.actAs = qEnvironmentVariable("ROSTER_AS");
    QStringList rest;
    // Global options come before the command (they are also accepted after it).
    for (qsizetype i = 0; i < arguments.size(); ++i) {
        const QString a = arguments.at(i);
        if (a == u"--db" || a == u"--as") {
            if (i + 1 >= arguments.size())
                return usage(tr("%1 needs a value.").arg(a));
            (a == u"--db" ? c.dbLocation : c.actAs) = arguments.at(++i);
        } else if (a.startsWith(u"--db=")) {
            c.dbLocation = a.mid(5);
        } else if (a.startsWith(u"--as=")) {
            c.actAs = a.mid(5);
        } else {
            rest << a;
        }
    }
    if (rest.isEmpty())
        return usage(tr("No command given."));
    if (rest.first() == u"--help" || rest.first() == u"-h" || rest.first() == u"help") {
        out() << QString::fromUtf8(globalHelp);
        return Done;
    }
    if (rest.contains(u"--help"_qs) || rest.contains(u"-h"_qs)) {
        // Help for one command: its lines of the command list, with the shared usage and codes.
        const QString topic = rest.first();
        const QStringList lines = QString::fromUtf8(globalHelp).split(u'\n');
        QStringList picked;
        bool inTopic = false;
        for (const QString &line : lines) {
            if (line.startsWith(u"  ") && !line.startsWith(u"   "))
                inTopic =
                    line.mid(2).startsWith(topic + u' ') || line.contains(u"  " + topic + u' ');
            else if (!line.startsWith(u"   "))
                inTopic = false;
            if (inTopic)
                picked << line;
        }
        if (picked.isEmpty())
            return usage(tr("Unknown command \"%1\".").arg(topic));
        out() << "Usage: rosterctl [--db PATH|URL] [--as EMAIL] " << topic << " ...\n\n"
              << picked.join(u'\n') << "\n\n"
              << lines.filter(QStringLiteral("Exit codes")).value(0) << '\n'
              << lines.at(lines.indexOf(lines.filter(QStringLiteral("Exit codes")).value(0)) + 1)
              << '\n';
        return Done;
    }
    if (rest.first() == u"--version") {
        out() << "rosterctl " << QCoreApplication::applicationVersion() << Qt::endl;
        return Done;
    }
    const QString command = rest.takeFirst();
    if (command == u"init")
        return cmdInit(c, rest);
    if (command == u"demo")
        return cmdDemo(c, rest);
    if (command == u"user")
        return cmdUser(c, rest);
    if (command == u"invitation")
        return cmdInvitation(c, rest);
    if (command == u"mail")
        return cmdMail(c, rest);
    if (command == u"outbox")
        return cmdOutbox(c, rest);
    if (command == u"bounces")
        return cmdBounces(c, rest);
    return usage(tr("Unknown command \"%1\".").arg(command));
}

} // namespace roster::cli
