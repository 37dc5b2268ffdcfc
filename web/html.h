#pragma once

#include <QHash>
#include <QSet>
#include <QString>
#include <QStringView>

#include <memory>
#include <vector>

namespace roster::web {

// The one function that makes text safe inside HTML, in element content and in quoted
// attribute values alike: & < > " ' are written as character references.
QString htmlEscape(QStringView text);

// Markup that came out of a template: the only kind of text put into a page unescaped.
class Html
{
public:
    Html() = default;
    const QString &markup() const { return m_markup; }

private:
    friend class Template;
    explicit Html(QString markup) : m_markup(std::move(markup)) {}
    QString m_markup;
};

// What fills a template: texts (escaped on the way in), fragments (other templates' output) and
// the sections to show.
struct Fill
{
    QHash<QString, QString> text;
    QHash<QString, Html> html;
    QSet<QString> show;

    Fill &set(const QString &key, const QString &value)
    {
        text.insert(key, value);
        return *this;
    }
    Fill &put(const QString &key, const Html &value)
    {
        html.insert(key, value);
        return *this;
    }
    Fill &section(const QString &key, bool shown = true)
    {
        if (shown)
            show.insert(key);
        return *this;
    }
};

// A page template from resources/web/: {{name}} is replaced by a text (through htmlEscape) or a
// fragment, {{#name}}…{{/name}} is kept only when the section is shown. Parsed once at start.
class Template
{
public:
    Template() = default;
    static Template parse(const QString &source);
    static Template fromResource(const QString &path); // empty when it is missing
    // A file shown as it is (the stylesheet): no placeholders.
    static Html verbatim(const QString &path);
    // A place left open in a rendered page, to be filled after rendering with a value that needs
    // no escaping (the form's CSRF value, new per request, in a page otherwise cached). Its markup
    // starts with '<', which no escaped text contains: only the template can put it there.
    static Html hole();
    static const QString &holeMarkup();

    Html render(const Fill &fill) const;
    bool isNull() const { return !m_root; }

    struct Node;

private:
    std::shared_ptr<const Node> m_root;
    qsizetype m_sizeHint = 0;
};

} // namespace roster::web
