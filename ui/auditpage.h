#pragma once

#include "models/database.h"

#include <QWidget>

class QTableWidget;

namespace roster {

// Setup › Audit log: the latest changes, newest first.
class AuditPage final : public QWidget
{
    Q_OBJECT

public:
    static constexpr int shownEntries = 500;
    explicit AuditPage(Database &db, QWidget *parent = nullptr);

public slots:
    void refresh();

private:
    Database &m_db;
    QTableWidget *m_table;
};

} // namespace roster
