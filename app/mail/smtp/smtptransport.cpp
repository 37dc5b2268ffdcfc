#include "app/mail/smtp/smtptransport.h"

#include "app/mail/smtp/smtpclient.h"

#include <QEventLoop>

namespace roster {

SmtpTransport::SmtpTransport(SmtpSettings s) : m_settings(std::move(s)) {}

QList<DeliveryResult> SmtpTransport::deliver(const QList<OutgoingMessage> &messages)
{
    m_lastError.clear();
    if (messages.isEmpty())
        return {};
    SmtpClient client(m_settings);
    QEventLoop loop;
    QObject::connect(&client, &SmtpClient::finished, &loop, &QEventLoop::quit);
    client.start(messages);
    // The client has its own timeouts on every step, so this always returns.
    if (!client.isFinished())
        loop.exec();
    m_lastError = client.errorString();
    return client.results();
}

} // namespace roster
