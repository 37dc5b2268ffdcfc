// user reinvite, user history and invitation accept: a user's invitations.
#include "app/cli/adminsession.h"
#include "app/cli/command.h"
#include "app/cli/delivery.h"
#include "app/cli/output.h"
#include "app/cli/usercommands.h"

#include "app/backgrounddelivery.h"
#include "app/mailsetup.h"
#include "app/userservice.h"
#include "models/userrepository.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

#include <optional>

namespace roster::cli {

namespace {

// user reinvite --all-unconfirmed [--expired-only]: every unconfirmed user in one bulk
// re-invite (skipped users are listed with the reason), then their mail is delivered.
int reinviteAllUnconfirmed(const Invocation &in, AdminSession &s)
{
    InvitationService service(s.db(), s.clock(), s.userId());
    UserFilter f;
    f.kind = kindOf(in);
    f.view = UserView::Unconfirmed;
    f.sort = UserFilter::Sort::Invited;
    f.nowMs = s.clock().nowMs();
    UserRepository repo(s.db());
    auto n = repo.count(f);
    if (!n)
        return fail(n.error());
    const bool expiredOnly = in.has(QStringLiteral("expired-only"));
    QList<qint64> ids;
    for (qint64 offset = 0; offset < n.value(); offset += 5000) {
        auto rows = repo.fetch(f, offset, 5000, false, n.value());
        if (!rows)
            return fail(rows.error());
        for (const UserRecord &u : rows.value())
            if (!expiredOnly || u.status(f.nowMs) == UserStatus::Expired)
                ids.append(u.id);
    }
    // PostgreSQL: each batch's mail goes out while the next batch is written (issue 16), by a
    // thread with its own connection and transport; the rest (what it could not send) is
    // delivered after. Not on SQLite: its one write lock makes the two sides wait for each
    // other longer than delivering after the batches takes (docs/performance.md).
    std::optional<BackgroundDelivery> background;
    if (!in.has(QStringLiteral("queue-only")) && s.db().dialect() == Dialect::Postgres) {
        auto mail = s.mailAccess();
        if (mail && makeTransport(mail->settings, mail->sealer)) {
            background.emplace(s.location(), s.clock(), mail->sealer, mail->settings);
            if (!background->start(s.db()))
                background.reset();
        }
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
        errorLine(tr("Sending beside the re-invite stopped (the rest is sent now): %1")
                      .arg(backgroundError));
    if (!r)
        return fail(r.error());
    for (const auto &skipped : r->skipped)
        out() << "skipped " << skipped.user.email << ": " << skipped.reason << Qt::endl;
    QList<qint64> outboxIds;
    for (const auto &i : r->invited)
        outboxIds.append(i.outboxId);
    // A batch failed after others committed: what they queued is reported and delivered like
    // any other, and the failure is told (and exits) after it.
    const std::optional<Error> failure = r->error;
    if (in.has(QStringLiteral("queue-only"))) {
        for (const auto &i : r->invited)
            out() << "queued " << i.user.email << Qt::endl;
        return failure ? fail(*failure) : Done;
    }
    const int delivered = Delivery(s).deliver(outboxIds, early);
    return failure ? fail(*failure) : delivered;
}

// user reinvite EMAIL...: one at a time; a refused one is told and the others go on.
int reinviteNamed(const Invocation &in, AdminSession &s)
{
    QList<UserRecord> users;
    int rc = findUsers(s, in.arguments(), kindOf(in), &users);
    if (rc != Done)
        return rc;
    InvitationService service(s.db(), s.clock(), s.userId());
    QList<qint64> outboxIds;
    for (const UserRecord &u : std::as_const(users)) {
        auto r = service.reinvite(u.id);
        if (!r) {
            rc = std::max(rc, fail(r.error())); // told; the others go on
            continue;
        }
        outboxIds.append(r->outboxId);
        if (in.has(QStringLiteral("queue-only")))
            out() << "queued " << u.email << Qt::endl;
    }
    if (in.has(QStringLiteral("queue-only")))
        return rc;
    const int delivered = Delivery(s).deliver(outboxIds);
    return rc != Done ? rc : delivered;
}

int reinvite(const Invocation &in)
{
    const bool all = in.has(QStringLiteral("all-unconfirmed"));
    if (all == !in.arguments().isEmpty())
        return usage(tr("user reinvite takes EMAIL... or --all-unconfirmed."));
    if (in.has(QStringLiteral("expired-only")) && !all)
        return usage(tr("--expired-only goes with --all-unconfirmed."));
    AdminSession s(in.global);
    if (int rc = s.signIn(); rc != Done)
        return rc;
    return all ? reinviteAllUnconfirmed(in, s) : reinviteNamed(in, s);
}

QJsonObject invitationJson(const InvitationInfo &i, qint64 now)
{
    return {{QStringLiteral("id"), i.id},
            {QStringLiteral("state"), i.state(now)},
            {QStringLiteral("invited_at"), isoTime(i.createdAt)},
            {QStringLiteral("expires_at"), isoTime(i.expiresAt)},
            {QStringLiteral("invited_by"), i.createdBy},
            {QStringLiteral("accepted_at"), jsonTime(i.acceptedAt)},
            {QStringLiteral("revoked_at"), jsonTime(i.revokedAt)},
            {QStringLiteral("mail_state"), jsonText(i.mailState)},
            {QStringLiteral("mail_reply"), jsonText(i.mailReply)}};
}

int history(const Invocation &in)
{
    const QString format =
        in.has(QStringLiteral("format")) ? in.text(QStringLiteral("format")) : u"table"_qs;
    AdminSession s(in.global);
    QList<UserRecord> users;
    if (int rc = signInAndFindUsers(s, in.arguments(), kindOf(in), &users); rc != Done)
        return rc;
    InvitationService service(s.db(), s.clock(), s.userId());
    auto invitations = service.invitationHistory(users.first().id);
    if (!invitations)
        return fail(invitations.error());
    const qint64 now = s.clock().nowMs();
    if (format == u"json") {
        QJsonArray arr;
        for (const InvitationInfo &i : invitations.value())
            arr.append(invitationJson(i, now));
        out() << QString::fromUtf8(
                     QJsonDocument(QJsonObject{{QStringLiteral("email"), users.first().email},
                                               {QStringLiteral("invitations"), arr}})
                         .toJson(QJsonDocument::Compact))
              << Qt::endl;
        return Done;
    }
    for (const InvitationInfo &i : invitations.value())
        out() << isoTime(i.createdAt) << '\t' << i.state(now) << '\t' << i.createdBy << '\t'
              << (i.mailState.isEmpty() ? QStringLiteral("link copied") : i.mailState) << '\t'
              << i.mailReply << Qt::endl;
    return Done;
}

int accept(const Invocation &in)
{
    auto password = readStdinLine();
    if (!password || password->isEmpty())
        return usage(tr("No password for the new account: give it on standard input."));
    AdminSession s(in.global); // nobody signs in: the token is the invitee's proof
    if (int rc = s.openDatabase(); rc != Done)
        return rc;
    std::optional<UserKind> kind;
    if (in.has(QStringLiteral("portal")))
        kind = UserKind::Portal;
    auto r = InvitationService::acceptInvitation(
        s.db(), s.clock(), in.text(QStringLiteral("token")).toUtf8(), *password, kind);
    if (!r)
        return fail(r.error());
    out() << tr("accepted %1").arg(r->email) << Qt::endl;
    return Done;
}

} // namespace

QList<CommandSpec> invitationCommands()
{
    using O = OptionSpec;
    return {
        {QStringLiteral("user"),
         QStringLiteral("reinvite"),
         QStringLiteral("EMAIL..."),
         0,
         -1,
         tr("Invite the named users again, or with --all-unconfirmed every unconfirmed user "
            "(confirmed, deactivated and cooling-down users are refused; in bulk, skipped and "
            "listed)."),
         {O::flag(QStringLiteral("all-unconfirmed"),
                  tr("every unconfirmed user, instead of EMAIL...")),
          O::flag(QStringLiteral("expired-only"),
                  tr("with --all-unconfirmed: only those whose invitation expired")),
          portalFlag(), queueOnlyFlag()},
         reinvite},
        {QStringLiteral("user"),
         QStringLiteral("history"),
         QStringLiteral("EMAIL"),
         1,
         1,
         tr("A user's invitations: when each was sent and by whom, its state and its mail's "
            "delivery."),
         {portalFlag(),
          O::word(QStringLiteral("format"), {QStringLiteral("table"), QStringLiteral("json")},
                  tr("the output (default table)"))},
         history},
        {QStringLiteral("invitation"),
         QStringLiteral("accept"),
         QString(),
         0,
         0,
         tr("Accept an invitation as the accept page does; the user's new password is read from "
            "standard input."),
         {O::text(QStringLiteral("token"), QStringLiteral("TOKEN"),
                  tr("the token parameter of the invitation link"))
              .mandatory(),
          portalFlag()},
         accept},
    };
}

} // namespace roster::cli
