// mail configure, show and test: the organisation's mail settings and transport.
#include "app/cli/adminsession.h"
#include "app/cli/command.h"
#include "app/cli/output.h"

#include "app/audit.h"
#include "app/mail/emailaddress.h"
#include "app/mail/smtp/smtpsettings.h"
#include "app/mailsetup.h"
#include "app/orgsettings.h"
#include "app/outbox.h"
#include "app/validation.h"

#include <QFileInfo>

namespace roster::cli {

namespace {

// Everything `mail configure` checks before it signs in (ranges and words are the parser's).
// Returns one line saying what is wrong, or an empty string; `*from` gets the parsed --from.
QString mailConfigureProblem(const Invocation &in, std::optional<Mailbox> *from)
{
    const QString transport = in.text(QStringLiteral("transport"));
    if (transport == u"file" && !in.has(QStringLiteral("dir")))
        return tr("--transport file needs --dir DIR.");
    if (transport == u"smtp") {
        if (!in.has(QStringLiteral("host")) || !in.has(QStringLiteral("port")) ||
            !in.has(QStringLiteral("security")))
            return tr("--transport smtp needs --host, --port and --security.");
        const QString host = in.text(QStringLiteral("host"));
        if (const QString p = textFieldProblem(tr("The host"), host, 255); !p.isEmpty())
            return p;
        if (host.contains(u' '))
            return tr("The host holds a space.");
        if (in.has(QStringLiteral("ca-file")) &&
            !QFileInfo(in.text(QStringLiteral("ca-file"))).isReadable())
            return tr("Cannot read the CA file %1.").arg(in.text(QStringLiteral("ca-file")));
    } else {
        for (const char *o : {"host", "port", "security", "user", "ca-file", "allow-plain-auth"})
            if (in.has(QString::fromLatin1(o)))
                return tr("--%1 goes with --transport smtp.").arg(QString::fromLatin1(o));
    }
    if (in.has(QStringLiteral("from"))) {
        QString p;
        *from = parseMailbox(in.text(QStringLiteral("from")), &p);
        if (!*from)
            return p;
        if (!(*from)->name.isEmpty() && in.has(QStringLiteral("from-name")))
            return tr("--from already gives the sender's name: drop --from-name, or give only "
                      "the address in --from.");
        if (const QString n = textFieldProblem(QStringLiteral("--from"), (*from)->name, 200);
            !n.isEmpty())
            return n;
    }
    for (const char *o : {"accept-url", "portal-accept-url"})
        if (in.has(QString::fromLatin1(o)))
            if (const QString p = acceptUrlProblem(in.text(QString::fromLatin1(o))); !p.isEmpty())
                return p;
    for (const char *o : {"org", "from-name", "user"})
        if (const QString p = textFieldProblem(QStringLiteral("--") + QString::fromLatin1(o),
                                               in.text(QString::fromLatin1(o)), 200);
            !p.isEmpty())
            return p;
    return {};
}

// Reads the SMTP password from standard input and seals it into `s`: Done or the exit code.
int sealSmtpPassword(AdminSession &session, OrgSettings &s)
{
    auto pw = readStdinLine();
    if (!pw || pw->isEmpty())
        return usage(tr("No SMTP password for %1: give it on standard input.").arg(s.smtpUser));
    auto seal = session.sealer();
    if (!seal)
        return fail(seal.error());
    s.smtpPasswordSealed = seal->seal(pw->toUtf8(), smtpPasswordContext);
    return Done;
}

int configure(const Invocation &in)
{
    std::optional<Mailbox> from;
    if (const QString p = mailConfigureProblem(in, &from); !p.isEmpty())
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
    const QString transport = in.text(QStringLiteral("transport"));
    if (transport == u"file") {
        s.transport = transport;
        s.mailDir = QFileInfo(in.text(QStringLiteral("dir"))).absoluteFilePath();
    } else if (transport == u"smtp") {
        s.transport = transport;
        s.smtpHost = in.text(QStringLiteral("host"));
        s.smtpPort = int(in.options.number(QStringLiteral("port")));
        s.smtpSecurity = smtpSecurityName(*parseSmtpSecurity(in.text(QStringLiteral("security"))));
        s.smtpUser = in.text(QStringLiteral("user"));
        s.smtpCaFile = in.has(QStringLiteral("ca-file"))
                           ? QFileInfo(in.text(QStringLiteral("ca-file"))).absoluteFilePath()
                           : QString();
        s.smtpAllowPlainAuth = in.has(QStringLiteral("allow-plain-auth"));
        s.smtpPasswordSealed.clear();
        if (!s.smtpUser.isEmpty())
            if (int rc = sealSmtpPassword(session, s); rc != Done)
                return rc;
    }
    if (from) {
        s.senderAddress = from->address;
        if (!from->name.isEmpty())
            s.senderName = from->name;
    }
    if (in.has(QStringLiteral("from-name")))
        s.senderName = in.text(QStringLiteral("from-name"));
    if (in.has(QStringLiteral("org")))
        s.organisation = in.text(QStringLiteral("org"));
    if (in.has(QStringLiteral("accept-url")))
        s.acceptUrl = in.text(QStringLiteral("accept-url"));
    if (in.has(QStringLiteral("portal-accept-url")))
        s.portalAcceptUrl = in.text(QStringLiteral("portal-accept-url"));
    if (in.has(QStringLiteral("cooldown-minutes")))
        s.cooldownMinutes = int(in.options.number(QStringLiteral("cooldown-minutes")));
    if (in.has(QStringLiteral("reminder-days")))
        s.reminderDaysBefore = int(in.options.number(QStringLiteral("reminder-days")));
    Transaction tx(session.db());
    if (!tx.status())
        return fail(tx.status().error());
    if (Status r = s.save(session.db()); !r)
        return fail(r.error());
    AuditEntry e{
        0,
        session.clock().nowMs(),
        session.userId(),
        session.user().email,
        QStringLiteral("settings.mail"),
        0,
        QString(),
        s.transport == u"smtp"
            ? QStringLiteral("smtp %1:%2 %3").arg(s.smtpHost).arg(s.smtpPort).arg(s.smtpSecurity)
            : QStringLiteral("file %1").arg(s.mailDir)};
    if (Status r = writeAudit(session.db(), e); !r)
        return fail(r.error());
    if (Status r = tx.commit(); !r)
        return fail(r.error());
    out() << tr("Mail settings saved.") << Qt::endl;
    return Done;
}

int show(const Invocation &in)
{
    AdminSession session(in.global);
    if (int rc = session.signIn(); rc != Done)
        return rc;
    auto s = OrgSettings::load(session.db());
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

// Sends one message now, without the outbox's retries: the exit code tells how it went.
int test(const Invocation &in)
{
    const QString to = in.text(QStringLiteral("to"));
    if (const QString p = emailAddressProblem(to); !p.isEmpty())
        return usage(p);
    AdminSession session(in.global);
    if (int rc = session.signIn(); rc != Done)
        return rc;
    auto s = OrgSettings::load(session.db());
    if (!s)
        return fail(s.error());
    auto seal = session.sealer();
    if (!seal)
        return fail(seal.error());
    auto transport = makeTransport(s.value(), seal.value());
    if (!transport)
        return fail(transport.error());
    Outbox outbox(session.db(), session.clock());
    auto id = outbox.enqueueTest(s.value(), to);
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

} // namespace

QList<OptionSpec> serverOptions(const QString &protocol)
{
    using O = OptionSpec;
    return {
        O::text(QStringLiteral("host"), QStringLiteral("H"), tr("the %1 server").arg(protocol)),
        O::number(QStringLiteral("port"), QStringLiteral("P"), 1, 65535, tr("its port")),
        O::word(QStringLiteral("security"),
                {QStringLiteral("none"), QStringLiteral("starttls"), QStringLiteral("tls")},
                tr("TLS from the start (tls), after STARTTLS, or none")),
        O::text(QStringLiteral("user"), QStringLiteral("U"),
                tr("the user to sign in as; the password is read from standard input")),
        O::text(QStringLiteral("ca-file"), QStringLiteral("PEM"),
                tr("verify the server's certificate against PEM instead of the system's CAs")),
        O::flag(QStringLiteral("allow-plain-auth"), tr("allow the password without TLS")),
    };
}

QList<CommandSpec> mailCommands()
{
    using O = OptionSpec;
    QList<OptionSpec> configureOptions{
        O::word(QStringLiteral("transport"), {QStringLiteral("file"), QStringLiteral("smtp")},
                tr("write .eml files into --dir, or send through an SMTP server")),
        O::text(QStringLiteral("dir"), QStringLiteral("DIR"),
                tr("with --transport file: the folder for the messages"))};
    configureOptions += serverOptions(QStringLiteral("SMTP"));
    configureOptions += {
        O::text(QStringLiteral("from"), QStringLiteral("ADDR"),
                tr("the sender: an address, or \"NAME <ADDR>\"")),
        O::text(QStringLiteral("from-name"), QStringLiteral("NAME"), tr("the sender's name")),
        O::text(QStringLiteral("org"), QStringLiteral("NAME"), tr("the organisation's name")),
        O::text(QStringLiteral("accept-url"), QStringLiteral("URL"),
                tr("the accept page of CRM users (the link is URL?token=TOKEN)")),
        O::text(QStringLiteral("portal-accept-url"), QStringLiteral("URL"),
                tr("the accept page of portal users")),
        O::number(QStringLiteral("cooldown-minutes"), QStringLiteral("N"), 0, 7 * 24 * 60,
                  tr("the time before the same user may be re-invited")),
        O::number(QStringLiteral("reminder-days"), QStringLiteral("N"), 0, 6,
                  tr("remind unconfirmed users N days before their invitation expires"))
            .withMinNote(tr("off")),
    };
    return {
        {QStringLiteral("mail"), QStringLiteral("configure"), QString(), 0, 0,
         tr("Change the mail settings: the transport (--transport file --dir DIR, or --transport "
            "smtp --host H --port P --security S, the SMTP password from standard input with "
            "--user), the sender and the invitation's links and timing. Administrators only."),
         configureOptions, configure},
        {QStringLiteral("mail"),
         QStringLiteral("show"),
         QString(),
         0,
         0,
         tr("Print the mail settings (never the SMTP password)."),
         {},
         show},
        {QStringLiteral("mail"),
         QStringLiteral("test"),
         QString(),
         0,
         0,
         tr("Send a test message through the configured transport now."),
         {O::text(QStringLiteral("to"), QStringLiteral("ADDR"), tr("the recipient")).mandatory()},
         test},
    };
}

} // namespace roster::cli
