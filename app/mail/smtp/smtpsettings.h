#pragma once

#include <QString>
#include <QtGlobal>

#include <optional>

namespace roster {

// How to reach one SMTP server. Plain data: validated when a client starts.
struct SmtpSettings
{
    enum class Security { None, StartTls, Tls };

    QString host;
    quint16 port = 587;
    Security security = Security::StartTls;
    QString username; // AUTH only when non-empty
    QString password;
    QString caFile;              // extra CA (PEM) trusted besides the system store
    bool allowPlainAuth = false; // AUTH without TLS only when true
    QString heloName;            // "localhost" when empty
    int connectTimeoutMs = 30000;
    int replyTimeoutMs = 60000;
    int dataTimeoutMs = 120000; // the reply to the final dot
};

// "none" | "starttls" | "tls" (case-insensitive); nullopt for anything else.
std::optional<SmtpSettings::Security> parseSmtpSecurity(const QString &name);
QString smtpSecurityName(SmtpSettings::Security security);

} // namespace roster
