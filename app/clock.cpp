#include "app/clock.h"

#include <QDateTime>

namespace roster {

qint64 SystemClock::nowMs() const
{
    return QDateTime::currentMSecsSinceEpoch();
}

namespace {
class OffsetClock final : public Clock
{
public:
    explicit OffsetClock(qint64 offset) : m_offset(offset) {}
    qint64 nowMs() const override { return QDateTime::currentMSecsSinceEpoch() + m_offset; }

private:
    qint64 m_offset;
};
} // namespace

Clock &processClock()
{
    static OffsetClock clock(qEnvironmentVariable("ROSTER_CLOCK_OFFSET_MS").toLongLong());
    return clock;
}

} // namespace roster
