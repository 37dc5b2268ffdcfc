#include "fakesmtpserver.h"

#include <QHostAddress>
#include <QTcpServer>
#include <QTcpSocket>

FakeSmtpServer::FakeSmtpServer(QList<QByteArray> script, QObject *parent)
    : QObject(parent), m_script(std::move(script)), m_server(new QTcpServer(this))
{
    if (!m_server->listen(QHostAddress::LocalHost, 0))
        m_problems << QStringLiteral("cannot listen: %1").arg(m_server->errorString());
    connect(m_server, &QTcpServer::newConnection, this, &FakeSmtpServer::onNewConnection);
}

FakeSmtpServer::~FakeSmtpServer() = default;

quint16 FakeSmtpServer::port() const
{
    return m_server->serverPort();
}

void FakeSmtpServer::onNewConnection()
{
    QTcpSocket *s = m_server->nextPendingConnection();
    if (m_client) {
        m_problems << QStringLiteral("a second connection");
        s->abort();
        s->deleteLater();
        return;
    }
    m_client = s;
    connect(s, &QTcpSocket::readyRead, this, &FakeSmtpServer::onReadyRead);
    connect(s, &QTcpSocket::disconnected, this, [this] { m_clientGone = true; });
    advance();
}

void FakeSmtpServer::advance()
{
    QByteArray out;
    while (m_index < m_script.size()) {
        const QByteArray &line = m_script.at(m_index);
        if (line.startsWith("S: ")) {
            out += line.mid(3) + "\r\n";
            ++m_index;
        } else if (line == "T") {
            ++m_index;
            m_ignoreInput = true;
        } else if (line == "X") {
            ++m_index;
            m_client->write(out);
            m_client->disconnectFromHost();
            return;
        } else {
            break; // a C: line: wait for the client
        }
    }
    if (!out.isEmpty())
        m_client->write(out);
}

void FakeSmtpServer::onReadyRead()
{
    m_in += m_client->readAll();
    if (m_ignoreInput) {
        m_in.clear();
        return;
    }
    for (;;) {
        const qsizetype nl = m_in.indexOf('\n');
        if (nl < 0)
            break;
        QByteArray line = m_in.left(nl + 1);
        m_in.remove(0, nl + 1);
        if (!line.endsWith("\r\n"))
            m_problems << QStringLiteral("line without CRLF: %1").arg(QString::fromUtf8(line));
        line.chop(line.endsWith("\r\n") ? 2 : 1);
        m_received << line;
        if (m_index >= m_script.size() || !m_script.at(m_index).startsWith("C: ")) {
            m_problems << QStringLiteral("unexpected client line: %1").arg(QString::fromUtf8(line));
            continue;
        }
        const QByteArray expected = m_script.at(m_index).mid(3);
        if (line != expected)
            m_problems << QStringLiteral("expected \"%1\", got \"%2\"")
                              .arg(QString::fromUtf8(expected), QString::fromUtf8(line));
        ++m_index;
        const bool replyNext = m_index < m_script.size() && m_script.at(m_index).startsWith("S: ");
        if (m_lockstep && replyNext && m_in.contains('\n'))
            m_problems << QStringLiteral("client sent \"%1\" before the reply to \"%2\"")
                              .arg(QString::fromUtf8(m_in.left(m_in.indexOf('\n')).trimmed()),
                                   QString::fromUtf8(line));
        advance();
    }
}
