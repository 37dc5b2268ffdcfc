#pragma once

#include <QString>

class QWidget;

namespace roster {

// What a re-invite asks first when the address is known to bounce (SPEC §9). The words come from
// the service layer (app/bouncerules.h); this only asks.
struct BounceQuestion
{
    QString text;          // "The last invitation to this address bounced: 550 5.1.1 …"
    qsizetype bounced = 0; // a bulk re-invite: how many of the selection bounced
    qsizetype total = 0;   // and of how many
    bool single = true;    // one user (offers the change of address) or a selection (the skip)
};

enum class BounceChoice {
    Cancel,
    ChangeEmail,    // one user: open Change email and re-invite instead
    ReinviteAnyway, // send to the same address(es)
    SkipBounced,    // a selection: re-invite the others only
};

// The question as a message box.
BounceChoice askAboutBounce(QWidget *parent, const BounceQuestion &question);

} // namespace roster
