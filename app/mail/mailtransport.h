#pragma once

#include <QByteArray>
#include <QList>
#include <QString>

#include <atomic>
#include <functional>
#include <memory>

namespace roster {

// One message ready for the wire: the outbox renders it, a transport carries it.
struct OutgoingMessage
{
    qint64 outboxId = 0;
    QByteArray envelopeFrom;      // addr-spec for MAIL FROM
    QList<QByteArray> recipients; // addr-specs for RCPT TO
    QByteArray data;              // RFC 5322 message, CRLF line ends, NOT dot-stuffed
    QByteArray messageId;         // without angle brackets, for file names and logs
    // RFC 3461: ask for failure and delay reports (RET=HDRS, NOTIFY=FAILURE,DELAY, ORCPT) with
    // this ENVID, where the server offers DSN; never sent to a server that did not offer it.
    bool requestDsn = false;
    QByteArray envelopeId; // plain; the client xtext-encodes it
};

struct DeliveryResult
{
    enum class Outcome { Sent, Temporary, Permanent };
    Outcome outcome = Outcome::Temporary;
    // The server's reply (e.g. "550 5.1.1 no such user") or a translated error text, one line.
    QString reply;
    // True when the failure is about the connection or the configuration (server down,
    // TLS refused, bad password), not about this message: rosterctl maps it to exit code 6.
    bool connectionError = false;
};

// A way to hand messages to the world. deliver() blocks until every message has a result;
// call it from a worker thread or the command line, never from the GUI thread.
class MailTransport
{
public:
    virtual ~MailTransport() = default;
    // One result per message, in the same order.
    virtual QList<DeliveryResult> deliver(const QList<OutgoingMessage> &messages) = 0;

    // Called with each message's result as soon as it is known (the server's reply to the final
    // dot), before deliver() returns and on the thread that called it, so that the outbox records
    // it at once: a crash then resends at most the message in flight. Returning false asks the
    // transport to stop: what is not yet sent gets a Temporary result. A transport that never
    // calls it is fine: its results are recorded when deliver() returns.
    using ResultHandler = std::function<bool(qsizetype index, const DeliveryResult &result)>;
    void setResultHandler(ResultHandler handler) { m_onResult = std::move(handler); }

    // A flag another thread sets to make a deliver() in progress give up soon (the console
    // quitting): the messages without a result get a Temporary one, marked connectionError, so
    // the outbox keeps them for a retry. Transports that never wait on a network ignore it.
    void setAbortFlag(std::shared_ptr<const std::atomic_bool> flag) { m_abort = std::move(flag); }

    // The caller's promise that its thread has no events of its own to handle while deliver()
    // runs (the command line's main thread): a transport may then run its session's event loop
    // there, and call the result handler without handing each result to another thread. Never
    // from a thread whose events may call back into the caller (a worker's queued calls).
    void setCallerThreadIsIdle(bool idle) { m_callerIdle = idle; }

protected:
    // For transports: hands one result to the handler; false means stop.
    bool reportResult(qsizetype index, const DeliveryResult &result) const
    {
        return !m_onResult || m_onResult(index, result);
    }
    bool abortRequested() const { return m_abort && m_abort->load(); }
    const std::shared_ptr<const std::atomic_bool> &abortFlag() const { return m_abort; }
    bool callerThreadIsIdle() const { return m_callerIdle; }

private:
    ResultHandler m_onResult;
    std::shared_ptr<const std::atomic_bool> m_abort;
    bool m_callerIdle = false;
};

} // namespace roster
