#pragma once

#include <QIcon>
#include <QStyledItemDelegate>
#include <QTableView>

namespace roster {

class UsersTableView;

// Paints the status badge and, in the actions column, the gear of the hovered or selected row.
class UserRowDelegate final : public QStyledItemDelegate
{
    Q_OBJECT

public:
    explicit UserRowDelegate(UsersTableView *view);

    void paint(QPainter *painter, const QStyleOptionViewItem &option,
               const QModelIndex &index) const override;
    QSize sizeHint(const QStyleOptionViewItem &option, const QModelIndex &index) const override;

    // Whether the gear is drawn on this row right now (hovered, or selected and current).
    bool showsGear(int row) const;
    // The rectangle the gear occupies inside the actions cell `cell`.
    static QRect gearRect(const QRect &cell);
    // The text colour of a row whose invitation bounced: red, as light or dark as the palette's
    // own text, so it reads on light and dark themes alike.
    static QColor bouncedTextColor(const QPalette &palette);

private:
    void paintBadge(QPainter *painter, const QStyleOptionViewItem &option,
                    const QModelIndex &index) const;
    UsersTableView *m_view;
    QIcon m_gear;
};

// The users table: fixed row heights, the whole row as the hover target (QTableView only marks
// the hovered cell, so the row is tracked from entered() and cleared on the viewport's Leave),
// and one signal for the row menu whether it is asked for by the gear, right-click, the Menu key
// or Shift+F10.
class UsersTableView final : public QTableView
{
    Q_OBJECT

public:
    explicit UsersTableView(QWidget *parent = nullptr);

    int hoveredRow() const { return m_hoveredRow; }
    UserRowDelegate *rowDelegate() const { return m_delegate; }
    void setModel(QAbstractItemModel *model) override;
    // Typing in the table does not search it: QAbstractItemView's keyboard search reads rows
    // one by one (a million of them, on a long view). Ctrl+F goes to the search box instead.
    void keyboardSearch(const QString &search) override;

    // Column widths the user dragged, remembered per page and view (QSettings); the group is
    // e.g. "columns/usersPage". Widths are restored whenever the view's rows are reset.
    void setColumnSettingsGroup(const QString &group);
    QString columnSettingsKey() const;
    void restoreColumnWidths();
    void saveColumnWidths() const;

signals:
    void hoveredRowChanged(int row);
    // The menu for `row`, to pop up at `globalPos`.
    void rowMenuRequested(int row, const QPoint &globalPos);

protected:
    bool viewportEvent(QEvent *event) override;
    bool eventFilter(QObject *watched, QEvent *event) override;
    void mousePressEvent(QMouseEvent *event) override;
    void mouseReleaseEvent(QMouseEvent *event) override;
    void contextMenuEvent(QContextMenuEvent *event) override;
    void keyPressEvent(QKeyEvent *event) override;

private:
    void setHoveredRow(int row);
    void updateRow(int row);
    int actionsColumn() const;
    void requestMenuForCurrent();

    int m_hoveredRow = -1;
    int m_pressedActionsRow = -1;
    QString m_columnGroup;
    UserRowDelegate *m_delegate;
};

} // namespace roster
