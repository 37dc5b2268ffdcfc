#include "models/migrations.h"

namespace roster {

namespace {

// Schema 1. Timestamps are milliseconds since the epoch (BIGINT) and flags are INTEGER 0/1, so the
// same statements and bound values serve SQLite and PostgreSQL. %ID% is the dialect's key column.
// users carries a summary of its latest invitation (invited_at … mail_state) so that the list, its
// views and its sort orders are single-table index scans at a million rows.
const char *const schema1[] = {
    R"(CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL))",
    R"(CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL))",
    R"(CREATE TABLE profiles (
        id %ID%,
        name TEXT NOT NULL UNIQUE,
        is_admin INTEGER NOT NULL DEFAULT 0,
        manage_users INTEGER NOT NULL DEFAULT 0,
        builtin INTEGER NOT NULL DEFAULT 0))",
    R"(INSERT INTO profiles (name, is_admin, manage_users, builtin) VALUES ('Administrator', 1, 1, 1))",
    R"(INSERT INTO profiles (name, is_admin, manage_users, builtin) VALUES ('Standard', 0, 0, 1))",
    R"(INSERT INTO profiles (name, is_admin, manage_users, builtin) VALUES ('User Manager', 0, 1, 1))",
    R"(CREATE TABLE users (
        id %ID%,
        kind TEXT NOT NULL CHECK (kind IN ('crm', 'portal')),
        email TEXT NOT NULL,
        email_key TEXT NOT NULL,
        name TEXT NOT NULL,
        name_key TEXT NOT NULL,
        profile_id BIGINT REFERENCES profiles (id),
        account TEXT NOT NULL DEFAULT '',
        active INTEGER NOT NULL DEFAULT 1,
        confirmed_at BIGINT,
        created_at BIGINT NOT NULL,
        created_by BIGINT REFERENCES users (id),
        updated_at BIGINT NOT NULL,
        password_hash TEXT,
        failed_logins INTEGER NOT NULL DEFAULT 0,
        locked_until BIGINT,
        invited_at BIGINT,
        invite_expires_at BIGINT,
        invite_count INTEGER NOT NULL DEFAULT 0,
        last_invited_by TEXT,
        mail_state TEXT,
        mail_reply TEXT,
        last_outbox_id BIGINT,
        UNIQUE (kind, email_key)))",
    R"(CREATE INDEX users_by_name ON users (kind, name_key, id))",
    R"(CREATE INDEX users_by_email ON users (kind, email_key, id))",
    R"(CREATE INDEX users_by_invited ON users (kind, invited_at%NF%, id))",
    R"(CREATE INDEX users_unconfirmed ON users (kind, invited_at%NF%, id)
        WHERE confirmed_at IS NULL AND active = 1)",
    R"(CREATE INDEX users_unconfirmed_by_name ON users (kind, name_key, id)
        WHERE confirmed_at IS NULL AND active = 1)",
    R"(CREATE INDEX users_inactive ON users (kind, name_key, id) WHERE active = 0)",
    R"(CREATE INDEX users_mail_failed ON users (kind, invited_at, id) WHERE mail_state = 'failed')",
    R"(CREATE TABLE invitations (
        id %ID%,
        user_id BIGINT NOT NULL REFERENCES users (id),
        token_hash TEXT NOT NULL UNIQUE,
        created_at BIGINT NOT NULL,
        expires_at BIGINT NOT NULL,
        created_by BIGINT REFERENCES users (id),
        created_by_name TEXT NOT NULL DEFAULT '',
        accepted_at BIGINT,
        revoked_at BIGINT,
        outbox_id BIGINT))",
    R"(CREATE INDEX invitations_open ON invitations (user_id) WHERE accepted_at IS NULL AND revoked_at IS NULL)",
    R"(CREATE INDEX invitations_by_user ON invitations (user_id, created_at))",
    R"(CREATE TABLE outbox (
        id %ID%,
        kind TEXT NOT NULL,
        user_id BIGINT REFERENCES users (id),
        invitation_id BIGINT REFERENCES invitations (id),
        recipient TEXT NOT NULL,
        message_id TEXT NOT NULL UNIQUE,
        payload TEXT NOT NULL,
        sealed_token TEXT,
        state TEXT NOT NULL CHECK (state IN ('queued', 'sending', 'sent', 'deferred', 'failed', 'cancelled')),
        attempts INTEGER NOT NULL DEFAULT 0,
        created_at BIGINT NOT NULL,
        next_attempt_at BIGINT NOT NULL,
        claimed_by TEXT,
        claimed_at BIGINT,
        last_reply TEXT,
        sent_at BIGINT))",
    R"(CREATE INDEX outbox_due ON outbox (next_attempt_at, id) WHERE state IN ('queued', 'deferred'))",
    R"(CREATE INDEX outbox_in_flight ON outbox (claimed_at) WHERE state = 'sending')",
    R"(CREATE INDEX outbox_by_state ON outbox (state, id))",
    R"(CREATE TABLE audit_log (
        id %ID%,
        at BIGINT NOT NULL,
        actor_id BIGINT,
        actor_email TEXT NOT NULL DEFAULT '',
        action TEXT NOT NULL,
        target_user_id BIGINT,
        target_email TEXT NOT NULL DEFAULT '',
        detail TEXT NOT NULL DEFAULT ''))",
    R"(CREATE INDEX audit_by_time ON audit_log (at, id))",
    R"(CREATE INDEX audit_by_target ON audit_log (target_user_id, at))",
};

// Schema 2: indexes for a million users. Search by substring through a trigram index (an
// external-content FTS5 table kept in step by triggers on SQLite; pg_trgm GIN indexes on
// PostgreSQL), and the sort orders the list offers (status, profile/account) as index scans.
const char *const schema2Sqlite[] = {
    R"(CREATE VIRTUAL TABLE users_search USING fts5(name_key, email_key, content='users',
        content_rowid='id', tokenize='trigram', detail='none'))",
    R"(CREATE TRIGGER users_search_insert AFTER INSERT ON users BEGIN
        INSERT INTO users_search (rowid, name_key, email_key) VALUES (new.id, new.name_key, new.email_key);
        END)",
    R"(CREATE TRIGGER users_search_delete AFTER DELETE ON users BEGIN
        INSERT INTO users_search (users_search, rowid, name_key, email_key)
        VALUES ('delete', old.id, old.name_key, old.email_key);
        END)",
    R"(CREATE TRIGGER users_search_update AFTER UPDATE OF name_key, email_key ON users BEGIN
        INSERT INTO users_search (users_search, rowid, name_key, email_key)
        VALUES ('delete', old.id, old.name_key, old.email_key);
        INSERT INTO users_search (rowid, name_key, email_key) VALUES (new.id, new.name_key, new.email_key);
        END)",
    R"(INSERT INTO users_search (users_search) VALUES ('rebuild'))",
};
const char *const schema2Postgres[] = {
    R"(CREATE EXTENSION IF NOT EXISTS pg_trgm)",
    R"(CREATE INDEX users_name_trgm ON users USING gin (name_key gin_trgm_ops))",
    R"(CREATE INDEX users_email_trgm ON users USING gin (email_key gin_trgm_ops))",
};
const char *const schema2Both[] = {
    R"(CREATE INDEX users_by_status ON users (kind, active, (confirmed_at IS NULL), invite_expires_at%NF%, id))",
    R"(CREATE INDEX users_by_profile ON users (kind, profile_id, name_key, id))",
    R"(CREATE INDEX users_by_account ON users (kind, account, name_key, id))",
};

// Schema 3: superseding a user's pending mail found it through outbox_by_state, i.e. by reading
// every queued message for each re-invited user: a bulk re-invite of 10,000 users read ~50 million
// rows. Partial, so it holds only the messages not sent yet and stays small.
const char *const schema3Both[] = {
    R"(CREATE INDEX outbox_pending_by_user ON outbox (user_id)
        WHERE state IN ('queued', 'deferred', 'sending'))",
};

// Schema 4 (SQLite): the search index keeps positions (detail=full) and the user's kind, so a
// search is an exact phrase query the index answers alone: its count never reads the users
// table, and its first page walks the name index against the matching ids (issue 6: a search
// keystroke at a million users was ~93 ms, of which ~80 ms re-checked candidates on the rows).
const char *const schema4Sqlite[] = {
    R"(DROP TRIGGER users_search_insert)",
    R"(DROP TRIGGER users_search_delete)",
    R"(DROP TRIGGER users_search_update)",
    R"(DROP TABLE users_search)",
    R"(CREATE VIRTUAL TABLE users_search USING fts5(name_key, email_key, kind, content='users',
        content_rowid='id', tokenize='trigram', detail='full'))",
    R"(CREATE TRIGGER users_search_insert AFTER INSERT ON users BEGIN
        INSERT INTO users_search (rowid, name_key, email_key, kind)
        VALUES (new.id, new.name_key, new.email_key, new.kind);
        END)",
    R"(CREATE TRIGGER users_search_delete AFTER DELETE ON users BEGIN
        INSERT INTO users_search (users_search, rowid, name_key, email_key, kind)
        VALUES ('delete', old.id, old.name_key, old.email_key, old.kind);
        END)",
    R"(CREATE TRIGGER users_search_update AFTER UPDATE OF name_key, email_key, kind ON users BEGIN
        INSERT INTO users_search (users_search, rowid, name_key, email_key, kind)
        VALUES ('delete', old.id, old.name_key, old.email_key, old.kind);
        INSERT INTO users_search (rowid, name_key, email_key, kind)
        VALUES (new.id, new.name_key, new.email_key, new.kind);
        END)",
    R"(INSERT INTO users_search (users_search) VALUES ('rebuild'))",
};

// Schema 5 (PostgreSQL): the key columns compare bytewise ("C"), whatever the database's
// locale. The prefix search is a range on them (name_key >= 'ab' AND name_key < 'ab' || U+FFFF):
// under en_US or ICU collations 'áb…' sorts inside it and was found by "ab", and the list's name
// order differed from SQLite's (BINARY). Their indexes are rebuilt with the new collation.
const char *const schema5Postgres[] = {
    R"(ALTER TABLE users ALTER COLUMN name_key TYPE TEXT COLLATE "C")",
    R"(ALTER TABLE users ALTER COLUMN email_key TYPE TEXT COLLATE "C")",
    R"(ALTER TABLE users ALTER COLUMN account TYPE TEXT COLLATE "C")",
};

// Schema 6: "Ask for a new invitation" (SPEC §8). invitations.requested_at records the request
// once per invitation (the link that was asked from); users.invite_requested_at is the user's
// summary of it, like invited_at: set by the first request since the latest invitation, cleared by
// the re-invite that issues the next one. The partial index is the Requested view.
const char *const schema6Both[] = {
    R"(ALTER TABLE invitations ADD COLUMN requested_at BIGINT)",
    R"(ALTER TABLE users ADD COLUMN invite_requested_at BIGINT)",
    R"(CREATE INDEX users_requested ON users (kind, invite_requested_at, id)
        WHERE invite_requested_at IS NOT NULL)",
};

// Schema 7 (issue 15, bounces):
// each invitation's VERP tag, to find its outbox row from a bounce; the bounce mailbox's UID
// high-water mark per mailbox and UIDVALIDITY; the Bounced invitations view's index; the reports
// already applied (by a digest of the message), so that a report read twice counts once.
const char *const schema7Both[] = {
    R"(ALTER TABLE outbox ADD COLUMN bounce_tag TEXT)",
    R"(CREATE INDEX outbox_by_bounce_tag ON outbox (bounce_tag) WHERE bounce_tag IS NOT NULL)",
    R"(CREATE TABLE bounce_mailbox (
        mailbox TEXT NOT NULL,
        uid_validity BIGINT NOT NULL,
        last_uid BIGINT NOT NULL,
        checked_at BIGINT NOT NULL,
        PRIMARY KEY (mailbox, uid_validity)))",
    R"(CREATE INDEX users_mail_bounced ON users (kind, invited_at, id) WHERE mail_state = 'bounced')",
    R"(CREATE TABLE bounce_reports (
        id %ID%,
        digest TEXT NOT NULL UNIQUE,
        outbox_id BIGINT,
        user_id BIGINT,
        kind TEXT NOT NULL,
        diagnostic TEXT NOT NULL DEFAULT '',
        received_at BIGINT NOT NULL))",
};

// Schema 8 (PostgreSQL): the search's keys in a narrow table of their own, users_search (id,
// kind, name_key, email_key), kept in step with users by triggers, with the pg_trgm GIN indexes
// on it instead of on users. An invitation's columns (invited_at and the rest, which a bulk
// re-invite updates) are indexed, so that UPDATE is never HOT and gave every row new entries in
// all the indexes of users, the two trigram ones among them: a third or more of a bulk re-invite
// (issue 16). And a trigram search's count rechecks its candidates on ~40-byte rows instead of
// whole users. The inserts and deletes are statement triggers over the statement's rows (a
// multi-row insert is one more statement, not one per row); an update only when a key changes.
// Users are locked against writes first, so that none is missed between the copy and the
// triggers. SQLite's FTS5 users_search (schema 4) is the same idea and stays as it is.
const char *const schema8Postgres[] = {
    R"(LOCK TABLE users IN SHARE ROW EXCLUSIVE MODE)",
    R"(CREATE TABLE users_search (
        id BIGINT PRIMARY KEY,
        kind TEXT NOT NULL,
        name_key TEXT COLLATE "C" NOT NULL,
        email_key TEXT COLLATE "C" NOT NULL))",
    R"(INSERT INTO users_search (id, kind, name_key, email_key)
        SELECT id, kind, name_key, email_key FROM users)",
    R"(CREATE FUNCTION users_search_insert() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            INSERT INTO users_search (id, kind, name_key, email_key)
            SELECT id, kind, name_key, email_key FROM inserted;
            RETURN NULL;
        END $$)",
    R"(CREATE TRIGGER users_search_insert AFTER INSERT ON users REFERENCING NEW TABLE AS inserted
        FOR EACH STATEMENT EXECUTE FUNCTION users_search_insert())",
    R"(CREATE FUNCTION users_search_update() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            UPDATE users_search SET kind = new.kind, name_key = new.name_key,
                email_key = new.email_key WHERE id = new.id;
            RETURN NULL;
        END $$)",
    R"(CREATE TRIGGER users_search_update AFTER UPDATE OF name_key, email_key, kind ON users
        FOR EACH ROW WHEN (old.name_key IS DISTINCT FROM new.name_key
            OR old.email_key IS DISTINCT FROM new.email_key OR old.kind IS DISTINCT FROM new.kind)
        EXECUTE FUNCTION users_search_update())",
    R"(CREATE FUNCTION users_search_delete() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            DELETE FROM users_search WHERE id IN (SELECT id FROM deleted);
            RETURN NULL;
        END $$)",
    R"(CREATE TRIGGER users_search_delete AFTER DELETE ON users REFERENCING OLD TABLE AS deleted
        FOR EACH STATEMENT EXECUTE FUNCTION users_search_delete())",
    R"(CREATE INDEX users_search_name_trgm ON users_search USING gin (name_key gin_trgm_ops))",
    R"(CREATE INDEX users_search_email_trgm ON users_search USING gin (email_key gin_trgm_ops))",
    R"(DROP INDEX users_name_trgm)",
    R"(DROP INDEX users_email_trgm)",
    R"(ANALYZE users_search)",
};

// Schema 9 (issue 16): a message changes state twice on its way out (queued -> sending -> sent),
// and each result is a write transaction of its own, so every index whose key or condition holds
// the state is written again with each message. outbox_by_state (state, id) answered nothing the
// others do not: `outbox list --state` reads by id, newest first, up to its limit, and the due
// count and the claims read outbox_due. outbox_pending_by_user's condition listed three states
// with IN: SQLite made a table of them for each statement that changes a state, to test the old
// and the new row; written as comparisons they are tested in place. The statements that want the
// index spell its condition the same way.
const char *const schema9Both[] = {
    R"(DROP INDEX outbox_by_state)",
    R"(DROP INDEX outbox_pending_by_user)",
    R"(CREATE INDEX outbox_pending_by_user ON outbox (user_id)
        WHERE state = 'queued' OR state = 'deferred' OR state = 'sending')",
};

} // namespace

int latestSchemaVersion()
{
    return 9;
}

QStringList migrationStatements(int version, Dialect dialect)
{
    QStringList out;
    const QString id = dialect == Dialect::Sqlite
                           ? QStringLiteral("INTEGER PRIMARY KEY")
                           : QStringLiteral("BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY");
    const auto add = [&](const auto &statements) {
        for (const char *s : statements)
            out << QString::fromUtf8(s)
                       .replace(QStringLiteral("%ID%"), id)
                       .replace(QStringLiteral("%NF%"), dialect == Dialect::Postgres
                                                            ? QStringLiteral(" NULLS FIRST")
                                                            : QString());
    };
    if (version == 1)
        add(schema1);
    if (version == 2) {
        if (dialect == Dialect::Sqlite)
            add(schema2Sqlite);
        else
            add(schema2Postgres);
        add(schema2Both);
    }
    if (version == 3)
        add(schema3Both);
    if (version == 4 && dialect == Dialect::Sqlite)
        add(schema4Sqlite);
    if (version == 5 && dialect == Dialect::Postgres)
        add(schema5Postgres);
    if (version == 6)
        add(schema6Both);
    if (version == 7)
        add(schema7Both);
    if (version == 8 && dialect == Dialect::Postgres)
        add(schema8Postgres);
    if (version == 9)
        add(schema9Both);
    return out;
}

} // namespace roster
