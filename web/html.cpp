#include "web/html.h"

#include "web/httpserver.h"

#include <QFile>

namespace roster::web {

namespace {
// Appends `text` to `out` with & < > " ' as character references: the runs between them are
// copied whole (a name or a token usually has none, and is one copy).
void appendEscaped(QString &out, QStringView text)
{
    qsizetype from = 0;
    for (qsizetype i = 0; i < text.size(); ++i) {
        QLatin1String reference;
        switch (text[i].unicode()) {
        case u'&':
            reference = QLatin1String("&amp;");
            break;
        case u'<':
            reference = QLatin1String("&lt;");
            break;
        case u'>':
            reference = QLatin1String("&gt;");
            break;
        case u'"':
            reference = QLatin1String("&quot;");
            break;
        case u'\'':
            reference = QLatin1String("&#39;");
            break;
        default:
            continue;
        }
        out.append(text.sliced(from, i - from));
        out.append(reference);
        from = i + 1;
    }
    out.append(text.sliced(from));
}
} // namespace

QString htmlEscape(QStringView text)
{
    QString out;
    out.reserve(text.size() + text.size() / 8);
    appendEscaped(out, text);
    return out;
}

struct Template::Node
{
    enum Kind { Literal, Value, Section } kind = Literal;
    QString text; // the literal, or the key
    std::vector<Node> children;
};

namespace {
using Node = Template::Node;

// Parses `source` from `pos` until {{/endKey}} (or the end); returns where it stopped.
qsizetype parseInto(const QString &source, qsizetype pos, const QString &endKey, Node &into)
{
    while (pos < source.size()) {
        const qsizetype open = source.indexOf(QLatin1String("{{"), pos);
        if (open < 0) {
            into.children.push_back({Node::Literal, source.mid(pos), {}});
            return source.size();
        }
        if (open > pos)
            into.children.push_back({Node::Literal, source.mid(pos, open - pos), {}});
        const qsizetype close = source.indexOf(QLatin1String("}}"), open + 2);
        if (close < 0) {
            into.children.push_back({Node::Literal, source.mid(open), {}});
            return source.size();
        }
        const QString tag = source.mid(open + 2, close - open - 2).trimmed();
        pos = close + 2;
        if (tag.startsWith(u'#')) {
            Node section{Node::Section, tag.mid(1), {}};
            pos = parseInto(source, pos, section.text, section);
            into.children.push_back(std::move(section));
        } else if (tag.startsWith(u'/')) {
            if (tag.mid(1) != endKey)
                qCWarning(lcWeb, "template: {{/%s}} closes {{#%s}}", qPrintable(tag.mid(1)),
                          qPrintable(endKey));
            return pos;
        } else {
            into.children.push_back({Node::Value, tag, {}});
        }
    }
    return pos;
}

void renderInto(const Node &node, const Fill &fill, QString &out)
{
    for (const Node &child : node.children) {
        switch (child.kind) {
        case Node::Literal:
            out += child.text;
            break;
        case Node::Value:
            if (auto t = fill.text.constFind(child.text); t != fill.text.cend())
                appendEscaped(out, *t);
            else if (auto h = fill.html.constFind(child.text); h != fill.html.cend())
                out += h->markup();
            break;
        case Node::Section:
            if (fill.show.contains(child.text))
                renderInto(child, fill, out);
            break;
        }
    }
}

QString readResource(const QString &path)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly)) {
        qCWarning(lcWeb, "template %s is missing", qPrintable(path));
        return {};
    }
    return QString::fromUtf8(f.readAll());
}
} // namespace

Template Template::parse(const QString &source)
{
    auto root = std::make_shared<Node>();
    parseInto(source, 0, QString(), *root);
    Template t;
    t.m_root = std::move(root);
    // Room for the literals and for what usually fills them: one allocation per render.
    t.m_sizeHint = source.size() + 1024;
    return t;
}

Template Template::fromResource(const QString &path)
{
    const QString source = readResource(path);
    return source.isNull() ? Template() : parse(source);
}

Html Template::verbatim(const QString &path)
{
    return Html(readResource(path));
}

Html Template::hole()
{
    return Html(holeMarkup());
}

const QString &Template::holeMarkup()
{
    static const QString markup = QStringLiteral("<roster-hole>");
    return markup;
}

Html Template::render(const Fill &fill) const
{
    QString out;
    out.reserve(m_sizeHint);
    if (m_root)
        renderInto(*m_root, fill, out);
    return Html(std::move(out));
}

} // namespace roster::web
