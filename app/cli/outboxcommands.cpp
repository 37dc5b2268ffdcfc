// outbox list and outbox deliver: the queue of outgoing mail.
#include "app/cli/adminsession.h"
#include "app/cli/command.h"
#include "app/cli/delivery.h"
#include "app/cli/output.h"

#include "app/outbox.h"
#include "app/userservice.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

namespace roster::cli {

namespace {

QJsonObject entryJson(const OutboxEntry &e)
{
    return {{QStringLiteral("id"), e.id},
            {QStringLiteral("kind"), e.kind},
            {QStringLiteral("recipient"), e.recipient},
            {QStringLiteral("message_id"), e.messageId},
            {QStringLiteral("state"), e.state},
            {QStringLiteral("attempts"), e.attempts},
            {QStringLiteral("created_at"), isoTime(e.createdAt)},
            {QStringLiteral("next_attempt_at"), isoTime(e.nextAttemptAt)},
            {QStringLiteral("sent_at"), e.sentAt ? QJsonValue(isoTime(e.sentAt)) : QJsonValue()},
            {QStringLiteral("last_reply"), e.lastReply}};
}

int list(const Invocation &in)
{
    AdminSession session(in.global);
    if (int rc = session.signIn(); rc != Done)
        return rc;
    Outbox outbox(session.db(), session.clock());
    auto rows = outbox.list(in.text(QStringLiteral("state")),
                            int(in.options.number(QStringLiteral("limit"), 1000)));
    if (!rows)
        return fail(rows.error());
    if (in.text(QStringLiteral("format")) == u"json") {
        QJsonArray arr;
        for (const OutboxEntry &e : rows.value())
            arr.append(entryJson(e));
        out() << QString::fromUtf8(QJsonDocument(QJsonObject{{QStringLiteral("messages"), arr}})
                                       .toJson(QJsonDocument::Compact))
              << Qt::endl;
        return Done;
    }
    for (const OutboxEntry &e : rows.value())
        out() << e.id << '\t' << e.state << '\t' << e.recipient << '\t' << e.attempts << '\t'
              << isoTime(e.createdAt) << '\t' << e.lastReply << Qt::endl;
    return Done;
}

int deliver(const Invocation &in)
{
    AdminSession session(in.global);
    if (int rc = session.signIn(); rc != Done)
        return rc;
    // The automatic reminder rides on every delivery run.
    InvitationService service(session.db(), session.clock(), session.userId());
    auto reminders = service.sendDueReminders();
    if (!reminders)
        return fail(reminders.error());
    for (const auto &r : reminders.value())
        out() << "reminder " << r.user.email << Qt::endl;
    return Delivery(session).deliverAllDue();
}

} // namespace

QList<CommandSpec> outboxCommands()
{
    using O = OptionSpec;
    return {
        {QStringLiteral("outbox"),
         QStringLiteral("list"),
         QString(),
         0,
         0,
         tr("List queued and sent mail, newest first."),
         {O::word(QStringLiteral("state"),
                  {QStringLiteral("queued"), QStringLiteral("sending"), QStringLiteral("sent"),
                   QStringLiteral("deferred"), QStringLiteral("failed"),
                   QStringLiteral("cancelled")},
                  tr("only the messages in that state")),
          O::word(QStringLiteral("format"), {QStringLiteral("table"), QStringLiteral("json")},
                  tr("the output (default table)")),
          O::number(QStringLiteral("limit"), QStringLiteral("N"), 1,
                    std::numeric_limits<int>::max(), tr("at most N messages (default 1000)"))},
         list},
        {QStringLiteral("outbox"),
         QStringLiteral("deliver"),
         QString(),
         0,
         0,
         tr("Send the automatic reminders that are due, then the mail that is due: queued "
            "messages and deferred ones whose retry time has come. Run it from a timer."),
         {},
         deliver},
    };
}

} // namespace roster::cli
