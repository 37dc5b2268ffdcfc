#pragma once

#include "app/clock.h"
#include "models/database.h"
#include "models/userrecord.h"

namespace roster {

// Who is acting: the administrator (or Manage Users profile) signed in to the console or rosterctl.
struct Session
{
    qint64 userId = 0;
    QString email;
    QString name;
    bool isAdmin = false;
    // For the signed-in user's eyes only, after a correct password: e.g. that the account was
    // locked by wrong passwords since the last sign-in. Empty when there is nothing to tell.
    QString notice = {};
};

class AuthService
{
public:
    static constexpr int maxFailures = 5;
    static constexpr qint64 lockoutMs = 15LL * 60 * 1000;

    AuthService(Database &db, const Clock &clock) : m_db(db), m_clock(clock) {}

    // SPEC §2.1: only an active, confirmed CRM user whose profile is Administrator or has Manage
    // Users gets a session. Wrong email and wrong password get the same message. After
    // maxFailures wrong passwords the account waits lockoutMs (audited).
    Result<Session> signIn(const QString &email, const QString &password);

    // The creator of a new organisation: the first Administrator, confirmed, with a password.
    static Result<Session> createFirstAdmin(Database &db, const Clock &clock, const QString &email,
                                            const QString &name, const QString &password);

    // Re-reads the actor and checks the permission: the service layer's own gate (rule 2.1),
    // so a demoted or deactivated administrator loses access at once.
    static Result<UserRecord> authorise(const Database &db, qint64 actorId);

private:
    Database &m_db;
    const Clock &m_clock;
};

} // namespace roster
