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
    bool stopping = false;
    QObject::connect(&client, &SmtpClient::messageFinished, &loop,
                     [&](int index, const DeliveryResult &result) {
                         if (!reportResult(index, result) && !stopping) {
                             // Not from inside the client's own signal: at its next turn.
                             stopping = true;
                             QMetaObject::invokeMethod(
                                 &client, [&client] { client.abort(); }, Qt::QueuedConnection);
                         }
                     });
    client.start(messages);
    // The client has its own timeouts on every step, so this always returns.
    if (!client.isFinished())
        loop.exec();
    m_lastError = client.errorString();
    return client.results();
}

} // namespace roster
