// rosterctl's entry: the global options, help, and the table of commands that the group files
// fill (SPEC §6).
#include "app/cli/cli.h"

#include "app/cli/command.h"
#include "app/cli/output.h"

#include <QCoreApplication>

namespace roster::cli {

const QList<CommandSpec> &commandTable()
{
    static const QList<CommandSpec> table = [] {
        QList<CommandSpec> t = setupCommands();
        t += userCommands();
        t += invitationCommands();
        t += mailCommands();
        t += outboxCommands();
        t += bounceCommands();
        return t;
    }();
    return table;
}

namespace {

bool isGroup(const QString &word)
{
    for (const CommandSpec &c : commandTable())
        if (c.group == word)
            return true;
    return false;
}

const CommandSpec *findCommand(const QString &group, const QString &name)
{
    for (const CommandSpec &c : commandTable())
        if (c.group == group && c.name == name)
            return &c;
    return nullptr;
}

QStringList subcommands(const QString &group)
{
    QStringList names;
    for (const CommandSpec &c : commandTable())
        if (c.group == group)
            names << c.name;
    return names;
}

// --db and --as, before the command or after it; what is left is the command and its arguments.
// Returns Done, or the exit code of the mistake it printed.
int readGlobalOptions(const QStringList &arguments, GlobalOptions *global, QStringList *rest)
{
    for (qsizetype i = 0; i < arguments.size(); ++i) {
        const QString a = arguments.at(i);
        if (a == u"--db" || a == u"--as") {
            if (i + 1 >= arguments.size())
                return usage(tr("%1 needs a value.").arg(a));
            (a == u"--db" ? global->database : global->actAs) = arguments.at(++i);
        } else if (a.startsWith(u"--db=")) {
            global->database = a.mid(5);
        } else if (a.startsWith(u"--as=")) {
            global->actAs = a.mid(5);
        } else {
            *rest << a;
        }
    }
    return Done;
}

// Help for what `words` names: a command, a group, or (unknown) nothing.
int printHelpFor(const QStringList &words)
{
    const QString first = words.first();
    if (isGroup(first)) {
        const CommandSpec *c = words.size() > 1 ? findCommand(first, words.at(1)) : nullptr;
        out() << (c ? commandHelp(*c) : groupHelp(first));
        return Done;
    }
    if (const CommandSpec *c = findCommand(QString(), first)) {
        out() << commandHelp(*c);
        return Done;
    }
    return usage(tr("Unknown command \"%1\".").arg(first));
}

// "user activate needs at least one EMAIL.", "user history takes one EMAIL.", "user
// change-email takes OLD and NEW."
QString argumentCountProblem(const CommandSpec &c)
{
    QStringList names = c.arguments.split(u' ', Qt::SkipEmptyParts);
    if (c.maxArguments < 0) {
        QString last = names.last();
        last.remove(QStringLiteral("..."));
        return tr("%1 needs at least one %2.").arg(c.path(), last);
    }
    if (names.size() == 1)
        return tr("%1 takes one %2.").arg(c.path(), names.first());
    return tr("%1 takes %2 and %3.")
        .arg(c.path(), names.mid(0, names.size() - 1).join(QStringLiteral(", ")), names.last());
}

// Parses the command's arguments against its table row and runs it.
int runCommand(const CommandSpec &c, const GlobalOptions &global, const QStringList &argv)
{
    QString error;
    const auto options = parseOptions(c.options, argv, &error);
    if (!options)
        return usage(error);
    const auto count = options->positional.size();
    if (c.maxArguments == 0 && count > 0)
        return usage(tr("Unexpected argument \"%1\".").arg(options->positional.first()));
    if (count < c.minArguments || (c.maxArguments > 0 && count > c.maxArguments))
        return usage(argumentCountProblem(c));
    if (const QString missing = missingRequired(c.path(), c.options, *options); !missing.isEmpty())
        return usage(missing);
    return c.run(Invocation{global, *options});
}

} // namespace

int run(const QStringList &arguments)
{
    GlobalOptions global{qEnvironmentVariable("ROSTER_DB"), qEnvironmentVariable("ROSTER_AS")};
    QStringList rest;
    if (int rc = readGlobalOptions(arguments, &global, &rest); rc != Done)
        return rc;
    if (rest.isEmpty())
        return usage(tr("No command given."));
    if (rest.first() == u"--help" || rest.first() == u"-h" || rest.first() == u"help") {
        out() << globalHelp();
        return Done;
    }
    if (rest.contains(u"--help"_qs) || rest.contains(u"-h"_qs))
        return printHelpFor(rest);
    if (rest.first() == u"--version") {
        out() << "rosterctl " << QCoreApplication::applicationVersion() << Qt::endl;
        return Done;
    }
    const QString command = rest.takeFirst();
    if (const CommandSpec *c = findCommand(QString(), command))
        return runCommand(*c, global, rest);
    if (!isGroup(command))
        return usage(tr("Unknown command \"%1\".").arg(command));
    if (rest.isEmpty())
        return usage(
            tr("%1 needs a subcommand: %2.").arg(command, joinWords(subcommands(command))));
    const QString sub = rest.takeFirst();
    if (const CommandSpec *c = findCommand(command, sub))
        return runCommand(*c, global, rest);
    return usage(tr("Unknown %1 subcommand \"%2\".").arg(command, sub));
}

} // namespace roster::cli
