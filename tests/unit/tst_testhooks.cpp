// Issue 13 point 13, "test hooks ship in the product": this file is built twice. As
// tst_testhooks_release it is compiled with models/testhooks.cpp and app/clock.cpp WITHOUT the
// ROSTER_TEST_HOOKS definition, as a Release build with default options compiles them: then the
// environment variables the tests use must change nothing. As tst_testhooks_enabled, with the
// definition (the debug and asan presets): the same variables act, which shows the check above
// can fail. tst_testhooks_sources checks that no other product source reads them.
#include "app/clock.h"
#include "models/testhooks.h"

#include <QDateTime>
#include <QTest>

using namespace roster;

class TestTestHooks : public QObject
{
    Q_OBJECT

#ifdef ROSTER_TEST_HOOKS
    static constexpr bool hooks = true;
#else
    static constexpr bool hooks = false;
#endif
    static constexpr qint64 tenDays = 10 * 24 * 3600 * 1000LL;

private slots:
    void initTestCase()
    {
        qputenv("ROSTER_CLOCK_OFFSET_MS", QByteArray::number(tenDays));
        qputenv("ROSTER_SMTP_TIMEOUT_MS", "1500");
        qputenv("ROSTER_BUSY_TIMEOUT_MS", "200");
        qputenv("ROSTER_IMAP_MAX_MESSAGES", "2");
    }

    void theEnvironmentActsOnlyInTestBuilds()
    {
        QCOMPARE(testhooks::enabled(), hooks);
        QCOMPARE(testhooks::clockOffsetMs(), hooks ? std::optional<qint64>(tenDays) : std::nullopt);
        QCOMPARE(testhooks::smtpTimeoutMs(), hooks ? std::optional<int>(1500) : std::nullopt);
        QCOMPARE(testhooks::busyTimeoutMs(), hooks ? std::optional<int>(200) : std::nullopt);
        QCOMPARE(testhooks::imapMaxMessages(), hooks ? std::optional<int>(2) : std::nullopt);
    }

    // What an expired link and the re-invite cooldown are judged by.
    void theProcessClockIsTheSystemClockInReleaseBuilds()
    {
        const qint64 offset = hooks ? tenDays : 0;
        const qint64 before = QDateTime::currentMSecsSinceEpoch();
        const qint64 now = processClock().nowMs();
        const qint64 after = QDateTime::currentMSecsSinceEpoch();
        QVERIFY2(now >= before + offset && now <= after + offset,
                 qPrintable(QStringLiteral("the process clock is %1 ms off the system clock")
                                .arg(now - before)));
    }
};

QTEST_GUILESS_MAIN(TestTestHooks)
#include "tst_testhooks.moc"
