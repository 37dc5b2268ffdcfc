#pragma once

#include "app/clock.h"
#include "models/database.h"

#include <functional>

namespace roster {

struct DemoOptions
{
    qint64 users = 200;      // CRM users besides the administrator
    qint64 portalUsers = -1; // -1: a tenth of users
    quint32 seed = 20261127; // same seed, same organisation
};

// Fills an organisation with realistic users in every state: ~10% unconfirmed (half of them
// expired), ~5% deactivated, a few administrators and user managers, names from many languages.
// Users are written in large transactions with one prepared statement each (a million in well
// under a minute). progress(done, total) may be empty.
Status generateDemoData(Database &db, const Clock &clock, qint64 adminId,
                        const DemoOptions &options,
                        const std::function<void(qint64, qint64)> &progress = {});

} // namespace roster
