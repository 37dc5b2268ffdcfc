#pragma once

#include "models/userrecord.h"

#include <QMenu>

namespace roster {

enum class UserAction {
    Reinvite,
    Activate,
    Deactivate,
    Edit,
    CopyEmail,
    CopyInviteLink,
    History,
    ChangeEmail
};

// What the row menu needs to know besides the user: the time, the cooldown, and who is acting.
struct UserMenuContext
{
    qint64 nowMs = 0;
    int cooldownMinutes = 5;
    qint64 actorId = 0;
    bool actorIsAdmin = false;
};

// The one row menu (STYLE.md rule 4), for the gear, right-click and the keyboard alike. Every
// entry is there for every user; one that does not apply is disabled and says why in its tooltip
// and status tip, in the words the service would refuse with. Each action carries its UserAction
// in data() and an object name (reinviteAction, activateAction or deactivateAction, editAction,
// copyEmailAction, copyInviteLinkAction, changeEmailAction, historyAction) so tests can inspect the
// menu without popping it up.
QMenu *createUserMenu(const UserRecord &user, const UserMenuContext &context,
                      QWidget *parent = nullptr);

} // namespace roster
