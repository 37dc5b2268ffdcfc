#include "app/mail/smtp/smtpclient.h"

#include "app/mail/smtp/smtpdata.h"

#include <QCoreApplication>

#include <cstring>

Q_LOGGING_CATEGORY(lcSmtp, "roster.mail.smtp", QtInfoMsg)

namespace roster {

namespace {

// RFC 5321 allows 512 octets; real servers send longer texts, so be lenient, but bounded.
constexpr int kMaxAuthChallenges = 4;
constexpr qsizetype kMaxTextLine = 998;

QString printable(QByteArrayView bytes)
{
    return smtpPrintable(bytes);
}

QString commandName(int cmd)
{
    // Protocol words, not translated.
    static const char *const names[] = {"greeting",    "EHLO",      "HELO",    "STARTTLS",
                                        "AUTH",        "MAIL FROM", "RCPT TO", "DATA",
                                        "end of data", "RSET",      "QUIT"};
    return QString::fromLatin1(names[cmd]);
}

} // namespace

SmtpClient::SmtpClient(SmtpSettings settings, QObject *parent)
    : QObject(parent), m_settings(std::move(settings)), m_socket(lcSmtp)
{
    connect(&m_socket, &MailSocket::ready, this, &SmtpClient::onReady);
    connect(&m_socket, &MailSocket::encrypted, this, &SmtpClient::onEncrypted);
    connect(&m_socket, &MailSocket::readyRead, this, &SmtpClient::parseInput);
    connect(&m_socket, &MailSocket::closed, this, &SmtpClient::onClosed);
    connect(&m_socket, &MailSocket::replyTimedOut, this, &SmtpClient::onTimeout);
    connect(&m_socket, &MailSocket::failed, this,
            [this](const SocketFailure &f) { fail(socketFailureError<Error>(f.kind), f.detail); });
}

QString SmtpClient::describeError(Error error, const QString &detail)
{
    switch (error) {
    case Error::NoError:
        return {};
    case Error::InvalidSettings:
        return tr("The SMTP settings are not valid: %1").arg(detail);
    case Error::TlsUnavailable:
        return tr("TLS is not available in this installation (%1): install Qt's OpenSSL TLS "
                  "plugin, or use security \"none\".")
            .arg(detail);
    case Error::HostNotFound:
        return tr("The SMTP server %1 was not found: check the host name.").arg(detail);
    case Error::ConnectionRefused:
        return tr("The SMTP server %1 refused the connection: is it running, and is the port "
                  "right?")
            .arg(detail);
    case Error::ConnectTimeout:
        return tr("Could not connect to the SMTP server %1 in time: check the host, the port and "
                  "the firewall.")
            .arg(detail);
    case Error::ReplyTimeout:
        return tr("The SMTP server did not answer in time (waiting for the reply to %1).")
            .arg(detail);
    case Error::ConnectionClosed:
        return tr("The SMTP server closed the connection unexpectedly (while waiting for the "
                  "reply to %1).")
            .arg(detail);
    case Error::NetworkError:
        return tr("Network error while talking to the SMTP server: %1").arg(detail);
    case Error::ProtocolError:
        return tr("The SMTP server sent an invalid reply: %1").arg(detail);
    case Error::ServiceUnavailable:
        return tr("The SMTP server is not available: %1").arg(detail);
    case Error::StartTlsUnavailable:
        return tr("The SMTP server does not offer STARTTLS, which the settings require; nothing "
                  "was sent in clear text.");
    case Error::StartTlsRefused:
        return tr("The SMTP server refused STARTTLS (%1); nothing was sent in clear text.")
            .arg(detail);
    case Error::StartTlsInjection:
        return tr("The SMTP server sent data before the TLS handshake (a STARTTLS injection "
                  "attack?); the connection was aborted.");
    case Error::TlsHandshakeFailed:
        return tr("TLS with the SMTP server failed: %1").arg(detail);
    case Error::AuthUnavailable:
        return tr("The SMTP server offers no supported authentication mechanism (offered: %1).")
            .arg(detail.isEmpty() ? tr("none") : detail);
    case Error::AuthNotEncrypted:
        return tr("Refusing to send the SMTP password over an unencrypted connection: use "
                  "STARTTLS or TLS, or allow plain-text authentication explicitly.");
    case Error::AuthFailed:
        return tr("The SMTP server rejected the user name or password: %1").arg(detail);
    }
    return {};
}

// The success codes of RFC 5321 §4.3.2, per command. Any other 2xx or 3xx means the server is
// not answering what was asked: the session is out of step, and nothing counts as done.
bool SmtpClient::isExpected(Cmd cmd, int code)
{
    switch (cmd) {
    case Cmd::Greeting:
    case Cmd::StartTls:
        return code == 220;
    case Cmd::Auth:
        return code == 235 || code == 334;
    case Cmd::Rcpt:
        return code == 250 || code == 251;
    case Cmd::Data:
        return code == 354;
    case Cmd::Quit:
        return code == 221;
    case Cmd::Ehlo:
    case Cmd::Helo:
    case Cmd::Mail:
    case Cmd::Dot:
    case Cmd::Rset:
        return code == 250;
    }
    return false;
}

QByteArray SmtpClient::heloName() const
{
    return m_settings.heloName.isEmpty() ? QByteArrayLiteral("localhost")
                                         : m_settings.heloName.toUtf8();
}

void SmtpClient::setState(State s)
{
    if (m_state == s)
        return;
    m_state = s;
    Q_EMIT stateChanged(s);
}

void SmtpClient::start(const QList<OutgoingMessage> &messages)
{
    Q_ASSERT(m_state == State::Idle);
    m_messages = messages;
    m_results = QList<DeliveryResult>(messages.size());
    m_haveResult = QList<bool>(messages.size(), false);
    m_txns.assign(size_t(messages.size()), Txn{});
    m_open = int(messages.size());
    setState(State::Connecting);
    // Always asynchronous, so callers can connect to finished() after start().
    QMetaObject::invokeMethod(this, &SmtpClient::beginSession, Qt::QueuedConnection);
}

void SmtpClient::abort()
{
    if (m_state != State::Finished && m_state != State::Idle)
        fail(Error::NetworkError, tr("cancelled"));
}

void SmtpClient::beginSession()
{
    if (m_state == State::Finished)
        return;
    if (m_messages.isEmpty()) {
        finish();
        return;
    }
    const SmtpSettings &s = m_settings;
    const QByteArray helo = heloName();
    if (!isSafeEnvelopeAddress(helo, false) || !isAscii(helo))
        return fail(Error::InvalidSettings,
                    tr("the HELO name \"%1\" is not a host name").arg(printable(helo)));
    if (const auto problem =
            m_socket.open({s.host, s.port, s.security, s.caFile, s.connectTimeoutMs}))
        fail(socketFailureError<Error>(problem->kind), problem->detail);
}

void SmtpClient::onReady()
{
    setState(State::Greeting);
    m_pending.push_back({Cmd::Greeting});
    armTimer();
}

void SmtpClient::onEncrypted()
{
    // STARTTLS: everything learned before the handshake is forgotten (RFC 3207 §4.2).
    m_tlsDone = true;
    m_caps.clear();
    m_authMechs.clear();
    m_pipelining = false;
    setState(State::Ehlo);
    sendNow("EHLO " + heloName() + "\r\n", Cmd::Ehlo);
}

void SmtpClient::parseInput()
{
    while (m_state != State::Finished) {
        SmtpReply reply;
        QString error;
        const SmtpReplyReader::Status status = m_socket.read(m_replies, &reply, &error);
        if (status == SmtpReplyReader::Status::NeedMore)
            break;
        if (status == SmtpReplyReader::Status::Error)
            return fail(Error::ProtocolError, error);
        for (qsizetype i = 0; i < reply.lines.size(); ++i)
            qCDebug(lcSmtp).noquote()
                << "S:" << reply.code << (i + 1 < reply.lines.size() ? '-' : ' ')
                << printable(reply.lines.at(i));
        handleReply(reply);
    }
    m_socket.compact();
}

void SmtpClient::handleReply(const SmtpReply &reply)
{
    if (m_pending.empty()) {
        if (reply.code == 421)
            return fail(Error::ServiceUnavailable, reply.toString());
        return fail(Error::ProtocolError, tr("an unexpected reply \"%1\"").arg(reply.toString()));
    }
    const Pending p = m_pending.front();
    m_pending.pop_front();
    // 421 may answer any command: the server is going away, so is the whole session.
    if (reply.code == 421 && p.cmd != Cmd::Quit)
        return fail(Error::ServiceUnavailable, reply.toString());
    // A 2xx or 3xx that this command does not expect (354 to the final dot, 250 to DATA...):
    // never success, and the session cannot go on. QUIT's reply does not matter any more.
    if (!reply.isRefusal() && !isExpected(p.cmd, reply.code) && p.cmd != Cmd::Quit)
        return fail(
            Error::ProtocolError,
            tr("an unexpected reply \"%1\" to %2").arg(reply.toString(), commandName(int(p.cmd))));

    switch (p.cmd) {
    case Cmd::Greeting:
        handleGreeting(reply);
        break;
    case Cmd::Ehlo:
    case Cmd::Helo:
        handleEhlo(p.cmd, reply);
        break;
    case Cmd::StartTls:
        handleStartTls(reply);
        break;
    case Cmd::Auth:
        handleAuth(reply);
        break;
    case Cmd::Mail:
        handleMail(p.message, reply);
        break;
    case Cmd::Rcpt:
        handleRcpt(p.message, reply);
        break;
    case Cmd::Data:
        handleData(p.message, reply);
        break;
    case Cmd::Dot:
        handleDot(p.message, reply);
        break;
    case Cmd::Rset:
        if (reply.code != 250)
            return fail(Error::ServiceUnavailable, reply.toString());
        break;
    case Cmd::Quit:
        m_socket.disconnectFromHost();
        finish();
        return;
    }
    if (m_state == State::Finished)
        return;
    if (m_stopRequested)
        return fail(Error::NetworkError, tr("cancelled"));
    flush();
    maybeQuit();
    armTimer();
}

void SmtpClient::handleGreeting(const SmtpReply &reply)
{
    if (reply.code != 220)
        return fail(Error::ServiceUnavailable, reply.toString());
    setState(State::Ehlo);
    sendNow("EHLO " + heloName() + "\r\n", Cmd::Ehlo);
}

void SmtpClient::handleEhlo(Cmd cmd, const SmtpReply &reply)
{
    if (reply.code != 250) {
        if (cmd == Cmd::Ehlo && reply.isPermanent()) {
            // An old server without ESMTP: HELO, and no extensions at all.
            sendNow("HELO " + heloName() + "\r\n", Cmd::Helo);
            return;
        }
        return fail(Error::ServiceUnavailable, reply.toString());
    }
    m_caps.clear();
    m_authMechs.clear();
    if (cmd == Cmd::Ehlo) {
        // The first line names the server; every other line, the last one included, is a
        // keyword with parameters ("250 PIPELINING" may well be the last line).
        for (qsizetype i = 1; i < reply.lines.size(); ++i) {
            const QList<QByteArray> words = reply.lines.at(i).trimmed().toUpper().split(' ');
            if (words.isEmpty() || words.first().isEmpty())
                continue;
            QByteArray keyword = words.first();
            QList<QByteArray> params = words.mid(1);
            if (keyword.startsWith("AUTH=")) { // pre-RFC 4954 servers
                params.prepend(keyword.mid(5));
                keyword = "AUTH";
            }
            m_caps.insert(keyword);
            if (keyword == "AUTH") {
                for (const QByteArray &m : std::as_const(params)) {
                    if (!m.isEmpty() && !m_authMechs.contains(m))
                        m_authMechs.append(m);
                }
            }
        }
    }
    m_pipelining = m_caps.contains("PIPELINING");
    qCDebug(lcSmtp) << "capabilities" << m_caps << "pipelining" << m_pipelining;
    afterHandshake();
}

void SmtpClient::afterHandshake()
{
    if (m_settings.security == SmtpSettings::Security::StartTls && !m_tlsDone) {
        if (!m_caps.contains("STARTTLS"))
            return fail(Error::StartTlsUnavailable);
        setState(State::StartTls);
        sendNow(QByteArrayLiteral("STARTTLS\r\n"), Cmd::StartTls);
        return;
    }
    if (!m_settings.username.isEmpty())
        return startAuth();
    startMail();
}

void SmtpClient::handleStartTls(const SmtpReply &reply)
{
    if (reply.code != 220)
        return fail(Error::StartTlsRefused, reply.toString());
    if (!m_socket.startTls())
        return fail(Error::StartTlsInjection);
}

void SmtpClient::startAuth()
{
    if (!m_socket.isEncrypted() && !m_settings.allowPlainAuth)
        return fail(Error::AuthNotEncrypted);
    if (m_authMechs.contains("PLAIN"))
        m_authMech = "PLAIN";
    else if (m_authMechs.contains("LOGIN"))
        m_authMech = "LOGIN";
    else
        return fail(Error::AuthUnavailable, QString::fromLatin1(m_authMechs.join(' ')));
    setState(State::Authenticating);
    m_authSteps = 0;
    if (m_authMech == "PLAIN") {
        const QByteArray token =
            '\0' + m_settings.username.toUtf8() + '\0' + m_settings.password.toUtf8();
        sendNow("AUTH PLAIN " + token.toBase64() + "\r\n", Cmd::Auth);
    } else {
        sendNow(QByteArrayLiteral("AUTH LOGIN\r\n"), Cmd::Auth);
    }
}

void SmtpClient::handleAuth(const SmtpReply &reply)
{
    if (reply.code == 235)
        return startMail();
    if (reply.code != 334)
        return fail(Error::AuthFailed, reply.toString());
    if (++m_authSteps > kMaxAuthChallenges)
        return fail(Error::AuthFailed, tr("too many authentication challenges"));
    QByteArray answer;
    if (m_authMech == "PLAIN") {
        answer =
            QByteArray('\0' + m_settings.username.toUtf8() + '\0' + m_settings.password.toUtf8())
                .toBase64();
    } else {
        const QByteArray challenge =
            QByteArray::fromBase64(reply.lines.value(0).trimmed()).toLower();
        const bool wantsPassword =
            challenge.contains("pass") || (!challenge.contains("user") && m_authSteps > 1);
        answer = (wantsPassword ? m_settings.password : m_settings.username).toUtf8().toBase64();
    }
    sendNow(answer + "\r\n", Cmd::Auth);
}

void SmtpClient::startMail()
{
    setState(State::Sending);
    queueNextTransaction();
    flush();
    maybeQuit();
}

// Queues MAIL, RCPT... and DATA for the next message that can be sent; messages that must
// not reach the server at all get their (Permanent) result here.
void SmtpClient::queueNextTransaction()
{
    while (m_nextMessage < m_messages.size()) {
        const int i = m_nextMessage++;
        const OutgoingMessage &m = m_messages.at(i);
        Txn &t = m_txns[size_t(i)];
        if (m.recipients.isEmpty()) {
            finishMessage(i, DeliveryResult::Outcome::Permanent,
                          tr("The message has no recipient."));
            continue;
        }
        bool safe = isSafeEnvelopeAddress(m.envelopeFrom, true);
        bool ascii = isAscii(m.envelopeFrom);
        QByteArray bad = m.envelopeFrom;
        for (const QByteArray &r : m.recipients) {
            if (safe && !isSafeEnvelopeAddress(r, false)) {
                safe = false;
                bad = r;
            }
            ascii = ascii && isAscii(r);
        }
        if (!safe) {
            finishMessage(i, DeliveryResult::Outcome::Permanent,
                          tr("Invalid envelope address \"%1\" (empty, too long, or with spaces, "
                             "angle brackets or control characters); nothing was sent.")
                              .arg(printable(bad)));
            continue;
        }
        if (!ascii && !m_caps.contains("SMTPUTF8")) {
            finishMessage(i, DeliveryResult::Outcome::Permanent,
                          tr("The address has non-ASCII characters and the SMTP server does not "
                             "support SMTPUTF8."));
            continue;
        }
        SmtpWireData wire = prepareSmtpData(m.data);
        if (wire.longestLine > kMaxTextLine) {
            finishMessage(i, DeliveryResult::Outcome::Permanent,
                          tr("The message has a line of %1 octets; SMTP allows %2.")
                              .arg(wire.longestLine)
                              .arg(kMaxTextLine));
            continue;
        }
        t.wire = std::move(wire.bytes);
        QByteArray mail = "MAIL FROM:<" + m.envelopeFrom + '>';
        if (wire.eightBit && m_caps.contains("8BITMIME"))
            mail += " BODY=8BITMIME";
        if (!ascii)
            mail += " SMTPUTF8";
        // DSN parameters only to a server that offered DSN (RFC 3461 §4).
        const bool dsn = m.requestDsn && m_caps.contains("DSN");
        if (dsn) {
            mail += " RET=HDRS";
            if (!m.envelopeId.isEmpty())
                mail += " ENVID=" + xtextEncode(m.envelopeId.left(100));
        }
        queueCommand(mail + "\r\n", Cmd::Mail, i);
        for (const QByteArray &r : m.recipients) {
            QByteArray rcpt = "RCPT TO:<" + r + '>';
            if (dsn) {
                rcpt += " NOTIFY=FAILURE,DELAY";
                if (isAscii(r)) // an rfc822 ORCPT is ASCII (RFC 6533 has utf-8 for the rest)
                    rcpt += " ORCPT=rfc822;" + xtextEncode(r);
            }
            queueCommand(rcpt + "\r\n", Cmd::Rcpt, i);
        }
        queueCommand(QByteArrayLiteral("DATA\r\n"), Cmd::Data, i);
        return;
    }
}

void SmtpClient::handleMail(int i, const SmtpReply &reply)
{
    Txn &t = m_txns[size_t(i)];
    if (reply.code == 250)
        return;
    t.failed = true;
    t.failure = reply;
    t.anyTransient = reply.isTransient();
    if (!m_pipelining) {
        // RCPT and DATA are still here, not on the wire: drop them.
        std::erase_if(m_outQueue, [i](const Outgoing &o) { return o.pending.message == i; });
        refuseMessage(i, reply);
    }
}

void SmtpClient::handleRcpt(int i, const SmtpReply &reply)
{
    Txn &t = m_txns[size_t(i)];
    ++t.rcptReplies;
    if (reply.code == 250 || reply.code == 251) {
        ++t.acceptedRcpts;
    } else if (!t.failed) {
        if (t.failure.code == 0)
            t.failure = reply;
        t.anyTransient = t.anyTransient || reply.isTransient();
        if (!t.refusedRcpts.isEmpty())
            t.refusedRcpts += u"; ";
        t.refusedRcpts += reply.toString();
    }
    const bool lastRcpt = t.rcptReplies == m_messages.at(i).recipients.size();
    if (lastRcpt && t.acceptedRcpts == 0 && !t.failed) {
        t.failed = true;
        if (!m_pipelining) {
            std::erase_if(m_outQueue, [i](const Outgoing &o) { return o.pending.message == i; });
            refuseMessage(i, t.failure);
        }
    }
}

void SmtpClient::handleData(int i, const SmtpReply &reply)
{
    Txn &t = m_txns[size_t(i)];
    if (reply.code != 354) {
        refuseMessage(i, t.failed ? t.failure : reply);
        return;
    }
    if (t.failed) {
        // A pipelined DATA accepted although no recipient was (RFC 2920 §3.1): end it empty.
        m_outQueue.push_front({QByteArrayLiteral(".\r\n"), {Cmd::Dot, i}, true});
        return;
    }
    // Content and the final dot in the same write; with PIPELINING the next transaction
    // follows at once (the content may start a group, RFC 2920 §3.1), so each message
    // costs one round trip.
    m_outQueue.push_front({QByteArrayLiteral(".\r\n"), {Cmd::Dot, i}, true});
    m_outQueue.push_front({std::move(t.wire), {Cmd::Dot, i}, false});
    t.wire = QByteArray();
    if (m_pipelining)
        queueNextTransaction();
}

void SmtpClient::handleDot(int i, const SmtpReply &reply)
{
    const Txn &t = m_txns[size_t(i)];
    if (t.failed) {
        refuseMessage(i, t.failure);
        return;
    }
    if (reply.code == 250) {
        QString text = reply.toString();
        if (!t.refusedRcpts.isEmpty())
            text += u' ' + tr("(some recipients were refused: %1)").arg(t.refusedRcpts);
        finishMessage(i, DeliveryResult::Outcome::Sent, text);
    } else {
        // A refused final dot ends the transaction (RFC 5321 §4.1.1.4): no RSET, which with
        // PIPELINING would land in the middle of the next transaction, already on the wire.
        finishMessage(i,
                      reply.isTransient() ? DeliveryResult::Outcome::Temporary
                                          : DeliveryResult::Outcome::Permanent,
                      reply.toString());
    }
    if (!m_pipelining)
        queueNextTransaction();
}

// The server refused message i: record it, RSET, and go on with the next one.
void SmtpClient::refuseMessage(int i, const SmtpReply &reply)
{
    const Txn &t = m_txns[size_t(i)];
    const bool transient = reply.isTransient() || t.anyTransient;
    finishMessage(
        i, transient ? DeliveryResult::Outcome::Temporary : DeliveryResult::Outcome::Permanent,
        reply.toString());
    queueCommand(QByteArrayLiteral("RSET\r\n"), Cmd::Rset);
    if (m_pipelining ? m_nextMessage == i + 1 : true)
        queueNextTransaction();
}

void SmtpClient::queueCommand(const QByteArray &line, Cmd cmd, int message)
{
    m_outQueue.push_back({line, {cmd, message}, true});
}

void SmtpClient::flush()
{
    const bool wasIdle = m_pending.empty();
    // What goes out now, in one write: the socket sends each buffer it is given in a write of
    // its own (a poll between), and each wakes the server (content, then the dot and the next
    // transaction, were two).
    QByteArray out;
    while (!m_outQueue.empty()) {
        // Without PIPELINING, one command at a time (content goes with its final dot).
        if (!m_pipelining && !m_pending.empty())
            break;
        Outgoing o = std::move(m_outQueue.front());
        m_outQueue.pop_front();
        if (lcSmtp().isDebugEnabled()) {
            if (!o.expectsReply)
                qCDebug(lcSmtp) << "C: <" << o.bytes.size() << "octets of message content>";
            else
                qCDebug(lcSmtp).noquote() << "C:" << printable(o.bytes.trimmed());
        }
        out += o.bytes; // the first is taken as it is, without a copy
        if (o.expectsReply)
            m_pending.push_back(o.pending);
    }
    if (!out.isEmpty())
        m_socket.write(out);
    if (wasIdle && !m_pending.empty())
        armTimer();
}

void SmtpClient::sendNow(const QByteArray &bytes, Cmd cmd, int message)
{
    if (cmd == Cmd::Auth)
        qCDebug(lcSmtp) << "C: <authentication data>";
    else
        qCDebug(lcSmtp).noquote() << "C:" << printable(bytes.trimmed());
    m_socket.write(bytes);
    m_pending.push_back({cmd, message});
    armTimer();
}

void SmtpClient::armTimer()
{
    if (m_pending.empty())
        return m_socket.stopWaiting();
    m_socket.expectReply(m_pending.front().cmd == Cmd::Dot ? m_settings.dataTimeoutMs
                                                           : m_settings.replyTimeoutMs);
}

void SmtpClient::maybeQuit()
{
    if (m_state != State::Sending || m_open > 0 || m_quitSent || !m_outQueue.empty())
        return;
    m_quitSent = true;
    setState(State::Quitting);
    queueCommand(QByteArrayLiteral("QUIT\r\n"), Cmd::Quit);
    flush();
}

void SmtpClient::finishMessage(int i, DeliveryResult::Outcome outcome, const QString &reply,
                               bool connectionError)
{
    if (m_haveResult.at(i))
        return;
    m_haveResult[i] = true;
    --m_open;
    DeliveryResult &r = m_results[i];
    r.outcome = outcome;
    r.reply = reply;
    r.connectionError = connectionError;
    m_txns[size_t(i)].wire = QByteArray();
    qCDebug(lcSmtp) << "message" << i << int(outcome) << reply;
    Q_EMIT messageFinished(i, r);
}

void SmtpClient::onTimeout()
{
    fail(Error::ReplyTimeout,
         m_pending.empty() ? QStringLiteral("?") : commandName(int(m_pending.front().cmd)));
}

void SmtpClient::onClosed()
{
    if (m_state == State::Finished)
        return;
    if (m_quitSent && m_open == 0)
        return finish();
    fail(Error::ConnectionClosed,
         m_pending.empty() ? QStringLiteral("?") : commandName(int(m_pending.front().cmd)));
}

void SmtpClient::fail(Error error, const QString &detail)
{
    if (m_state == State::Finished || m_finishing)
        return;
    m_error = error;
    m_errorString = describeError(error, detail);
    qCWarning(lcSmtp).noquote() << m_errorString;
    for (int i = 0; i < m_messages.size(); ++i)
        finishMessage(i, DeliveryResult::Outcome::Temporary, m_errorString, true);
    m_socket.abort();
    finish();
}

void SmtpClient::finish()
{
    if (m_finishing)
        return;
    m_finishing = true;
    m_socket.stopWaiting();
    m_pending.clear();
    m_outQueue.clear();
    setState(State::Finished);
    Q_EMIT finished(m_error);
}

} // namespace roster
