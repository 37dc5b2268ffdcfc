#include "app/clock.h"

#include "models/testhooks.h"

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
    // The offset exists only in builds with ROSTER_TEST_HOOKS (models/testhooks.h).
    static OffsetClock clock(testhooks::clockOffsetMs().value_or(0));
    return clock;
}

} // namespace roster
