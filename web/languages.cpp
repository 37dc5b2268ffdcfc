#include "web/languages.h"

#include "translations/translator.h"

#include <QCoreApplication>
#include <QHash>
#include <QList>
#include <QLocale>

#include <algorithm>

namespace roster::web {

namespace {
thread_local const QTranslator *current = nullptr;

QHash<QString, const QTranslator *> &loaded()
{
    static QHash<QString, const QTranslator *> map;
    return map;
}

class ThreadTranslator final : public QTranslator
{
public:
    using QTranslator::QTranslator;
    QString translate(const char *context, const char *sourceText, const char *disambiguation,
                      int n) const override
    {
        return current ? current->translate(context, sourceText, disambiguation, n) : QString();
    }
    bool isEmpty() const override { return false; }
};
} // namespace

void Languages::install()
{
    for (const char *lang : {"de", "fr"}) {
        auto *t = new Translator(QCoreApplication::instance());
        if (t->load(QStringLiteral("roster_") + QLatin1String(lang), QStringLiteral(":/i18n")))
            loaded().insert(QLatin1String(lang), t);
        else
            delete t;
    }
    QCoreApplication::installTranslator(new ThreadTranslator(QCoreApplication::instance()));
}

QStringList Languages::available()
{
    QStringList out{QStringLiteral("en")};
    for (const QString &l : {QStringLiteral("de"), QStringLiteral("fr")})
        if (loaded().contains(l))
            out.append(l);
    return out;
}

namespace {
QString chooseFrom(QByteArrayView header);
} // namespace

QString Languages::choose(QByteArrayView header)
{
    // Most requests send no header, and a browser sends the same one every time: the last
    // answer is kept per thread.
    if (header.isEmpty())
        return QStringLiteral("en");
    thread_local QByteArray lastHeader;
    thread_local QString lastChoice;
    if (!lastChoice.isNull() && header == lastHeader)
        return lastChoice;
    lastChoice = chooseFrom(header);
    lastHeader = header.toByteArray();
    return lastChoice;
}

namespace {
QString chooseFrom(QByteArrayView header)
{
    // "fr-CH, fr;q=0.9, en;q=0.8, de;q=0.7, *;q=0.5"
    struct Choice
    {
        QString language;
        double q;
        qsizetype order;
    };
    QList<Choice> choices;
    const QList<QByteArray> parts = header.toByteArray().split(',');
    for (qsizetype i = 0; i < parts.size() && i < 32; ++i) {
        const QList<QByteArray> fields = parts[i].split(';');
        const QByteArray tag = fields.value(0).trimmed().toLower();
        double q = 1.0;
        for (qsizetype f = 1; f < fields.size(); ++f) {
            const QByteArray p = fields[f].trimmed();
            if (p.startsWith("q=")) {
                bool ok = false;
                q = p.mid(2).toDouble(&ok);
                if (!ok)
                    q = 0;
            }
        }
        const QString primary = QString::fromLatin1(tag.split('-').value(0));
        if (q > 0 && !primary.isEmpty())
            choices.append({primary, q, i});
    }
    std::stable_sort(choices.begin(), choices.end(),
                     [](const Choice &a, const Choice &b) { return a.q > b.q; });
    const QStringList have = Languages::available();
    for (const Choice &c : std::as_const(choices)) {
        if (have.contains(c.language))
            return c.language;
    }
    return QStringLiteral("en");
}

} // namespace

QString Languages::ofSystem()
{
    // As an Accept-Language list, most preferred first: LANGUAGE (colon-separated), then the
    // locale's own list. choose() keeps the order of equal q-values.
    QStringList preferred = qEnvironmentVariable("LANGUAGE").split(u':', Qt::SkipEmptyParts);
    preferred += QLocale::system().uiLanguages();
    QByteArray header;
    for (const QString &l : std::as_const(preferred)) {
        if (l == u"C" || l == u"POSIX")
            break;
        header += QString(l).replace(u'_', u'-').toLatin1() + ',';
    }
    return choose(header);
}

LanguageScope::LanguageScope(const QString &language) : m_previous(current)
{
    current = loaded().value(language, nullptr);
}

LanguageScope::~LanguageScope()
{
    current = static_cast<const QTranslator *>(m_previous);
}

} // namespace roster::web
