// bounces configure and bounces fetch (SPEC §9): the envelope sender and the bounce mailbox.
#include "app/cli/adminsession.h"
#include "app/cli/command.h"
#include "app/cli/output.h"

#include "app/bounceservice.h"
#include "app/mailsettingsservice.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

namespace roster::cli {

namespace {

// Which options go together: what the table's parser cannot say. The values are
// MailSettingsService's to check, as for the Email settings page.
QString bouncesOptionsProblem(const Invocation &in)
{
    if (!in.has(QStringLiteral("host"))) {
        if (in.has(QStringLiteral("address")))
            for (const char *o :
                 {"port", "security", "user", "mailbox", "ca-file", "allow-plain-auth"})
                if (in.has(QString::fromLatin1(o)))
                    return tr("--%1 goes with --host.").arg(QString::fromLatin1(o));
        return {};
    }
    if (!in.has(QStringLiteral("port")) || !in.has(QStringLiteral("security")) ||
        !in.has(QStringLiteral("user")))
        return tr("The bounce mailbox needs --host, --port, --security and --user.");
    return {};
}

int configure(const Invocation &in)
{
    if (const QString p = bouncesOptionsProblem(in); !p.isEmpty())
        return usage(p);
    BounceSettingsChange change;
    if (in.has(QStringLiteral("address")))
        change.address = in.text(QStringLiteral("address"));
    if (in.has(QStringLiteral("host"))) {
        change.mailbox = serverInput(in);
        change.folder = in.text(QStringLiteral("mailbox"));
    }
    return saveSettings(
        in, change.mailbox ? &change.mailbox->password : nullptr,
        [&change](MailSettingsService &service) { return service.saveBounces(change); },
        tr("Bounce settings saved."));
}

QJsonObject reportJson(const BounceLine &l)
{
    return {
        {QStringLiteral("uid"), qint64(l.uid)},
        {QStringLiteral("outcome"), BounceLine::outcomeKey(l.outcome)},
        {QStringLiteral("email"), jsonText(l.email)},
        {QStringLiteral("user_id"), l.userId ? QJsonValue(l.userId) : QJsonValue()},
        {QStringLiteral("diagnostic"), l.diagnostic},
        {QStringLiteral("matched_by"), jsonText(l.matchedBy)},
    };
}

int fetch(const Invocation &in)
{
    const bool json = in.text(QStringLiteral("format")) == u"json";
    AdminSession session(in.global);
    if (int rc = session.signIn(); rc != Done)
        return rc;
    if (!session.isAdmin())
        return fail(makeError(ErrorKind::Refused,
                              tr("Only an Administrator may read the bounce mailbox.")));
    auto mail = session.mailAccess();
    if (!mail)
        return fail(mail.error());
    BounceService service(session.db(), session.clock());
    // One IMAP session reads at most ImapSettings::maxMessages: go on with the next until
    // nothing is waiting (issue 15), printing each session's lines as it ends. A session that
    // read nothing yet says more are waiting makes no progress: stop rather than loop.
    QJsonArray arr;
    for (bool more = true; more;) {
        auto result = service.fetch(mail->settings, mail->sealer);
        if (!result)
            return fail(result.error()); // a mailbox or connection error: 6
        more = result->more && !result->lines.isEmpty();
        // One line per report; ordinary mail and auto-replies are not reports.
        for (const BounceLine &l : result->lines) {
            if (!l.isReport())
                continue;
            if (json) {
                arr.append(reportJson(l));
            } else {
                out() << BounceLine::outcomeKey(l.outcome) << ' '
                      << (l.email.isEmpty() ? QStringLiteral("-") : l.email);
                if (!l.diagnostic.isEmpty())
                    out() << ": " << l.diagnostic;
                out() << Qt::endl;
            }
        }
    }
    if (json)
        out() << QJsonDocument(arr).toJson(QJsonDocument::Indented);
    return Done;
}

} // namespace

QList<CommandSpec> bounceCommands()
{
    using O = OptionSpec;
    QList<OptionSpec> configureOptions{
        O::text(QStringLiteral("address"), QStringLiteral("ADDR"),
                tr("the envelope sender of invitation mail (Roster adds +TAG per message)"))};
    configureOptions += serverOptions(QStringLiteral("IMAP"));
    configureOptions.insert(configureOptions.size() - 2,
                            O::text(QStringLiteral("mailbox"), QStringLiteral("NAME"),
                                    tr("the mailbox to read (default INBOX)")));
    return {
        {QStringLiteral("bounces"), QStringLiteral("configure"), QString(), 0, 0,
         tr("Set the envelope sender of invitation mail (--address), or the bounce mailbox over "
            "IMAP (--host, --port, --security and --user; the password from standard input). "
            "Administrators only."),
         configureOptions, configure},
        {QStringLiteral("bounces"),
         QStringLiteral("fetch"),
         QString(),
         0,
         0,
         tr("Read the new mail of the bounce mailbox, in as many sessions as it takes, and print "
            "one line per delivery report; nothing is ever deleted."),
         {O::word(QStringLiteral("format"), {QStringLiteral("table"), QStringLiteral("json")},
                  tr("the output (default table)"))},
         fetch},
    };
}

} // namespace roster::cli
