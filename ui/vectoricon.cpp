#include "ui/vectoricon.h"

#include <QApplication>
#include <QFile>
#include <QIconEngine>
#include <QPainter>
#include <QPainterPath>
#include <QPalette>
#include <QPixmap>
#include <QXmlStreamReader>

#include <cmath>

namespace roster {

namespace {

struct Shape
{
    QPainterPath path;
    bool filled = false;
    bool stroked = false;
    QColor fill;   // invalid: currentColor
    QColor stroke; // invalid: currentColor
    qreal strokeWidth = 1;
    Qt::PenCapStyle cap = Qt::FlatCap;
    Qt::PenJoinStyle join = Qt::MiterJoin;
};

struct Drawing
{
    QRectF viewBox{0, 0, 24, 24};
    QList<Shape> shapes;
};

class PathParser
{
public:
    explicit PathParser(const QString &d) : m_d(d) {}

    QPainterPath parse()
    {
        QChar cmd;
        while (skipSpace(), m_i < m_d.size()) {
            const QChar c = m_d.at(m_i);
            if (c.isLetter()) {
                cmd = c;
                ++m_i;
            } else if (cmd.isNull()) {
                break;
            }
            if (!step(cmd))
                break;
            // Numbers after M continue as L (SVG rule).
            if (cmd == u'M')
                cmd = u'L';
            else if (cmd == u'm')
                cmd = u'l';
        }
        return m_path;
    }

private:
    void skipSpace()
    {
        while (m_i < m_d.size() && (m_d.at(m_i).isSpace() || m_d.at(m_i) == u','))
            ++m_i;
    }

    bool number(qreal *out)
    {
        skipSpace();
        const qsizetype start = m_i;
        if (m_i < m_d.size() && (m_d.at(m_i) == u'-' || m_d.at(m_i) == u'+'))
            ++m_i;
        bool dot = false;
        while (m_i < m_d.size()) {
            const QChar c = m_d.at(m_i);
            if (c.isDigit()) {
                ++m_i;
            } else if (c == u'.' && !dot) {
                dot = true;
                ++m_i;
            } else if ((c == u'e' || c == u'E') && m_i > start) {
                ++m_i;
                if (m_i < m_d.size() && (m_d.at(m_i) == u'-' || m_d.at(m_i) == u'+'))
                    ++m_i;
            } else {
                break;
            }
        }
        bool ok = false;
        *out = m_d.mid(start, m_i - start).toDouble(&ok);
        return ok;
    }

    bool point(bool relative, QPointF *p)
    {
        qreal x = 0, y = 0;
        if (!number(&x) || !number(&y))
            return false;
        *p = relative ? m_cur + QPointF(x, y) : QPointF(x, y);
        return true;
    }

    // SVG's endpoint arc, converted to centre form (SVG 1.1 appendix F.6.5) and drawn in short
    // cubic pieces.
    void arc(qreal rx, qreal ry, qreal angleDeg, bool large, bool sweep, QPointF to)
    {
        const QPointF from = m_cur;
        if (rx == 0 || ry == 0 || from == to) {
            m_path.lineTo(to);
            return;
        }
        rx = std::abs(rx);
        ry = std::abs(ry);
        const qreal phi = qDegreesToRadians(angleDeg);
        const qreal cp = std::cos(phi), sp = std::sin(phi);
        const qreal dx = (from.x() - to.x()) / 2, dy = (from.y() - to.y()) / 2;
        const qreal x1 = cp * dx + sp * dy, y1 = -sp * dx + cp * dy;
        const qreal lambda = (x1 * x1) / (rx * rx) + (y1 * y1) / (ry * ry);
        if (lambda > 1) {
            rx *= std::sqrt(lambda);
            ry *= std::sqrt(lambda);
        }
        const qreal num = rx * rx * ry * ry - rx * rx * y1 * y1 - ry * ry * x1 * x1;
        const qreal den = rx * rx * y1 * y1 + ry * ry * x1 * x1;
        qreal coef = std::sqrt(std::max<qreal>(0, num / den));
        if (large == sweep)
            coef = -coef;
        const qreal cx1 = coef * rx * y1 / ry, cy1 = -coef * ry * x1 / rx;
        const qreal cx = cp * cx1 - sp * cy1 + (from.x() + to.x()) / 2;
        const qreal cy = sp * cx1 + cp * cy1 + (from.y() + to.y()) / 2;
        auto angle = [](qreal ux, qreal uy, qreal vx, qreal vy) {
            return std::atan2(ux * vy - uy * vx, ux * vx + uy * vy);
        };
        const qreal t1 = angle(1, 0, (x1 - cx1) / rx, (y1 - cy1) / ry);
        qreal dt = angle((x1 - cx1) / rx, (y1 - cy1) / ry, (-x1 - cx1) / rx, (-y1 - cy1) / ry);
        if (!sweep && dt > 0)
            dt -= 2 * M_PI;
        else if (sweep && dt < 0)
            dt += 2 * M_PI;
        const int segments = int(std::ceil(std::abs(dt) / (M_PI / 2)));
        const qreal delta = dt / segments;
        const qreal k = 4.0 / 3.0 * std::tan(delta / 4);
        qreal t = t1;
        for (int s = 0; s < segments; ++s) {
            const qreal t2 = t + delta;
            // Control points of the cubic for the unit arc, mapped through the ellipse transform.
            auto map = [&](qreal ux, qreal uy) {
                const qreal ex = rx * ux, ey = ry * uy;
                return QPointF(cp * ex - sp * ey + cx, sp * ex + cp * ey + cy);
            };
            const QPointF p1 = map(std::cos(t) - k * std::sin(t), std::sin(t) + k * std::cos(t));
            const QPointF p2 =
                map(std::cos(t2) + k * std::sin(t2), std::sin(t2) - k * std::cos(t2));
            const QPointF p3 = s == segments - 1 ? to : map(std::cos(t2), std::sin(t2));
            m_path.cubicTo(p1, p2, p3);
            t = t2;
        }
    }

    bool step(QChar cmd)
    {
        const bool rel = cmd.isLower();
        QPointF p, c1, c2;
        switch (cmd.toUpper().unicode()) {
        case u'M':
            if (!point(rel, &p))
                return false;
            m_path.moveTo(p);
            m_cur = m_start = p;
            return true;
        case u'L':
            if (!point(rel, &p))
                return false;
            m_path.lineTo(p);
            m_cur = p;
            return true;
        case u'H': {
            qreal x = 0;
            if (!number(&x))
                return false;
            m_cur.setX(rel ? m_cur.x() + x : x);
            m_path.lineTo(m_cur);
            return true;
        }
        case u'V': {
            qreal y = 0;
            if (!number(&y))
                return false;
            m_cur.setY(rel ? m_cur.y() + y : y);
            m_path.lineTo(m_cur);
            return true;
        }
        case u'C':
            if (!point(rel, &c1) || !point(rel, &c2) || !point(rel, &p))
                return false;
            m_path.cubicTo(c1, c2, p);
            m_cur = p;
            return true;
        case u'Q':
            if (!point(rel, &c1) || !point(rel, &p))
                return false;
            m_path.quadTo(c1, p);
            m_cur = p;
            return true;
        case u'A': {
            qreal rx = 0, ry = 0, rot = 0, large = 0, sweep = 0;
            if (!number(&rx) || !number(&ry) || !number(&rot) || !number(&large) ||
                !number(&sweep) || !point(rel, &p))
                return false;
            arc(rx, ry, rot, large != 0, sweep != 0, p);
            m_cur = p;
            return true;
        }
        case u'Z':
            m_path.closeSubpath();
            m_cur = m_start;
            // A command letter must follow.
            skipSpace();
            return m_i >= m_d.size() || m_d.at(m_i).isLetter();
        default:
            return false;
        }
    }

    QString m_d;
    qsizetype m_i = 0;
    QPointF m_cur, m_start;
    QPainterPath m_path;
};

QColor colour(const QString &value, bool *use, bool *current)
{
    *use = value != u"none";
    *current = value.isEmpty() || value == u"currentColor";
    return *current || !*use ? QColor() : QColor::fromString(value);
}

Drawing load(const QString &path)
{
    Drawing drawing;
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        return drawing;
    QXmlStreamReader xml(&f);
    while (!xml.atEnd()) {
        if (xml.readNext() != QXmlStreamReader::StartElement)
            continue;
        const auto a = xml.attributes();
        if (xml.name() == u"svg") {
            const QStringList vb =
                a.value(QLatin1String("viewBox")).toString().simplified().split(u' ');
            if (vb.size() == 4)
                drawing.viewBox =
                    QRectF(vb[0].toDouble(), vb[1].toDouble(), vb[2].toDouble(), vb[3].toDouble());
            continue;
        }
        Shape s;
        if (xml.name() == u"path") {
            s.path = PathParser(a.value(QLatin1String("d")).toString()).parse();
        } else if (xml.name() == u"circle") {
            const qreal r = a.value(QLatin1String("r")).toDouble();
            s.path.addEllipse(QPointF(a.value(QLatin1String("cx")).toDouble(),
                                      a.value(QLatin1String("cy")).toDouble()),
                              r, r);
        } else {
            continue;
        }
        bool current = false;
        const QString fill = a.hasAttribute(QLatin1String("fill"))
                                 ? a.value(QLatin1String("fill")).toString()
                                 : QString();
        s.fill = colour(fill, &s.filled, &current);
        const QString stroke = a.hasAttribute(QLatin1String("stroke"))
                                   ? a.value(QLatin1String("stroke")).toString()
                                   : QStringLiteral("none");
        s.stroke = colour(stroke, &s.stroked, &current);
        if (a.hasAttribute(QLatin1String("stroke-width")))
            s.strokeWidth = a.value(QLatin1String("stroke-width")).toDouble();
        if (a.value(QLatin1String("stroke-linecap")) == u"round")
            s.cap = Qt::RoundCap;
        if (a.value(QLatin1String("stroke-linejoin")) == u"round")
            s.join = Qt::RoundJoin;
        s.path.setFillRule(a.value(QLatin1String("fill-rule")) == u"evenodd" ? Qt::OddEvenFill
                                                                             : Qt::WindingFill);
        drawing.shapes.append(s);
    }
    return drawing;
}

class VectorIconEngine final : public QIconEngine
{
public:
    explicit VectorIconEngine(QString path) : m_path(std::move(path)), m_drawing(load(m_path)) {}

    void paint(QPainter *painter, const QRect &rect, QIcon::Mode mode, QIcon::State) override
    {
        const QPalette pal = QApplication::palette();
        QColor current =
            pal.color(mode == QIcon::Disabled ? QPalette::Disabled : QPalette::Active,
                      mode == QIcon::Selected ? QPalette::HighlightedText : QPalette::WindowText);
        painter->save();
        painter->setRenderHint(QPainter::Antialiasing);
        const QRectF vb = m_drawing.viewBox;
        const qreal scale = std::min(rect.width() / vb.width(), rect.height() / vb.height());
        painter->translate(rect.x() + (rect.width() - vb.width() * scale) / 2,
                           rect.y() + (rect.height() - vb.height() * scale) / 2);
        painter->scale(scale, scale);
        painter->translate(-vb.topLeft());
        for (const Shape &s : m_drawing.shapes) {
            QColor fill = s.fill.isValid() ? s.fill : current;
            QColor stroke = s.stroke.isValid() ? s.stroke : current;
            if (mode == QIcon::Disabled) {
                fill.setAlphaF(fill.alphaF() * 0.5f);
                stroke.setAlphaF(stroke.alphaF() * 0.5f);
            }
            painter->setPen(s.stroked ? QPen(stroke, s.strokeWidth, Qt::SolidLine, s.cap, s.join)
                                      : QPen(Qt::NoPen));
            painter->setBrush(s.filled ? QBrush(fill) : QBrush(Qt::NoBrush));
            painter->drawPath(s.path);
        }
        painter->restore();
    }

    QPixmap pixmap(const QSize &size, QIcon::Mode mode, QIcon::State state) override
    {
        return scaledPixmap(size, mode, state, 1.0);
    }

    QPixmap scaledPixmap(const QSize &size, QIcon::Mode mode, QIcon::State state,
                         qreal scale) override
    {
        QPixmap pm(size * scale);
        pm.fill(Qt::transparent);
        {
            QPainter p(&pm);
            paint(&p, QRect(QPoint(), pm.size()), mode, state);
        }
        pm.setDevicePixelRatio(scale);
        return pm;
    }

    QSize actualSize(const QSize &size, QIcon::Mode, QIcon::State) override { return size; }
    QIconEngine *clone() const override { return new VectorIconEngine(*this); }
    QString key() const override { return QStringLiteral("roster-vector"); }
    bool isNull() override { return m_drawing.shapes.isEmpty(); }

private:
    QString m_path;
    Drawing m_drawing;
};

} // namespace

QIcon vectorIcon(const QString &resourcePath)
{
    return QIcon(new VectorIconEngine(resourcePath));
}

} // namespace roster
