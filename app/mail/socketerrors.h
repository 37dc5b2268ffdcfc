#pragma once

#include <QAbstractSocket>
#include <QString>

namespace roster {

// What a socket error means to a mail client: one reading for SmtpClient and ImapClient, whose
// Error enums both name these outcomes (socketFailureError() turns one into the other).
struct SocketFailure
{
    enum class Kind {
        HostNotFound,
        ConnectionRefused,
        ConnectTimeout,
        TlsHandshakeFailed,
        Disconnected, // the server closed a session already under way: the client's own handling
        NetworkError,
    };
    Kind kind = Kind::NetworkError;
    QString detail; // the host, "host:port" or the reason, for the client's message
};

// `handshaking`: the socket was still connecting or in STARTTLS's handshake, where a server that
// hangs up is refusing our TLS. `sslReason`: the certificate errors gathered from sslErrors(),
// said instead of the socket's own text when there are some.
SocketFailure classifySocketError(const QAbstractSocket &socket, const QString &host, quint16 port,
                                  bool handshaking, const QString &sslReason);

template <typename Error> Error socketFailureError(SocketFailure::Kind kind)
{
    switch (kind) {
    case SocketFailure::Kind::HostNotFound:
        return Error::HostNotFound;
    case SocketFailure::Kind::ConnectionRefused:
        return Error::ConnectionRefused;
    case SocketFailure::Kind::ConnectTimeout:
        return Error::ConnectTimeout;
    case SocketFailure::Kind::TlsHandshakeFailed:
        return Error::TlsHandshakeFailed;
    case SocketFailure::Kind::Disconnected:
    case SocketFailure::Kind::NetworkError:
        break;
    }
    return Error::NetworkError;
}

} // namespace roster
