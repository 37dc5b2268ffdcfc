#include "app/authservice.h"

#include "app/audit.h"
#include "app/mail/emailaddress.h"
#include "app/passwordhasher.h"
#include "app/validation.h"
#include "models/changenotifier.h"
#include "models/userfilter.h"
#include "models/userrepository.h"

#include <QCoreApplication>
#include <QDateTime>
#include <QLocale>
#include <QSqlQuery>

namespace roster {

namespace {
QString tr(const char *s, const char *c = nullptr, int n = -1)
{
    return QCoreApplication::translate("AuthService", s, c, n);
}

} // namespace

Result<UserRecord> AuthService::authorise(const Database &db, qint64 actorId)
{
    UserRepository repo(const_cast<Database &>(db));
    auto actor = repo.byId(actorId);
    if (!actor) {
        if (actor.error().kind == ErrorKind::NotFound)
            return makeError(ErrorKind::Refused, tr("Your account no longer exists."));
        return actor.error();
    }
    const UserRecord &a = actor.value();
    if (a.kind != UserKind::Crm || !a.active || !a.confirmedAt)
        return makeError(ErrorKind::Refused, tr("Your account is not active."));
    if (!a.isAdmin && !a.manageUsers)
        return makeError(
            ErrorKind::Refused,
            tr("Your profile (%1) may not manage users: ask an administrator.").arg(a.profileName));
    return actor;
}

Result<Session> AuthService::signIn(const QString &email, const QString &password)
{
    const qint64 now = m_clock.nowMs();
    // One answer for an unknown email, a wrong password and a locked account, and one Argon2
    // verification for each: neither the words nor the time tell which emails exist.
    const QString wrong = tr("Wrong email or password.");
    QSqlQuery q = m_db.prepare(
        QStringLiteral("SELECT id, password_hash FROM users WHERE kind = 'crm' AND email_key = ?"));
    q.addBindValue(userEmailKey(email));
    if (Status s = m_db.exec(q); !s)
        return s.error();
    if (!q.next()) {
        PasswordHasher::verify(PasswordHasher::dummyHash(), password);
        return makeError(ErrorKind::Refused, wrong);
    }
    const qint64 id = q.value(0).toLongLong();
    const QString hash = q.value(1).toString();
    q.finish();
    const bool right = hash.isEmpty()
                           ? (PasswordHasher::verify(PasswordHasher::dummyHash(), password), false)
                           : PasswordHasher::verify(hash, password);

    Transaction tx(m_db);
    if (!tx.status())
        return tx.status().error();
    if (!right) {
        // Counted in one statement, so parallel attempts cannot lose an increment; an account
        // already locked is not counted (nor told apart).
        QSqlQuery u = m_db.prepare(
            QStringLiteral("UPDATE users SET failed_logins = failed_logins + 1 WHERE id = ? AND "
                           "(locked_until IS NULL OR locked_until <= ?) RETURNING failed_logins"));
        u.addBindValue(id);
        u.addBindValue(now);
        if (Status s = m_db.exec(u); !s)
            return s.error();
        if (!u.next())
            return makeError(ErrorKind::Refused, wrong); // locked: nothing written
        const int failures = u.value(0).toInt();
        u.finish();
        const bool lock = failures >= maxFailures;
        if (lock) {
            QSqlQuery l = m_db.prepare(QStringLiteral(
                "UPDATE users SET failed_logins = 0, locked_until = ? WHERE id = ?"));
            l.addBindValue(now + lockoutMs);
            l.addBindValue(id);
            if (Status s = m_db.exec(l); !s)
                return s.error();
        }
        AuditEntry e;
        e.at = now;
        e.action = lock ? QStringLiteral("signin.locked") : QStringLiteral("signin.failed");
        e.targetUserId = id;
        e.targetEmail = email;
        e.detail = lock ? tr("%1 wrong passwords; locked for 15 minutes").arg(maxFailures)
                        : tr("wrong password");
        if (Status s = writeAudit(m_db, e); !s)
            return s.error();
        if (Status s = tx.commit(); !s)
            return s.error();
        return makeError(ErrorKind::Refused, wrong);
    }
    // The right password: still refused while a lock lasts, with the same words. The row is
    // locked (PostgreSQL; SQLite holds the database) so the lock is read as it is now.
    QSqlQuery l = m_db.prepare(QStringLiteral("SELECT locked_until FROM users WHERE id = ?") +
                               m_db.forUpdate());
    l.addBindValue(id);
    if (Status s = m_db.exec(l); !s)
        return s.error();
    const qint64 lockedUntil = l.next() ? l.value(0).toLongLong() : 0;
    l.finish();
    if (lockedUntil > now)
        return makeError(ErrorKind::Refused, wrong);
    auto actor = authorise(m_db, id);
    if (!actor)
        return actor.error();
    QString notice;
    if (lockedUntil > 0) {
        // Told only now, to the one who knows the password: the lock ended unannounced.
        notice = tr("Your account was locked for 15 minutes after %1 wrong passwords, until %2. "
                    "If that was not you, change your password and tell your administrator.")
                     .arg(maxFailures)
                     .arg(QLocale().toString(QDateTime::fromMSecsSinceEpoch(lockedUntil),
                                             QLocale::ShortFormat));
    }
    QSqlQuery u = m_db.prepare(
        QStringLiteral("UPDATE users SET failed_logins = 0, locked_until = NULL WHERE id = ? AND "
                       "(failed_logins <> 0 OR locked_until IS NOT NULL)"));
    u.addBindValue(id);
    if (Status s = m_db.exec(u); !s)
        return s.error();
    if (Status s = tx.commit(); !s)
        return s.error();
    return Session{id, actor->email, actor->name, actor->isAdmin, notice};
}

Result<Session> AuthService::createFirstAdmin(Database &db, const Clock &clock,
                                              const QString &email, const QString &name,
                                              const QString &password)
{
    if (const QString p = emailAddressProblem(email); !p.isEmpty())
        return makeError(ErrorKind::Invalid, p);
    if (const QString p = userNameProblem(name); !p.isEmpty())
        return makeError(ErrorKind::Invalid, p);
    if (const QString p = PasswordHasher::passwordProblem(password); !p.isEmpty())
        return makeError(ErrorKind::Invalid, p);
    const QString hash = PasswordHasher::hash(password);
    const qint64 now = clock.nowMs();
    Transaction tx(db);
    if (!tx.status())
        return tx.status().error();
    {
        QSqlQuery c = db.prepare(QStringLiteral("SELECT count(*) FROM users WHERE kind = 'crm'"));
        if (Status s = db.exec(c); !s)
            return s.error();
        if (c.next() && c.value(0).toLongLong() > 0)
            return makeError(ErrorKind::Refused,
                             tr("%1 already has users: sign in as an administrator to add more.")
                                 .arg(db.displayName()));
    }
    QSqlQuery q = db.prepare(QStringLiteral(
        "INSERT INTO users (kind, email, email_key, name, name_key, profile_id, active, "
        "confirmed_at, created_at, updated_at, password_hash) "
        "VALUES ('crm', ?, ?, ?, ?, (SELECT id FROM profiles WHERE name = 'Administrator'), 1, ?, "
        "?, "
        "?, ?) RETURNING id"));
    q.addBindValue(email.trimmed());
    q.addBindValue(userEmailKey(email));
    q.addBindValue(name.trimmed());
    q.addBindValue(nameKey(name.trimmed()));
    q.addBindValue(now);
    q.addBindValue(now);
    q.addBindValue(now);
    q.addBindValue(hash);
    if (Status s = db.exec(q); !s)
        return s.error();
    if (!q.next())
        return makeError(ErrorKind::Database, tr("The new administrator was not stored."));
    const qint64 id = q.value(0).toLongLong();
    q.finish();
    AuditEntry e;
    e.at = now;
    e.actorId = id;
    e.actorEmail = email.trimmed();
    e.action = QStringLiteral("org.create");
    e.targetUserId = id;
    e.targetEmail = email.trimmed();
    e.detail = tr("first administrator");
    if (Status s = writeAudit(db, e); !s)
        return s.error();
    if (Status s = notifyUsersChanged(db); !s)
        return s.error();
    if (Status s = tx.commit(); !s)
        return s.error();
    return Session{id, email.trimmed(), name.trimmed(), true};
}

} // namespace roster
