#pragma once

#include "app/clock.h"
#include "models/database.h"
#include "models/userrecord.h"

#include <QByteArrayView>
#include <QSqlQuery>
#include <QString>

#include <optional>

struct sqlite3_stmt;

namespace roster {

// What an invitation link is worth right now (SPEC §2.5, §8).
enum class InvitationState {
    Valid,
    Unknown,     // malformed, not in the database, or a link of the other kind of user
    Deactivated, // the user is deactivated, whatever else holds (SPEC §1)
    Used,        // accepted already (or the user confirmed through another invitation)
    Superseded,  // revoked: a newer invitation replaced it
    Expired,
};

// The stored facts the state is decided from.
struct InvitationFacts
{
    bool accepted = false;
    bool revoked = false;
    bool userActive = true;
    bool userConfirmed = false;
    qint64 expiresAt = 0;
};

// The rule, in one place: the accept page's GET asks it, and InvitationService::acceptInvitation
// asks it again inside its transaction, so the page never says "valid" for what acceptance refuses.
InvitationState invitationState(const InvitationFacts &facts, qint64 nowMs);

struct InvitationLookup
{
    InvitationState state = InvitationState::Unknown;
    // The rest only for a token the database knows:
    qint64 invitationId = 0;
    qint64 userId = 0;
    UserKind kind = UserKind::Crm;
    QString inviteeName;
    QString inviteeEmail;
    qint64 expiresAt = 0;
    bool requested = false; // a new invitation was already asked for through this one
    QString tokenHash;      // the token as stored (tokenHash()), for a well-formed token
};

// Looks a link's token up without consuming anything (mail scanners GET and HEAD every link).
// `expectedKind`: the kind of user the link's path serves; a token of the other kind is Unknown.
Result<InvitationLookup> lookupInvitation(const Database &db, const Clock &clock,
                                          QByteArrayView token,
                                          std::optional<UserKind> expectedKind = {});

// The same lookup by the token's hash, for a caller that acts on what it reads (acceptance, a
// request for a new invitation): the invitation's and its user's rows stay locked for the rest of
// the caller's open transaction.
Result<InvitationLookup> lockInvitation(Database &db, qint64 nowMs, const QString &tokenHash,
                                        std::optional<UserKind> expectedKind = {});

// The same lookup as a statement prepared once and run again and again: roster-web keeps one per
// worker thread (preparing it was a third of a GET's work). One thread only, like its Database.
class InvitationLookupStatement
{
public:
    explicit InvitationLookupStatement(const Database &db) : m_db(db) {}
    ~InvitationLookupStatement();
    InvitationLookupStatement(const InvitationLookupStatement &) = delete;
    InvitationLookupStatement &operator=(const InvitationLookupStatement &) = delete;
    Result<InvitationLookup> run(const Clock &clock, QByteArrayView token,
                                 std::optional<UserKind> expectedKind = {});

private:
    // SQLite: the same statement through SQLite's own API on the connection's handle (QtSql
    // describes every column again on every run: most of a GET's lookup). Returns false when the
    // handle is not SQLite's (then QtSql runs it).
    bool runSqlite(const QString &hash, InvitationFacts &facts, InvitationLookup &out, bool &found,
                   Status &status);
    void finalizeSqlite();

    const Database &m_db;
    QSqlQuery m_query; // prepared on first use, and again after a failure
    bool m_prepared = false;
    sqlite3_stmt *m_sqliteStatement = nullptr;
    bool m_sqliteUnavailable = false;
};

} // namespace roster
