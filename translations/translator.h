#pragma once

#include <QLocale>
#include <QTranslator>

class QCoreApplication;

namespace roster {

// Roster's own translations (the .qm files embedded under :/i18n) and Qt's (qtbase_xx.qm from
// the system, when qt6-translations-l10n is installed), for `roster` and `rosterctl` alike.
//
// Some code translates through a small helper with a fixed context (rosterctl's "rosterctl",
// app/'s "AuthService", ...) where lupdate, which cannot see through the helper, files the
// string under the enclosing namespace or class ("roster::cli", "roster::AuthService",
// "roster"). So a lookup that misses in its own context tries those spellings too.
class Translator final : public QTranslator
{
    Q_OBJECT

public:
    using QTranslator::QTranslator;

    QString translate(const char *context, const char *sourceText,
                      const char *disambiguation = nullptr, int n = -1) const override;
};

// Installs Roster's translation for `locale` (its uiLanguages(): LANGUAGE, LC_ALL, LC_MESSAGES,
// LANG on Unix) and Qt's own for the same language. Returns the language loaded ("de", "fr"),
// or an empty string when Roster speaks none of the locale's languages (English stays).
QString installTranslations(const QLocale &locale = QLocale::system());

// Loads an extra .qm file (tests: the pseudo-translation) through the same context fallback.
bool installTranslationFile(const QString &qmPath);

// Removes what the functions above installed.
void removeTranslations();

} // namespace roster
