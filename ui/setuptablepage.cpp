#include "ui/setuptablepage.h"

#include "ui/pagetitle.h"

#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QTableWidget>
#include <QVBoxLayout>

namespace roster {

SetupTablePage::SetupTablePage(Database &db, const QString &objectName, QWidget *parent)
    : QWidget(parent), m_db(db), m_table(new QTableWidget(this))
{
    setObjectName(objectName);
}

void SetupTablePage::build(const QString &title, QWidget *note, QWidget *action,
                           const QStringList &columns)
{
    QLabel *heading = makePageTitle(title, this);
    m_table->setColumnCount(int(columns.size()));
    m_table->setHorizontalHeaderLabels(columns);
    m_table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->verticalHeader()->hide();
    m_table->horizontalHeader()->setStretchLastSection(true);
    auto *layout = new QVBoxLayout(this);
    layout->addWidget(heading);
    if (action) {
        auto *head = new QHBoxLayout;
        head->addWidget(note);
        head->addStretch();
        head->addWidget(action);
        layout->addLayout(head);
    } else {
        layout->addWidget(note);
    }
    layout->addWidget(m_table, 1);
}

void SetupTablePage::refresh()
{
    const QList<QStringList> shown = rows();
    m_table->setRowCount(0);
    m_table->setRowCount(int(shown.size()));
    for (int row = 0; row < shown.size(); ++row)
        for (int column = 0; column < shown[row].size(); ++column)
            m_table->setItem(row, column, new QTableWidgetItem(shown[row][column]));
}

} // namespace roster
