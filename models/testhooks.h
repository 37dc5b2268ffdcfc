#pragma once

#include <QtGlobal>

#include <optional>

namespace roster::testhooks {

// Knobs the tests turn through the environment of the real binaries (rosterctl run "7 days
// later", short SMTP and lock timeouts, a lower cap on one IMAP session). They exist only in a
// build configured with the CMake option ROSTER_TEST_HOOKS (the debug and asan presets). In any
// other build (a Release build with default options, the packages) each of them is std::nullopt
// whatever the environment says: no environment variable changes the time or a timeout of a shipped
// binary.
bool enabled();
std::optional<qint64> clockOffsetMs(); // ROSTER_CLOCK_OFFSET_MS
std::optional<int> smtpTimeoutMs();    // ROSTER_SMTP_TIMEOUT_MS, > 0
std::optional<int> busyTimeoutMs();    // ROSTER_BUSY_TIMEOUT_MS, >= 0
std::optional<int> imapMaxMessages();  // ROSTER_IMAP_MAX_MESSAGES, > 0: one session's cap

} // namespace roster::testhooks
