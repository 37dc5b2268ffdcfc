#pragma once

#include "app/userservice.h"
#include "models/result.h"
#include "models/userrecord.h"

#include <QString>

#include <optional>

namespace roster {

// SPEC §9's rules that the console asks before it acts, written once here.

// What a re-invite of this user should say first because the last invitation bounced ("The last
// invitation to this address bounced: 550 5.1.1 User unknown"), or nothing.
std::optional<QString> bounceWarning(const UserRecord &user);

// A bulk re-invite's plan: the eligible users whose last invitation bounced.
qsizetype countBounced(const InvitationService::Plan &plan);
// Moves them to the skipped list, the warning as their reason; returns how many moved.
qsizetype skipBounced(InvitationService::Plan &plan);

// Why UserService::changeEmail would refuse `actor` this user whatever the new address (an
// administrator and the actor is not one, deactivated, confirmed), or nothing: the row menu greys
// out its entry with these words.
std::optional<Error> changeEmailRefusal(const ActorFacts &actor, const UserRecord &user);
// What is wrong with `email` as this user's new address, without the database (invalid, the
// same address); empty when nothing. changeEmail refuses with the same words; an address another
// user has is found there, in the transaction.
QString newEmailProblem(const UserRecord &user, const QString &email);

} // namespace roster
