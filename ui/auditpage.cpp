#include "ui/auditpage.h"

#include "app/audit.h"

#include <QDateTime>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLocale>
#include <QPushButton>
#include <QTableWidget>
#include <QVBoxLayout>

namespace roster {

AuditPage::AuditPage(Database &db, QWidget *parent)
    : QWidget(parent), m_db(db), m_table(new QTableWidget(this))
{
    setObjectName(QStringLiteral("auditPage"));
    auto *title = new QLabel(tr("Audit log"), this);
    QFont tf = title->font();
    tf.setPointSizeF(tf.pointSizeF() * 1.4);
    tf.setBold(true);
    title->setFont(tf);
    auto *refreshButton = new QPushButton(tr("&Refresh"), this);
    connect(refreshButton, &QPushButton::clicked, this, &AuditPage::refresh);
    auto *head = new QHBoxLayout;
    head->addWidget(new QLabel(tr("The latest %1 changes, newest first.").arg(shownEntries), this));
    head->addStretch();
    head->addWidget(refreshButton);

    m_table->setColumnCount(5);
    m_table->setHorizontalHeaderLabels(
        {tr("When"), tr("Who"), tr("Action"), tr("User"), tr("Detail")});
    m_table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->setAlternatingRowColors(true);
    m_table->setWordWrap(false);
    m_table->verticalHeader()->hide();
    m_table->verticalHeader()->setSectionResizeMode(QHeaderView::Fixed);
    m_table->horizontalHeader()->setStretchLastSection(true);
    m_table->setColumnWidth(0, 160);
    m_table->setColumnWidth(1, 220);
    m_table->setColumnWidth(2, 170);
    m_table->setColumnWidth(3, 220);
    auto *layout = new QVBoxLayout(this);
    layout->addWidget(title);
    layout->addLayout(head);
    layout->addWidget(m_table, 1);
    refresh();
}

void AuditPage::refresh()
{
    auto entries = readAudit(m_db, shownEntries);
    m_table->setRowCount(0);
    if (!entries)
        return;
    m_table->setRowCount(int(entries->size()));
    int row = 0;
    for (const AuditEntry &e : entries.value()) {
        m_table->setItem(row, 0,
                         new QTableWidgetItem(QLocale().toString(
                             QDateTime::fromMSecsSinceEpoch(e.at), QLocale::ShortFormat)));
        m_table->setItem(row, 1, new QTableWidgetItem(e.actorEmail));
        m_table->setItem(row, 2, new QTableWidgetItem(e.action));
        m_table->setItem(row, 3, new QTableWidgetItem(e.targetEmail));
        m_table->setItem(row, 4, new QTableWidgetItem(e.detail));
        ++row;
    }
}

} // namespace roster
