#include "app/mail/smtp/smtptransport.h"

#include "app/mail/smtp/smtpclient.h"

#include <QEventLoop>
#include <QThread>
#include <QTimer>

#include <memory>

namespace roster {

SmtpTransport::SmtpTransport(SmtpSettings s) : m_settings(std::move(s)) {}

QList<DeliveryResult> SmtpTransport::deliver(const QList<OutgoingMessage> &messages)
{
    m_lastError.clear();
    if (messages.isEmpty())
        return {};
    // The session runs on a thread of its own, where only its own objects live: the caller's
    // thread just waits, so none of the caller's events (timers, queued calls, a stop request)
    // can run in the middle of a delivery, as they would in a local event loop there.
    QList<DeliveryResult> results;
    QString error;
    const std::shared_ptr<const std::atomic_bool> abort = abortFlag();
    const SmtpSettings settings = m_settings;
    std::unique_ptr<QThread> session(
        QThread::create([&results, &error, &messages, abort, settings] {
            SmtpClient client(settings);
            QEventLoop loop;
            QObject::connect(&client, &SmtpClient::finished, &loop, &QEventLoop::quit);
            QTimer watch; // the abort flag, read on this thread
            watch.setInterval(20);
            QObject::connect(&watch, &QTimer::timeout, &client, [&client, &abort] {
                if (abort->load())
                    client.abort();
            });
            if (abort)
                watch.start();
            client.start(messages);
            // The client has its own timeouts on every step, so this always returns.
            if (!client.isFinished())
                loop.exec();
            results = client.results();
            error = client.errorString();
        }));
    session->setObjectName(QStringLiteral("roster-smtp-session"));
    session->start();
    session->wait();
    m_lastError = error;
    return results;
}

} // namespace roster
