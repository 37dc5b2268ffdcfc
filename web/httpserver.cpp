#include "web/httpserver.h"

#include <QCoreApplication>
#include <QHash>

#include <microhttpd.h>

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <chrono>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <thread>
#include <unordered_set>

Q_LOGGING_CATEGORY(lcWeb, "roster.web", QtInfoMsg)

namespace roster::web {

namespace {
QString tr(const char *s)
{
    return QCoreApplication::translate("roster::web::HttpServer", s);
}

using Clock = std::chrono::steady_clock;

// Per socket (MHD's socket_context): when its current request began, for the request deadline.
struct Connection
{
    MHD_socket fd = MHD_INVALID_SOCKET;
    Clock::time_point since;
    bool busy = false;   // the handler runs: not a slow client
    bool reaped = false; // already shut down once
};

// Per request (MHD's con_cls).
struct Pending
{
    Request request;
    qsizetype drained = 0; // bytes of an oversized body read and dropped
};

HeaderList values(MHD_Connection *c, MHD_ValueKind kind)
{
    HeaderList out;
    MHD_get_connection_values(
        c, kind,
        [](void *cls, MHD_ValueKind, const char *key, const char *value) -> MHD_Result {
            static_cast<HeaderList *>(cls)->append(
                {QByteArray(key), value ? QByteArray(value) : QByteArray("")});
            return MHD_YES;
        },
        &out);
    return out;
}

QHostAddress peerOf(MHD_Connection *c)
{
    const MHD_ConnectionInfo *info = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    if (!info || !info->client_addr)
        return {};
    QHostAddress a(info->client_addr);
    // A v4 client on a dual-stack socket arrives as ::ffff:a.b.c.d: name it as v4.
    bool isV4 = false;
    const quint32 v4 = a.toIPv4Address(&isV4);
    return isV4 ? QHostAddress(v4) : a;
}
} // namespace

QString ServerSettings::describe() const
{
    return QStringLiteral("listening on %1:%2 (%3); %4 worker threads (libmicrohttpd %5, epoll); "
                          "connections: at most %6, %7 per address; idle timeout %8 s; a request "
                          "whole within %9 s; %10 KiB per connection; bodies up to %11 KiB (413 "
                          "after reading up to "
                          "%12 KiB)")
        .arg(host.contains(u':') ? u'[' + host + u']' : host)
        .arg(port)
        .arg(tlsCertPem.isEmpty() ? QStringLiteral("plain HTTP") : QStringLiteral("TLS"))
        .arg(threads)
        .arg(QString::fromLatin1(MHD_get_version()))
        .arg(connectionLimit)
        .arg(perIpConnectionLimit)
        .arg(idleTimeoutSeconds)
        .arg(requestDeadlineSeconds)
        .arg(connectionMemoryLimit / 1024)
        .arg(maxBodyBytes / 1024)
        .arg(drainBodyBytes / 1024);
}

struct HttpServer::Private
{
    const ServerSettings &settings;
    Handler handler;
    MHD_Daemon *daemon = nullptr;
    quint16 port = 0;

    // The reaper: closes connections whose request takes longer than the deadline.
    std::mutex mutex;
    std::condition_variable wake;
    std::unordered_set<Connection *> connections;
    bool stopping = false;
    std::thread reaper;

    Private(const ServerSettings &s, Handler h) : settings(s), handler(std::move(h)) {}

    void reap()
    {
        const auto deadline = std::chrono::seconds(settings.requestDeadlineSeconds);
        std::unique_lock lock(mutex);
        while (!stopping) {
            wake.wait_for(lock, std::chrono::milliseconds(250));
            const auto now = Clock::now();
            for (Connection *c : connections) {
                if (c->busy || c->reaped || now - c->since < deadline)
                    continue;
                // Shut down, not close: the descriptor stays MHD's until it sees the end of the
                // stream and closes it; the CLOSED notification takes this same mutex first, so
                // the descriptor is still this connection's here.
                ::shutdown(c->fd, SHUT_RDWR);
                c->reaped = true;
            }
        }
    }

    static void onConnection(void *cls, MHD_Connection *connection, void **socketContext,
                             MHD_ConnectionNotificationCode code)
    {
        auto *d = static_cast<Private *>(cls);
        if (code == MHD_CONNECTION_NOTIFY_STARTED) {
            auto *c = new Connection;
            const MHD_ConnectionInfo *info =
                MHD_get_connection_info(connection, MHD_CONNECTION_INFO_CONNECTION_FD);
            c->fd = info ? info->connect_fd : MHD_INVALID_SOCKET;
            c->since = Clock::now();
            *socketContext = c;
            std::lock_guard lock(d->mutex);
            d->connections.insert(c);
        } else if (code == MHD_CONNECTION_NOTIFY_CLOSED) {
            auto *c = static_cast<Connection *>(*socketContext);
            if (!c)
                return;
            {
                std::lock_guard lock(d->mutex);
                d->connections.erase(c);
            }
            delete c;
            *socketContext = nullptr;
        }
    }

    static Connection *connectionOf(MHD_Connection *connection)
    {
        const MHD_ConnectionInfo *info =
            MHD_get_connection_info(connection, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
        return info ? static_cast<Connection *>(info->socket_context) : nullptr;
    }

    void setBusy(MHD_Connection *connection, bool busy)
    {
        if (Connection *c = connectionOf(connection)) {
            std::lock_guard lock(mutex);
            c->busy = busy;
            c->since = Clock::now();
        }
    }

    static void onCompleted(void *cls, MHD_Connection *connection, void **requestContext,
                            MHD_RequestTerminationCode)
    {
        auto *d = static_cast<Private *>(cls);
        delete static_cast<Pending *>(*requestContext);
        *requestContext = nullptr;
        d->setBusy(connection, false);
    }

    static MHD_Result queue(MHD_Connection *connection, const Response &r)
    {
        MHD_Response *response = MHD_create_response_from_buffer(
            size_t(r.body.size()), const_cast<char *>(r.body.constData()), MHD_RESPMEM_MUST_COPY);
        if (!response)
            return MHD_NO;
        MHD_add_response_header(response, MHD_HTTP_HEADER_CONTENT_TYPE, r.contentType.constData());
        for (const auto &[name, value] : r.headers)
            MHD_add_response_header(response, name.constData(), value.constData());
        const MHD_Result ok = MHD_queue_response(connection, unsigned(r.status), response);
        MHD_destroy_response(response);
        return ok;
    }

    static MHD_Result onRequest(void *cls, MHD_Connection *connection, const char *url,
                                const char *method, const char *, const char *uploadData,
                                size_t *uploadSize, void **requestContext)
    {
        auto *d = static_cast<Private *>(cls);
        auto *p = static_cast<Pending *>(*requestContext);
        if (!p) {
            p = new Pending;
            *requestContext = p;
            Request &r = p->request;
            r.method = method;
            r.path = url;
            r.query = values(connection, MHD_GET_ARGUMENT_KIND);
            r.headers = values(connection, MHD_HEADER_KIND);
            r.cookies = values(connection, MHD_COOKIE_KIND);
            r.peer = peerOf(connection);
            r.tls = !d->settings.tlsCertPem.isEmpty();
            const QByteArray length = r.header("Content-Length");
            bool numeric = false;
            const qint64 declared = length.toLongLong(&numeric);
            if (!length.isNull() && (!numeric || declared > d->settings.maxBodyBytes)) {
                r.bodyTooLarge = true;
                if (!numeric || declared > d->settings.drainBodyBytes) {
                    // Answered before the body is read; MHD closes the connection afterwards.
                    d->setBusy(connection, true);
                    return queue(connection, d->handler(r));
                }
            }
            return MHD_YES;
        }
        Request &r = p->request;
        if (*uploadSize != 0) {
            const qsizetype size = qsizetype(*uploadSize);
            *uploadSize = 0;
            if (!r.bodyTooLarge && r.body.size() + size <= d->settings.maxBodyBytes) {
                r.body.append(uploadData, size);
                return MHD_YES;
            }
            // Over the limit: read on, keeping nothing, up to the drain limit; past it (a chunked
            // body without end) the connection is dropped, as nothing can be answered in the
            // middle of a request.
            r.bodyTooLarge = true;
            p->drained += r.body.size() + size;
            r.body.clear();
            if (p->drained > d->settings.drainBodyBytes) {
                qCInfo(lcWeb, "%s %s: body over %lld bytes, connection dropped", method, url,
                       qlonglong(d->settings.drainBodyBytes));
                return MHD_NO;
            }
            return MHD_YES;
        }
        d->setBusy(connection, true);
        return queue(connection, d->handler(r));
    }

    static void onLog(void *, const char *format, va_list args)
    {
        // libmicrohttpd's own messages (bad requests, TLS handshakes, limits): never a URL with
        // its query, but cut at the first line all the same.
        char line[512];
        std::vsnprintf(line, sizeof line, format, args);
        QByteArray text(line);
        text = text.left(text.indexOf('\n') < 0 ? text.size() : text.indexOf('\n'));
        qCInfo(lcWeb, "libmicrohttpd: %s", text.constData());
    }
};

HttpServer::HttpServer(ServerSettings settings, Handler handler)
    : m_settings(std::move(settings)), d(std::make_unique<Private>(m_settings, std::move(handler)))
{}

HttpServer::~HttpServer()
{
    stop();
}

Status HttpServer::start()
{
    // The listening address: numeric or a name that resolves (e.g. localhost), never a wildcard
    // by accident: --listen names it.
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE;
    addrinfo *found = nullptr;
    const QByteArray host = m_settings.host.toUtf8();
    const QByteArray port = QByteArray::number(m_settings.port);
    if (int rc = getaddrinfo(host.constData(), port.constData(), &hints, &found); rc != 0 || !found)
        return makeError(ErrorKind::Invalid,
                         tr("Cannot listen on %1: %2.")
                             .arg(m_settings.host, QString::fromLocal8Bit(gai_strerror(rc))));
    sockaddr_storage address{};
    std::memcpy(&address, found->ai_addr, found->ai_addrlen);
    const bool v6 = found->ai_family == AF_INET6;
    freeaddrinfo(found);

    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ERROR_LOG;
    if (v6)
        flags |= MHD_USE_IPv6;
    if (!m_settings.tlsCertPem.isEmpty())
        flags |= MHD_USE_TLS;

    std::vector<MHD_OptionItem> options{
        {MHD_OPTION_EXTERNAL_LOGGER, intptr_t(&Private::onLog), nullptr}, // first, or MHD warns
        {MHD_OPTION_SOCK_ADDR, 0, &address},
        {MHD_OPTION_THREAD_POOL_SIZE, m_settings.threads, nullptr},
        {MHD_OPTION_CONNECTION_LIMIT, m_settings.connectionLimit, nullptr},
        {MHD_OPTION_PER_IP_CONNECTION_LIMIT, m_settings.perIpConnectionLimit, nullptr},
        {MHD_OPTION_CONNECTION_TIMEOUT, m_settings.idleTimeoutSeconds, nullptr},
        {MHD_OPTION_CONNECTION_MEMORY_LIMIT, intptr_t(m_settings.connectionMemoryLimit), nullptr},
        {MHD_OPTION_NOTIFY_CONNECTION, intptr_t(&Private::onConnection), d.get()},
        {MHD_OPTION_NOTIFY_COMPLETED, intptr_t(&Private::onCompleted), d.get()},
        {MHD_OPTION_LISTENING_ADDRESS_REUSE, 1, nullptr},
    };
    if (!m_settings.tlsCertPem.isEmpty()) {
        options.push_back(
            {MHD_OPTION_HTTPS_MEM_CERT, 0, const_cast<char *>(m_settings.tlsCertPem.constData())});
        options.push_back(
            {MHD_OPTION_HTTPS_MEM_KEY, 0, const_cast<char *>(m_settings.tlsKeyPem.constData())});
    }
    options.push_back({MHD_OPTION_END, 0, nullptr});

    d->daemon = MHD_start_daemon(flags, m_settings.port, nullptr, nullptr, &Private::onRequest,
                                 d.get(), MHD_OPTION_ARRAY, options.data(), MHD_OPTION_END);
    if (!d->daemon)
        return makeError(
            ErrorKind::Invalid,
            tr("Cannot listen on %1:%2: the address is in use or not this machine's, or the TLS "
               "certificate and key do not fit together.")
                .arg(m_settings.host)
                .arg(m_settings.port));
    if (const MHD_DaemonInfo *info = MHD_get_daemon_info(d->daemon, MHD_DAEMON_INFO_BIND_PORT))
        d->port = info->port;
    m_settings.port = d->port;
    d->reaper = std::thread([this] { d->reap(); });
    return ok();
}

void HttpServer::stop()
{
    if (!d->daemon)
        return;
    {
        std::lock_guard lock(d->mutex);
        d->stopping = true;
    }
    d->wake.notify_all();
    if (d->reaper.joinable())
        d->reaper.join();
    MHD_stop_daemon(d->daemon);
    d->daemon = nullptr;
}

quint16 HttpServer::port() const
{
    return d->port;
}

} // namespace roster::web
