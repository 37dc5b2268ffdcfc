#include "app/bouncerules.h"

#include "app/mail/emailaddress.h"
#include "models/userfilter.h"

#include <QCoreApplication>

namespace roster {

namespace {
QString tr(const char *s)
{
    return QCoreApplication::translate("UserService", s);
}
} // namespace

std::optional<QString> bounceWarning(const UserRecord &user)
{
    if (!user.lastInvitationBounced())
        return std::nullopt;
    const QString why = user.mailReply.trimmed();
    return why.isEmpty()
               ? QCoreApplication::translate("BounceRules",
                                             "The last invitation to this address bounced.")
               : QCoreApplication::translate("BounceRules",
                                             "The last invitation to this address bounced: %1")
                     .arg(why);
}

qsizetype countBounced(const InvitationService::Plan &plan)
{
    qsizetype n = 0;
    for (const UserRecord &u : plan.eligible)
        n += u.lastInvitationBounced() ? 1 : 0;
    return n;
}

qsizetype skipBounced(InvitationService::Plan &plan)
{
    QList<UserRecord> kept;
    qsizetype moved = 0;
    for (const UserRecord &u : std::as_const(plan.eligible)) {
        if (const auto warning = bounceWarning(u)) {
            plan.skipped.append({u, u.email + QStringLiteral(": ") + *warning});
            ++moved;
        } else {
            kept.append(u);
        }
    }
    plan.eligible = kept;
    return moved;
}

std::optional<Error> changeEmailRefusal(const ActorFacts &actor, const UserRecord &user)
{
    // A new address is an edit: a Manage Users profile that redirected an unconfirmed
    // administrator's invitation could accept it itself.
    if (auto refusal = editRefusal(actor, user))
        return refusal;
    if (!user.active)
        return makeError(ErrorKind::Refused,
                         tr("%1 is deactivated: activate the user first.").arg(user.email));
    if (user.confirmedAt)
        return makeError(ErrorKind::Refused,
                         tr("%1 has confirmed the invitation: a confirmed user's address is not "
                            "changed by a new invitation.")
                             .arg(user.email));
    return std::nullopt;
}

QString newEmailProblem(const UserRecord &user, const QString &email)
{
    const QString e = email.trimmed();
    if (const QString p = emailAddressProblem(e); !p.isEmpty())
        return p;
    if (userEmailKey(e) == userEmailKey(user.email))
        return tr("%1 is already this user's address.").arg(user.email);
    return {};
}

} // namespace roster
