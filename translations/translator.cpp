#include "translations/translator.h"

#include <QCoreApplication>
#include <QLibraryInfo>
#include <QList>

namespace roster {

namespace {
QList<QTranslator *> &installed()
{
    static QList<QTranslator *> list;
    return list;
}

// The environment variables GNU gettext reads; QLocale::system() honours LC_ALL, LC_MESSAGES
// and LANG, and LANGUAGE (a colon-separated preference list) is put first here.
QStringList preferredLanguages(const QLocale &locale)
{
    QStringList langs;
    if (locale == QLocale::system()) {
        const QString env = qEnvironmentVariable("LANGUAGE");
        for (const QString &l : env.split(u':', Qt::SkipEmptyParts))
            langs.append(QLocale(l).name());
    }
    for (const QString &l : locale.uiLanguages())
        langs.append(QLocale(l).name());
    return langs;
}
} // namespace

QString Translator::translate(const char *context, const char *sourceText,
                              const char *disambiguation, int n) const
{
    QString t = QTranslator::translate(context, sourceText, disambiguation, n);
    if (!t.isNull() || !context)
        return t;
    const QByteArray ctx(context);
    QList<QByteArray> aliases;
    if (ctx == "rosterctl")
        aliases = {"roster::cli", "roster::cli::Command", "roster::cli::AdminSession",
                   "roster::cli::Delivery"};
    else if (!ctx.contains("::"))
        aliases = {QByteArray("roster::" + ctx), "roster"};
    for (const QByteArray &alias : std::as_const(aliases)) {
        t = QTranslator::translate(alias.constData(), sourceText, disambiguation, n);
        if (!t.isNull())
            return t;
    }
    return t;
}

QString installTranslations(const QLocale &locale)
{
    removeTranslations();
    auto *own = new Translator(QCoreApplication::instance());
    QString language;
    for (const QString &name : preferredLanguages(locale)) {
        // English is the source language: a preference for it ends the search.
        if (name.startsWith(u"en") || name == u"C")
            break;
        if (own->load(QStringLiteral("roster_") + name, QStringLiteral(":/i18n")) ||
            own->load(QStringLiteral("roster_") + name.section(u'_', 0, 0),
                      QStringLiteral(":/i18n"))) {
            language = own->language().section(u'_', 0, 0);
            break;
        }
    }
    if (language.isEmpty()) {
        delete own;
        return {};
    }
    QCoreApplication::installTranslator(own);
    installed().append(own);
    // Qt's own strings (standard buttons, file dialogs, --help's "Displays this help."), in the
    // same language only, so that a dialog never mixes two of them.
    auto *qt = new QTranslator(QCoreApplication::instance());
    if (qt->load(QStringLiteral("qtbase_") + language,
                 QLibraryInfo::path(QLibraryInfo::TranslationsPath))) {
        QCoreApplication::installTranslator(qt);
        installed().append(qt);
    } else {
        delete qt;
    }
    return language;
}

bool installTranslationFile(const QString &qmPath)
{
    auto *t = new Translator(QCoreApplication::instance());
    if (!t->load(qmPath)) {
        delete t;
        return false;
    }
    QCoreApplication::installTranslator(t);
    installed().append(t);
    return true;
}

void removeTranslations()
{
    for (QTranslator *t : std::as_const(installed())) {
        QCoreApplication::removeTranslator(t);
        delete t;
    }
    installed().clear();
}

} // namespace roster
