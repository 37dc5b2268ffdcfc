#pragma once

#include "app/clock.h"
#include "models/userrecord.h"

#include <QDateTime>

// Tests move time instead of sleeping (STYLE.md rule 8).
class FakeClock final : public roster::Clock
{
public:
    explicit FakeClock(qint64 startMs = QDateTime::currentMSecsSinceEpoch()) : m_now(startMs) {}
    qint64 nowMs() const override { return m_now; }
    void advance(qint64 ms) { m_now += ms; }
    void advanceDays(int days) { m_now += days * roster::msPerDay; }
    void advanceMinutes(int minutes) { m_now += minutes * 60000LL; }

private:
    qint64 m_now;
};
