#pragma once

#include "app/mail/mailtransport.h"
#include "app/orgsettings.h"
#include "models/result.h"

#include <memory>

namespace roster {

class Sealer;

// The transport the organisation's settings name: the file transport (the embedded default) or
// the project's SMTP client. The SMTP password is unsealed with this computer's key.
Result<std::unique_ptr<MailTransport>> makeTransport(const OrgSettings &settings,
                                                     const Sealer &sealer);
inline const QByteArray smtpPasswordContext = QByteArrayLiteral("smtp-password");
inline const QByteArray imapPasswordContext = QByteArrayLiteral("imap-password");

} // namespace roster
