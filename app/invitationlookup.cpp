#include "app/invitationlookup.h"

#include "app/tokens.h"
#include "models/sqlitestatement.h"

#include <QSqlError>
#include <QSqlQuery>

#include <sqlite3.h>

namespace roster {

InvitationState invitationState(const InvitationFacts &facts, qint64 nowMs)
{
    if (!facts.userActive)
        return InvitationState::Deactivated;
    if (facts.accepted || facts.userConfirmed)
        return InvitationState::Used;
    if (facts.revoked)
        return InvitationState::Superseded;
    if (facts.expiresAt <= nowMs)
        return InvitationState::Expired;
    return InvitationState::Valid;
}

Result<InvitationLookup> lookupInvitation(const Database &db, const Clock &clock,
                                          QByteArrayView token,
                                          std::optional<UserKind> expectedKind)
{
    return InvitationLookupStatement(db).run(clock, token, expectedKind);
}

namespace {
// Every way of running it reads this one statement, column for column.
const char lookupSql[] =
    "SELECT i.id, i.user_id, i.expires_at, i.accepted_at, i.revoked_at, u.active, u.kind, "
    "u.confirmed_at, u.email, u.name, i.requested_at FROM invitations i JOIN users u ON u.id = "
    "i.user_id WHERE i.token_hash = ?";

// lookupSql's row as QtSql returns it.
void readRow(const QSqlQuery &q, InvitationFacts &facts, InvitationLookup &out)
{
    out.invitationId = q.value(0).toLongLong();
    out.userId = q.value(1).toLongLong();
    facts.expiresAt = q.value(2).toLongLong();
    facts.accepted = !q.value(3).isNull();
    facts.revoked = !q.value(4).isNull();
    facts.userActive = q.value(5).toInt() != 0;
    out.kind = q.value(6).toString() == u"portal" ? UserKind::Portal : UserKind::Crm;
    facts.userConfirmed = !q.value(7).isNull();
    out.inviteeEmail = q.value(8).toString();
    out.inviteeName = q.value(9).toString();
    out.requested = !q.value(10).isNull();
}

// What was read, decided: Unknown for no row and for a link of the other kind of user.
InvitationLookup decide(InvitationLookup out, const InvitationFacts &facts, bool found,
                        std::optional<UserKind> expectedKind, qint64 nowMs)
{
    if (!found)
        return out;
    if (expectedKind && *expectedKind != out.kind)
        return InvitationLookup();
    out.expiresAt = facts.expiresAt;
    out.state = invitationState(facts, nowMs);
    return out;
}
} // namespace

Result<InvitationLookup> lockInvitation(Database &db, qint64 nowMs, const QString &tokenHash,
                                        std::optional<UserKind> expectedKind)
{
    QSqlQuery q = db.prepare(QString::fromLatin1(lookupSql) + db.forUpdate());
    q.addBindValue(tokenHash);
    if (Status s = db.exec(q); !s)
        return s.error();
    InvitationLookup out;
    out.tokenHash = tokenHash;
    InvitationFacts facts;
    const bool found = q.next();
    if (found)
        readRow(q, facts, out);
    q.finish();
    return decide(out, facts, found, expectedKind, nowMs);
}

InvitationLookupStatement::~InvitationLookupStatement()
{
    finalizeSqlite();
}

void InvitationLookupStatement::finalizeSqlite()
{
    if (m_sqliteStatement)
        sqlite3_finalize(m_sqliteStatement);
    m_sqliteStatement = nullptr;
}

bool InvitationLookupStatement::runSqlite(const QString &hash, InvitationFacts &facts,
                                          InvitationLookup &out, bool &found, Status &status)
{
    if (m_sqliteUnavailable || m_db.dialect() != Dialect::Sqlite)
        return false;
    const auto fail = [&](sqlite3 *handle, int rc) {
        status = m_db.errorFrom(QSqlError(
            QString(), QString::fromUtf8(handle ? sqlite3_errmsg(handle) : sqlite3_errstr(rc)),
            QSqlError::StatementError, QString::number(rc)));
        finalizeSqlite();
        return true;
    };
    if (!m_sqliteStatement) {
        sqlite3 *db = SqliteStatement::handleOf(m_db);
        if (!db) {
            m_sqliteUnavailable = true;
            return false;
        }
        const int rc = sqlite3_prepare_v3(db, lookupSql, -1, SQLITE_PREPARE_PERSISTENT,
                                          &m_sqliteStatement, nullptr);
        if (rc != SQLITE_OK)
            return fail(db, rc);
    }
    sqlite3_stmt *st = m_sqliteStatement;
    const QByteArray key = hash.toLatin1();
    sqlite3_bind_text(st, 1, key.constData(), int(key.size()), SQLITE_STATIC);
    const int rc = sqlite3_step(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
        sqlite3 *db = sqlite3_db_handle(st);
        sqlite3_reset(st);
        return fail(db, rc);
    }
    found = rc == SQLITE_ROW;
    if (found) {
        const auto text = [st](int column) {
            return QString::fromUtf8(
                reinterpret_cast<const char *>(sqlite3_column_text(st, column)),
                sqlite3_column_bytes(st, column));
        };
        out.invitationId = sqlite3_column_int64(st, 0);
        out.userId = sqlite3_column_int64(st, 1);
        facts.expiresAt = sqlite3_column_int64(st, 2);
        facts.accepted = sqlite3_column_type(st, 3) != SQLITE_NULL;
        facts.revoked = sqlite3_column_type(st, 4) != SQLITE_NULL;
        facts.userActive = sqlite3_column_int64(st, 5) != 0;
        out.kind = text(6) == u"portal" ? UserKind::Portal : UserKind::Crm;
        facts.userConfirmed = sqlite3_column_type(st, 7) != SQLITE_NULL;
        out.inviteeEmail = text(8);
        out.inviteeName = text(9);
        out.requested = sqlite3_column_type(st, 10) != SQLITE_NULL;
    }
    // Done with the row: the statement's read ends (it would hold back checkpoints between
    // requests); it stays prepared.
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    status = ok();
    return true;
}

Result<InvitationLookup> InvitationLookupStatement::run(const Clock &clock, QByteArrayView token,
                                                        std::optional<UserKind> expectedKind)
{
    InvitationLookup out;
    token = token.trimmed();
    if (!decodeToken(token))
        return out;
    const QString hash = tokenHash(token.toByteArray());
    out.tokenHash = hash;
    InvitationFacts facts;
    bool found = false;
    Status sqlite = ok();
    // A read: when it fails (a connection re-made since it was prepared, a lost one) it is
    // prepared and run once more.
    if (runSqlite(hash, facts, out, found, sqlite)) {
        if (!sqlite)
            runSqlite(hash, facts, out, found, sqlite); // prepared again
        if (!sqlite)
            return sqlite.error();
    } else {
        for (int attempt = 0;; ++attempt) {
            if (!m_prepared) {
                m_query = m_db.prepare(QString::fromLatin1(lookupSql));
                m_prepared = true;
            }
            m_query.bindValue(0, hash);
            Status s = m_db.exec(m_query);
            if (s)
                break;
            m_query = QSqlQuery();
            m_prepared = false;
            if (attempt > 0)
                return s.error();
        }
        found = m_query.next();
        if (found)
            readRow(m_query, facts, out);
        // Done with the row: SQLite ends the statement's read (it would hold back checkpoints
        // between requests), PostgreSQL's result is freed; the statement stays prepared.
        m_query.finish();
    }
    return decide(out, facts, found, expectedKind, clock.nowMs());
}

} // namespace roster
