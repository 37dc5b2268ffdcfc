#include "ui/auditpage.h"

#include "app/audit.h"

#include <QDateTime>
#include <QHeaderView>
#include <QLabel>
#include <QLocale>
#include <QPushButton>
#include <QTableWidget>

namespace roster {

AuditPage::AuditPage(Database &db, QWidget *parent)
    : SetupTablePage(db, QStringLiteral("auditPage"), parent)
{
    auto *note = new QLabel(tr("The latest %1 changes, newest first.").arg(shownEntries), this);
    auto *refreshButton = new QPushButton(tr("&Refresh"), this);
    connect(refreshButton, &QPushButton::clicked, this, &AuditPage::refresh);
    build(tr("Audit log"), note, refreshButton,
          {tr("When"), tr("Who"), tr("Action"), tr("User"), tr("Detail")});
    m_table->setAlternatingRowColors(true);
    m_table->setWordWrap(false);
    m_table->verticalHeader()->setSectionResizeMode(QHeaderView::Fixed);
    m_table->setColumnWidth(0, 160);
    m_table->setColumnWidth(1, 220);
    m_table->setColumnWidth(2, 170);
    m_table->setColumnWidth(3, 220);
    refresh();
}

QList<QStringList> AuditPage::rows() const
{
    QList<QStringList> out;
    if (auto entries = readAudit(m_db, shownEntries))
        for (const AuditEntry &e : entries.value())
            out.append(
                {QLocale().toString(QDateTime::fromMSecsSinceEpoch(e.at), QLocale::ShortFormat),
                 e.actorEmail, e.action, e.targetEmail, e.detail});
    return out;
}

} // namespace roster
