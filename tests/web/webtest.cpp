#include "webtest.h"

#include <QDeadlineTimer>
#include <QFile>
#include <QRegularExpression>
#include <QSslConfiguration>
#include <QSslSocket>
#include <QTcpServer>
#include <QTcpSocket>

namespace webtest {

QByteArray Reply::header(QByteArrayView name) const
{
    for (const auto &[k, v] : headers)
        if (QByteArrayView(k).compare(name, Qt::CaseInsensitive) == 0)
            return v.isNull() ? QByteArray("") : v;
    return {};
}

QList<QByteArray> Reply::headers_(QByteArrayView name) const
{
    QList<QByteArray> out;
    for (const auto &[k, v] : headers)
        if (QByteArrayView(k).compare(name, Qt::CaseInsensitive) == 0)
            out << v;
    return out;
}

QByteArray Reply::field(QByteArrayView name) const
{
    const QRegularExpression re(QStringLiteral("<input[^>]*name=\"%1\"[^>]*value=\"([^\"]*)\"")
                                    .arg(QRegularExpression::escape(QString::fromLatin1(name))));
    const auto m = re.match(QString::fromUtf8(body));
    return m.hasMatch() ? m.captured(1).toUtf8() : QByteArray();
}

QByteArray Reply::cookie() const
{
    const QByteArray set = header("Set-Cookie");
    return set.isNull() ? QByteArray() : set.split(';').first().trimmed();
}

WebProcess::~WebProcess()
{
    stop();
}

bool WebProcess::start(const QString &db, const QStringList &extra)
{
    const QString binary = qEnvironmentVariable("ROSTER_WEB");
    if (binary.isEmpty()) {
        m_error = QStringLiteral("ROSTER_WEB is not set");
        return false;
    }
    // Nothing in the environment may change roster-web's clock or decisions: the tests' own
    // variables (ROSTER_CLOCK_OFFSET_MS and the like) are passed on to prove it.
    m_process.setProcessChannelMode(QProcess::SeparateChannels);
    m_process.start(binary, QStringList{QStringLiteral("--db"), db, QStringLiteral("--listen"),
                                        QStringLiteral("127.0.0.1:0")} +
                                extra);
    if (!m_process.waitForStarted(10000)) {
        m_error = m_process.errorString();
        return false;
    }
    static const QRegularExpression listening(QStringLiteral("listening on [^ ]+:(\\d+) "));
    const QDeadlineTimer deadline(30000);
    while (!deadline.hasExpired()) {
        if (m_process.state() != QProcess::Running) {
            m_log += m_process.readAllStandardError();
            m_error = QStringLiteral("roster-web exited: ") + QString::fromUtf8(m_log);
            return false;
        }
        m_process.waitForReadyRead(200);
        m_log += m_process.readAllStandardError();
        const auto m = listening.match(QString::fromUtf8(m_log));
        if (m.hasMatch()) {
            m_port = quint16(m.captured(1).toUInt());
            return true;
        }
    }
    m_error =
        QStringLiteral("roster-web did not say where it listens: ") + QString::fromUtf8(m_log);
    return false;
}

void WebProcess::stop()
{
    if (m_process.state() == QProcess::NotRunning)
        return;
    m_process.terminate();
    if (!m_process.waitForFinished(15000))
        m_process.kill();
    m_process.waitForFinished(5000);
    m_log += m_process.readAllStandardError();
}

QString WebProcess::log()
{
    m_log += m_process.readAllStandardError();
    return QString::fromUtf8(m_log);
}

QByteArray formBody(const QList<QPair<QByteArray, QByteArray>> &fields)
{
    QByteArray body;
    for (const auto &[k, v] : fields) {
        if (!body.isEmpty())
            body += '&';
        body += k.toPercentEncoding() + '=' + v.toPercentEncoding();
    }
    return body;
}

QByteArray requestBytes(const QByteArray &method, const QByteArray &path,
                        const QList<QPair<QByteArray, QByteArray>> &headers, const QByteArray &body)
{
    QByteArray r = method + ' ' + path + " HTTP/1.1\r\n";
    bool host = false;
    for (const auto &[k, v] : headers) {
        host |= k.compare("Host", Qt::CaseInsensitive) == 0;
        r += k + ": " + v + "\r\n";
    }
    if (!host)
        r += "Host: localhost\r\n";
    r += "Connection: close\r\n";
    if (!body.isEmpty() || method == "POST")
        r += "Content-Length: " + QByteArray::number(body.size()) + "\r\n";
    r += "\r\n";
    r += body;
    return r;
}

std::unique_ptr<QTcpSocket> connectTo(const Target &t, QString *error)
{
    std::unique_ptr<QTcpSocket> s;
    if (t.tls) {
        auto *ssl = new QSslSocket;
        QSslConfiguration conf = ssl->sslConfiguration();
        conf.setCaCertificates(t.ca);
        ssl->setSslConfiguration(conf);
        ssl->setPeerVerifyName(t.peerName);
        s.reset(ssl);
    } else {
        s = std::make_unique<QTcpSocket>();
    }
    if (!s->bind(t.source)) {
        *error = QStringLiteral("bind to %1: %2").arg(t.source.toString(), s->errorString());
        return nullptr;
    }
    if (t.tls)
        static_cast<QSslSocket *>(s.get())->connectToHostEncrypted(QStringLiteral("127.0.0.1"),
                                                                   t.port, t.peerName);
    else
        s->connectToHost(QHostAddress(QStringLiteral("127.0.0.1")), t.port);
    const bool up = t.tls ? static_cast<QSslSocket *>(s.get())->waitForEncrypted(15000)
                          : s->waitForConnected(15000);
    if (!up) {
        *error = QStringLiteral("connect: ") + s->errorString();
        return nullptr;
    }
    return s;
}

namespace {
// Parses what arrived so far; true once the response is whole.
bool parse(const QByteArray &data, bool closed, Reply &r)
{
    const qsizetype end = data.indexOf("\r\n\r\n");
    if (end < 0)
        return false;
    const QList<QByteArray> lines = data.left(end).split('\n');
    const QList<QByteArray> status = lines.first().trimmed().split(' ');
    r.status = status.value(1).toInt();
    r.headers.clear();
    for (qsizetype i = 1; i < lines.size(); ++i) {
        const QByteArray line = lines[i].trimmed();
        const qsizetype colon = line.indexOf(':');
        if (colon > 0)
            r.headers.append({line.left(colon), line.mid(colon + 1).trimmed()});
    }
    const QByteArray body = data.mid(end + 4);
    const QByteArray length = r.header("Content-Length");
    if (!length.isNull()) {
        if (body.size() < length.toLongLong())
            return false;
        r.body = body.left(length.toLongLong());
        return true;
    }
    r.body = body;
    return closed;
}
} // namespace

Reply readReply(QTcpSocket &socket, int timeoutMs)
{
    Reply r;
    QByteArray data;
    const QDeadlineTimer deadline(timeoutMs);
    while (!deadline.hasExpired()) {
        data += socket.readAll();
        const bool closed = socket.state() != QAbstractSocket::ConnectedState;
        if (parse(data, closed, r)) {
            r.complete = true;
            return r;
        }
        if (closed) {
            r.error = QStringLiteral("closed before the response was whole: ") +
                      QString::fromLatin1(data.left(200));
            return r;
        }
        socket.waitForReadyRead(int(qMax<qint64>(1, qMin<qint64>(deadline.remainingTime(), 500))));
    }
    r.error = QStringLiteral("no whole response in time: ") + QString::fromLatin1(data.left(200));
    return r;
}

Reply exchange(const Target &t, const QByteArray &bytes, int timeoutMs)
{
    QString error;
    auto s = connectTo(t, &error);
    if (!s) {
        Reply r;
        r.error = error;
        return r;
    }
    s->write(bytes);
    return readReply(*s, timeoutMs);
}

Reply get(const Target &t, const QByteArray &path,
          const QList<QPair<QByteArray, QByteArray>> &headers)
{
    return exchange(t, requestBytes("GET", path, headers));
}

Reply head(const Target &t, const QByteArray &path)
{
    QString error;
    auto s = connectTo(t, &error);
    Reply r;
    if (!s) {
        r.error = error;
        return r;
    }
    s->write(requestBytes("HEAD", path));
    // A HEAD reply carries a Content-Length but no body: read until the server closes.
    QByteArray data;
    const QDeadlineTimer deadline(30000);
    while (!deadline.hasExpired() && s->state() == QAbstractSocket::ConnectedState) {
        s->waitForReadyRead(500);
        data += s->readAll();
    }
    data += s->readAll();
    const qsizetype end = data.indexOf("\r\n\r\n");
    if (end < 0) {
        r.error = QStringLiteral("no HEAD response");
        return r;
    }
    parse(data.left(end + 4), true, r);
    r.body = data.mid(end + 4);
    r.complete = true;
    return r;
}

Reply postForm(const Target &t, const QByteArray &path,
               const QList<QPair<QByteArray, QByteArray>> &fields, const QByteArray &cookie,
               const QList<QPair<QByteArray, QByteArray>> &headers)
{
    auto h = headers;
    h.emplaceBack("Content-Type", "application/x-www-form-urlencoded");
    if (!cookie.isEmpty())
        h.emplaceBack("Cookie", cookie);
    return exchange(t, requestBytes("POST", path, h, formBody(fields)));
}

bool makeCertificate(const QString &dir, QString *certPath, QString *keyPath, QString *error)
{
    *certPath = dir + QStringLiteral("/cert.pem");
    *keyPath = dir + QStringLiteral("/key.pem");
    QProcess p;
    p.start(QStringLiteral("openssl"),
            {QStringLiteral("req"), QStringLiteral("-x509"), QStringLiteral("-newkey"),
             QStringLiteral("ec"), QStringLiteral("-pkeyopt"),
             QStringLiteral("ec_paramgen_curve:P-256"), QStringLiteral("-nodes"),
             QStringLiteral("-days"), QStringLiteral("2"), QStringLiteral("-subj"),
             QStringLiteral("/CN=localhost"), QStringLiteral("-addext"),
             QStringLiteral("subjectAltName=DNS:localhost,IP:127.0.0.1"), QStringLiteral("-keyout"),
             *keyPath, QStringLiteral("-out"), *certPath});
    if (!p.waitForFinished(60000) || p.exitCode() != 0) {
        *error = QStringLiteral("openssl: ") + QString::fromUtf8(p.readAllStandardError());
        return false;
    }
    return true;
}

quint16 freePort()
{
    QTcpServer s;
    if (!s.listen(QHostAddress(QStringLiteral("127.0.0.1")), 0))
        return 0;
    return s.serverPort();
}

} // namespace webtest
