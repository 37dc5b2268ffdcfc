// user add, list, activate, deactivate, edit, change-email: the users themselves. Their
// invitations (user reinvite, user history, invitation accept) are in invitationcommands.cpp.
#include "app/cli/usercommands.h"

#include "app/cli/adminsession.h"
#include "app/cli/command.h"
#include "app/cli/delivery.h"
#include "app/cli/output.h"

#include "app/mail/emailaddress.h"
#include "app/userservice.h"
#include "app/validation.h"
#include "models/csvwriter.h"
#include "models/userrepository.h"

#include <QDateTime>
#include <QJsonDocument>
#include <QJsonObject>

namespace roster::cli {

UserKind kindOf(const Invocation &in)
{
    return in.has(QStringLiteral("portal")) ? UserKind::Portal : UserKind::Crm;
}

int findUsers(AdminSession &session, const QStringList &emails, UserKind kind,
              QList<UserRecord> *users)
{
    UserRepository repo(session.db());
    for (const QString &e : emails) {
        auto u = repo.byEmail(kind, e);
        if (!u)
            return fail(u.error());
        users->append(u.value());
    }
    return Done;
}

int signInAndFindUsers(AdminSession &session, const QStringList &emails, UserKind kind,
                       QList<UserRecord> *users)
{
    if (int rc = session.signIn(); rc != Done)
        return rc;
    return findUsers(session, emails, kind, users);
}

namespace {

// The mail of a new invitation: delivered now, or with --queue-only left in the outbox.
int deliverInvitation(const Invocation &in, AdminSession &s, const InviteOutcome &invited)
{
    if (in.has(QStringLiteral("queue-only"))) {
        out() << "queued " << invited.user.email << Qt::endl;
        return Done;
    }
    return Delivery(s).deliver({invited.outboxId});
}

int add(const Invocation &in)
{
    NewUser nu;
    nu.kind = kindOf(in);
    nu.email = in.text(QStringLiteral("email"));
    nu.name = in.text(QStringLiteral("name"));
    nu.profile = in.text(QStringLiteral("profile"));
    nu.account = in.text(QStringLiteral("account"));
    if (const QString p = emailAddressProblem(nu.email.trimmed()); !p.isEmpty())
        return usage(p);
    if (const QString p = userNameProblem(nu.name); !p.isEmpty())
        return usage(p);
    AdminSession s(in.global);
    if (int rc = s.signIn(); rc != Done)
        return rc;
    UserService service(s.db(), s.clock(), s.userId());
    auto r = service.addUser(nu);
    if (!r)
        return fail(r.error());
    out() << tr("added %1").arg(r->user.email) << Qt::endl;
    return deliverInvitation(in, s, r.value());
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
        {QStringLiteral("confirmed_at"), jsonTime(u.confirmedAt)},
        {QStringLiteral("invited_at"), jsonTime(u.invitedAt)},
        {QStringLiteral("invite_expires_at"), jsonTime(u.inviteExpiresAt)},
        {QStringLiteral("invite_count"), u.inviteCount},
        {QStringLiteral("last_invited_by"), u.lastInvitedBy},
        {QStringLiteral("mail_state"), jsonText(u.mailState)},
        {QStringLiteral("mail_reply"), jsonText(u.mailReply)},
        // Asked for a new invitation (SPEC §8) since the latest one; a re-invite clears it.
        {QStringLiteral("requested_at"),
         jsonTime(u.asksForInvitation() ? u.inviteRequestedAt : std::nullopt)},
    };
    if (u.kind == UserKind::Portal)
        o.insert(QStringLiteral("account"), u.account);
    return o;
}

void printCsvRow(const UserRecord &u, qint64 now)
{
    out() << csvCell(u.email) << ',' << csvCell(u.name) << ',' << userKindKey(u.kind) << ','
          << csvCell(u.profileName) << ',' << userStatusKey(u.status(now)) << ','
          << (u.invitedAt ? isoTime(*u.invitedAt) : QString()) << ','
          << (u.inviteExpiresAt ? isoTime(*u.inviteExpiresAt) : QString()) << ',' << u.inviteCount
          << ',' << csvCell(u.lastInvitedBy) << ',' << u.mailState << ',' << csvCell(u.account)
          << ',' << (u.asksForInvitation() ? isoTime(*u.inviteRequestedAt) : QString()) << "\r\n";
}

QStringList tableRow(const UserRecord &u, qint64 now, UserView view)
{
    QStringList row{
        u.name, u.email, u.kind == UserKind::Portal ? u.account : u.profileName, u.statusText(now),
        u.invitedAt
            ? QDateTime::fromMSecsSinceEpoch(*u.invitedAt).toString(QStringLiteral("yyyy-MM-dd"))
            : QString()};
    if (view == UserView::Requested)
        row.append(u.inviteRequestedAt ? QDateTime::fromMSecsSinceEpoch(*u.inviteRequestedAt)
                                             .toString(QStringLiteral("yyyy-MM-dd HH:mm"))
                                       : QString());
    return row;
}

void printTable(const UserFilter &f, const QList<QStringList> &table, qint64 total)
{
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
    out() << (total == 1 ? tr("1 user") : tr("%1 users").arg(total)) << Qt::endl;
}

int list(const Invocation &in)
{
    UserFilter f;
    f.kind = kindOf(in);
    if (in.has(QStringLiteral("view")))
        f.view = *UserFilter::parseView(in.text(QStringLiteral("view")));
    f.sort = UserFilter::defaultSort(f.view);
    f.search = in.text(QStringLiteral("search"));
    if (const QString p = textFieldProblem(tr("The search text"), f.search, 200); !p.isEmpty())
        return usage(p);
    const QString format =
        in.has(QStringLiteral("format")) ? in.text(QStringLiteral("format")) : u"table"_qs;
    const qint64 limit = in.options.number(QStringLiteral("limit"), -1);
    AdminSession s(in.global);
    if (int rc = s.signIn(); rc != Done)
        return rc;
    const qint64 now = s.clock().nowMs();
    f.nowMs = now;
    UserRepository repo(s.db());
    auto total = repo.count(f);
    if (!total)
        return fail(total.error());
    const qint64 wanted = limit >= 0 ? std::min(limit, total.value()) : total.value();

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
                printCsvRow(u, now);
            } else {
                table.append(tableRow(u, now, f.view));
            }
        }
    }
    if (format == u"json")
        out() << "]}" << Qt::endl;
    else if (format == u"table")
        printTable(f, table, total.value());
    out().flush();
    return Done;
}

int setActive(const Invocation &in, bool active)
{
    AdminSession s(in.global);
    QList<UserRecord> users;
    if (int rc = signInAndFindUsers(s, in.arguments(), kindOf(in), &users); rc != Done)
        return rc;
    UserService service(s.db(), s.clock(), s.userId());
    int rc = Done;
    for (const UserRecord &u : std::as_const(users)) {
        auto r = service.setActive(u.id, active);
        if (!r) {
            rc = std::max(rc, fail(r.error())); // told; the others go on
            continue;
        }
        out() << (active ? "activated " : "deactivated ") << u.email << Qt::endl;
    }
    return rc;
}

int activate(const Invocation &in)
{
    return setActive(in, true);
}

int deactivate(const Invocation &in)
{
    return setActive(in, false);
}

int edit(const Invocation &in)
{
    if (!in.has(QStringLiteral("name")) && !in.has(QStringLiteral("profile")) &&
        !in.has(QStringLiteral("account")))
        return usage(tr("user edit needs --name, --profile or --account."));
    const UserKind kind = kindOf(in);
    if (kind == UserKind::Portal && in.has(QStringLiteral("profile")))
        return usage(tr("Portal users have no profile: change their --account instead."));
    if (kind == UserKind::Crm && in.has(QStringLiteral("account")))
        return usage(
            tr("Only portal users belong to an account: add --portal, or give --profile."));
    if (in.has(QStringLiteral("name")))
        if (const QString p = userNameProblem(in.text(QStringLiteral("name"))); !p.isEmpty())
            return usage(p);
    AdminSession s(in.global);
    QList<UserRecord> users;
    if (int rc = signInAndFindUsers(s, in.arguments(), kind, &users); rc != Done)
        return rc;
    const UserRecord u = users.first();
    UserService service(s.db(), s.clock(), s.userId());
    auto r = service.updateUser(
        u.id, in.has(QStringLiteral("name")) ? in.text(QStringLiteral("name")) : u.name,
        in.text(QStringLiteral("profile")),
        in.has(QStringLiteral("account"))
            ? std::optional<QString>(in.text(QStringLiteral("account")))
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

int changeEmail(const Invocation &in)
{
    AdminSession s(in.global);
    QList<UserRecord> users;
    if (int rc = signInAndFindUsers(s, {in.arguments().first()}, kindOf(in), &users); rc != Done)
        return rc;
    UserService service(s.db(), s.clock(), s.userId());
    auto r = service.changeEmail(users.first().id, in.arguments().at(1));
    if (!r)
        return fail(r.error());
    out() << "changed " << in.arguments().first() << " -> " << r->user.email << Qt::endl;
    return deliverInvitation(in, s, r.value());
}

} // namespace

OptionSpec portalFlag()
{
    return OptionSpec::flag(QStringLiteral("portal"),
                            tr("a user of the Customer Portal instead of the CRM"));
}

OptionSpec queueOnlyFlag()
{
    return OptionSpec::flag(QStringLiteral("queue-only"),
                            tr("queue the mail without delivering it now"));
}

QList<CommandSpec> userCommands()
{
    using O = OptionSpec;
    const QString user = QStringLiteral("user");
    return {
        {user,
         QStringLiteral("add"),
         QString(),
         0,
         0,
         tr("Add a user, unconfirmed, and send the first invitation."),
         {O::text(QStringLiteral("email"), QStringLiteral("E"), tr("the user's email address"))
              .mandatory(),
          O::text(QStringLiteral("name"), QStringLiteral("N"), tr("the user's name")).mandatory(),
          O::text(QStringLiteral("profile"), QStringLiteral("P"),
                  tr("the CRM user's profile (default Standard)")),
          portalFlag(),
          O::text(QStringLiteral("account"), QStringLiteral("A"),
                  tr("the customer account of a portal user")),
          queueOnlyFlag()},
         add},
        {user,
         QStringLiteral("list"),
         QString(),
         0,
         0,
         tr("List users, a page at a time from the database; --format json prints one JSON "
            "document, csv a header line and a line per user."),
         {O::word(QStringLiteral("view"),
                  {QStringLiteral("all"), QStringLiteral("active"), QStringLiteral("inactive"),
                   QStringLiteral("unconfirmed"), QStringLiteral("confirmed"),
                   QStringLiteral("admins"), QStringLiteral("expiring"), QStringLiteral("failed"),
                   QStringLiteral("bounced"), QStringLiteral("requested")},
                  tr("which users (default all)"))
              .withValueName(QStringLiteral("VIEW"))
              .withAliases({QStringLiteral("administrators"), QStringLiteral("expiring-soon"),
                            QStringLiteral("failed-invitations"), QStringLiteral("asked"),
                            QStringLiteral("bounced-invitations")}),
          O::text(QStringLiteral("search"), QStringLiteral("TEXT"),
                  tr("only users whose name or email holds TEXT")),
          portalFlag(),
          O::word(QStringLiteral("format"),
                  {QStringLiteral("table"), QStringLiteral("json"), QStringLiteral("csv")},
                  tr("the output (default table)")),
          O::number(QStringLiteral("limit"), QStringLiteral("N"), 0,
                    std::numeric_limits<qint64>::max(), tr("at most N users"))},
         list},
        {user,
         QStringLiteral("activate"),
         QStringLiteral("EMAIL..."),
         1,
         -1,
         tr("Activate users again (an unconfirmed one then needs a re-invite)."),
         {portalFlag()},
         activate},
        {user,
         QStringLiteral("deactivate"),
         QStringLiteral("EMAIL..."),
         1,
         -1,
         tr("Deactivate users: their open invitations are revoked and their unsent invitation "
            "mail cancelled."),
         {portalFlag()},
         deactivate},
        {user,
         QStringLiteral("edit"),
         QStringLiteral("EMAIL"),
         1,
         1,
         tr("Change a user's name, profile or account. The email stays: a new address is a new "
            "user and a new invitation."),
         {O::text(QStringLiteral("name"), QStringLiteral("N"), tr("the new name")),
          O::text(QStringLiteral("profile"), QStringLiteral("P"), tr("the CRM user's new profile")),
          O::text(QStringLiteral("account"), QStringLiteral("A"),
                  tr("the portal user's new account")),
          portalFlag()},
         edit},
        {user,
         QStringLiteral("change-email"),
         QStringLiteral("OLD NEW"),
         2,
         2,
         tr("Give an unconfirmed user a new address: their open invitations are revoked and a new "
            "one is sent to NEW."),
         {portalFlag(), queueOnlyFlag()},
         changeEmail},
    };
}

} // namespace roster::cli
