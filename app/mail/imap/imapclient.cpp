#include "app/mail/imap/imapclient.h"

#include "app/mail/smtp/smtpreply.h"

#include <QRegularExpression>

Q_LOGGING_CATEGORY(lcImap, "roster.mail.imap", QtInfoMsg)

namespace roster {

namespace {

QString printable(QByteArrayView bytes)
{
    return smtpPrintable(bytes.first(std::min<qsizetype>(bytes.size(), 300)));
}

// FETCH in batches: one round trip per batch, messages bounded by maxLiteral each.
constexpr int kFetchBatch = 50;
constexpr int kMaxLiteralsPerResponse = 8;

QByteArray uidSet(const QList<quint32> &uids)
{
    QByteArray out;
    for (quint32 u : uids) {
        if (!out.isEmpty())
            out += ',';
        out += QByteArray::number(u);
    }
    return out;
}

} // namespace

// ------------------------------------------------------------------ reader

ImapResponseReader::Status ImapResponseReader::next(const QByteArray &in, qsizetype *pos,
                                                    ImapResponse *out, QString *error)
{
    for (;;) {
        if (m_literalLeft > 0) {
            const qsizetype take = std::min<qsizetype>(m_literalLeft, in.size() - *pos);
            if (take <= 0)
                return Status::NeedMore;
            m_lits.last().append(in.constData() + *pos, take);
            *pos += take;
            m_literalLeft -= take;
            if (m_literalLeft > 0)
                return Status::NeedMore;
            continue;
        }
        const qsizetype eol = in.indexOf("\r\n", *pos);
        if (eol < 0) {
            if (m_line.size() + (in.size() - *pos) > m_maxLine) {
                m_overLimit = true;
                *error = QObject::tr("a response line longer than %1 octets").arg(m_maxLine);
                return Status::Error;
            }
            return Status::NeedMore;
        }
        const QByteArray part = in.mid(*pos, eol - *pos);
        *pos = eol + 2;
        if (m_line.size() + part.size() > m_maxLine) {
            m_overLimit = true;
            *error = QObject::tr("a response line longer than %1 octets").arg(m_maxLine);
            return Status::Error;
        }
        if (part.contains('\0')) {
            *error = QObject::tr("a NUL octet in a response line");
            return Status::Error;
        }
        // A literal announcement ends the line: "{123}" (or "{123+}" / "~{123}").
        static const QRegularExpression lit(QStringLiteral("\\{(\\d{1,10})\\+?\\}$"));
        const QRegularExpressionMatch m = lit.match(QString::fromLatin1(part.right(14)));
        if (m.hasMatch()) {
            const qint64 n = m.captured(1).toLongLong();
            if (n > m_maxLiteral) {
                m_overLimit = true;
                *error = QObject::tr("a literal of %1 octets (the limit is %2)")
                             .arg(n)
                             .arg(m_maxLiteral);
                return Status::Error;
            }
            if (m_lits.size() >= kMaxLiteralsPerResponse) {
                *error = QObject::tr("too many literals in one response");
                return Status::Error;
            }
            m_line += part.left(part.size() - m.capturedLength(0)) + "{}";
            m_lits.append(QByteArray());
            m_lits.last().reserve(qsizetype(n));
            m_literalLeft = qsizetype(n);
            if (n == 0)
                continue;
            continue;
        }
        m_line += part;
        const qsizetype sp = m_line.indexOf(' ');
        out->tag = sp < 0 ? m_line : m_line.left(sp);
        out->text = sp < 0 ? QByteArray() : m_line.mid(sp + 1);
        out->literals = std::move(m_lits);
        m_line.clear();
        m_lits.clear();
        if (out->tag.isEmpty()) {
            *error = QObject::tr("an empty response line");
            return Status::Error;
        }
        return Status::Response;
    }
}

// ------------------------------------------------------------------ client

ImapClient::ImapClient(ImapSettings settings, QObject *parent)
    : QObject(parent), m_settings(std::move(settings)), m_socket(lcImap),
      m_reader(m_settings.maxLine, m_settings.maxLiteral)
{
    connect(&m_socket, &MailSocket::ready, this, &ImapClient::onReady);
    connect(&m_socket, &MailSocket::encrypted, this, [this] {
        m_tlsDone = true; // STARTTLS done: capabilities learned before are forgotten
        login();
    });
    connect(&m_socket, &MailSocket::readyRead, this, &ImapClient::onReadyRead);
    connect(&m_socket, &MailSocket::closed, this, &ImapClient::onClosed);
    connect(&m_socket, &MailSocket::replyTimedOut, this, &ImapClient::onTimeout);
    connect(&m_socket, &MailSocket::failed, this,
            [this](const SocketFailure &f) { fail(socketFailureError<Error>(f.kind), f.detail); });
}

QString ImapClient::describeError(Error error, const QString &detail)
{
    switch (error) {
    case Error::NoError:
        return {};
    case Error::InvalidSettings:
        return tr("The bounce mailbox settings are not valid: %1").arg(detail);
    case Error::TlsUnavailable:
        return tr("TLS is not available in this installation (%1).").arg(detail);
    case Error::HostNotFound:
        return tr("The IMAP server %1 was not found: check the host name.").arg(detail);
    case Error::ConnectionRefused:
        return tr("The IMAP server %1 refused the connection: is it running, and is the port "
                  "right?")
            .arg(detail);
    case Error::ConnectTimeout:
        return tr("Could not connect to the IMAP server %1 in time.").arg(detail);
    case Error::ReplyTimeout:
        return tr("The IMAP server did not answer in time (%1).").arg(detail);
    case Error::ConnectionClosed:
        return tr("The IMAP server closed the connection unexpectedly (%1).").arg(detail);
    case Error::NetworkError:
        return tr("Network error while talking to the IMAP server: %1").arg(detail);
    case Error::ProtocolError:
        return tr("The IMAP server sent an invalid response: %1").arg(detail);
    case Error::TooLarge:
        return tr("The IMAP server sent more than allowed: %1").arg(detail);
    case Error::ServerBye:
        return tr("The IMAP server ended the session: %1").arg(detail);
    case Error::StartTlsRefused:
        return tr("The IMAP server refused STARTTLS (%1); nothing was sent in clear text.")
            .arg(detail);
    case Error::StartTlsInjection:
        return tr("The IMAP server sent data before the TLS handshake (a STARTTLS injection "
                  "attack?); the connection was aborted.");
    case Error::TlsHandshakeFailed:
        return tr("TLS with the IMAP server failed: %1").arg(detail);
    case Error::LoginNotEncrypted:
        return tr("Refusing to send the IMAP password over an unencrypted connection: use "
                  "STARTTLS or TLS, or allow plain-text authentication explicitly.");
    case Error::LoginFailed:
        return tr("The IMAP server rejected the user name or password: %1").arg(detail);
    case Error::MailboxError:
        return tr("The bounce mailbox could not be opened: %1").arg(detail);
    case Error::CommandFailed:
        return tr("The IMAP server refused a command: %1").arg(detail);
    }
    return {};
}

std::optional<QList<QByteArray>> ImapClient::encodeString(const QByteArray &value)
{
    bool eightBit = false;
    for (char c : value) {
        if (c == '\r' || c == '\n' || c == '\0')
            return std::nullopt;
        if (quint8(c) >= 0x80 || quint8(c) < 0x20 || c == 0x7f)
            eightBit = true;
    }
    if (eightBit) // a literal: "{n}" ends this part, the bytes start the next
        return QList<QByteArray>{'{' + QByteArray::number(value.size()) + '}', value};
    QByteArray q = value;
    q.replace('\\', "\\\\").replace('"', "\\\"");
    return QList<QByteArray>{'"' + q + '"'};
}

void ImapClient::setState(State s)
{
    m_state = s;
}

void ImapClient::start(LastUid lastUid, OnMessage onMessage)
{
    Q_ASSERT(m_state == State::Idle);
    m_lastUid = std::move(lastUid);
    m_onMessage = std::move(onMessage);
    setState(State::Connecting);
    QMetaObject::invokeMethod(this, &ImapClient::begin, Qt::QueuedConnection);
}

void ImapClient::abort()
{
    if (m_state != State::Finished && m_state != State::Idle)
        fail(Error::NetworkError, tr("cancelled"));
}

void ImapClient::begin()
{
    if (m_state == State::Finished)
        return;
    const ImapSettings &s = m_settings;
    if (const auto problem =
            m_socket.open({s.host, s.port, s.security, s.caFile, s.connectTimeoutMs}))
        fail(socketFailureError<Error>(problem->kind), problem->detail);
}

void ImapClient::onReady()
{
    setState(State::Greeting);
    m_socket.expectReply(m_settings.replyTimeoutMs);
}

void ImapClient::onReadyRead()
{
    if (m_state == State::Finished)
        return;
    if (!m_tag.isEmpty() || m_state == State::Greeting)
        m_socket.expectReply(m_settings.replyTimeoutMs); // still talking: a large fetch takes long
    parseInput();
}

void ImapClient::parseInput()
{
    while (m_state != State::Finished) {
        ImapResponse r;
        QString error;
        const auto status = m_socket.read(m_reader, &r, &error);
        if (status == ImapResponseReader::Status::NeedMore)
            break;
        if (status == ImapResponseReader::Status::Error)
            return fail(m_reader.overLimit() ? Error::TooLarge : Error::ProtocolError, error);
        qCDebug(lcImap).noquote() << "S:" << printable(QByteArray(r.tag + ' ' + r.text))
                                  << r.literals.size() << "literals";
        handle(r);
        if (m_state == State::StartTls && m_tag.isEmpty())
            return; // handshake under way: nothing else may have come
    }
    m_sentAt = std::max<qsizetype>(0, m_sentAt - m_socket.compact());
}

void ImapClient::handle(const ImapResponse &r)
{
    if (r.tag == "*")
        return handleUntagged(r);
    if (r.tag == "+") {
        if (m_tag.isEmpty() || m_chunks.empty())
            return fail(Error::ProtocolError, tr("an unexpected continuation request"));
        return sendNextChunk();
    }
    // Tagged: exactly the command in flight, or an injection.
    if (m_tag.isEmpty() || r.tag != m_tag || !m_chunks.empty())
        return fail(
            Error::ProtocolError,
            tr("a reply tagged \"%1\" that answers no command in flight").arg(printable(r.tag)));
    // A reply that was all here before its command was written answers nothing we asked.
    if (m_socket.position() <= m_sentAt)
        return fail(Error::ProtocolError,
                    tr("a reply tagged \"%1\" that came before its command").arg(printable(r.tag)));
    const qsizetype sp = r.text.indexOf(' ');
    const QByteArray word = (sp < 0 ? r.text : r.text.left(sp)).toUpper();
    const QByteArray rest = sp < 0 ? QByteArray() : r.text.mid(sp + 1);
    if (word != "OK" && word != "NO" && word != "BAD")
        return fail(Error::ProtocolError, tr("a tagged reply \"%1\"").arg(printable(r.text)));
    m_tag.clear();
    handleTagged(r, word == "OK", rest);
}

void ImapClient::handleUntagged(const ImapResponse &r)
{
    const qsizetype sp = r.text.indexOf(' ');
    const QByteArray first = (sp < 0 ? r.text : r.text.left(sp)).toUpper();
    if (first == "BYE") {
        if (m_logoutSent)
            return;
        return fail(Error::ServerBye, printable(r.text.mid(4)));
    }
    if (m_state == State::Greeting && m_tag.isEmpty() && !m_greeted) {
        m_greeted = true;
        if (first == "PREAUTH") // already signed in: a surprise we do not take
            return fail(Error::ProtocolError, tr("a PREAUTH greeting"));
        if (first != "OK")
            return fail(Error::ProtocolError, tr("the greeting \"%1\"").arg(printable(r.text)));
        if (m_settings.security == ImapSettings::Security::StartTls)
            return send(State::StartTls, "STARTTLS");
        return login();
    }
    if (m_tag.isEmpty())
        return fail(
            Error::ProtocolError,
            tr("an untagged response with no command in flight: \"%1\"").arg(printable(r.text)));
    if (m_state == State::Select) {
        static const QRegularExpression uv(QStringLiteral("\\[UIDVALIDITY (\\d{1,10})\\]"),
                                           QRegularExpression::CaseInsensitiveOption);
        static const QRegularExpression un(QStringLiteral("\\[UIDNEXT (\\d{1,10})\\]"),
                                           QRegularExpression::CaseInsensitiveOption);
        const QString text = QString::fromLatin1(r.text);
        if (const QRegularExpressionMatch m = uv.match(text); m.hasMatch())
            m_uidValidity = quint32(m.captured(1).toULongLong());
        if (const QRegularExpressionMatch m = un.match(text); m.hasMatch())
            m_uidNext = m.captured(1).toULongLong();
        return;
    }
    if (m_state == State::Search && first == "SEARCH") {
        for (const QByteArray &w : r.text.mid(7).split(' ')) {
            bool ok = false;
            const quint32 uid = w.trimmed().toUInt(&ok);
            if (ok && uid > m_mark && !m_toFetch.contains(uid))
                m_toFetch.append(uid);
        }
        return;
    }
    if (m_state == State::Fetch) {
        // "n FETCH (UID u BODY[] {}...)"; the order of the items is the server's.
        static const QRegularExpression re(QStringLiteral("^\\d+ FETCH \\(.*\\bUID (\\d{1,10})\\b"),
                                           QRegularExpression::CaseInsensitiveOption);
        const QRegularExpressionMatch m = re.match(QString::fromLatin1(r.text));
        const bool hasBody = r.text.toUpper().contains("BODY[]");
        if (!m.hasMatch() || !hasBody)
            return; // a flag update or such
        const quint32 uid = quint32(m.captured(1).toULongLong());
        if (!m_toFetch.contains(uid))
            return fail(Error::ProtocolError,
                        tr("a message (UID %1) that was not asked for").arg(uid));
        const QByteArray body = r.literals.value(0);
        ++m_summary.fetched;
        m_summary.highestUid = std::max(m_summary.highestUid, uid);
        if (m_onMessage && m_onMessage(uid, body))
            m_toFlag.append(uid);
        return;
    }
    // CAPABILITY, EXISTS, RECENT, FLAGS, OK [...] and friends: nothing to do.
}

void ImapClient::handleTagged(const ImapResponse &, bool ok, const QByteArray &rest)
{
    const QString text = printable(rest);
    switch (m_state) {
    case State::StartTls: {
        if (!ok)
            return fail(Error::StartTlsRefused, text);
        // Anything after the OK was written before the handshake: never read it as TLS.
        if (!m_socket.startTls(m_reader.inLiteral()))
            return fail(Error::StartTlsInjection);
        return;
    }
    case State::Login:
        if (!ok)
            return fail(Error::LoginFailed, text);
        send(State::Select, "SELECT", {m_settings.mailbox.toUtf8()});
        return;
    case State::Select:
        if (!ok)
            return fail(Error::MailboxError, text);
        if (m_uidValidity == 0)
            return fail(Error::ProtocolError, tr("SELECT gave no UIDVALIDITY"));
        m_summary.uidValidity = m_uidValidity;
        m_mark = m_lastUid ? m_lastUid(m_uidValidity) : 0;
        m_summary.highestUid = m_mark;
        // No UID above the mark exists yet: nothing new, and no SEARCH round trip (the empty
        // fetch, every few minutes). Without UIDNEXT (RFC 3501 servers may omit it), search.
        if (m_uidNext != 0 && m_uidNext <= quint64(m_mark) + 1)
            return logout();
        return search();
    case State::Search:
        if (!ok)
            return fail(Error::CommandFailed, text);
        std::sort(m_toFetch.begin(), m_toFetch.end());
        m_summary.unseen = int(m_toFetch.size());
        if (m_settings.countOnly) {
            m_toFetch.clear();
            return logout();
        }
        if (m_toFetch.size() > m_settings.maxMessages) {
            m_toFetch = m_toFetch.mid(0, m_settings.maxMessages);
            m_summary.more = true;
        }
        return fetchNext();
    case State::Fetch:
        if (!ok)
            return fail(Error::CommandFailed, text);
        return fetchNext();
    case State::Store:
        if (!ok)
            return fail(Error::CommandFailed, text);
        m_summary.flagged += int(m_toFlag.size());
        m_toFlag.clear();
        return fetchNext();
    case State::Logout:
        m_socket.disconnectFromHost();
        return finish();
    default:
        return fail(Error::ProtocolError, tr("an unexpected reply \"%1\"").arg(text));
    }
}

void ImapClient::login()
{
    if (!m_socket.isEncrypted() && !m_settings.allowPlainAuth)
        return fail(Error::LoginNotEncrypted);
    send(State::Login, "LOGIN", {m_settings.username.toUtf8(), m_settings.password.toUtf8()});
}

void ImapClient::search()
{
    // Unseen, and above the mark: what a crash left unflagged is read again only while unseen.
    send(State::Search, "UID SEARCH UNSEEN UID " + QByteArray::number(quint64(m_mark) + 1) + ":*");
}

void ImapClient::fetchNext()
{
    if (!m_toFlag.isEmpty())
        return store();
    if (m_fetchIndex >= m_toFetch.size())
        return logout();
    const QList<quint32> batch = m_toFetch.mid(m_fetchIndex, kFetchBatch);
    m_fetchIndex += batch.size();
    send(State::Fetch, "UID FETCH " + uidSet(batch) + " (UID BODY.PEEK[])");
}

void ImapClient::store()
{
    send(State::Store, "UID STORE " + uidSet(m_toFlag) + " +FLAGS.SILENT (\\Seen)");
}

void ImapClient::logout()
{
    m_logoutSent = true;
    send(State::Logout, "LOGOUT");
}

void ImapClient::send(State s, const QByteArray &command, const QList<QByteArray> &args)
{
    setState(s);
    m_tag = 'R' + QByteArray::number(++m_tagCounter).rightJustified(4, '0');
    QByteArray line = m_tag + ' ' + command;
    m_chunks.clear();
    QList<QByteArray> parts;
    for (const QByteArray &a : args) {
        const auto enc = encodeString(a);
        if (!enc)
            return fail(Error::InvalidSettings,
                        tr("a user name, password or mailbox holds a line break or NUL"));
        line += ' ' + enc->first();
        if (enc->size() == 2) { // a literal: wait for "+" before its bytes
            parts << line + "\r\n";
            line = enc->at(1);
        }
    }
    parts << line + "\r\n";
    for (qsizetype i = 1; i < parts.size(); ++i)
        m_chunks.push_back(parts.at(i));
    if (s == State::Login)
        qCDebug(lcImap) << "C:" << m_tag << "LOGIN <credentials>";
    else
        qCDebug(lcImap).noquote() << "C:" << printable(parts.first().trimmed());
    m_sentAt = m_socket.received();
    m_socket.write(parts.first());
    m_socket.expectReply(m_settings.replyTimeoutMs);
}

void ImapClient::sendNextChunk()
{
    m_sentAt = m_socket.received();
    m_socket.write(m_chunks.front());
    m_chunks.pop_front();
    m_socket.expectReply(m_settings.replyTimeoutMs);
}

void ImapClient::onTimeout()
{
    fail(Error::ReplyTimeout, QVariant::fromValue(m_state).toString());
}

void ImapClient::onClosed()
{
    if (m_state == State::Finished)
        return;
    if (m_logoutSent)
        return finish();
    fail(Error::ConnectionClosed, QVariant::fromValue(m_state).toString());
}

void ImapClient::fail(Error error, const QString &detail)
{
    if (m_state == State::Finished || m_finishing)
        return;
    m_error = error;
    m_errorString = describeError(error, detail);
    qCWarning(lcImap).noquote() << m_errorString;
    m_socket.abort();
    finish();
}

void ImapClient::finish()
{
    if (m_finishing)
        return;
    m_finishing = true;
    m_socket.stopWaiting();
    setState(State::Finished);
    Q_EMIT finished(m_error);
}

} // namespace roster
