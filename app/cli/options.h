#pragma once

#include <QHash>
#include <QList>
#include <QSet>
#include <QString>
#include <QStringList>

#include <limits>
#include <optional>

namespace roster::cli {

// One option of a command: its name (without "--"), its kind and what help says about it. The
// parser checks a value against its kind, so a command only reads values that are well formed.
struct OptionSpec
{
    enum class Kind {
        Flag,   // --portal: present or not, takes no value
        Text,   // --name N: any text (the command checks what it means)
        Number, // --port P: a whole number from min to max
        Word,   // --format table|json: one of a few words (case does not matter)
    };
    QString name;
    Kind kind = Kind::Flag;
    QString valueName; // E, N, ADDR… in help; Word options show their words unless given one
    QString help;      // one line for the command's help
    bool required = false;
    // Number
    qint64 min = 0;
    qint64 max = std::numeric_limits<qint64>::max();
    QString minNote; // said after the smallest number in the error, e.g. "off" for 0
    // Word
    QStringList words;   // listed in help and in the error
    QStringList aliases; // also accepted, never listed (older or longer spellings)

    static OptionSpec flag(const QString &name, const QString &help);
    static OptionSpec text(const QString &name, const QString &valueName, const QString &help);
    static OptionSpec number(const QString &name, const QString &valueName, qint64 min, qint64 max,
                             const QString &help);
    static OptionSpec word(const QString &name, const QStringList &words, const QString &help);
    OptionSpec &mandatory()
    {
        required = true;
        return *this;
    }
    OptionSpec &withAliases(const QStringList &a)
    {
        aliases = a;
        return *this;
    }
    OptionSpec &withValueName(const QString &v)
    {
        valueName = v;
        return *this;
    }
    OptionSpec &withMinNote(const QString &n)
    {
        minNote = n;
        return *this;
    }

    // "--name N", "--format table|json", "--portal"
    QString synopsis() const;
};

// What the parser read: positional arguments in order, and each option's last value.
class ParsedOptions
{
public:
    QStringList positional;

    bool has(const QString &name) const { return m_values.contains(name); }
    // The value of a Text or Word option (a Word option's value is the word as listed, in lower
    // case); an empty string when absent.
    QString text(const QString &name) const { return m_values.value(name); }
    // The value of a Number option, or `fallback` when absent.
    qint64 number(const QString &name, qint64 fallback = 0) const
    {
        return m_numbers.value(name, fallback);
    }

private:
    friend std::optional<ParsedOptions> parseOptions(const QList<OptionSpec> &, const QStringList &,
                                                     QString *);
    QHash<QString, QString> m_values; // flags hold an empty string
    QHash<QString, qint64> m_numbers;
};

// Reads `argv` (a command's arguments, after its name) against `specs`. "--opt value" and
// "--opt=value" both work; "--" ends the options (what follows is positional). On a mistake,
// returns nothing and sets `*error` to one line saying what is wrong. Required options are
// checked by the caller (it knows the command's name for the message: missingRequired()).
std::optional<ParsedOptions> parseOptions(const QList<OptionSpec> &specs, const QStringList &argv,
                                          QString *error);

// "user add needs --email and --name.", or an empty string when every required option is there.
QString missingRequired(const QString &command, const QList<OptionSpec> &specs,
                        const ParsedOptions &options);

// "a, b or c"
QString joinWords(const QStringList &words);

} // namespace roster::cli
