#include "ui/userslivemerge.h"

#include "models/database.h"
#include "models/userrepository.h"
#include "models/userstablemodel.h"

#include <QItemSelectionModel>
#include <QScrollBar>
#include <QSet>
#include <QTableView>
#include <QTimer>

namespace roster {

UsersLiveMerge::UsersLiveMerge(Database &db, const Clock &clock, UsersTableModel *model,
                               QTableView *view, QObject *parent)
    : QObject(parent), m_db(db), m_clock(clock), m_model(model), m_view(view)
{
    connect(m_model, &UsersTableModel::loadingChanged, this, &UsersLiveMerge::onLoadingChanged);
}

QList<qint64> UsersLiveMerge::selectedUserIds(const QTableView *view, const UsersTableModel *model)
{
    QList<qint64> ids;
    const QItemSelection selection = view->selectionModel()->selection();
    for (const QItemSelectionRange &r : selection)
        ids += model->userIds(r.top(), r.bottom());
    // Ranges of a row selection may repeat rows (one range per column block).
    QSet<qint64> seen;
    QList<qint64> unique;
    unique.reserve(ids.size());
    for (qint64 id : std::as_const(ids))
        if (!seen.contains(id)) {
            seen.insert(id);
            unique.append(id);
        }
    return unique;
}

void UsersLiveMerge::usersChanged(const QList<qint64> &ids)
{
    if (m_model->isLoading()) {
        m_allChangedWhileLoading = m_allChangedWhileLoading || ids.isEmpty();
        m_idsChangedWhileLoading += ids;
        return;
    }
    const int first = std::max(0, m_view->rowAt(0));
    int last = m_view->rowAt(m_view->viewport()->height() - 1);
    last = last < 0 ? std::min(m_model->rowCount() - 1, first + 100) : last;
    QList<qint64> changed = ids;
    if (changed.isEmpty()) {
        UserFilter f = m_model->filter();
        f.nowMs = m_clock.nowMs();
        auto count = UserRepository(m_db).count(f);
        if (count && count.value() != qint64(m_model->rowCount())) {
            const QList<qint64> selected = selectedUserIds(m_view, m_model);
            const int scroll = m_view->verticalScrollBar()->value();
            m_model->reload();
            m_view->verticalScrollBar()->setValue(scroll);
            QItemSelection selection;
            for (int row = first; row <= std::min(last, m_model->rowCount() - 1); ++row)
                if (selected.contains(m_model->userAt(row).id))
                    selection.select(m_model->index(row, 0),
                                     m_model->index(row, UsersTableModel::ColumnCount - 1));
            m_view->selectionModel()->select(selection, QItemSelectionModel::ClearAndSelect);
            emit merged();
            return;
        }
        for (int row = first; row <= last; ++row)
            changed.append(m_model->userAt(row).id);
    }
    m_model->refreshUsers(changed);
    emit merged();
}

void UsersLiveMerge::onLoadingChanged(bool loading)
{
    if (loading || (!m_allChangedWhileLoading && m_idsChangedWhileLoading.isEmpty()))
        return;
    // Queued: this runs inside the model's filter change or load.
    QTimer::singleShot(0, this, [this] {
        const bool all = m_allChangedWhileLoading;
        if ((!all && m_idsChangedWhileLoading.isEmpty()) || m_model->isLoading())
            return;
        const QList<qint64> ids = all ? QList<qint64>() : m_idsChangedWhileLoading;
        m_allChangedWhileLoading = false;
        m_idsChangedWhileLoading.clear();
        usersChanged(ids);
    });
}

} // namespace roster
