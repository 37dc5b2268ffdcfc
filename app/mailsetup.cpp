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
        if (!settings.smtpPasswordSealed.isEmpty()) {
            auto pw = sealer.unseal(settings.smtpPasswordSealed, smtpPasswordContext);
            if (!pw)
                return makeError(
                    ErrorKind::Mail,
                    QCoreApplication::translate("MailSetup",
                                                "The SMTP password was saved on another computer "
                                                "(its key file is missing here): enter it again."));
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
