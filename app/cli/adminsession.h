#pragma once

#include "app/authservice.h"
#include "app/clock.h"
#include "app/orgsettings.h"
#include "app/sealer.h"
#include "models/database.h"

#include <memory>
#include <optional>

namespace roster::cli {

struct GlobalOptions;

// What sending or reading mail needs: the organisation's settings and the sealer that opens the
// secrets in them.
struct MailAccess
{
    OrgSettings settings;
    Sealer sealer;
};

// The database of --db and, for acting commands, the user of --as signed in with the password
// from ROSTER_PASSWORD or standard input (SPEC §6). Each step returns an exit code: Done, or the
// code of the error it already printed.
class AdminSession
{
public:
    explicit AdminSession(const GlobalOptions &global);

    int openDatabase(Database::OpenMode mode = Database::OpenMode::MustExist);
    // Opens the database and signs in as --as.
    int signIn();

    Database &db() { return *m_db; }
    // What --db named (a path or a URL): another connection opens it again.
    const QString &location() const { return m_location; }
    Clock &clock() { return m_clock; }
    // Valid after signIn().
    qint64 userId() const { return m_session->userId; }
    bool isAdmin() const { return m_session->isAdmin; }

    Result<MailAccess> mailAccess();

private:
    QString m_location;
    QString m_actAs;
    Clock &m_clock = processClock();
    std::unique_ptr<Database> m_db;
    std::optional<Session> m_session;
};

} // namespace roster::cli
