#include "ui/profilespage.h"

#include "models/userrepository.h"

#include <QLabel>
#include <QTableWidget>

namespace roster {

ProfilesPage::ProfilesPage(Database &db, QWidget *parent)
    : SetupTablePage(db, QStringLiteral("profilesPage"), parent)
{
    auto *note =
        new QLabel(tr("What each profile may do. Profiles are read-only in this version."), this);
    build(tr("Profiles"), note, nullptr, {tr("Profile"), tr("Setup access"), tr("Manage users")});
    m_table->setColumnWidth(0, 220);
    m_table->setColumnWidth(1, 160);
    refresh();
}

QList<QStringList> ProfilesPage::rows() const
{
    QList<QStringList> out;
    if (auto profiles = UserRepository(m_db).profiles())
        for (const Profile &p : profiles.value())
            out.append({p.name, p.isAdmin ? tr("Everything") : tr("None"),
                        p.manageUsers ? tr("Yes") : tr("No")});
    return out;
}

} // namespace roster
