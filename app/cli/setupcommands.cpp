// init and demo: commands that make a new database.
#include "app/cli/adminsession.h"
#include "app/cli/command.h"
#include "app/cli/output.h"

#include "app/demodata.h"
#include "app/mail/emailaddress.h"
#include "app/orgsettings.h"
#include "app/validation.h"

#include <QRandomGenerator>

namespace roster::cli {

namespace {

int init(const Invocation &in)
{
    const QString email = in.text(QStringLiteral("admin-email"));
    const QString name = in.text(QStringLiteral("admin-name"));
    if (const QString p = emailAddressProblem(email); !p.isEmpty())
        return usage(p);
    if (const QString p = userNameProblem(name); !p.isEmpty())
        return usage(p);
    const QString org = in.text(QStringLiteral("org"));
    if (const QString p = textFieldProblem(tr("The organisation name"), org, 200); !p.isEmpty())
        return usage(p);
    auto password = readStdinLine();
    if (!password || password->isEmpty())
        return usage(tr("No password for the administrator: give it on standard input."));
    AdminSession s(in.global);
    if (int rc = s.openDatabase(Database::OpenMode::CreateIfMissing); rc != Done)
        return rc;
    auto admin = AuthService::createFirstAdmin(s.db(), s.clock(), email, name, *password);
    if (!admin)
        return fail(admin.error());
    if (!org.isEmpty()) {
        auto settings = OrgSettings::load(s.db());
        if (!settings)
            return fail(settings.error());
        OrgSettings st = settings.value();
        st.organisation = org;
        if (Status r = st.save(s.db()); !r)
            return fail(r.error());
    }
    out() << tr("Created %1 with the administrator %2.").arg(s.db().displayName(), email)
          << Qt::endl;
    return Done;
}

QString randomPassword()
{
    const QString alphabet =
        QStringLiteral("abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789");
    QString password;
    for (int i = 0; i < 16; ++i)
        password += alphabet.at(QRandomGenerator::system()->bounded(int(alphabet.size())));
    return password;
}

int demo(const Invocation &in)
{
    DemoOptions options;
    if (in.has(QStringLiteral("users")))
        options.users = in.options.number(QStringLiteral("users"));
    if (in.has(QStringLiteral("portal-users")))
        options.portalUsers = in.options.number(QStringLiteral("portal-users"));
    if (in.has(QStringLiteral("seed")))
        options.seed = quint32(in.options.number(QStringLiteral("seed")));
    QString email = in.text(QStringLiteral("admin-email"));
    QString name = in.text(QStringLiteral("admin-name"));
    if (email.isEmpty() != name.isEmpty())
        return usage(tr("Give both --admin-email and --admin-name, or neither."));
    QString password;
    bool printPassword = false;
    if (email.isEmpty()) {
        email = QStringLiteral("admin@northwind.example");
        name = QStringLiteral("Ada Admin");
        password = randomPassword();
        printPassword = true;
    } else {
        if (const QString p = emailAddressProblem(email); !p.isEmpty())
            return usage(p);
        auto line = readStdinLine();
        if (!line || line->isEmpty())
            return usage(tr("No password for the administrator: give it on standard input."));
        password = *line;
    }
    AdminSession s(in.global);
    if (int rc = s.openDatabase(Database::OpenMode::CreateIfMissing); rc != Done)
        return rc;
    auto admin = AuthService::createFirstAdmin(s.db(), s.clock(), email, name, password);
    if (!admin)
        return fail(admin.error());
    auto settings = OrgSettings::load(s.db());
    if (!settings)
        return fail(settings.error());
    OrgSettings st = settings.value();
    st.organisation = QStringLiteral("Northwind Traders");
    st.senderAddress = QStringLiteral("invitations@northwind.example");
    st.senderName = QStringLiteral("Northwind Traders");
    if (Status r = st.save(s.db()); !r)
        return fail(r.error());
    if (Status r = generateDemoData(s.db(), s.clock(), admin->userId, options); !r)
        return fail(r.error());
    out() << tr("Created %1: %2 users and %3 portal users of Northwind Traders.")
                 .arg(s.db().displayName())
                 .arg(options.users)
                 .arg(options.portalUsers >= 0 ? options.portalUsers : options.users / 10)
          << Qt::endl;
    if (printPassword)
        out() << tr("Sign in as %1 with the password %2").arg(email, password) << Qt::endl;
    return Done;
}

} // namespace

QList<CommandSpec> setupCommands()
{
    using O = OptionSpec;
    return {
        {QString(),
         QStringLiteral("init"),
         QString(),
         0,
         0,
         tr("A new database and its first Administrator, whose password is read from standard "
            "input."),
         {O::text(QStringLiteral("admin-email"), QStringLiteral("E"),
                  tr("the administrator's email address"))
              .mandatory(),
          O::text(QStringLiteral("admin-name"), QStringLiteral("N"), tr("the administrator's name"))
              .mandatory(),
          O::text(QStringLiteral("org"), QStringLiteral("NAME"), tr("the organisation's name"))},
         init},
        {QString(),
         QStringLiteral("demo"),
         QString(),
         0,
         0,
         tr("A new database of demo data: about 10% of the users unconfirmed (half of them "
            "expired), about 5% deactivated, a few administrators. With --admin-email the "
            "administrator's password is read from standard input; without it, demo prints the "
            "one it made."),
         {O::number(QStringLiteral("users"), QStringLiteral("N"), 0, 10'000'000,
                    tr("how many CRM users (default 200)")),
          O::number(QStringLiteral("portal-users"), QStringLiteral("N"), 0, 10'000'000,
                    tr("how many portal users (default: a tenth of --users)")),
          O::number(QStringLiteral("seed"), QStringLiteral("N"), 0, 4'294'967'295,
                    tr("the seed of the random data, to make the same organisation again")),
          O::text(QStringLiteral("admin-email"), QStringLiteral("E"),
                  tr("the administrator's email address (with --admin-name)")),
          O::text(QStringLiteral("admin-name"), QStringLiteral("N"),
                  tr("the administrator's name (with --admin-email)"))},
         demo},
    };
}

} // namespace roster::cli
