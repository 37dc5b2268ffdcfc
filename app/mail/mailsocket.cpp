#include "app/mail/mailsocket.h"

#include <QFile>
#include <QSslConfiguration>
#include <QSslError>
#include <QSslSocket>
#include <QTcpSocket>

namespace roster {

namespace {

// `handshaking`: still connecting or in STARTTLS's handshake, where a server that hangs up is
// refusing our TLS. nullopt: the server closed a session under way (closed(), not a failure).
std::optional<SocketFailure> classify(const QAbstractSocket &socket, const QString &host,
                                      quint16 port, bool handshaking, const QString &sslReason)
{
    using Kind = SocketFailure::Kind;
    const QString where = host + u':' + QString::number(port);
    const QString tlsReason = sslReason.isEmpty() ? socket.errorString() : sslReason;
    switch (socket.error()) {
    case QAbstractSocket::HostNotFoundError:
        return SocketFailure{Kind::HostNotFound, host};
    case QAbstractSocket::ConnectionRefusedError:
        return SocketFailure{Kind::ConnectionRefused, where};
    case QAbstractSocket::SocketTimeoutError:
        return SocketFailure{Kind::ConnectTimeout, where};
    case QAbstractSocket::RemoteHostClosedError:
        if (handshaking)
            return SocketFailure{Kind::TlsHandshakeFailed, tlsReason};
        return std::nullopt;
    case QAbstractSocket::SslHandshakeFailedError:
    case QAbstractSocket::SslInvalidUserDataError:
    case QAbstractSocket::SslInternalError:
        return SocketFailure{Kind::TlsHandshakeFailed, tlsReason};
    default:
        return SocketFailure{Kind::NetworkError, socket.errorString()};
    }
}

} // namespace

MailSocket::MailSocket(QMessageLogger::CategoryFunction log) : m_log(log)
{
    m_timer.setSingleShot(true);
    connect(&m_timer, &QTimer::timeout, this, &MailSocket::onTimeout);
}

MailSocket::~MailSocket()
{
    abort();
}

std::optional<SocketFailure> MailSocket::open(const Endpoint &endpoint)
{
    using Kind = SocketFailure::Kind;
    const Endpoint &e = endpoint;
    if (e.host.trimmed().isEmpty())
        return SocketFailure{Kind::InvalidSettings, tr("no host name")};
    if (e.port == 0)
        return SocketFailure{Kind::InvalidSettings, tr("no port")};
    m_endpoint = e;
    if (e.security == Security::None) {
        m_socket = new QTcpSocket(this);
    } else {
        if (!QSslSocket::supportsSsl())
            return SocketFailure{Kind::TlsUnavailable, QSslSocket::activeBackend().isEmpty()
                                                           ? tr("no TLS backend")
                                                           : QSslSocket::activeBackend()};
        // The system's roots stay with OpenSSL, looked up by hash in /etc/ssl/certs when a chain
        // needs one (Qt's on-demand loading): reading them all into QSslCertificates
        // (systemCaCertificates(), 288 files here) was most of an empty fetch. The extra CA is
        // added beside them through the path overload, the one that keeps on-demand loading
        // (Qt 6.4; the list overloads and setCaCertificates() turn it off: strace shows it,
        // docs/performance.md). Were a later Qt to turn it off there too, only the CA file would be
        // trusted: it fails closed.
        QSslConfiguration conf = QSslConfiguration::defaultConfiguration();
        if (!e.caFile.isEmpty()) {
            if (!QFile::exists(e.caFile))
                return SocketFailure{Kind::InvalidSettings,
                                     tr("the CA file %1 does not exist").arg(e.caFile)};
            if (!conf.addCaCertificates(e.caFile, QSsl::Pem))
                return SocketFailure{Kind::InvalidSettings,
                                     tr("the CA file %1 holds no PEM certificate").arg(e.caFile)};
        }
        conf.setPeerVerifyMode(QSslSocket::VerifyPeer);
        conf.setProtocol(QSsl::SecureProtocols);
        m_ssl = new QSslSocket(this);
        m_socket = m_ssl;
        m_ssl->setSslConfiguration(conf);
        m_ssl->setPeerVerifyName(e.host);
        connect(m_ssl, &QSslSocket::encrypted, this, &MailSocket::onEncrypted);
        connect(m_ssl, &QSslSocket::sslErrors, this, &MailSocket::onSslErrors);
    }
    connect(m_socket, &QTcpSocket::connected, this, &MailSocket::onConnected);
    connect(m_socket, &QTcpSocket::readyRead, this, &MailSocket::onReadyRead);
    connect(m_socket, &QTcpSocket::disconnected, this, &MailSocket::onDisconnected);
    connect(m_socket, &QTcpSocket::errorOccurred, this, &MailSocket::onError);

    qCDebug(m_log).noquote() << "connecting to" << e.host + u':' + QString::number(e.port)
                             << smtpSecurityName(e.security);
    m_phase = Phase::Connecting;
    m_timer.start(e.connectTimeoutMs);
    if (e.security == Security::Tls)
        m_ssl->connectToHostEncrypted(e.host, e.port);
    else
        m_socket->connectToHost(e.host, e.port);
    return std::nullopt;
}

bool MailSocket::startTls(bool readerHasMore)
{
    // Anything after the go-ahead was written by someone before the handshake and would be read
    // as if it came over TLS (CVE-2021-22947): never accept it.
    if (!m_ssl || readerHasMore || m_inPos < m_in.size() || m_socket->bytesAvailable() > 0)
        return false;
    m_in.resize(0);
    m_inPos = 0;
    m_phase = Phase::Handshaking;
    m_timer.start(m_endpoint.connectTimeoutMs);
    m_ssl->startClientEncryption();
    return true;
}

bool MailSocket::isEncrypted() const
{
    return m_ssl && m_ssl->isEncrypted();
}

void MailSocket::expectReply(int ms)
{
    if (m_phase == Phase::Open)
        m_timer.start(ms);
}

void MailSocket::stopWaiting()
{
    if (m_phase == Phase::Open)
        m_timer.stop();
}

void MailSocket::write(const QByteArray &bytes)
{
    m_socket->write(bytes);
}

void MailSocket::disconnectFromHost()
{
    m_socket->disconnectFromHost();
}

void MailSocket::abort()
{
    m_phase = Phase::Aborted;
    m_timer.stop();
    if (m_socket) {
        m_socket->disconnect(this);
        m_socket->abort();
    }
}

qsizetype MailSocket::compact()
{
    qsizetype dropped = 0;
    if (m_inPos >= m_in.size()) {
        dropped = m_in.size();
        m_in.resize(0); // keeps the capacity
        m_inPos = 0;
    } else if (m_inPos > 65536) {
        dropped = m_inPos;
        m_in.remove(0, m_inPos);
        m_inPos = 0;
    }
    return dropped;
}

void MailSocket::setOpen()
{
    m_phase = Phase::Open;
    m_timer.stop(); // the client arms it for what it waits for
}

void MailSocket::onConnected()
{
    qCDebug(m_log) << "connected";
    m_socket->setSocketOption(QAbstractSocket::LowDelayOption, 1);
    if (m_endpoint.security == Security::Tls)
        return; // the greeting comes after the handshake: onEncrypted()
    setOpen();
    Q_EMIT ready();
}

void MailSocket::onEncrypted()
{
    qCDebug(m_log) << "TLS established:" << m_ssl->sessionProtocol();
    const bool implicitTls = m_phase == Phase::Connecting;
    setOpen();
    if (implicitTls)
        Q_EMIT ready();
    else
        Q_EMIT encrypted();
}

void MailSocket::onSslErrors(const QList<QSslError> &errors)
{
    // Never ignored: the handshake fails and onError() reports these reasons.
    QStringList reasons;
    for (const QSslError &e : errors)
        reasons << e.errorString();
    m_sslReason = reasons.join(u"; ");
    qCWarning(m_log) << "certificate verification failed:" << m_sslReason;
}

void MailSocket::onReadyRead()
{
    if (m_phase == Phase::Handshaking)
        return; // the handshake reads
    const qint64 avail = m_socket->bytesAvailable();
    if (avail <= 0)
        return;
    const qsizetype old = m_in.size();
    m_in.resize(old + avail);
    const qint64 got = m_socket->read(m_in.data() + old, avail);
    m_in.resize(old + std::max<qint64>(got, 0));
    Q_EMIT readyRead();
}

void MailSocket::onDisconnected()
{
    onReadyRead();                 // a last reply (421, BYE...) may still be buffered
    if (m_phase != Phase::Aborted) // by the client, on what it read
        Q_EMIT closed();
}

void MailSocket::onError()
{
    const std::optional<SocketFailure> f =
        classify(*m_socket, m_endpoint.host, m_endpoint.port, m_phase != Phase::Open, m_sslReason);
    if (!f)
        return onDisconnected();
    Q_EMIT failed(*f);
}

void MailSocket::onTimeout()
{
    switch (m_phase) {
    case Phase::Connecting:
        Q_EMIT failed({SocketFailure::Kind::ConnectTimeout,
                       m_endpoint.host + u':' + QString::number(m_endpoint.port)});
        return;
    case Phase::Handshaking:
        Q_EMIT failed({SocketFailure::Kind::TlsHandshakeFailed, tr("the handshake timed out")});
        return;
    case Phase::Open:
        Q_EMIT replyTimedOut();
        return;
    case Phase::Idle:
    case Phase::Aborted:
        return;
    }
}

} // namespace roster
