#pragma once

#include "models/userrecord.h"

#include <QList>
#include <QStringList>

namespace roster::cli {

class AdminSession;
struct Invocation;
struct OptionSpec;

// --portal and --queue-only, shared by the user and invitation commands.
OptionSpec portalFlag();
OptionSpec queueOnlyFlag();

// --portal: the Customer Portal's users instead of the CRM's.
UserKind kindOf(const Invocation &in);

// Looks the emails up into *users: Done, or the code of the error it printed for the first
// unknown one.
int findUsers(AdminSession &session, const QStringList &emails, UserKind kind,
              QList<UserRecord> *users);
// Signs in as --as, then findUsers().
int signInAndFindUsers(AdminSession &session, const QStringList &emails, UserKind kind,
                       QList<UserRecord> *users);

} // namespace roster::cli
