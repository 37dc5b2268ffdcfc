#include "ui/vectoricon.h"

#include <QApplication>
#include <QFile>
#include <QFileInfo>
#include <QHash>
#include <QIconEngine>
#include <QPainter>
#include <QPalette>
#include <QPixmap>
#include <QSvgRenderer>

#include <memory>

namespace roster {

namespace {

// Renders the SVG with currentColor replaced by the palette's colour; one renderer per colour
// (an icon meets two or three: text, highlighted text, disabled text).
class SvgIconEngine final : public QIconEngine
{
public:
    explicit SvgIconEngine(const QString &path)
    {
        QFile f(path);
        if (f.open(QIODevice::ReadOnly))
            m_svg = f.readAll();
        m_plain = std::make_shared<QSvgRenderer>(m_svg);
    }

    void paint(QPainter *painter, const QRect &rect, QIcon::Mode mode, QIcon::State) override
    {
        const QPalette pal = QApplication::palette();
        const QColor current =
            pal.color(mode == QIcon::Disabled ? QPalette::Disabled : QPalette::Active,
                      mode == QIcon::Selected ? QPalette::HighlightedText : QPalette::WindowText);
        QSvgRenderer *renderer = rendererFor(current);
        if (!renderer->isValid())
            return;
        painter->save();
        painter->setRenderHint(QPainter::Antialiasing);
        if (mode == QIcon::Disabled)
            painter->setOpacity(painter->opacity() * 0.5);
        // Keep the aspect ratio, centred in the rectangle.
        const QSizeF box = renderer->viewBoxF().size();
        const qreal scale = std::min(rect.width() / box.width(), rect.height() / box.height());
        const QSizeF drawn = box * scale;
        renderer->render(painter, QRectF(rect.x() + (rect.width() - drawn.width()) / 2,
                                         rect.y() + (rect.height() - drawn.height()) / 2,
                                         drawn.width(), drawn.height()));
        painter->restore();
    }

    QPixmap pixmap(const QSize &size, QIcon::Mode mode, QIcon::State state) override
    {
        return scaledPixmap(size, mode, state, 1.0);
    }

    // QIcon passes the size in device pixels already (and sets the ratio on the result).
    QPixmap scaledPixmap(const QSize &size, QIcon::Mode mode, QIcon::State state,
                         qreal scale) override
    {
        Q_UNUSED(scale);
        QPixmap pm(size);
        pm.fill(Qt::transparent);
        {
            QPainter p(&pm);
            paint(&p, QRect(QPoint(), pm.size()), mode, state);
        }
        return pm;
    }

    QSize actualSize(const QSize &size, QIcon::Mode, QIcon::State) override { return size; }
    QIconEngine *clone() const override { return new SvgIconEngine(*this); }
    QString key() const override { return QStringLiteral("roster-svg"); }
    bool isNull() override { return !m_plain->isValid(); }

private:
    QSvgRenderer *rendererFor(const QColor &colour)
    {
        if (!m_svg.contains("currentColor"))
            return m_plain.get();
        auto &r = m_byColour[colour.rgba()];
        if (!r) {
            QByteArray svg = m_svg;
            svg.replace("currentColor", colour.name(QColor::HexRgb).toLatin1());
            r = std::make_shared<QSvgRenderer>(svg);
        }
        return r.get();
    }

    QByteArray m_svg;
    std::shared_ptr<QSvgRenderer> m_plain;
    QHash<QRgb, std::shared_ptr<QSvgRenderer>> m_byColour;
};

} // namespace

QString themeIconName(const QString &resourcePath)
{
    static const QHash<QString, QString> names = {
        {QStringLiteral("refresh"), QStringLiteral("view-refresh")},
        {QStringLiteral("search"), QStringLiteral("edit-find")},
        {QStringLiteral("plus"), QStringLiteral("list-add")},
        {QStringLiteral("mail"), QStringLiteral("mail-send")},
    };
    return names.value(QFileInfo(resourcePath).baseName());
}

QIcon vectorIcon(const QString &resourcePath)
{
    QIcon own(new SvgIconEngine(resourcePath));
    const QString theme = themeIconName(resourcePath);
    if (!theme.isEmpty() && QIcon::hasThemeIcon(theme))
        return QIcon::fromTheme(theme, own);
    return own;
}

} // namespace roster
