#pragma once

#include "models/userrecord.h"

#include <QList>
#include <QStringList>

#include <optional>

namespace roster::cli {

class AdminSession;
struct Invocation;
struct OptionSpec;

// --portal and --queue-only, shared by the user and invitation commands.
OptionSpec portalFlag();
OptionSpec queueOnlyFlag();

// --portal: the Customer Portal's users instead of the CRM's.
UserKind kindOf(const Invocation &in);

// Looks the emails up; on the first unknown one prints its error, sets *rc and returns nothing.
std::optional<QList<UserRecord>> resolveUsers(AdminSession &session, const QStringList &emails,
                                              UserKind kind, int *rc);

} // namespace roster::cli
