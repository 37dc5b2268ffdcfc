#pragma once

#include "models/database.h"

#include <QWidget>

class QTableWidget;

namespace roster {

// Setup › Users & Permissions › Profiles: read-only for now.
class ProfilesPage final : public QWidget
{
    Q_OBJECT

public:
    explicit ProfilesPage(Database &db, QWidget *parent = nullptr);

public slots:
    void refresh();

private:
    Database &m_db;
    QTableWidget *m_table;
};

} // namespace roster
