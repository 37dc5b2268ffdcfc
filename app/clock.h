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

// The process-wide clock: the system clock. In test builds only (CMake option ROSTER_TEST_HOOKS),
// a fixed offset from it when ROSTER_CLOCK_OFFSET_MS is set, which the integration tests use to
// run the real rosterctl "7 days later".
Clock &processClock();

} // namespace roster
