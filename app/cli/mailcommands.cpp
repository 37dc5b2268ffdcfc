// mail configure, show and test: the organisation's mail settings and transport.
#include "app/cli/adminsession.h"
#include "app/cli/command.h"
#include "app/cli/output.h"

#include "app/mail/emailaddress.h"
#include "app/mailsettingsservice.h"
#include "app/mailsetup.h"
#include "app/orgsettings.h"
#include "app/outbox.h"

namespace roster::cli {

namespace {

// Which options go together: what the table's parser cannot say. The values are
// MailSettingsService's to check, as for the Email settings page.
QString mailOptionsProblem(const Invocation &in)
{
    if (in.text(QStringLiteral("transport")) == u"smtp") {
        if (!in.has(QStringLiteral("host")) || !in.has(QStringLiteral("port")) ||
            !in.has(QStringLiteral("security")))
            return tr("--transport smtp needs --host, --port and --security.");
        return {};
    }
    for (const char *o : {"host", "port", "security", "user", "ca-file", "allow-plain-auth"})
        if (in.has(QString::fromLatin1(o)))
            return tr("--%1 goes with --transport smtp.").arg(QString::fromLatin1(o));
    return {};
}

MailSettingsChange mailChange(const Invocation &in)
{
    const auto text = [&in](const char *o) -> std::optional<QString> {
        if (!in.has(QString::fromLatin1(o)))
            return std::nullopt;
        return in.text(QString::fromLatin1(o));
    };
    const auto number = [&in](const char *o) -> std::optional<int> {
        if (!in.has(QString::fromLatin1(o)))
            return std::nullopt;
        return int(in.options.number(QString::fromLatin1(o)));
    };
    MailSettingsChange c;
    c.transport = text("transport");
    c.mailDir = in.text(QStringLiteral("dir"));
    c.smtp = serverInput(in);
    c.sender = text("from");
    c.senderName = text("from-name");
    c.organisation = text("org");
    c.acceptUrl = text("accept-url");
    c.portalAcceptUrl = text("portal-accept-url");
    c.cooldownMinutes = number("cooldown-minutes");
    c.reminderDays = number("reminder-days");
    return c;
}

int configure(const Invocation &in)
{
    if (const QString p = mailOptionsProblem(in); !p.isEmpty())
        return usage(p);
    MailSettingsChange change = mailChange(in);
    const bool smtpUser = change.transport == u"smtp" && !change.smtp.user.isEmpty();
    return saveSettings(
        in, smtpUser ? &change.smtp.password : nullptr,
        [&change](MailSettingsService &service) { return service.saveMail(change); },
        tr("Mail settings saved."));
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
    auto mail = session.mailAccess();
    if (!mail)
        return fail(mail.error());
    auto transport = makeTransport(mail->settings, mail->sealer);
    if (!transport)
        return fail(transport.error());
    Outbox outbox(session.db(), session.clock());
    auto id = outbox.enqueueTest(mail->settings, to);
    if (!id)
        return fail(id.error());
    auto reports = outbox.deliverDue(*transport.value(), mail->sealer, 1, {id.value()});
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

int saveSettings(const Invocation &in, std::optional<QString> *password,
                 const std::function<Status(MailSettingsService &)> &save, const QString &saved)
{
    AdminSession session(in.global);
    if (int rc = session.signIn(); rc != Done)
        return rc;
    // After signing in, which may have read the first line. A server user without a password
    // on standard input is refused by the service (after the permission), in rosterctl's words.
    if (password)
        *password = readStdinLine().value_or(QString());
    MailSettingsService service(session.db(), session.clock(), session.userId());
    if (Status r = save(service); !r)
        return failOrUsage(r.error());
    out() << saved << Qt::endl;
    return Done;
}

MailServerInput serverInput(const Invocation &in)
{
    MailServerInput m;
    m.host = in.text(QStringLiteral("host"));
    m.port = in.has(QStringLiteral("port")) ? int(in.options.number(QStringLiteral("port"))) : 0;
    m.security = in.text(QStringLiteral("security"));
    m.user = in.text(QStringLiteral("user"));
    m.caFile = in.text(QStringLiteral("ca-file"));
    m.allowPlainAuth = in.has(QStringLiteral("allow-plain-auth"));
    return m;
}

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
