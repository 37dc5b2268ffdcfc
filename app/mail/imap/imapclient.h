#pragma once

#include "app/mail/mailsocket.h"
#include "app/mail/smtp/smtpsettings.h"

#include <QByteArray>
#include <QList>
#include <QLoggingCategory>
#include <QObject>
#include <QString>

#include <deque>
#include <functional>
#include <optional>

Q_DECLARE_LOGGING_CATEGORY(lcImap)

namespace roster {

// How to reach the bounce mailbox. Plain data: validated when the client starts.
struct ImapSettings
{
    using Security = SmtpSettings::Security;
    QString host;
    quint16 port = 993;
    Security security = Security::Tls;
    QString username;
    QString password;
    QString mailbox = QStringLiteral("INBOX");
    QString caFile;              // extra CA (PEM) trusted besides the system store
    bool allowPlainAuth = false; // LOGIN without TLS only when true
    int connectTimeoutMs = 30000;
    int replyTimeoutMs = 60000; // silence allowed while a reply is due
    qsizetype maxLine = 64 * 1024;
    qsizetype maxLiteral = 16 * 1024 * 1024; // one message
    int maxMessages = 5000;                  // per session; the rest next time
    bool countOnly = false; // sign in, select and count the unseen messages: fetch nothing
};

// One server response (RFC 9051 §7): "tag" is "*" (untagged), "+" (continuation) or a command
// tag; `text` is the line after the tag with every literal replaced by "{}", and `literals` the
// literals' bytes, in order.
struct ImapResponse
{
    QByteArray tag;
    QByteArray text;
    QList<QByteArray> literals;
};

// Assembles responses from what the server sent, literals {n} included, within the limits.
// Pure and incremental, so that it can be fed hostile bytes in any pieces.
class ImapResponseReader
{
public:
    enum class Status { NeedMore, Response, Error };
    ImapResponseReader(qsizetype maxLine, qsizetype maxLiteral)
        : m_maxLine(maxLine), m_maxLiteral(maxLiteral)
    {}
    // Consumes from in[*pos...]; *error is one line when Error.
    Status next(const QByteArray &in, qsizetype *pos, ImapResponse *out, QString *error);
    bool inLiteral() const { return m_literalLeft > 0; }
    bool overLimit() const { return m_overLimit; } // the Error was a limit, not a syntax

private:
    qsizetype m_maxLine;
    qsizetype m_maxLiteral;
    QByteArray m_line; // the response's line so far (literals replaced)
    QList<QByteArray> m_lits;
    qsizetype m_literalLeft = 0;
    bool m_overLimit = false;
};

// Reads new mail from one IMAP mailbox (RFC 9051, RFC 3501 servers in mind) in one session, built
// like SmtpClient (STYLE.md): a state per command, one tagged command in flight, tags matched to
// commands, TLS verified (implicit or STARTTLS, nothing buffered across the handshake), LOGIN only
// inside TLS unless allowed, strings written quoted or as literals and CR/LF/NUL refused, limits
// on line and literal size, timeouts, and server replies turned into typed errors in one place.
//
// Flow: LOGIN, SELECT (UIDVALIDITY, UIDNEXT), UID SEARCH UNSEEN UID n+1:* where n is the caller's
// high-water mark for that UIDVALIDITY (skipped when UIDNEXT is n+1: nothing new), UID FETCH
// BODY.PEEK[] (never sets \Seen), then UID STORE +FLAGS.SILENT (\Seen) for the messages the caller
// recognised, and LOGOUT. Never EXPUNGE.
class ImapClient final : public QObject
{
    Q_OBJECT
public:
    enum class State {
        Idle,
        Connecting,
        Greeting,
        StartTls,
        Login,
        Select,
        Search,
        Fetch,
        Store,
        Logout,
        Finished,
    };
    Q_ENUM(State)

    enum class Error {
        NoError,
        InvalidSettings,
        TlsUnavailable,
        HostNotFound,
        ConnectionRefused,
        ConnectTimeout,
        ReplyTimeout,
        ConnectionClosed,
        NetworkError,
        ProtocolError, // malformed, over-long, unexpected or wrongly tagged response
        TooLarge,      // a line or literal over the limits
        ServerBye,     // BYE before we asked to log out
        StartTlsRefused,
        StartTlsInjection,
        TlsHandshakeFailed,
        LoginNotEncrypted,
        LoginFailed,
        MailboxError, // SELECT refused
        CommandFailed,
    };
    Q_ENUM(Error)

    // The high-water mark the caller kept for (mailbox, uidValidity); 0 when none.
    using LastUid = std::function<quint32(quint32 uidValidity)>;
    // Called with each fetched message; true flags it \Seen.
    using OnMessage = std::function<bool(quint32 uid, const QByteArray &message)>;

    struct Summary
    {
        quint32 uidValidity = 0;
        quint32 highestUid = 0; // highest UID fetched (or the old mark when none)
        int fetched = 0;
        int flagged = 0;
        bool more = false; // maxMessages reached: more to read next time
        int unseen = 0;    // unseen messages above the mark, as the search found them
    };

    explicit ImapClient(ImapSettings settings, QObject *parent = nullptr);

    void start(LastUid lastUid, OnMessage onMessage);
    void abort();

    State state() const { return m_state; }
    Error error() const { return m_error; }
    QString errorString() const { return m_errorString; }
    Summary summary() const { return m_summary; }
    bool isFinished() const { return m_state == State::Finished; }

    static QString describeError(Error error, const QString &detail = {});
    // An IMAP string argument: an atom-safe quoted string, or a literal {n} for 8-bit text;
    // nullopt for CR, LF or NUL (never written). Exposed for the tests.
    static std::optional<QList<QByteArray>> encodeString(const QByteArray &value);

Q_SIGNALS:
    void finished(roster::ImapClient::Error error);

private:
    void begin();
    void setState(State s);
    void onReady();
    void onReadyRead();
    void onClosed();
    void onTimeout();
    void parseInput();
    void handle(const ImapResponse &r);
    void handleUntagged(const ImapResponse &r);
    void handleTagged(const ImapResponse &r, bool ok, const QByteArray &rest);
    // Sends a command made of parts: the first is "NAME args", later parts follow a literal
    // and wait for the server's "+".
    void send(State s, const QByteArray &command, const QList<QByteArray> &args = {});
    void sendNextChunk();
    void login();
    void search();
    void fetchNext();
    void store();
    void logout();
    void fail(Error error, const QString &detail = {});
    void finish();

    ImapSettings m_settings;
    LastUid m_lastUid;
    OnMessage m_onMessage;
    MailSocket m_socket;
    State m_state = State::Idle;
    Error m_error = Error::NoError;
    QString m_errorString;

    qsizetype m_sentAt = 0; // the socket's input size when the command in flight was written
    ImapResponseReader m_reader;
    int m_tagCounter = 0;
    QByteArray m_tag;                // of the command in flight, empty when none
    std::deque<QByteArray> m_chunks; // the rest of that command, after literals
    bool m_greeted = false;
    bool m_tlsDone = false;
    bool m_logoutSent = false;
    bool m_finishing = false;

    quint32 m_uidValidity = 0;
    quint64 m_uidNext = 0; // SELECT's UIDNEXT, 0 when the server gave none
    quint32 m_mark = 0;
    QList<quint32> m_toFetch;
    qsizetype m_fetchIndex = 0;
    QList<quint32> m_toFlag;
    bool m_gotBody = false;
    Summary m_summary;
};

} // namespace roster
