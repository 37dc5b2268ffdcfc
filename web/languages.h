#pragma once

#include <QByteArrayView>
#include <QString>
#include <QStringList>

namespace roster::web {

// The page's language per request, from Accept-Language, through the console's translation
// files. Qt's translators are process-wide, so roster-web installs one translator that passes
// each lookup to the language of the request its thread is serving (LanguageScope); every tr()
// on that thread, the services' included, speaks that language.
namespace Languages {
// Loads roster_de and roster_fr and installs the dispatching translator (once, at start).
void install();
// "en", "de" or "fr": the first of those the header prefers (q-values respected), else "en".
QString choose(QByteArrayView acceptLanguage);
QStringList available();
// The language of the command line's own texts: the system's (LANGUAGE, LC_ALL, LC_MESSAGES,
// LANG, as rosterctl reads them), as one of available(), else "en".
QString ofSystem();
} // namespace Languages

class LanguageScope
{
public:
    explicit LanguageScope(const QString &language);
    ~LanguageScope();
    LanguageScope(const LanguageScope &) = delete;
    LanguageScope &operator=(const LanguageScope &) = delete;

private:
    const void *m_previous;
};

} // namespace roster::web
