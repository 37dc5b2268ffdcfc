#pragma once

#include <QtGlobal>

namespace roster {

// Time as the services see it: injectable, so tests move it 7 days forward instead of sleeping.
class Clock
{
public:
    virtual ~Clock() = default;
    virtual qint64 nowMs() const = 0; // milliseconds since the epoch, UTC
};

class SystemClock final : public Clock
{
public:
    qint64 nowMs() const override;
};

// The process-wide clock: the system clock, or a fixed offset from it when ROSTER_CLOCK_OFFSET_MS
// is set (used by the integration tests to run the real rosterctl "7 days later").
Clock &processClock();

} // namespace roster
