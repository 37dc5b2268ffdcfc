#pragma once

#include "models/result.h"
#include "web/http.h"

#include <QByteArray>
#include <QLoggingCategory>
#include <QString>

#include <functional>
#include <memory>

Q_DECLARE_LOGGING_CATEGORY(lcWeb)

namespace roster::web {

// Every limit, timeout and the thread model of the HTTP server, in one place (STYLE.md, "The
// accept service"). main() fills it from the command line and logs describe() once at start.
struct ServerSettings
{
    QString host = QStringLiteral("127.0.0.1");
    quint16 port = 0; // 0: any free port (the log says which)
    QByteArray tlsCertPem;
    QByteArray tlsKeyPem; // both empty: plain HTTP (TLS ends at the reverse proxy)

    // libmicrohttpd's thread pool: each worker owns its connections and runs the handler, so a
    // POST's Argon2id hash (tens of milliseconds) holds up one worker, not the service.
    unsigned threads = 2;
    unsigned connectionLimit = 1024;     // all clients together
    unsigned perIpConnectionLimit = 128; // one address (behind a proxy: the proxy's)
    unsigned idleTimeoutSeconds = 5;     // nothing received or sent for this long: closed
    // From accepting a connection (or finishing its last request) to having the next request
    // whole: a client that trickles its headers or body byte by byte is cut off after this.
    unsigned requestDeadlineSeconds = 10;
    size_t connectionMemoryLimit = 32 * 1024; // per connection: request line, headers, buffers
    qsizetype maxBodyBytes = 64 * 1024;       // larger: 413
    // A body over the limit but not over this is read and thrown away before the 413 goes out:
    // a server that closes with the body unread makes the kernel reset the connection, and a
    // browser or a proxy then shows a reset (nginx: 502) instead of the page. Larger: answered
    // at once and closed.
    qsizetype drainBodyBytes = 1024 * 1024;

    QString describe() const;
};

// libmicrohttpd, configured: it parses HTTP, keeps the limits above, and hands each complete
// request to `handler` on a worker thread; what the handler returns is sent as it is.
class HttpServer
{
public:
    using Handler = std::function<Response(const Request &)>;

    HttpServer(ServerSettings settings, Handler handler);
    ~HttpServer();
    HttpServer(const HttpServer &) = delete;
    HttpServer &operator=(const HttpServer &) = delete;

    Status start();
    void stop();
    quint16 port() const; // the port listened on (after start)
    const ServerSettings &settings() const { return m_settings; }

    struct Private;

private:
    ServerSettings m_settings;
    std::unique_ptr<Private> d;
};

} // namespace roster::web
