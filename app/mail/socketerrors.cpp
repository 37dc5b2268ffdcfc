#include "app/mail/socketerrors.h"

namespace roster {

SocketFailure classifySocketError(const QAbstractSocket &socket, const QString &host, quint16 port,
                                  bool handshaking, const QString &sslReason)
{
    using Kind = SocketFailure::Kind;
    const QString where = host + u':' + QString::number(port);
    const QString tlsReason = sslReason.isEmpty() ? socket.errorString() : sslReason;
    switch (socket.error()) {
    case QAbstractSocket::HostNotFoundError:
        return {Kind::HostNotFound, host};
    case QAbstractSocket::ConnectionRefusedError:
        return {Kind::ConnectionRefused, where};
    case QAbstractSocket::SocketTimeoutError:
        return {Kind::ConnectTimeout, where};
    case QAbstractSocket::RemoteHostClosedError:
        if (handshaking)
            return {Kind::TlsHandshakeFailed, tlsReason};
        return {Kind::Disconnected, {}};
    case QAbstractSocket::SslHandshakeFailedError:
    case QAbstractSocket::SslInvalidUserDataError:
    case QAbstractSocket::SslInternalError:
        return {Kind::TlsHandshakeFailed, tlsReason};
    default:
        return {Kind::NetworkError, socket.errorString()};
    }
}

} // namespace roster
