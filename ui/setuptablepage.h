#pragma once

#include "models/database.h"

#include <QWidget>

class QTableWidget;

namespace roster {

// A Setup page that shows what it reads from the database in a read-only table, under a title
// and a line saying what the table holds; refresh() reads again.
class SetupTablePage : public QWidget
{
    Q_OBJECT

public slots:
    void refresh();

protected:
    SetupTablePage(Database &db, const QString &objectName, QWidget *parent);

    // Lays the page out: the title, `note` (with `action` at the right end of its line, if any),
    // the table with `columns`. Reads nothing yet: the subclass calls refresh() once built.
    void build(const QString &title, QWidget *note, QWidget *action, const QStringList &columns);
    // The rows to show, as their cells' texts; none when the read failed.
    virtual QList<QStringList> rows() const = 0;

    Database &m_db;
    QTableWidget *m_table;
};

} // namespace roster
