#pragma once

#include "ui/setuptablepage.h"

namespace roster {

// Setup › Users & Permissions › Profiles: read-only for now.
class ProfilesPage final : public SetupTablePage
{
    Q_OBJECT

public:
    explicit ProfilesPage(Database &db, QWidget *parent = nullptr);

private:
    QList<QStringList> rows() const override;
};

} // namespace roster
