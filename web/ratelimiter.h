#pragma once

#include <QByteArray>
#include <QHash>
#include <QList>

#include <mutex>

namespace roster::web {

// Counts refused POSTs per client over a sliding minute (SPEC §8: too many get 429). Shared by
// the worker threads. Bounded: past `maxClients` tracked addresses the oldest are forgotten.
class RateLimiter
{
public:
    explicit RateLimiter(int limitPerMinute, int maxClients = 100000)
        : m_limit(limitPerMinute), m_maxClients(maxClients)
    {}
    int limit() const { return m_limit; }
    // True when the client has used up its refusals of the last minute.
    bool blocked(const QByteArray &client, qint64 nowMs);
    void refused(const QByteArray &client, qint64 nowMs);

private:
    void prune(QList<qint64> &times, qint64 nowMs) const;
    int m_limit;
    int m_maxClients;
    std::mutex m_mutex;
    QHash<QByteArray, QList<qint64>> m_refusals;
};

} // namespace roster::web
