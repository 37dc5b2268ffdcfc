#pragma once

#include "app/mail/mailsocket.h"
#include "app/mail/mailtransport.h"
#include "app/mail/smtp/smtpreply.h"
#include "app/mail/smtp/smtpsettings.h"

#include <QByteArray>
#include <QList>
#include <QLoggingCategory>
#include <QObject>
#include <QSet>
#include <QString>

#include <deque>
#include <vector>

Q_DECLARE_LOGGING_CATEGORY(lcSmtp)

namespace roster {

// Sends a list of messages over one SMTP session, asynchronously (STYLE.md rule 5): start()
// returns at once, messageFinished() reports each message, finished() comes exactly once.
// Never blocks and never calls waitFor...().
class SmtpClient final : public QObject
{
    Q_OBJECT
public:
    enum class State {
        Idle,
        Connecting, // TCP connect (and the TLS handshake for implicit TLS)
        Greeting,   // waiting for 220
        Ehlo,       // EHLO, or HELO after EHLO was refused
        StartTls,   // STARTTLS sent, then the handshake
        Authenticating,
        Sending, // mail transactions
        Quitting,
        Finished,
    };
    Q_ENUM(State)

    // What ended the session early. Per-message refusals are not session errors: they are in
    // that message's DeliveryResult.
    enum class Error {
        NoError,
        InvalidSettings, // empty host, bad HELO name, unreadable CA file...
        TlsUnavailable,  // no TLS backend in this Qt
        HostNotFound,
        ConnectionRefused,
        ConnectTimeout,
        ReplyTimeout,
        ConnectionClosed, // the server hung up without a reply
        NetworkError,
        ProtocolError,       // malformed or over-long reply, unexpected bytes
        ServiceUnavailable,  // 421, or a refused greeting / EHLO / RSET
        StartTlsUnavailable, // security=starttls but the server does not offer it
        StartTlsRefused,     // offered, then refused (454...)
        StartTlsInjection,   // bytes received between "220" and the handshake
        TlsHandshakeFailed,  // includes certificate verification, with the reason
        AuthUnavailable,     // credentials configured, no usable AUTH mechanism offered
        AuthNotEncrypted,    // would send the password in clear and that was not allowed
        AuthFailed,          // 535 and friends
    };
    Q_ENUM(Error)

    explicit SmtpClient(SmtpSettings settings, QObject *parent = nullptr);

    // Starts the session. Every result (and finished()) arrives from the event loop, even for
    // an empty list or invalid settings.
    void start(const QList<OutgoingMessage> &messages);
    // Aborts the session: unfinished messages get a Temporary result.
    void abort();
    // From a messageFinished() handler: nothing more is sent. The session ends as abort() ends
    // it before the client writes again (the next message's content included), so no message
    // after this one reaches the server.
    void requestStop() { m_stopRequested = true; }

    State state() const { return m_state; }
    Error error() const { return m_error; }
    QString errorString() const { return m_errorString; } // translated, one line
    QList<DeliveryResult> results() const { return m_results; }
    bool isFinished() const { return m_state == State::Finished; }

    // The single place where session errors become user-facing text.
    static QString describeError(Error error, const QString &detail = {});

Q_SIGNALS:
    void stateChanged(roster::SmtpClient::State state);
    void messageFinished(int index, const roster::DeliveryResult &result);
    void finished(roster::SmtpClient::Error error);

private:
    enum class Cmd { Greeting, Ehlo, Helo, StartTls, Auth, Mail, Rcpt, Data, Dot, Rset, Quit };
    struct Pending
    {
        Cmd cmd;
        int message = -1;
    };
    struct Txn
    {
        int acceptedRcpts = 0;
        int rcptReplies = 0;
        bool anyTransient = false; // some refusal was 4xx: retrying may help
        bool failed = false;       // MAIL refused, or no recipient accepted
        SmtpReply failure;         // first refusal (MAIL or RCPT)
        QString refusedRcpts;      // for a partial delivery
        QByteArray wire;           // prepared content, released once written
    };
    struct Outgoing
    {
        QByteArray bytes;
        Pending pending;
        bool expectsReply = true; // false for message content (its reply follows the dot)
    };

    static bool isExpected(Cmd cmd, int code);
    void beginSession();
    void setState(State s);
    void onReady();
    void onEncrypted();
    void onClosed();
    void onTimeout();
    void parseInput();
    void handleReply(const SmtpReply &reply);
    void handleGreeting(const SmtpReply &reply);
    void handleEhlo(Cmd cmd, const SmtpReply &reply);
    void handleStartTls(const SmtpReply &reply);
    void handleAuth(const SmtpReply &reply);
    void handleMail(int i, const SmtpReply &reply);
    void handleRcpt(int i, const SmtpReply &reply);
    void handleData(int i, const SmtpReply &reply);
    void handleDot(int i, const SmtpReply &reply);
    void afterHandshake(); // capabilities known: STARTTLS, AUTH or mail
    void startAuth();
    void startMail();
    void queueNextTransaction();
    void queueCommand(const QByteArray &line, Cmd cmd, int message = -1);
    void flush();
    void sendNow(const QByteArray &bytes, Cmd cmd, int message = -1);
    void armTimer();
    void finishMessage(int i, DeliveryResult::Outcome outcome, const QString &reply,
                       bool connectionError = false);
    void refuseMessage(int i, const SmtpReply &reply);
    void maybeQuit();
    void fail(Error error, const QString &detail = {});
    void finish();
    QByteArray heloName() const;

    SmtpSettings m_settings;
    QList<OutgoingMessage> m_messages;
    QList<DeliveryResult> m_results;
    std::vector<Txn> m_txns;
    QList<bool> m_haveResult;
    int m_nextMessage = 0; // next message whose transaction is not yet queued
    int m_open = 0;        // messages without a result

    MailSocket m_socket;
    State m_state = State::Idle;
    Error m_error = Error::NoError;
    QString m_errorString;

    SmtpReplyReader m_replies;       // assembles replies from the socket's input
    std::deque<Pending> m_pending;   // commands on the wire, oldest first
    std::deque<Outgoing> m_outQueue; // not yet on the wire (without PIPELINING)

    QSet<QByteArray> m_caps; // upper-case EHLO keywords
    QList<QByteArray> m_authMechs;
    bool m_pipelining = false;
    bool m_tlsDone = false;
    QByteArray m_authMech;
    int m_authSteps = 0;
    bool m_quitSent = false;
    bool m_finishing = false;
    bool m_stopRequested = false;
};

} // namespace roster
