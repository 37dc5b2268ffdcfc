#pragma once

// Helpers for the roster-web suites: the real binary as a process, and a small HTTP/1.1 client
// on QTcpSocket/QSslSocket that shows every byte of the reply (status, each header) as it came.

#include <QByteArray>
#include <QHostAddress>
#include <QList>
#include <QPair>
#include <QProcess>
#include <QSslCertificate>
#include <QString>
#include <QStringList>

#include <memory>

class QSslSocket;
class QTcpSocket;

namespace webtest {

struct Reply
{
    bool complete = false; // a whole response arrived
    QString error;
    int status = 0;
    QList<QPair<QByteArray, QByteArray>> headers; // names as sent
    QByteArray body;

    QByteArray header(QByteArrayView name) const; // first, case-insensitive; null if absent
    QList<QByteArray> headers_(QByteArrayView name) const;
    // Hidden or named input's value in the body: <input ... name="NAME" value="...">.
    QByteArray field(QByteArrayView name) const;
    // The cookie the reply sets ("name=value"), without its attributes.
    QByteArray cookie() const;
};

// One roster-web process: --db `db` --listen 127.0.0.1:0 plus `extra`; start() waits for the line
// that names the port.
class WebProcess
{
public:
    ~WebProcess();
    bool start(const QString &db, const QStringList &extra = {});
    void stop();
    quint16 port() const { return m_port; }
    QString log(); // everything it wrote to stderr so far
    QString startError() const { return m_error; }
    QProcess &process() { return m_process; }

private:
    QProcess m_process;
    quint16 m_port = 0;
    QByteArray m_log;
    QString m_error;
};

struct Target
{
    quint16 port = 0;
    QHostAddress source = QHostAddress(QStringLiteral("127.0.0.1")); // the client's address
    bool tls = false;
    QList<QSslCertificate> ca; // trusted for TLS (the test's self-signed certificate)
    QString peerName = QStringLiteral("localhost");
};

// A request on its own connection (Connection: close).
QByteArray requestBytes(const QByteArray &method, const QByteArray &path,
                        const QList<QPair<QByteArray, QByteArray>> &headers = {},
                        const QByteArray &body = {});
Reply exchange(const Target &t, const QByteArray &requestBytes, int timeoutMs = 30000);
Reply get(const Target &t, const QByteArray &path,
          const QList<QPair<QByteArray, QByteArray>> &headers = {});
Reply head(const Target &t, const QByteArray &path);
// A form POST (application/x-www-form-urlencoded) of `fields`, with `cookie` when not empty.
Reply postForm(const Target &t, const QByteArray &path,
               const QList<QPair<QByteArray, QByteArray>> &fields, const QByteArray &cookie = {},
               const QList<QPair<QByteArray, QByteArray>> &headers = {});
QByteArray formBody(const QList<QPair<QByteArray, QByteArray>> &fields);

// Sockets for the tests that need them open at once (several posts at the same instant, idle
// connections): connect, then write; readReply() reads one response.
std::unique_ptr<QTcpSocket> connectTo(const Target &t, QString *error);
Reply readReply(QTcpSocket &socket, int timeoutMs = 30000);

// A self-signed certificate for "localhost" / 127.0.0.1 made with openssl in `dir`.
bool makeCertificate(const QString &dir, QString *certPath, QString *keyPath, QString *error);
// A loopback port nothing listens on right now.
quint16 freePort();

} // namespace webtest
