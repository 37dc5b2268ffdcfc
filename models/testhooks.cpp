#include "models/testhooks.h"

#include <QByteArray>
#include <QString>

#include <climits>

namespace roster::testhooks {

#ifdef ROSTER_TEST_HOOKS

namespace {
std::optional<qint64> number(const char *name)
{
    bool ok = false;
    const qint64 v = qEnvironmentVariable(name).toLongLong(&ok);
    return ok ? std::optional<qint64>(v) : std::nullopt;
}
} // namespace

bool enabled()
{
    return true;
}

std::optional<qint64> clockOffsetMs()
{
    return number("ROSTER_CLOCK_OFFSET_MS");
}

std::optional<int> smtpTimeoutMs()
{
    const auto v = number("ROSTER_SMTP_TIMEOUT_MS");
    return v && *v > 0 && *v <= INT_MAX ? std::optional<int>(int(*v)) : std::nullopt;
}

std::optional<int> busyTimeoutMs()
{
    const auto v = number("ROSTER_BUSY_TIMEOUT_MS");
    return v && *v >= 0 && *v <= INT_MAX ? std::optional<int>(int(*v)) : std::nullopt;
}

std::optional<int> imapMaxMessages()
{
    const auto v = number("ROSTER_IMAP_MAX_MESSAGES");
    return v && *v > 0 && *v <= INT_MAX ? std::optional<int>(int(*v)) : std::nullopt;
}

#else

bool enabled()
{
    return false;
}

std::optional<qint64> clockOffsetMs()
{
    return std::nullopt;
}

std::optional<int> smtpTimeoutMs()
{
    return std::nullopt;
}

std::optional<int> busyTimeoutMs()
{
    return std::nullopt;
}

std::optional<int> imapMaxMessages()
{
    return std::nullopt;
}

#endif

} // namespace roster::testhooks
