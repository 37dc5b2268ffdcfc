#pragma once

#include "app/mail/mailtransport.h"
#include "app/mail/smtp/smtpsettings.h"

namespace roster {

// MailTransport over SMTP: one session per deliver() call, every message over that one
// connection. Blocks its caller while the session runs on a thread of its own (no event of the
// caller's thread is handled meanwhile); use it from a worker thread or the command line. With
// setCallerThreadIsIdle(true) the session runs on the caller's thread instead (no hand-over of
// each result between two threads: two context switches a message).
class SmtpTransport final : public MailTransport
{
public:
    explicit SmtpTransport(SmtpSettings s);
    QList<DeliveryResult> deliver(const QList<OutgoingMessage> &messages) override;

    // The session error of the last deliver() (translated, one line), empty when none.
    QString lastError() const { return m_lastError; }

private:
    SmtpSettings m_settings;
    QString m_lastError;
};

} // namespace roster
