#pragma once

#include "app/userservice.h"

#include <QCoreApplication>
#include <QDialog>

namespace roster {

// What a bulk re-invite asks before it starts: how many users get a new invitation, and who is
// skipped and why, grouped by reason (deactivated first: thirty "already confirmed" must not hide
// the one deactivated). Its texts keep the Users page's translation context.
class BulkConfirmDialog final : public QDialog
{
    Q_DECLARE_TR_FUNCTIONS(roster::UsersPage)

public:
    explicit BulkConfirmDialog(const InvitationService::Plan &plan, QWidget *parent = nullptr);

    // Runs the dialog: true when the user confirmed and someone is eligible.
    static bool ask(const InvitationService::Plan &plan, QWidget *parent);
    // "1 deactivated (activate them first) · 2 already confirmed" (empty when nobody is skipped).
    static QString skipSummary(const QList<InvitationService::Skipped> &skipped);

private:
    qsizetype m_eligible = 0;
};

} // namespace roster
