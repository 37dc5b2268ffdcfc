#include "app/cli/adminsession.h"

#include "app/cli/command.h"
#include "app/cli/output.h"

namespace roster::cli {

AdminSession::AdminSession(const GlobalOptions &global)
    : m_location(global.database), m_actAs(global.actAs)
{}

int AdminSession::openDatabase(Database::OpenMode mode)
{
    if (m_location.isEmpty())
        return usage(tr("No database given: pass --db PATH or set ROSTER_DB."));
    auto r = Database::open(m_location, mode);
    if (!r)
        return fail(r.error());
    m_db = std::move(r).value();
    return Done;
}

int AdminSession::signIn()
{
    if (int rc = openDatabase(); rc != Done)
        return rc;
    if (m_actAs.isEmpty())
        return usage(tr("This command acts on users: pass --as EMAIL (or set ROSTER_AS) "
                        "to sign in as an administrator."));
    QString password = qEnvironmentVariable("ROSTER_PASSWORD");
    if (password.isEmpty()) {
        auto line = readStdinLine();
        if (!line || line->isEmpty())
            return usage(tr("No password for %1: set ROSTER_PASSWORD or give it on standard "
                            "input.")
                             .arg(m_actAs));
        password = *line;
    }
    AuthService auth(*m_db, m_clock);
    auto s = auth.signIn(m_actAs, password);
    if (!s)
        return fail(s.error());
    m_session = s.value();
    if (!m_session->notice.isEmpty())
        errorLine(m_session->notice); // stderr: for the one who signed in, not for the output
    return Done;
}

Result<MailAccess> AdminSession::mailAccess()
{
    auto settings = OrgSettings::load(*m_db);
    if (!settings)
        return settings.error();
    auto seal = Sealer::forDatabase(*m_db);
    if (!seal)
        return seal.error();
    return MailAccess{std::move(settings).value(), std::move(seal).value()};
}

} // namespace roster::cli
