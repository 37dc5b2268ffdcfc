#include "ui/usermenu.h"

#include "app/bouncerules.h"
#include "app/userservice.h"
#include "ui/vectoricon.h"

#include <QAction>
#include <QCoreApplication>

namespace roster {

namespace {
QString tr(const char *s)
{
    return QCoreApplication::translate("UserMenu", s);
}

QAction *add(QMenu *menu, const QString &text, UserAction what, const char *name,
             const QString &whyNot = {})
{
    QAction *a = menu->addAction(text);
    a->setData(int(what));
    a->setObjectName(QString::fromLatin1(name));
    if (!whyNot.isEmpty()) {
        a->setEnabled(false);
        a->setToolTip(whyNot);
        a->setStatusTip(whyNot);
    }
    return a;
}
} // namespace

QMenu *createUserMenu(const UserRecord &user, const UserMenuContext &ctx, QWidget *parent)
{
    auto *menu = new QMenu(parent);
    menu->setObjectName(QStringLiteral("userRowMenu"));
    menu->setToolTipsVisible(true);
    menu->setTitle(user.name);

    const auto refusal = reinviteRefusal(user, ctx.nowMs, ctx.cooldownMinutes);
    const QString whyNotInvite = refusal ? refusal->message : QString();
    QAction *reinvite =
        add(menu, tr("Re-invite"), UserAction::Reinvite, "reinviteAction", whyNotInvite);
    reinvite->setIcon(vectorIcon(QStringLiteral(":/icons/mail.svg")));
    if (whyNotInvite.isEmpty())
        reinvite->setStatusTip(
            tr("Send %1 a new invitation; earlier links stop working.").arg(user.email));

    // The services' own refusals, in their words: the menu only asks.
    const ActorFacts actor{ctx.actorId, ctx.actorIsAdmin};
    const auto whyNot = [](const std::optional<Error> &refusal) {
        return refusal ? refusal->message : QString();
    };
    if (user.active)
        add(menu, tr("Deactivate"), UserAction::Deactivate, "deactivateAction",
            whyNot(activeChangeRefusal(actor, user, false)));
    else
        add(menu, tr("Activate"), UserAction::Activate, "activateAction",
            whyNot(activeChangeRefusal(actor, user, true)));

    menu->addSeparator();
    add(menu, tr("Edit…"), UserAction::Edit, "editAction", whyNot(editRefusal(actor, user)));
    add(menu, tr("Copy email"), UserAction::CopyEmail, "copyEmailAction");
    QAction *link = add(menu, tr("Copy invite link"), UserAction::CopyInviteLink,
                        "copyInviteLinkAction", whyNotInvite);
    if (whyNotInvite.isEmpty())
        link->setStatusTip(tr("Make a new invitation and copy its link instead of mailing it."));
    QAction *change = add(menu, tr("Change email and re-invite…"), UserAction::ChangeEmail,
                          "changeEmailAction", whyNot(changeEmailRefusal(actor, user)));
    if (change->isEnabled())
        change->setStatusTip(
            tr("Give %1 a new address and send the invitation there; earlier links stop working.")
                .arg(user.name));
    menu->addSeparator();
    add(menu, tr("Invitation history…"), UserAction::History, "historyAction")
        ->setStatusTip(tr("Every invitation %1 was sent, with its mail's state.").arg(user.email));
    return menu;
}

} // namespace roster
