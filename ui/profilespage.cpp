#include "ui/profilespage.h"

#include "models/userrepository.h"

#include <QHeaderView>
#include <QLabel>
#include <QTableWidget>
#include <QVBoxLayout>

namespace roster {

ProfilesPage::ProfilesPage(Database &db, QWidget *parent)
    : QWidget(parent), m_db(db), m_table(new QTableWidget(this))
{
    setObjectName(QStringLiteral("profilesPage"));
    auto *title = new QLabel(tr("Profiles"), this);
    QFont tf = title->font();
    tf.setPointSizeF(tf.pointSizeF() * 1.4);
    tf.setBold(true);
    title->setFont(tf);
    auto *note =
        new QLabel(tr("What each profile may do. Profiles are read-only in this version."), this);
    m_table->setColumnCount(3);
    m_table->setHorizontalHeaderLabels({tr("Profile"), tr("Setup access"), tr("Manage users")});
    m_table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->verticalHeader()->hide();
    m_table->horizontalHeader()->setStretchLastSection(true);
    m_table->setColumnWidth(0, 220);
    m_table->setColumnWidth(1, 160);
    auto *layout = new QVBoxLayout(this);
    layout->addWidget(title);
    layout->addWidget(note);
    layout->addWidget(m_table, 1);
    refresh();
}

void ProfilesPage::refresh()
{
    auto profiles = UserRepository(m_db).profiles();
    m_table->setRowCount(0);
    if (!profiles)
        return;
    m_table->setRowCount(int(profiles->size()));
    int row = 0;
    for (const Profile &p : profiles.value()) {
        m_table->setItem(row, 0, new QTableWidgetItem(p.name));
        m_table->setItem(row, 1, new QTableWidgetItem(p.isAdmin ? tr("Everything") : tr("None")));
        m_table->setItem(row, 2, new QTableWidgetItem(p.manageUsers ? tr("Yes") : tr("No")));
        ++row;
    }
}

} // namespace roster
