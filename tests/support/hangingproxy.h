#pragma once

// A TCP proxy in front of the test PostgreSQL server, on a thread of its own, that can turn into
// "the server was stopped and something else took its port": hang() closes every forwarded
// connection (what clients see when the server stops) and from then on accepts new connections
// and never answers them. Header-only: used by tst_consolefreeze, tst_viewloader and bench/console.

#include <QHostAddress>
#include <QList>
#include <QMutex>
#include <QObject>
#include <QPointer>
#include <QSet>
#include <QTcpServer>
#include <QTcpSocket>
#include <QThread>

#include <atomic>

namespace roster::test {

class HangingProxy final : public QObject
{
public:
    HangingProxy(QString upstreamHost, quint16 upstreamPort)
        : m_host(std::move(upstreamHost)), m_upstreamPort(upstreamPort)
    {
        m_thread.setObjectName(QStringLiteral("hanging-proxy"));
        moveToThread(&m_thread);
        m_thread.start();
        QMetaObject::invokeMethod(
            this, [this] { listen(); }, Qt::BlockingQueuedConnection);
    }
    ~HangingProxy() override
    {
        QMetaObject::invokeMethod(
            this,
            [this] {
                delete m_server;
                for (QTcpSocket *s : findChildren<QTcpSocket *>())
                    delete s;
            },
            Qt::BlockingQueuedConnection);
        m_thread.quit();
        m_thread.wait();
    }

    quint16 port() const { return m_port; }

    // The server "stops": forwarded connections close; new ones are accepted and never answered.
    void hang()
    {
        QMetaObject::invokeMethod(
            this,
            [this] {
                m_hanging = true;
                for (QTcpSocket *s : findChildren<QTcpSocket *>())
                    if (!m_held.contains(s))
                        s->abort();
            },
            Qt::BlockingQueuedConnection);
    }

    // The serial numbers of the connections accepted while hanging that the client still holds
    // open (a client that gave up has closed its end).
    QList<quint64> heldOpen() const
    {
        QMutexLocker lock(&m_lock);
        return m_heldSerials;
    }

private:
    void listen()
    {
        m_server = new QTcpServer(this);
        m_server->listen(QHostAddress::LocalHost);
        m_port = m_server->serverPort();
        connect(m_server, &QTcpServer::newConnection, this, [this] {
            while (QTcpSocket *client = m_server->nextPendingConnection()) {
                client->setParent(this);
                if (m_hanging)
                    hold(client);
                else
                    forward(client);
            }
        });
    }

    void hold(QTcpSocket *client)
    {
        const quint64 serial = ++m_serial;
        m_held.insert(client);
        {
            QMutexLocker lock(&m_lock);
            m_heldSerials.append(serial);
        }
        // Read and drop what the client sends; never answer.
        connect(client, &QTcpSocket::readyRead, client, [client] { client->readAll(); });
        connect(client, &QTcpSocket::disconnected, this, [this, client, serial] {
            {
                QMutexLocker lock(&m_lock);
                m_heldSerials.removeAll(serial);
            }
            m_held.remove(client);
            client->deleteLater();
        });
    }

    void forward(QTcpSocket *client)
    {
        auto *upstream = new QTcpSocket(this);
        QPointer<QTcpSocket> c(client), u(upstream);
        connect(client, &QTcpSocket::readyRead, this, [c, u] {
            if (c && u)
                u->write(c->readAll());
        });
        connect(upstream, &QTcpSocket::readyRead, this, [c, u] {
            if (c && u)
                c->write(u->readAll());
        });
        auto close = [c, u] {
            if (c) {
                c->abort();
                c->deleteLater();
            }
            if (u) {
                u->abort();
                u->deleteLater();
            }
        };
        connect(client, &QTcpSocket::disconnected, this, close);
        connect(upstream, &QTcpSocket::disconnected, this, close);
        connect(upstream, &QTcpSocket::errorOccurred, this, close);
        upstream->connectToHost(m_host, m_upstreamPort);
        connect(upstream, &QTcpSocket::connected, this, [c, u] {
            if (c && u && c->bytesAvailable())
                u->write(c->readAll());
        });
    }

    QString m_host;
    quint16 m_upstreamPort;
    QThread m_thread;
    QTcpServer *m_server = nullptr;
    std::atomic<quint16> m_port{0};
    bool m_hanging = false;
    QSet<QTcpSocket *> m_held;
    quint64 m_serial = 0;
    mutable QMutex m_lock;
    QList<quint64> m_heldSerials; // guarded by m_lock
};

} // namespace roster::test
