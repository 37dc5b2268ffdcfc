// rosterctl's option parser and its table of commands (issue 17): typed values, one error text
// per kind of mistake, and help and the man page that cannot fall behind the table.
#include "app/cli/command.h"
#include "app/cli/options.h"

#include <QFile>
#include <QRegularExpression>
#include <QTest>

using namespace roster::cli;

namespace {

QList<OptionSpec> specs()
{
    using O = OptionSpec;
    return {
        O::text(QStringLiteral("name"), QStringLiteral("N"), QStringLiteral("a name")),
        O::flag(QStringLiteral("portal"), QStringLiteral("a flag")),
        O::number(QStringLiteral("port"), QStringLiteral("P"), 1, 65535, QStringLiteral("p")),
        O::number(QStringLiteral("users"), QStringLiteral("N"), 0, 10'000'000, QStringLiteral("u")),
        O::number(QStringLiteral("days"), QStringLiteral("N"), 0, 6, QStringLiteral("d"))
            .withMinNote(QStringLiteral("off")),
        O::number(QStringLiteral("limit"), QStringLiteral("N"), 1, std::numeric_limits<int>::max(),
                  QStringLiteral("l")),
        O::word(QStringLiteral("format"),
                {QStringLiteral("table"), QStringLiteral("json"), QStringLiteral("csv")},
                QStringLiteral("f")),
        O::word(QStringLiteral("view"), {QStringLiteral("all"), QStringLiteral("admins")},
                QStringLiteral("v"))
            .withAliases({QStringLiteral("administrators")})};
}

std::optional<ParsedOptions> parse(const QStringList &argv, QString *error)
{
    return parseOptions(specs(), argv, error);
}

// The part of the man page (roff escapes and fonts removed) that documents `path`: every entry
// whose first line starts with it, up to the next entry.
QString manEntries(const QString &man, const QString &path)
{
    QString text;
    bool inside = false;
    for (QString line : man.split(u'\n')) {
        line.remove(QRegularExpression(QStringLiteral(R"(\\f[BIRP])")));
        line.replace(QStringLiteral("\\-"), QStringLiteral("-"));
        if (line.startsWith(u".TP") || line.startsWith(u".SS") || line.startsWith(u".SH"))
            inside = false;
        if (line.startsWith(QStringLiteral(".B ") + path + u' ') ||
            line == QStringLiteral(".B ") + path)
            inside = true;
        if (inside)
            text += line + u'\n';
    }
    return text;
}

} // namespace

class TestCliParser : public QObject
{
    Q_OBJECT
private slots:
    void typedValues()
    {
        QString error;
        auto p = parse({QStringLiteral("--name"), QStringLiteral("Ada Lovelace"),
                        QStringLiteral("--port=587"), QStringLiteral("--portal"),
                        QStringLiteral("--format"), QStringLiteral(" JSON "),
                        QStringLiteral("--view=Administrators"), QStringLiteral("first")},
                       &error);
        QVERIFY2(p, qPrintable(error));
        QCOMPARE(p->text(QStringLiteral("name")), QStringLiteral("Ada Lovelace"));
        QCOMPARE(p->number(QStringLiteral("port")), 587);
        QVERIFY(p->has(QStringLiteral("portal")));
        QVERIFY(!p->has(QStringLiteral("users")));
        QCOMPARE(p->number(QStringLiteral("users"), -1), -1);
        // A word comes back as listed, whatever its case and spaces; an alias as itself.
        QCOMPARE(p->text(QStringLiteral("format")), QStringLiteral("json"));
        QCOMPARE(p->text(QStringLiteral("view")), QStringLiteral("administrators"));
        QCOMPARE(p->positional, QStringList{QStringLiteral("first")});
        // A value may be empty, or look like an option when it follows one that takes a value.
        p = parse({QStringLiteral("--name="), QStringLiteral("--users"), QStringLiteral("0")},
                  &error);
        QVERIFY2(p, qPrintable(error));
        QVERIFY(p->has(QStringLiteral("name")));
        QCOMPARE(p->text(QStringLiteral("name")), QString());
        QCOMPARE(p->number(QStringLiteral("users"), -1), 0);
        p = parse({QStringLiteral("--name"), QStringLiteral("--portal")}, &error);
        QVERIFY2(p, qPrintable(error));
        QCOMPARE(p->text(QStringLiteral("name")), QStringLiteral("--portal"));
        QVERIFY(!p->has(QStringLiteral("portal")));
        // The last of a repeated option wins; the bounds themselves are in range.
        p = parse({QStringLiteral("--port"), QStringLiteral("1"), QStringLiteral("--port"),
                   QStringLiteral("65535")},
                  &error);
        QVERIFY2(p, qPrintable(error));
        QCOMPARE(p->number(QStringLiteral("port")), 65535);
    }

    void doubleDashEndsOptions()
    {
        QString error;
        auto p = parse({QStringLiteral("a"), QStringLiteral("--"), QStringLiteral("--portal"),
                        QStringLiteral("--colour=red"), QStringLiteral("-x")},
                       &error);
        QVERIFY2(p, qPrintable(error));
        QVERIFY(!p->has(QStringLiteral("portal")));
        QCOMPARE(p->positional,
                 (QStringList{QStringLiteral("a"), QStringLiteral("--portal"),
                              QStringLiteral("--colour=red"), QStringLiteral("-x")}));
        // A single dash is no option: it is an argument.
        p = parse({QStringLiteral("-h")}, &error);
        QVERIFY2(p, qPrintable(error));
        QCOMPARE(p->positional, QStringList{QStringLiteral("-h")});
    }

    void errors_data()
    {
        QTest::addColumn<QStringList>("argv");
        QTest::addColumn<QString>("error");
        const auto S = [](const char *s) { return QString::fromUtf8(s); };
        QTest::newRow("unknown option")
            << QStringList{S("--colour")} << S("Unknown option --colour.");
        QTest::newRow("unknown option with value")
            << QStringList{S("--colour=red")} << S("Unknown option --colour.");
        QTest::newRow("missing value") << QStringList{S("--name")} << S("--name needs a value.");
        QTest::newRow("missing number")
            << QStringList{S("--portal"), S("--port")} << S("--port needs a value.");
        QTest::newRow("flag with value")
            << QStringList{S("--portal=yes")} << S("--portal takes no value.");
        QTest::newRow("not a number")
            << QStringList{S("--port"), S("smtp")} << S("--port takes a number from 1 to 65535.");
        QTest::newRow("below range")
            << QStringList{S("--port=0")} << S("--port takes a number from 1 to 65535.");
        QTest::newRow("above range")
            << QStringList{S("--port=65536")} << S("--port takes a number from 1 to 65535.");
        QTest::newRow("big range grouped") << QStringList{S("--users"), S("-1")}
                                           << S("--users takes a number from 0 to 10,000,000.");
        QTest::newRow("range with a note")
            << QStringList{S("--days"), S("7")} << S("--days takes a number from 0 (off) to 6.");
        QTest::newRow("open range")
            << QStringList{S("--limit"), S("0")} << S("--limit takes a positive number.");
        QTest::newRow("number with junk")
            << QStringList{S("--limit"), S("12abc")} << S("--limit takes a positive number.");
        QTest::newRow("unknown word") << QStringList{S("--format"), S("xml")}
                                      << S("Unknown format \"xml\": use table, json or csv.");
        QTest::newRow("aliases are not listed")
            << QStringList{S("--view=sleepy")} << S("Unknown view \"sleepy\": use all or admins.");
        QTest::newRow("first mistake wins") << QStringList{S("--port=x"), S("--colour")}
                                            << S("--port takes a number from 1 to 65535.");
    }
    void errors()
    {
        QFETCH(QStringList, argv);
        QFETCH(QString, error);
        QString got;
        QVERIFY(!parse(argv, &got));
        QCOMPARE(got, error);
    }

    void requiredOptions()
    {
        using O = OptionSpec;
        const QList<OptionSpec> one{
            O::text(QStringLiteral("to"), QStringLiteral("ADDR"), {}).mandatory()};
        const QList<OptionSpec> two{
            O::text(QStringLiteral("email"), QStringLiteral("E"), {}).mandatory(),
            O::flag(QStringLiteral("portal"), {}),
            O::text(QStringLiteral("name"), QStringLiteral("N"), {}).mandatory()};
        QString error;
        auto none = parseOptions(two, {}, &error);
        QVERIFY(none);
        QCOMPARE(missingRequired(QStringLiteral("mail test"), one, *none),
                 QStringLiteral("mail test needs --to."));
        QCOMPARE(missingRequired(QStringLiteral("user add"), two, *none),
                 QStringLiteral("user add needs --email and --name."));
        auto half = parseOptions(two, {QStringLiteral("--name=N")}, &error);
        QVERIFY(half);
        QCOMPARE(missingRequired(QStringLiteral("user add"), two, *half),
                 QStringLiteral("user add needs --email and --name."));
        auto all =
            parseOptions(two, {QStringLiteral("--name=N"), QStringLiteral("--email=e")}, &error);
        QVERIFY(all);
        QCOMPARE(missingRequired(QStringLiteral("user add"), two, *all), QString());
    }

    void joinsWords()
    {
        QCOMPARE(joinWords({}), QString());
        QCOMPARE(joinWords({QStringLiteral("a")}), QStringLiteral("a"));
        QCOMPARE(joinWords({QStringLiteral("a"), QStringLiteral("b"), QStringLiteral("c")}),
                 QStringLiteral("a, b or c"));
    }

    // Help is made from the table: every command and each of its options is in the global help
    // and in the command's own; the command's help fits a terminal.
    void helpFollowsTheTable()
    {
        const QString global = globalHelp();
        QSet<QString> paths;
        for (const CommandSpec &c : commandTable()) {
            QVERIFY2(!paths.contains(c.path()), qPrintable(c.path()));
            paths.insert(c.path());
            QVERIFY2(c.run, qPrintable(c.path()));
            QVERIFY2(!c.summary.isEmpty(), qPrintable(c.path()));
            QVERIFY2(global.contains(QStringLiteral("  ") + c.path()), qPrintable(c.path()));
            const QString own = commandHelp(c);
            for (const OptionSpec &o : c.options) {
                QVERIFY2(!o.help.isEmpty(), qPrintable(c.path() + u" --" + o.name));
                QVERIFY2(global.contains(o.synopsis()), qPrintable(c.path() + u" --" + o.name));
                QVERIFY2(own.contains(QStringLiteral("\n  ") + o.synopsis()),
                         qPrintable(c.path() + u" --" + o.name));
            }
            for (const QString &line : own.split(u'\n'))
                QVERIFY2(line.size() <= 100, qPrintable(line));
        }
        for (const QString &line : global.split(u'\n'))
            QVERIFY2(line.size() <= 100, qPrintable(line));
        QVERIFY(global.contains(QStringLiteral("Exit codes")));
    }

    // packaging/man/rosterctl.1 documents every command of the table and, in that command's
    // entries, each of its options.
    void manPageFollowsTheTable()
    {
        QFile f(qEnvironmentVariable("ROSTER_SOURCE_DIR") +
                QStringLiteral("/packaging/man/rosterctl.1"));
        QVERIFY2(f.open(QIODevice::ReadOnly), qPrintable(f.fileName()));
        const QString man = QString::fromUtf8(f.readAll());
        QStringList missing;
        for (const CommandSpec &c : commandTable()) {
            const QString entries = manEntries(man, c.path());
            if (entries.isEmpty()) {
                missing << c.path();
                continue;
            }
            for (const OptionSpec &o : c.options)
                if (!entries.contains(QRegularExpression(
                        QStringLiteral("--%1([^a-z-]|$)").arg(QRegularExpression::escape(o.name)),
                        QRegularExpression::MultilineOption)))
                    missing << c.path() + u" --" + o.name;
        }
        QVERIFY2(missing.isEmpty(), qPrintable(missing.join(QStringLiteral(", "))));
    }
};

QTEST_GUILESS_MAIN(TestCliParser)
#include "tst_cliparser.moc"
