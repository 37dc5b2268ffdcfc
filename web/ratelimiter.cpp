#include "web/ratelimiter.h"

namespace roster::web {

namespace {
constexpr qint64 windowMs = 60 * 1000;
}

void RateLimiter::prune(QList<qint64> &times, qint64 nowMs) const
{
    qsizetype old = 0;
    while (old < times.size() && nowMs - times[old] >= windowMs)
        ++old;
    times.remove(0, old);
}

bool RateLimiter::blocked(const QByteArray &client, qint64 nowMs)
{
    std::lock_guard lock(m_mutex);
    auto it = m_refusals.find(client);
    if (it == m_refusals.end())
        return false;
    prune(*it, nowMs);
    if (it->isEmpty()) {
        m_refusals.erase(it);
        return false;
    }
    return it->size() >= m_limit;
}

void RateLimiter::refused(const QByteArray &client, qint64 nowMs)
{
    std::lock_guard lock(m_mutex);
    if (m_refusals.size() >= m_maxClients && !m_refusals.contains(client)) {
        for (auto it = m_refusals.begin(); it != m_refusals.end();) {
            prune(*it, nowMs);
            it = it->isEmpty() ? m_refusals.erase(it) : std::next(it);
        }
        // Still full: a flood of addresses. Forget them all rather than grow without bound.
        if (m_refusals.size() >= m_maxClients)
            m_refusals.clear();
    }
    QList<qint64> &times = m_refusals[client];
    prune(times, nowMs);
    // Keep no more than the limit needs.
    if (times.size() >= m_limit)
        times.removeFirst();
    times.append(nowMs);
}

} // namespace roster::web
