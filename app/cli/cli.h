#pragma once

#include <QStringList>

namespace roster::cli {

// Exit codes: a stable contract (SPEC §6).
enum Exit {
    Done = 0,
    Undelivered = 1, // some recipients deferred or failed
    Usage = 2,
    Refused = 3,
    NotFound = 4,
    DatabaseError = 5,
    MailError = 6,
};

// Runs rosterctl with `arguments` (without the program name).
int run(const QStringList &arguments);

} // namespace roster::cli
