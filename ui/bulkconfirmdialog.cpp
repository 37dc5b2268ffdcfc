#include "ui/bulkconfirmdialog.h"

#include <QDialogButtonBox>
#include <QLabel>
#include <QLocale>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QVBoxLayout>

#include <algorithm>

namespace roster {

namespace {
// Deactivated first, then those in their cooldown, then the confirmed.
int rank(const UserRecord &u)
{
    return !u.active ? 0 : u.confirmedAt ? 2 : 1;
}

QList<InvitationService::Skipped> byReason(QList<InvitationService::Skipped> skipped)
{
    std::stable_sort(skipped.begin(), skipped.end(),
                     [](const auto &a, const auto &b) { return rank(a.user) < rank(b.user); });
    return skipped;
}
} // namespace

QString BulkConfirmDialog::skipSummary(const QList<InvitationService::Skipped> &skipped)
{
    int confirmed = 0, deactivated = 0, cooling = 0;
    for (const auto &s : skipped)
        ++(!s.user.active ? deactivated : s.user.confirmedAt ? confirmed : cooling);
    QStringList why;
    if (deactivated)
        why << tr("%1 deactivated (activate them first)").arg(deactivated);
    if (cooling)
        why << tr("%1 invited moments ago (cooldown)").arg(cooling);
    if (confirmed)
        why << tr("%1 already confirmed").arg(confirmed);
    return why.join(QStringLiteral(" · "));
}

BulkConfirmDialog::BulkConfirmDialog(const InvitationService::Plan &plan, QWidget *parent)
    : QDialog(parent), m_eligible(plan.eligible.size())
{
    setObjectName(QStringLiteral("bulkConfirmDialog"));
    setWindowTitle(tr("Re-invite users"));
    auto *layout = new QVBoxLayout(this);
    const qsizetype n = m_eligible;
    auto *head =
        new QLabel(n == 0   ? tr("None of the selected users can be re-invited now.")
                   : n == 1 ? tr("1 user will get a new invitation; earlier links stop working.")
                            : tr("%1 users will get a new invitation; earlier links stop working.")
                                  .arg(QLocale().toString(qint64(n))),
                   this);
    head->setWordWrap(true);
    layout->addWidget(head);
    if (!plan.skipped.isEmpty()) {
        layout->addWidget(new QLabel(
            plan.skipped.size() == 1 ? tr("1 user will be skipped:")
                                     : tr("%1 users will be skipped:")
                                           .arg(QLocale().toString(qint64(plan.skipped.size()))),
            this));
        auto *list = new QPlainTextEdit(this);
        list->setObjectName(QStringLiteral("skippedList"));
        list->setReadOnly(true);
        auto *summary = new QLabel(skipSummary(plan.skipped), this);
        summary->setObjectName(QStringLiteral("skipSummary"));
        summary->setWordWrap(true);
        layout->addWidget(summary);
        const QList<InvitationService::Skipped> ordered = byReason(plan.skipped);
        QStringList lines;
        for (const auto &s : ordered.mid(0, 1000))
            lines << s.reason;
        if (plan.skipped.size() > 1000)
            lines << tr("… and %1 more").arg(plan.skipped.size() - 1000);
        list->setPlainText(lines.join(u'\n'));
        layout->addWidget(list);
    }
    auto *buttons = new QDialogButtonBox(this);
    if (n > 0) {
        auto *go =
            buttons->addButton(n == 1 ? tr("Re-invite 1 user")
                                      : tr("Re-invite %1 users").arg(QLocale().toString(qint64(n))),
                               QDialogButtonBox::AcceptRole);
        go->setDefault(true);
        buttons->addButton(QDialogButtonBox::Cancel);
    } else {
        buttons->addButton(QDialogButtonBox::Close);
    }
    connect(buttons, &QDialogButtonBox::accepted, this, &QDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    layout->addWidget(buttons);
    resize(520, plan.skipped.isEmpty() ? 140 : 360);
}

bool BulkConfirmDialog::ask(const InvitationService::Plan &plan, QWidget *parent)
{
    BulkConfirmDialog dialog(plan, parent);
    return dialog.exec() == QDialog::Accepted && !plan.eligible.isEmpty();
}

} // namespace roster
