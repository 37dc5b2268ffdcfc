#pragma once

#include "app/mail/smtp/smtpsettings.h"

#include <QByteArray>
#include <QList>
#include <QLoggingCategory>
#include <QObject>
#include <QString>
#include <QTimer>

#include <iterator>
#include <optional>

class QSslError;
class QSslSocket;
class QTcpSocket;

namespace roster {

// What ended a mail session at the socket: outcomes that SmtpClient's and ImapClient's Error
// enums both name (socketFailureError() turns one into the other).
struct SocketFailure
{
    enum class Kind {
        InvalidSettings, // no host, no port, an unusable CA file
        TlsUnavailable,  // no TLS backend in this Qt
        HostNotFound,
        ConnectionRefused,
        ConnectTimeout,
        TlsHandshakeFailed, // includes certificate verification, with the reason
        NetworkError,
    };
    Kind kind = Kind::NetworkError;
    QString detail; // the host, "host:port" or the reason, for the client's message
};

// The client's Error for a failure: SmtpClient::Error and ImapClient::Error name them alike.
template <typename Error> Error socketFailureError(SocketFailure::Kind kind)
{
    static constexpr Error errors[] = {// in Kind's order
                                       Error::InvalidSettings, Error::TlsUnavailable,
                                       Error::HostNotFound,    Error::ConnectionRefused,
                                       Error::ConnectTimeout,  Error::TlsHandshakeFailed,
                                       Error::NetworkError};
    static_assert(std::size(errors) == std::size_t(SocketFailure::Kind::NetworkError) + 1);
    return errors[int(kind)];
}

// The connection under SmtpClient and ImapClient, the part of a mail session that is not its
// protocol: a TCP socket, or a TLS one whose certificate is verified against the system's CAs
// and the CA file (errors are never ignored); the bytes the server sent, for the client's reader;
// STARTTLS's handshake, refused when anything came after the server's go-ahead (RFC 3207 §4.2,
// CVE-2021-22947); and one timer: the connection's and each handshake's own timeout, else the
// client's wait for a reply. Socket errors and those two timeouts end in failed().
class MailSocket final : public QObject
{
    Q_OBJECT
public:
    using Security = SmtpSettings::Security;
    struct Endpoint
    {
        QString host;
        quint16 port = 0;
        Security security = Security::None;
        QString caFile;               // extra CA (PEM) trusted besides the system store
        int connectTimeoutMs = 30000; // the connection, and each TLS handshake
    };

    explicit MailSocket(QMessageLogger::CategoryFunction log);
    ~MailSocket() override;

    // Starts connecting; a setting it cannot use is returned at once, and nothing starts.
    std::optional<SocketFailure> open(const Endpoint &endpoint);
    // After the server's go-ahead to STARTTLS: starts the handshake, or returns false (and starts
    // nothing) when more bytes came than the go-ahead, or `readerHasMore` (the client's reader
    // holds part of a response).
    bool startTls(bool readerHasMore = false);
    bool isEncrypted() const;

    // The client waits `ms` for a reply (replyTimedOut() after that), or for nothing. Both wait
    // while connecting or in a handshake, whose own timeout runs.
    void expectReply(int ms);
    void stopWaiting();

    void write(const QByteArray &bytes);
    void disconnectFromHost();
    // Ends the connection at once: no signal after this.
    void abort();

    // The client's reader consumes what the server sent: reader.next(input, &position, out...).
    template <typename Reader, typename... Out> auto read(Reader &reader, Out... out)
    {
        return reader.next(m_in, &m_inPos, out...);
    }
    qsizetype position() const { return m_inPos; }
    qsizetype received() const { return m_in.size(); }
    // Drops what the reader consumed; returns how many bytes left the front of the input.
    qsizetype compact();

Q_SIGNALS:
    void ready();     // connected (with implicit TLS, after the handshake): the greeting is due
    void encrypted(); // STARTTLS's handshake is done
    void readyRead(); // more input
    void closed();    // the server hung up; the last of its bytes were read first
    void failed(const roster::SocketFailure &failure);
    void replyTimedOut();

private:
    enum class Phase { Idle, Connecting, Handshaking, Open, Aborted };

    void onConnected();
    void onEncrypted();
    void onSslErrors(const QList<QSslError> &errors);
    void onReadyRead();
    void onDisconnected();
    void onError();
    void onTimeout();
    void setOpen();

    QMessageLogger::CategoryFunction m_log;
    Endpoint m_endpoint;
    QTcpSocket *m_socket = nullptr;
    QSslSocket *m_ssl = nullptr; // same object as m_socket when TLS is possible
    QTimer m_timer;
    Phase m_phase = Phase::Idle;
    QString m_sslReason; // certificate errors, said instead of the socket's text
    QByteArray m_in;
    qsizetype m_inPos = 0;
};

} // namespace roster
