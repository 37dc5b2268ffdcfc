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
// Users and their invitations are written a few hundred rows per INSERT statement, in one
// transaction: a failure leaves the organisation as it was. progress(done, total), which may be
// empty, counts the users generated; they become visible together at the end.
Status generateDemoData(Database &db, const Clock &clock, qint64 adminId,
                        const DemoOptions &options,
                        const std::function<void(qint64, qint64)> &progress = {});

} // namespace roster
