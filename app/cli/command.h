#pragma once

#include "app/cli/options.h"
#include "models/result.h"

#include <QList>
#include <QString>

#include <functional>
#include <optional>

namespace roster {
class MailSettingsService;
struct MailServerInput;
} // namespace roster

namespace roster::cli {

// The global options, read before the command runs (SPEC §6: ROSTER_DB and ROSTER_AS are their
// defaults).
struct GlobalOptions
{
    QString database; // --db PATH|URL
    QString actAs;    // --as EMAIL
};

// What a command's function gets: the global options and its own, already checked against the
// command's table entry (known options, well-formed values, required ones, the positional count).
struct Invocation
{
    const GlobalOptions &global;
    const ParsedOptions &options;
    const QStringList &arguments() const { return options.positional; }
    bool has(const QString &name) const { return options.has(name); }
    QString text(const QString &name) const { return options.text(name); }
};

// One row of rosterctl's table of commands. Parsing, the usage errors and the help are all made
// from it, so a command's options and its help cannot disagree.
struct CommandSpec
{
    QString group;        // "user"; empty for a command of one word ("init")
    QString name;         // "add"
    QString arguments;    // positional arguments in help: "EMAIL...", "OLD NEW"
    int minArguments = 0; // the positional count the parser enforces
    int maxArguments = 0; // -1: no limit
    QString summary;      // what it does, for help: one or two sentences
    QList<OptionSpec> options;
    int (*run)(const Invocation &) = nullptr;

    QString path() const { return group.isEmpty() ? name : group + u' ' + name; }
    // "user add --email E --name N [--profile P] [--portal]"
    QString synopsis() const;
};

// The groups, one file each: setupcommands.cpp (init, demo), usercommands.cpp,
// invitationcommands.cpp, mailcommands.cpp, outboxcommands.cpp, bouncecommands.cpp.
QList<CommandSpec> setupCommands();
QList<CommandSpec> userCommands();
QList<CommandSpec> invitationCommands();
QList<CommandSpec> mailCommands();
QList<CommandSpec> outboxCommands();
QList<CommandSpec> bounceCommands();

// --host, --port, --security, --user, --ca-file, --allow-plain-auth of a mail server: SMTP for
// mail configure, IMAP for bounces configure (mailcommands.cpp).
QList<OptionSpec> serverOptions(const QString &protocol);
// Those options as MailSettingsService takes them (no password: read after signing in).
MailServerInput serverInput(const Invocation &in);
// mail configure and bounces configure: signs in, reads the server's password from standard
// input into *password when given, saves through `save` and prints `saved` (mailcommands.cpp).
int saveSettings(const Invocation &in, std::optional<QString> *password,
                 const std::function<Status(MailSettingsService &)> &save, const QString &saved);

// Every command, in the order help lists them.
const QList<CommandSpec> &commandTable();

// Help made from the table (help.cpp).
QString globalHelp();
// One command's help, or a group's ("rosterctl user --help"): its usage, its options, the codes.
QString commandHelp(const CommandSpec &command);
QString groupHelp(const QString &group);

} // namespace roster::cli
