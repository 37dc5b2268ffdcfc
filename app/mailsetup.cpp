#include "app/mailsetup.h"

#include "app/mail/filetransport.h"
#include "app/mail/smtp/smtpsettings.h"
#include "app/mail/smtp/smtptransport.h"
#include "app/sealer.h"
#include "models/testhooks.h"

#include <QCoreApplication>

namespace roster {

Result<std::unique_ptr<MailTransport>> makeTransport(const OrgSettings &settings,
                                                     const Sealer &sealer)
{
    if (settings.transport == u"smtp") {
        SmtpSettings s;
        s.host = settings.smtpHost;
        s.port = quint16(settings.smtpPort);
        const auto security = parseSmtpSecurity(settings.smtpSecurity);
        if (s.host.isEmpty() || !security)
            return makeError(ErrorKind::Mail,
                             QCoreApplication::translate(
                                 "MailSetup",
                                 "The SMTP server is not configured: run \"rosterctl mail "
                                 "configure --transport smtp …\" or open Email settings."));
        s.security = *security;
        s.username = settings.smtpUser;
        // The organisation's sealed copy is the one password every sender uses. An SMTP user
        // without one is a configuration error, never an AUTH attempt with an empty password.
        if (!s.username.isEmpty()) {
            if (settings.smtpPasswordSealed.isEmpty())
                return makeError(
                    ErrorKind::Mail,
                    QCoreApplication::translate(
                        "MailSetup",
                        "The SMTP user %1 has no password saved for the organisation: give it "
                        "with \"rosterctl mail configure --transport smtp … --user %1\" (on "
                        "standard input) or in Email settings.")
                        .arg(s.username));
            auto pw = sealer.unseal(settings.smtpPasswordSealed, smtpPasswordContext);
            if (!pw)
                return makeError(
                    ErrorKind::Mail,
                    QCoreApplication::translate(
                        "MailSetup",
                        "The SMTP password cannot be opened with this computer's key file %1: "
                        "install the organisation's key file there (chmod 600), or give the "
                        "password again.")
                        .arg(sealer.keyFile()));
            if (pw->isEmpty())
                return makeError(
                    ErrorKind::Mail,
                    QCoreApplication::translate(
                        "MailSetup",
                        "The SMTP user %1 has an empty password saved: give the real one with "
                        "\"rosterctl mail configure --transport smtp … --user %1\" or in Email "
                        "settings.")
                        .arg(s.username));
            s.password = QString::fromUtf8(*pw);
        }
        s.caFile = settings.smtpCaFile;
        s.allowPlainAuth = settings.smtpAllowPlainAuth;
        if (const auto timeout = testhooks::smtpTimeoutMs()) { // test builds only
            s.connectTimeoutMs = *timeout;
            s.replyTimeoutMs = *timeout;
            s.dataTimeoutMs = *timeout;
        }
        return std::unique_ptr<MailTransport>(std::make_unique<SmtpTransport>(s));
    }
    return std::unique_ptr<MailTransport>(std::make_unique<FileTransport>(settings.mailDir));
}

} // namespace roster
