// rosterctl's help, made from the table of commands: what --help prints is what the parser
// accepts.
#include "app/cli/command.h"
#include "app/cli/output.h"

namespace roster::cli {

namespace {

constexpr int width = 100;

// Lays `pieces` out after `first` on lines of at most `width` characters (a piece longer than
// a line gets its own), continuation lines indented by `indent` spaces.
QString wrap(const QString &first, const QStringList &pieces, int indent)
{
    QString text = first;
    qsizetype lineLength = first.size();
    bool lineHasContent = !first.trimmed().isEmpty();
    for (const QString &p : pieces) {
        if (lineHasContent && lineLength + 1 + p.size() > width) {
            text += u'\n' + QString(indent, u' ');
            lineLength = indent;
            lineHasContent = false;
        }
        if (!text.isEmpty() && !text.endsWith(u' ') && !text.endsWith(u'\n')) {
            text += u' ';
            ++lineLength;
        }
        text += p;
        lineLength += p.size();
        lineHasContent = true;
    }
    return text;
}

QStringList words(const QString &text)
{
    return text.split(u' ', Qt::SkipEmptyParts);
}

const QString usagePrefix()
{
    return QStringLiteral("Usage: rosterctl [--db PATH|URL] [--as EMAIL]");
}

QString exitCodes()
{
    return tr("Exit codes: 0 done; 1 some recipients deferred or failed; 2 usage; 3 refused by a "
              "rule or a\npermission; 4 not found; 5 database error; 6 mail configuration or "
              "connection error.\n");
}

QStringList synopsisPieces(const CommandSpec &c)
{
    QStringList pieces;
    if (!c.arguments.isEmpty())
        pieces << (c.minArguments == 0 ? u'[' + c.arguments + u']' : c.arguments);
    for (const OptionSpec &o : c.options)
        if (o.required)
            pieces << o.synopsis();
    for (const OptionSpec &o : c.options)
        if (!o.required)
            pieces << u'[' + o.synopsis() + u']';
    return pieces;
}

// "  user add --email E ...\n      Add a user, ...\n"
QString listEntry(const CommandSpec &c)
{
    return wrap(QStringLiteral("  ") + c.path(), synopsisPieces(c), 2 + int(c.path().size()) + 1) +
           u'\n' + wrap(QStringLiteral("      "), words(c.summary), 6) + u'\n';
}

} // namespace

QString CommandSpec::synopsis() const
{
    QStringList all{path()};
    all += synopsisPieces(*this);
    return all.join(u' ');
}

QString globalHelp()
{
    QString text = usagePrefix() + QStringLiteral(" COMMAND ...\n") +
                   QStringLiteral("       rosterctl COMMAND --help\n\n") +
                   tr("Manage a Roster organisation's users from scripts. ROSTER_DB and ROSTER_AS "
                      "are the defaults of\n--db and --as; acting commands read the password of "
                      "--as from ROSTER_PASSWORD, else from the\nfirst line of standard input.\n") +
                   u'\n' + tr("Commands:") + u'\n';
    for (const CommandSpec &c : commandTable())
        text += listEntry(c);
    text += u'\n' +
            tr("Commands that queue mail deliver it before they exit (unless --queue-only) and "
               "print, per\nrecipient: sent, deferred (with the reply) or failed.\n") +
            u'\n' + exitCodes();
    return text;
}

QString commandHelp(const CommandSpec &c)
{
    QString text = wrap(usagePrefix() + u' ' + c.path(), synopsisPieces(c), 8) +
                   QStringLiteral("\n\n") + wrap(QString(), words(c.summary), 0) + u'\n';
    if (!c.options.isEmpty()) {
        qsizetype column = 0;
        for (const OptionSpec &o : c.options)
            column = std::max(column, o.synopsis().size());
        column = std::min<qsizetype>(column, 30);
        text += u'\n' + tr("Options:") + u'\n';
        for (const OptionSpec &o : c.options) {
            QString help = o.help;
            if (o.kind == OptionSpec::Kind::Word && !o.valueName.isEmpty())
                help += QStringLiteral(": ") + joinWords(o.words);
            if (o.kind == OptionSpec::Kind::Number && o.max < std::numeric_limits<int>::max())
                help += u' ' + tr("(%1 to %2)").arg(o.min).arg(o.max);
            if (o.required)
                help += u' ' + tr("(required)");
            const QString name = QStringLiteral("  ") + o.synopsis();
            const QString first = name.size() > column + 2
                                      ? name + u'\n' + QString(column + 4, u' ')
                                      : name.leftJustified(column + 4);
            text += wrap(first, words(help), int(column) + 4) + u'\n';
        }
    }
    return text + u'\n' + exitCodes();
}

QString groupHelp(const QString &group)
{
    QString text = usagePrefix() + u' ' + group + QStringLiteral(" SUBCOMMAND ...\n\n");
    for (const CommandSpec &c : commandTable())
        if (c.group == group)
            text += listEntry(c);
    return text + u'\n' +
           tr("\"rosterctl %1 SUBCOMMAND --help\" tells more about one of them.").arg(group) +
           u'\n' + u'\n' + exitCodes();
}

} // namespace roster::cli
