#pragma once

#include "app/clock.h"

#include <QList>
#include <QObject>

class QTableView;

namespace roster {

class Database;
class UsersTableModel;

// Other administrators' changes on the Users page (issue 5), without the page: what happens when
// the change notifier reports changed rows while a page of the table is cached.
// - Known rows are re-read in place (UsersTableModel::refreshUsers).
// - "Reload" (new users, bulk changes, SQLite) re-counts; only a changed count resets the model,
//   after which the scroll position and the selection of the rows on screen are put back.
// - A change that arrives while a view, sort or search is being read beside the table is applied
//   once its rows are on show: the read may have been made just before the change.
class UsersLiveMerge final : public QObject
{
    Q_OBJECT

public:
    UsersLiveMerge(Database &db, const Clock &clock, UsersTableModel *model, QTableView *view,
                   QObject *parent = nullptr);

    // The selected rows' users, in order, each once: by ranges, not by row (Ctrl+A on a long
    // view is one range of many thousand rows).
    static QList<qint64> selectedUserIds(const QTableView *view, const UsersTableModel *model);

public slots:
    // ChangeNotifier::usersChanged: these users changed; empty: "reload".
    void usersChanged(const QList<qint64> &ids);

signals:
    // A change was merged into the rows on show (the page updates its buttons).
    void merged();

private:
    void onLoadingChanged(bool loading);

    Database &m_db;
    const Clock &m_clock;
    UsersTableModel *m_model;
    QTableView *m_view;
    // Changes that arrived while rows were being read (applied after): these users, or with
    // m_allChangedWhileLoading whatever is on show and the count.
    bool m_allChangedWhileLoading = false;
    QList<qint64> m_idsChangedWhileLoading;
};

} // namespace roster
