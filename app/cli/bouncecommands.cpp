// bounces configure and bounces fetch (SPEC §9): the envelope sender and the bounce mailbox.
#include "app/cli/adminsession.h"
#include "app/cli/command.h"
#include "app/cli/output.h"

#include "app/audit.h"
#include "app/bounceservice.h"
#include "app/mail/emailaddress.h"
#include "app/mail/smtp/smtpsettings.h"
#include "app/mailsetup.h"
#include "app/orgsettings.h"
#include "app/validation.h"

#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

namespace roster::cli {

namespace {

// Everything `bounces configure` checks before it signs in (ranges and words are the parser's):
// one line saying what is wrong, or an empty string.
QString bouncesConfigureProblem(const Invocation &in)
{
    const bool mailbox = in.has(QStringLiteral("host"));
    if (!mailbox && !in.has(QStringLiteral("address")))
        return tr("bounces configure needs --address ADDR, or --host, --port, --security and "
                  "--user for the bounce mailbox.");
    const QString address = in.text(QStringLiteral("address"));
    if (!address.isEmpty())
        if (const QString p = emailAddressProblem(address); !p.isEmpty())
            return p;
    if (address.contains(u'+'))
        return tr("The bounce address must not hold '+': Roster adds +TAG to it.");
    if (!mailbox) {
        for (const char *o : {"port", "security", "user", "mailbox", "ca-file", "allow-plain-auth"})
            if (in.has(QString::fromLatin1(o)))
                return tr("--%1 goes with --host.").arg(QString::fromLatin1(o));
        return {};
    }
    if (!in.has(QStringLiteral("port")) || !in.has(QStringLiteral("security")) ||
        !in.has(QStringLiteral("user")))
        return tr("The bounce mailbox needs --host, --port, --security and --user.");
    for (const char *o : {"host", "user", "mailbox"})
        if (const QString p = textFieldProblem(QStringLiteral("--") + QString::fromLatin1(o),
                                               in.text(QString::fromLatin1(o)), 255);
            !p.isEmpty())
            return p;
    if (in.text(QStringLiteral("host")).contains(u' '))
        return tr("The host holds a space.");
    if (in.has(QStringLiteral("ca-file")) &&
        !QFileInfo(in.text(QStringLiteral("ca-file"))).isReadable())
        return tr("Cannot read the CA file %1.").arg(in.text(QStringLiteral("ca-file")));
    return {};
}

int configure(const Invocation &in)
{
    if (const QString p = bouncesConfigureProblem(in); !p.isEmpty())
        return usage(p);
    AdminSession session(in.global);
    if (int rc = session.signIn(); rc != Done)
        return rc;
    if (!session.isAdmin())
        return fail(makeError(ErrorKind::Refused,
                              tr("Only an Administrator may change the mail settings.")));
    auto loaded = OrgSettings::load(session.db());
    if (!loaded)
        return fail(loaded.error());
    OrgSettings s = loaded.value();
    QStringList detail;
    if (in.has(QStringLiteral("address"))) {
        s.bounceAddress = in.text(QStringLiteral("address"));
        detail << QStringLiteral("address %1").arg(s.bounceAddress);
    }
    if (in.has(QStringLiteral("host"))) {
        s.imapHost = in.text(QStringLiteral("host"));
        s.imapPort = int(in.options.number(QStringLiteral("port")));
        s.imapSecurity = smtpSecurityName(*parseSmtpSecurity(in.text(QStringLiteral("security"))));
        s.imapUser = in.text(QStringLiteral("user"));
        s.imapMailbox = in.has(QStringLiteral("mailbox")) ? in.text(QStringLiteral("mailbox"))
                                                          : QStringLiteral("INBOX");
        s.imapCaFile = in.has(QStringLiteral("ca-file"))
                           ? QFileInfo(in.text(QStringLiteral("ca-file"))).absoluteFilePath()
                           : QString();
        s.imapAllowPlainAuth = in.has(QStringLiteral("allow-plain-auth"));
        auto pw = readStdinLine();
        if (!pw || pw->isEmpty())
            return usage(tr("No IMAP password for %1: give it on standard input.").arg(s.imapUser));
        auto seal = session.sealer();
        if (!seal)
            return fail(seal.error());
        s.imapPasswordSealed = seal->seal(pw->toUtf8(), imapPasswordContext);
        detail << QStringLiteral("imap %1:%2 %3 %4")
                      .arg(s.imapHost)
                      .arg(s.imapPort)
                      .arg(s.imapSecurity, s.imapMailbox);
    }
    Transaction tx(session.db());
    if (!tx.status())
        return fail(tx.status().error());
    if (Status r = s.save(session.db()); !r)
        return fail(r.error());
    AuditEntry e{0,
                 session.clock().nowMs(),
                 session.userId(),
                 session.user().email,
                 QStringLiteral("settings.bounces"),
                 0,
                 QString(),
                 detail.join(u"; ")};
    if (Status r = writeAudit(session.db(), e); !r)
        return fail(r.error());
    if (Status r = tx.commit(); !r)
        return fail(r.error());
    out() << tr("Bounce settings saved.") << Qt::endl;
    return Done;
}

QJsonObject reportJson(const BounceLine &l)
{
    return {
        {QStringLiteral("uid"), qint64(l.uid)},
        {QStringLiteral("outcome"), BounceLine::outcomeKey(l.outcome)},
        {QStringLiteral("email"), l.email.isEmpty() ? QJsonValue() : QJsonValue(l.email)},
        {QStringLiteral("user_id"), l.userId ? QJsonValue(l.userId) : QJsonValue()},
        {QStringLiteral("diagnostic"), l.diagnostic},
        {QStringLiteral("matched_by"),
         l.matchedBy.isEmpty() ? QJsonValue() : QJsonValue(l.matchedBy)},
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
    auto settings = OrgSettings::load(session.db());
    if (!settings)
        return fail(settings.error());
    auto seal = session.sealer();
    if (!seal)
        return fail(seal.error());
    BounceService service(session.db(), session.clock());
    // One IMAP session reads at most ImapSettings::maxMessages: go on with the next until
    // nothing is waiting (issue 15), printing each session's lines as it ends. A session that
    // read nothing yet says more are waiting makes no progress: stop rather than loop.
    QJsonArray arr;
    for (bool more = true; more;) {
        auto result = service.fetch(settings.value(), seal.value());
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
