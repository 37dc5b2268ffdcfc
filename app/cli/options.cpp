#include "app/cli/options.h"

#include "app/cli/output.h"

#include <QLocale>

namespace roster::cli {

namespace {

// Big bounds read better grouped ("10,000,000"); ports and minutes do not ("65535").
QString bound(qint64 n)
{
    return n >= 100'000 ? QLocale(QLocale::English).toString(n) : QString::number(n);
}

QString numberProblem(const OptionSpec &o)
{
    if (o.max >= std::numeric_limits<int>::max()) // bounded only by what a count can be
        return tr("--%1 takes a positive number.").arg(o.name);
    const QString low =
        o.minNote.isEmpty() ? bound(o.min) : QStringLiteral("%1 (%2)").arg(bound(o.min), o.minNote);
    return tr("--%1 takes a number from %2 to %3.").arg(o.name, low, bound(o.max));
}

// The value as the command sees it, or nothing and `*error` set.
std::optional<QString> checkValue(const OptionSpec &o, const QString &value, qint64 *number,
                                  QString *error)
{
    switch (o.kind) {
    case OptionSpec::Kind::Flag:
    case OptionSpec::Kind::Text:
        return value;
    case OptionSpec::Kind::Number: {
        bool ok = false;
        const qint64 n = value.toLongLong(&ok);
        if (!ok || n < o.min || n > o.max) {
            *error = numberProblem(o);
            return std::nullopt;
        }
        *number = n;
        return value;
    }
    case OptionSpec::Kind::Word: {
        const QString w = value.trimmed().toLower();
        if (o.words.contains(w) || o.aliases.contains(w))
            return w;
        *error = tr("Unknown %1 \"%2\": use %3.").arg(o.name, value, joinWords(o.words));
        return std::nullopt;
    }
    }
    return value;
}

OptionSpec option(const QString &name, OptionSpec::Kind kind, const QString &valueName,
                  const QString &help)
{
    OptionSpec o;
    o.name = name;
    o.kind = kind;
    o.valueName = valueName;
    o.help = help;
    return o;
}

} // namespace

OptionSpec OptionSpec::flag(const QString &name, const QString &help)
{
    return option(name, Kind::Flag, QString(), help);
}

OptionSpec OptionSpec::text(const QString &name, const QString &valueName, const QString &help)
{
    return option(name, Kind::Text, valueName, help);
}

OptionSpec OptionSpec::number(const QString &name, const QString &valueName, qint64 min, qint64 max,
                              const QString &help)
{
    OptionSpec o = option(name, Kind::Number, valueName, help);
    o.min = min;
    o.max = max;
    return o;
}

OptionSpec OptionSpec::word(const QString &name, const QStringList &words, const QString &help)
{
    OptionSpec o = option(name, Kind::Word, QString(), help);
    o.words = words;
    return o;
}

QString OptionSpec::synopsis() const
{
    switch (kind) {
    case Kind::Flag:
        return u"--" + name;
    case Kind::Word:
        if (valueName.isEmpty()) // many words: listed in the option's help instead
            return u"--" + name + u' ' + words.join(u'|');
        break;
    case Kind::Text:
    case Kind::Number:
        break;
    }
    return u"--" + name + u' ' + valueName;
}

QString joinWords(const QStringList &words)
{
    if (words.size() < 2)
        return words.join(QString());
    return tr("%1 or %2")
        .arg(words.mid(0, words.size() - 1).join(QStringLiteral(", ")), words.last());
}

std::optional<ParsedOptions> parseOptions(const QList<OptionSpec> &specs, const QStringList &argv,
                                          QString *error)
{
    ParsedOptions parsed;
    for (qsizetype i = 0; i < argv.size(); ++i) {
        const QString &arg = argv.at(i);
        if (arg == u"--") {
            parsed.positional += argv.mid(i + 1);
            break;
        }
        if (!arg.startsWith(u"--") || arg.size() == 2) {
            parsed.positional << arg;
            continue;
        }
        QString name = arg.mid(2);
        std::optional<QString> inlineValue;
        if (const qsizetype eq = name.indexOf(u'='); eq > 0) {
            inlineValue = name.mid(eq + 1);
            name = name.left(eq);
        }
        const auto spec = std::find_if(specs.cbegin(), specs.cend(),
                                       [&](const OptionSpec &o) { return o.name == name; });
        if (spec == specs.cend()) {
            *error = tr("Unknown option --%1.").arg(name);
            return std::nullopt;
        }
        QString value;
        if (spec->kind == OptionSpec::Kind::Flag) {
            if (inlineValue) {
                *error = tr("--%1 takes no value.").arg(name);
                return std::nullopt;
            }
        } else if (inlineValue) {
            value = *inlineValue;
        } else if (i + 1 < argv.size()) {
            value = argv.at(++i);
        } else {
            *error = tr("--%1 needs a value.").arg(name);
            return std::nullopt;
        }
        qint64 number = 0;
        auto checked = checkValue(*spec, value, &number, error);
        if (!checked)
            return std::nullopt;
        parsed.m_values.insert(name, *checked);
        if (spec->kind == OptionSpec::Kind::Number)
            parsed.m_numbers.insert(name, number);
    }
    return parsed;
}

QString missingRequired(const QString &command, const QList<OptionSpec> &specs,
                        const ParsedOptions &options)
{
    QStringList required;
    bool missing = false;
    for (const OptionSpec &o : specs) {
        if (!o.required)
            continue;
        required << u"--" + o.name;
        missing = missing || !options.has(o.name);
    }
    if (!missing)
        return {};
    return required.size() == 1
               ? tr("%1 needs %2.").arg(command, required.first())
               : tr("%1 needs %2 and %3.")
                     .arg(command, required.mid(0, required.size() - 1).join(QStringLiteral(", ")),
                          required.last());
}

} // namespace roster::cli
