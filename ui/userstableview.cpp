#include "ui/userstableview.h"

#include "models/userstablemodel.h"
#include "ui/vectoricon.h"

#include <QApplication>
#include <QContextMenuEvent>
#include <QHeaderView>
#include <QKeyEvent>
#include <QPainter>
#include <QPainterPath>
#include <QSettings>
#include <QTimer>

#include <algorithm>

namespace roster {

namespace {
constexpr int gearSize = 16;

// Badge colours: a saturated hue for the dot, the same hue faint behind the text, and the
// palette's own text colour on top, so it reads on light and dark palettes alike.
QColor statusHue(UserStatus s)
{
    switch (s) {
    case UserStatus::Confirmed:
        return QColor(0x2e, 0x9d, 0x4f);
    case UserStatus::Pending:
        return QColor(0xd9, 0x8c, 0x00);
    case UserStatus::Expired:
        return QColor(0xd1, 0x3b, 0x3b);
    case UserStatus::Inactive:
        return QColor(0x80, 0x80, 0x88);
    }
    return {};
}
} // namespace

UserRowDelegate::UserRowDelegate(UsersTableView *view)
    : QStyledItemDelegate(view), m_view(view),
      m_gear(vectorIcon(QStringLiteral(":/icons/gear.svg")))
{}

bool UserRowDelegate::showsGear(int row) const
{
    if (row < 0)
        return false;
    if (m_view->hoveredRow() == row)
        return true;
    // The selected row the keyboard is on: its menu is one Menu key away. (Not every selected
    // row: forty gears in a column after Ctrl+A read as noise.)
    const auto *sel = m_view->selectionModel();
    return sel && sel->currentIndex().row() == row && sel->isRowSelected(row, QModelIndex());
}

QRect UserRowDelegate::gearRect(const QRect &cell)
{
    return QRect(cell.center().x() - gearSize / 2 + 1, cell.center().y() - gearSize / 2 + 1,
                 gearSize, gearSize);
}

QColor UserRowDelegate::bouncedTextColor(const QPalette &palette)
{
    const int text = palette.color(QPalette::Text).lightness();
    return QColor::fromHsl(0, 190, std::clamp(text, 95, 175));
}

QSize UserRowDelegate::sizeHint(const QStyleOptionViewItem &option, const QModelIndex &index) const
{
    // Never measured row by row (fixed heights); columns get a sensible default.
    QSize s = QStyledItemDelegate::sizeHint(option, index);
    if (index.column() == UsersTableModel::Actions)
        s.setWidth(32);
    return s;
}

void UserRowDelegate::paint(QPainter *painter, const QStyleOptionViewItem &option,
                            const QModelIndex &index) const
{
    QStyleOptionViewItem opt = option;
    const bool hovered = m_view->hoveredRow() == index.row();
    if (hovered && !(opt.state & QStyle::State_Selected)) {
        // The whole row reads as hovered, not just the cell under the pointer.
        QColor c = opt.palette.color(QPalette::Highlight);
        c.setAlpha(opt.palette.color(QPalette::Base).lightness() > 128 ? 28 : 60);
        painter->fillRect(opt.rect, c);
    }
    opt.state &= ~QStyle::State_MouseOver;
    if (index.data(UsersTableModel::BouncedRole).toBool()) {
        // SPEC §9: the whole row reads as bounced; the tooltip holds the diagnostic.
        const QColor red = bouncedTextColor(opt.palette);
        opt.palette.setColor(QPalette::Text, red);
        opt.palette.setColor(QPalette::WindowText, red);
    }

    if (index.column() == UsersTableModel::Status) {
        initStyleOption(&opt, index);
        opt.text.clear();
        QApplication::style()->drawControl(QStyle::CE_ItemViewItem, &opt, painter, m_view);
        paintBadge(painter, option, index);
        return;
    }
    if (index.column() == UsersTableModel::Actions) {
        initStyleOption(&opt, index);
        opt.text.clear();
        QApplication::style()->drawControl(QStyle::CE_ItemViewItem, &opt, painter, m_view);
        if (showsGear(index.row())) {
            const bool selected = option.state & QStyle::State_Selected;
            m_gear.paint(painter, gearRect(option.rect), Qt::AlignCenter,
                         selected ? QIcon::Selected : QIcon::Normal);
        }
        return;
    }
    QStyledItemDelegate::paint(painter, opt, index);
}

void UserRowDelegate::paintBadge(QPainter *painter, const QStyleOptionViewItem &option,
                                 const QModelIndex &index) const
{
    const QVariant st = index.data(UsersTableModel::StatusRole);
    QString text = index.data(Qt::DisplayRole).toString();
    if (!st.isValid() || text.isEmpty())
        return;
    const UserStatus status = UserStatus(st.toInt());
    const QColor hue = statusHue(status);
    const QFontMetrics fm(option.font);
    const int pad = 8, dot = 7, gap = 6;
    // A narrow column (the Unconfirmed view, which spells out the expiry beside it) gets the
    // one-word state rather than a cut-off sentence; the tooltip keeps the whole text.
    if (pad + dot + gap + fm.horizontalAdvance(text) + pad > option.rect.width() - 8) {
        switch (status) {
        case UserStatus::Confirmed:
            text = tr("Confirmed");
            break;
        case UserStatus::Pending:
            text = tr("Pending");
            break;
        case UserStatus::Expired:
            text = tr("Expired");
            break;
        case UserStatus::Inactive:
            text = tr("Inactive");
            break;
        }
        // The marker of a user who asked for a new invitation stays in the short form.
        if (index.data(UsersTableModel::RequestedRole).toBool())
            text = tr("%1 · asked").arg(text);
    }
    const int h = std::min(option.rect.height() - 8, fm.height() + 6);
    const int maxW = option.rect.width() - 8;
    const int w = std::min(maxW, pad + dot + gap + fm.horizontalAdvance(text) + pad);
    const QRect pill(option.rect.left() + 4, option.rect.center().y() - h / 2 + 1, w, h);

    painter->save();
    painter->setRenderHint(QPainter::Antialiasing);
    QColor fill = hue;
    fill.setAlpha(option.palette.color(QPalette::Base).lightness() > 128 ? 38 : 70);
    QColor edge = hue;
    edge.setAlpha(110);
    painter->setPen(QPen(edge, 1));
    painter->setBrush(fill);
    painter->drawRoundedRect(QRectF(pill).adjusted(0.5, 0.5, -0.5, -0.5), h / 2.0, h / 2.0);
    painter->setPen(Qt::NoPen);
    painter->setBrush(hue);
    painter->drawEllipse(QRectF(pill.left() + pad, pill.center().y() - dot / 2.0 + 0.5, dot, dot));
    const bool selected = option.state & QStyle::State_Selected;
    painter->setPen(option.palette.color(selected ? QPalette::HighlightedText : QPalette::Text));
    const QRect textRect = pill.adjusted(pad + dot + gap, 0, -pad + 2, 0);
    painter->drawText(textRect, Qt::AlignVCenter | Qt::AlignLeft,
                      fm.elidedText(text, Qt::ElideRight, textRect.width()));
    painter->restore();
}

UsersTableView::UsersTableView(QWidget *parent)
    : QTableView(parent), m_delegate(new UserRowDelegate(this))
{
    setItemDelegate(m_delegate);
    setMouseTracking(true);
    setSelectionBehavior(SelectRows);
    setSelectionMode(ExtendedSelection);
    setEditTriggers(NoEditTriggers);
    setShowGrid(false);
    setAlternatingRowColors(true);
    setWordWrap(false);
    // Emails keep their domain in sight when the column is narrow.
    setTextElideMode(Qt::ElideMiddle);
    setSortingEnabled(true);
    setContextMenuPolicy(Qt::DefaultContextMenu);
    setTabKeyNavigation(false);
    verticalHeader()->hide();
    // Fixed heights: a million rows cost nothing to lay out (never ResizeToContents).
    verticalHeader()->setSectionResizeMode(QHeaderView::Fixed);
    verticalHeader()->setDefaultSectionSize(fontMetrics().height() + 14);
    horizontalHeader()->setHighlightSections(false);
    horizontalHeader()->setDefaultAlignment(Qt::AlignLeft | Qt::AlignVCenter);
    horizontalHeader()->setSortIndicatorShown(true);
    connect(this, &QAbstractItemView::entered, this, [this](const QModelIndex &index) {
        setHoveredRow(index.isValid() ? index.row() : -1);
    });
    // A drag on a header edge ends with a release on the header; widths set by code (each
    // view's defaults) are not the user's and are not saved.
    horizontalHeader()->viewport()->installEventFilter(this);
}

void UsersTableView::keyboardSearch(const QString &search)
{
    Q_UNUSED(search);
}

void UsersTableView::setColumnSettingsGroup(const QString &group)
{
    m_columnGroup = group;
    restoreColumnWidths();
}

QString UsersTableView::columnSettingsKey() const
{
    const auto *m = qobject_cast<const UsersTableModel *>(model());
    if (m_columnGroup.isEmpty() || !m)
        return {};
    return m_columnGroup + u'/' + UserFilter::viewKey(m->filter().view);
}

void UsersTableView::saveColumnWidths() const
{
    const QString key = columnSettingsKey();
    if (key.isEmpty())
        return;
    QVariantList widths;
    for (int c = 0; c < horizontalHeader()->count(); ++c)
        widths.append(isColumnHidden(c) ? 0 : columnWidth(c));
    QSettings().setValue(key, widths);
}

void UsersTableView::restoreColumnWidths()
{
    const QString key = columnSettingsKey();
    if (key.isEmpty())
        return;
    const QVariantList widths = QSettings().value(key).toList();
    auto *header = horizontalHeader();
    for (int c = 0; c < std::min(int(widths.size()), header->count()); ++c) {
        const int w = widths.at(c).toInt();
        // Hidden columns and the stretched / fixed ones keep what the page gives them.
        if (w > 0 && !isColumnHidden(c) && header->sectionResizeMode(c) == QHeaderView::Interactive)
            setColumnWidth(c, std::max(w, header->minimumSectionSize()));
    }
}

bool UsersTableView::eventFilter(QObject *watched, QEvent *event)
{
    if (watched == horizontalHeader()->viewport() && (event->type() == QEvent::MouseButtonRelease ||
                                                      event->type() == QEvent::MouseButtonDblClick))
        QTimer::singleShot(0, this, [this] { saveColumnWidths(); });
    return QTableView::eventFilter(watched, event);
}

void UsersTableView::setModel(QAbstractItemModel *model)
{
    QTableView::setModel(model);
    if (model)
        connect(model, &QAbstractItemModel::modelReset, this, [this] {
            setHoveredRow(-1);
            // After the page has laid out the new view's columns (same event, later).
            QTimer::singleShot(0, this, [this] { restoreColumnWidths(); });
        });
    if (selectionModel())
        connect(selectionModel(), &QItemSelectionModel::selectionChanged, viewport(),
                qOverload<>(&QWidget::update));
}

int UsersTableView::actionsColumn() const
{
    return UsersTableModel::Actions;
}

void UsersTableView::updateRow(int row)
{
    if (row < 0 || !model())
        return;
    const QRect first = visualRect(model()->index(row, 0));
    viewport()->update(QRect(0, first.top(), viewport()->width(), first.height()));
}

void UsersTableView::setHoveredRow(int row)
{
    if (row == m_hoveredRow)
        return;
    const int old = m_hoveredRow;
    m_hoveredRow = row;
    updateRow(old);
    updateRow(row);
    emit hoveredRowChanged(row);
}

bool UsersTableView::viewportEvent(QEvent *event)
{
    switch (event->type()) {
    case QEvent::Leave:
        setHoveredRow(-1);
        break;
    case QEvent::MouseMove:
    case QEvent::HoverMove: {
        // entered() fires only when the cell changes; also catch moves into empty space.
        const auto *me = static_cast<QSinglePointEvent *>(event);
        const QModelIndex i = indexAt(me->position().toPoint());
        setHoveredRow(i.isValid() ? i.row() : -1);
        break;
    }
    default:
        break;
    }
    return QTableView::viewportEvent(event);
}

void UsersTableView::mousePressEvent(QMouseEvent *event)
{
    const QModelIndex i = indexAt(event->position().toPoint());
    m_pressedActionsRow = -1;
    if (event->button() == Qt::LeftButton && i.isValid() && i.column() == actionsColumn()) {
        m_pressedActionsRow = i.row();
        // A click on the gear acts on that row alone, like a click on the row.
        setCurrentIndex(model()->index(i.row(), 0));
        selectionModel()->select(i,
                                 QItemSelectionModel::ClearAndSelect | QItemSelectionModel::Rows);
        event->accept();
        return;
    }
    QTableView::mousePressEvent(event);
}

void UsersTableView::mouseReleaseEvent(QMouseEvent *event)
{
    const QModelIndex i = indexAt(event->position().toPoint());
    if (event->button() == Qt::LeftButton && m_pressedActionsRow >= 0 && i.isValid() &&
        i.row() == m_pressedActionsRow && i.column() == actionsColumn()) {
        m_pressedActionsRow = -1;
        const QRect cell = visualRect(i);
        emit rowMenuRequested(i.row(), viewport()->mapToGlobal(cell.bottomLeft()));
        event->accept();
        return;
    }
    m_pressedActionsRow = -1;
    QTableView::mouseReleaseEvent(event);
}

void UsersTableView::requestMenuForCurrent()
{
    QModelIndex i = currentIndex();
    if (!i.isValid())
        return;
    scrollTo(i);
    const QRect cell = visualRect(model()->index(i.row(), actionsColumn()));
    emit rowMenuRequested(
        i.row(),
        viewport()->mapToGlobal(cell.isValid() ? cell.bottomLeft() : visualRect(i).center()));
}

void UsersTableView::contextMenuEvent(QContextMenuEvent *event)
{
    if (event->reason() == QContextMenuEvent::Mouse) {
        const QModelIndex i = indexAt(viewport()->mapFromGlobal(event->globalPos()));
        if (!i.isValid())
            return;
        if (!selectionModel()->isRowSelected(i.row(), QModelIndex())) {
            setCurrentIndex(model()->index(i.row(), 0));
            selectionModel()->select(i, QItemSelectionModel::ClearAndSelect |
                                            QItemSelectionModel::Rows);
        }
        emit rowMenuRequested(i.row(), event->globalPos());
        event->accept();
        return;
    }
    requestMenuForCurrent();
    event->accept();
}

void UsersTableView::keyPressEvent(QKeyEvent *event)
{
    // Shift+F10 and the Menu key open the current row's menu. Both are handled here (and the
    // context menu event they would also produce is swallowed by accepting the key).
    // Delete and Backspace are bound to nothing: deactivating is in the row menu, with its
    // rules, never one stray key away.
    if (event->key() == Qt::Key_Delete || event->key() == Qt::Key_Backspace) {
        event->ignore();
        return;
    }
    if (event->key() == Qt::Key_Menu ||
        (event->key() == Qt::Key_F10 && event->modifiers() == Qt::ShiftModifier)) {
        requestMenuForCurrent();
        event->accept();
        return;
    }
    QTableView::keyPressEvent(event);
}

} // namespace roster
