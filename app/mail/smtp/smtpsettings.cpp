#include "app/mail/smtp/smtpsettings.h"

namespace roster {

std::optional<SmtpSettings::Security> parseSmtpSecurity(const QString &name)
{
    const QString n = name.trimmed().toLower();
    if (n == u"none")
        return SmtpSettings::Security::None;
    if (n == u"starttls")
        return SmtpSettings::Security::StartTls;
    if (n == u"tls")
        return SmtpSettings::Security::Tls;
    return std::nullopt;
}

QString smtpSecurityName(SmtpSettings::Security security)
{
    switch (security) {
    case SmtpSettings::Security::None:
        return QStringLiteral("none");
    case SmtpSettings::Security::StartTls:
        return QStringLiteral("starttls");
    case SmtpSettings::Security::Tls:
        return QStringLiteral("tls");
    }
    return {};
}

} // namespace roster
