#include "app/mail/smtp/smtptransport.h"

#include "app/mail/smtp/smtpclient.h"

#include <QEventLoop>
#include <QThread>
#include <QTimer>

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>

namespace roster {

namespace {

// What the session's thread hands to the caller's: each message's result as it comes, then the
// end. The caller records each result on its own thread (its database connection lives there).
struct Handover
{
    std::mutex mutex;
    std::condition_variable changed;
    std::deque<std::pair<int, DeliveryResult>> results;
    quint64 handed = 0;   // results the session has handed over
    quint64 recorded = 0; // ... and the caller has been through
    bool finished = false;
    std::atomic_bool stop{false}; // the caller's handler asked to stop

    // On the session's thread: hand one result over, and wait until the caller has recorded it.
    // The client sends the next message's content only after this returns, so a crash resends
    // at most the message in flight however far the recording thread lags behind (on a loaded
    // machine it did: a killed run had five messages accepted and none recorded). An abort (the
    // console quitting) ends the wait, not the recording.
    void handOver(int index, const DeliveryResult &result, const std::atomic_bool *abort)
    {
        std::unique_lock lock(mutex);
        results.emplace_back(index, result);
        const quint64 mine = ++handed;
        changed.notify_all();
        while (recorded < mine && !(abort && abort->load()))
            changed.wait_for(lock, std::chrono::milliseconds(20));
    }
};

// One SMTP session to its end, on the calling thread: `onResult` is called with each message's
// result before the client writes again; when it returns false, nothing more is sent. `abort`
// and `stop` (either may be null), read every 20 ms, end the session too.
QList<DeliveryResult> runSession(const SmtpSettings &settings,
                                 const QList<OutgoingMessage> &messages,
                                 const std::function<bool(int, const DeliveryResult &)> &onResult,
                                 const std::atomic_bool *abort, const std::atomic_bool *stop,
                                 QString *error)
{
    SmtpClient client(settings);
    QEventLoop loop;
    QObject::connect(&client, &SmtpClient::finished, &loop, &QEventLoop::quit);
    QObject::connect(&client, &SmtpClient::messageFinished, &loop,
                     [&](int index, const DeliveryResult &result) {
                         if (!onResult(index, result))
                             client.requestStop();
                     });
    QTimer watch; // the abort flag and the caller's stop, read on this thread
    watch.setInterval(20);
    bool aborted = false;
    QObject::connect(&watch, &QTimer::timeout, &client, [&] {
        if (!aborted && ((abort && abort->load()) || (stop && stop->load()))) {
            aborted = true;
            client.abort();
        }
    });
    watch.start();
    client.start(messages);
    // The client has its own timeouts on every step, so this always returns.
    if (!client.isFinished())
        loop.exec();
    *error = client.errorString();
    return client.results();
}

} // namespace

SmtpTransport::SmtpTransport(SmtpSettings s) : m_settings(std::move(s)) {}

QList<DeliveryResult> SmtpTransport::deliver(const QList<OutgoingMessage> &messages)
{
    m_lastError.clear();
    if (messages.isEmpty())
        return {};
    const std::shared_ptr<const std::atomic_bool> abort = abortFlag();
    if (callerThreadIsIdle()) {
        // Nothing else runs on this thread: the session's loop runs here, and each result is
        // recorded before the client sends the next message's content, with no thread between.
        return runSession(
            m_settings, messages,
            [this](int index, const DeliveryResult &result) { return reportResult(index, result); },
            abort.get(), nullptr, &m_lastError);
    }
    // The session runs on a thread of its own, where only its own objects live: the caller's
    // thread only waits for results, so none of the caller's events (timers, queued calls, a
    // stop request) can run in the middle of a delivery, as they would in a local event loop.
    QList<DeliveryResult> results;
    QString error;
    const SmtpSettings settings = m_settings;
    auto handover = std::make_shared<Handover>();
    std::unique_ptr<QThread> session(
        QThread::create([&results, &error, &messages, abort, settings, handover] {
            results = runSession(
                settings, messages,
                [&handover, &abort](int index, const DeliveryResult &result) {
                    // The caller's verdict on this result is in before handOver() returns.
                    handover->handOver(index, result, abort.get());
                    return !handover->stop.load();
                },
                abort.get(), &handover->stop, &error);
            {
                std::lock_guard lock(handover->mutex);
                handover->finished = true;
            }
            handover->changed.notify_all();
        }));
    session->setObjectName(QStringLiteral("roster-smtp-session"));
    session->start();
    for (;;) {
        std::unique_lock lock(handover->mutex);
        handover->changed.wait(lock,
                               [&] { return handover->finished || !handover->results.empty(); });
        if (handover->results.empty())
            break; // finished, and every result handed over
        auto [index, result] = std::move(handover->results.front());
        handover->results.pop_front();
        lock.unlock();
        if (!reportResult(index, result))
            handover->stop = true;
        lock.lock();
        ++handover->recorded;
        lock.unlock();
        handover->changed.notify_all();
    }
    session->wait();
    m_lastError = error;
    return results;
}

} // namespace roster
