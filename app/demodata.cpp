#include "app/demodata.h"

#include "app/tokens.h"
#include "models/userfilter.h"

#include <QRandomGenerator>
#include <QScopeGuard>
#include <QSqlQuery>
#include <QStringList>

namespace roster {

namespace {
const char16_t *const firstNames[] = {
    u"Anna",     u"Ben",   u"Chloé",    u"Dmitri", u"Emma",   u"Farah",   u"Giulia",    u"Hiro",
    u"Ines",     u"Jonas", u"Kateřina", u"Lars",   u"Maëlle", u"Nikolai", u"Olga",      u"Pablo",
    u"Quentin",  u"Rosa",  u"Søren",    u"Tomás",  u"Ulla",   u"Vikram",  u"Wei",       u"Xavier",
    u"Yasmin",   u"Zoë",   u"Ahmed",    u"Björn",  u"Carmen", u"Dagný",   u"Élodie",    u"Fatima",
    u"Grzegorz", u"Hana",  u"Ibrahim",  u"José",   u"Kenji",  u"Leila",   u"Mateo",     u"Noor",
    u"Oskar",    u"Priya", u"Rafael",   u"Sakura", u"Timo",   u"Ümit",    u"Valentina", u"Wojciech",
    u"Yuki",     u"Zeynep"};
const char16_t *const lastNames[] = {
    u"Andersson", u"Bauer",    u"Castillo", u"Dubois",   u"Eriksen",    u"Fischer", u"García",
    u"Hansen",    u"Ivanova",  u"Jensen",   u"Kowalski", u"Lefèvre",    u"Müller",  u"Nakamura",
    u"O'Brien",   u"Petrović", u"Quinn",    u"Rossi",    u"Schmidt",    u"Tanaka",  u"Urbańska",
    u"Van Dijk",  u"Wagner",   u"Xu",       u"Yılmaz",   u"Zieliński",  u"Novák",   u"Horváth",
    u"Silva",     u"Kim",      u"Nguyễn",   u"Smith",    u"Johnson",    u"Brown",   u"Okafor",
    u"Mensah",    u"Haddad",   u"Cohen",    u"Sato",     u"Łukasiewicz"};
const char *const domains[] = {"example.com",       "example.org",     "example.net",
                               "northwind.example", "contoso.example", "fabrikam.example"};
const char16_t *const accounts[] = {u"Acme Corp",         u"Globex", u"Initech",
                                    u"Umbrella",          u"Hooli",  u"Stark Industries",
                                    u"Wayne Enterprises", u"Soylent"};

QString asciiFold(const QString &s)
{
    QString d = s.normalized(QString::NormalizationForm_KD);
    QString out;
    for (QChar c : d) {
        if (c.unicode() < 128 && (c.isLetterOrNumber()))
            out += c.toLower();
        else if (c == u'ł' || c == u'Ł')
            out += u'l';
        else if (c == u'ø')
            out += u'o';
        else if (c == u'ı')
            out += u'i';
    }
    return out;
}
} // namespace

Status generateDemoData(Database &db, const Clock &clock, qint64 adminId,
                        const DemoOptions &options,
                        const std::function<void(qint64, qint64)> &progress)
{
    QRandomGenerator rng(options.seed);
    const qint64 now = clock.nowMs();
    const qint64 portal = options.portalUsers >= 0 ? options.portalUsers : options.users / 10;
    const qint64 total = options.users + portal;
    constexpr qint64 perTransaction = 20000;

    qint64 adminProfile = 0, standardProfile = 0, managerProfile = 0;
    {
        QSqlQuery q = db.prepare(QStringLiteral("SELECT id, name FROM profiles"));
        if (Status s = db.exec(q); !s)
            return s;
        while (q.next()) {
            const QString n = q.value(1).toString();
            if (n == u"Administrator")
                adminProfile = q.value(0).toLongLong();
            else if (n == u"Standard")
                standardProfile = q.value(0).toLongLong();
            else if (n == u"User Manager")
                managerProfile = q.value(0).toLongLong();
        }
    }
    QString adminName;
    {
        QSqlQuery q = db.prepare(QStringLiteral("SELECT name FROM users WHERE id = ?"));
        q.addBindValue(adminId);
        if (Status s = db.exec(q); !s)
            return s;
        if (q.next())
            adminName = q.value(0).toString();
    }

    // A million rows go into nine indexes and the trigram index in random key order: with SQLite's
    // default 2 MB page cache nearly every insert re-read index pages through the kernel, and
    // every commit ran a WAL checkpoint. Generate with a 256 MB cache and one checkpoint at the
    // end; the connection gets its settings back.
    // The trigram index's insert trigger goes too: FTS5 flushes its pending terms at every
    // statement's savepoint, i.e. once per user (a third of the time); it is put back and the
    // index rebuilt from the table in one pass at the end.
    const bool sqlite = db.dialect() == Dialect::Sqlite;
    QString searchTrigger;
    if (sqlite) {
        (void)db.exec(QStringLiteral("PRAGMA cache_size = -262144"));
        (void)db.exec(QStringLiteral("PRAGMA wal_autocheckpoint = 0"));
        QSqlQuery t = db.prepare(QStringLiteral("SELECT sql FROM sqlite_master WHERE type = "
                                                "'trigger' AND name = 'users_search_insert'"));
        if (db.exec(t) && t.next())
            searchTrigger = t.value(0).toString();
        t.finish();
        if (!searchTrigger.isEmpty())
            if (Status s = db.exec(QStringLiteral("DROP TRIGGER users_search_insert")); !s)
                return s;
    }
    const auto restore = qScopeGuard([&] {
        if (!sqlite)
            return;
        if (!searchTrigger.isEmpty()) {
            (void)db.exec(searchTrigger);
            (void)db.exec(
                QStringLiteral("INSERT INTO users_search (users_search) VALUES ('rebuild')"));
        }
        (void)db.exec(QStringLiteral("PRAGMA wal_autocheckpoint = 1000"));
        (void)db.exec(QStringLiteral("PRAGMA wal_checkpoint(TRUNCATE)"));
        (void)db.exec(QStringLiteral("PRAGMA cache_size = -2000"));
    });

    qint64 done = 0;
    while (done < total) {
        Transaction tx(db);
        if (!tx.status())
            return tx.status();
        QSqlQuery user = db.prepare(QStringLiteral(
            "INSERT INTO users (kind, email, email_key, name, name_key, profile_id, account, "
            "active, "
            "confirmed_at, created_at, created_by, updated_at, invited_at, invite_expires_at, "
            "invite_count, last_invited_by, mail_state) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id"));
        QSqlQuery invitation = db.prepare(QStringLiteral(
            "INSERT INTO invitations (user_id, token_hash, created_at, expires_at, created_by, "
            "created_by_name, accepted_at) VALUES (?, ?, ?, ?, ?, ?, ?)"));
        const qint64 end = std::min(total, done + perTransaction);
        for (qint64 i = done; i < end; ++i) {
            const bool isPortal = i >= options.users;
            const QString first =
                QString::fromUtf16(firstNames[rng.bounded(int(std::size(firstNames)))]);
            const QString last =
                QString::fromUtf16(lastNames[rng.bounded(int(std::size(lastNames)))]);
            const QString name = first + u' ' + last;
            const QString email =
                asciiFold(first) + u'.' + asciiFold(last) + u'.' + QString::number(i + 1) + u'@' +
                QString::fromLatin1(domains[rng.bounded(int(std::size(domains)))]);
            const int roll = int(rng.bounded(1000));
            // 5% deactivated, 10% unconfirmed (half expired), the rest confirmed.
            const bool inactive = roll < 50;
            const bool unconfirmed = roll >= 50 && roll < 150;
            const bool expired = unconfirmed && roll >= 100;
            const qint64 created = now - qint64(rng.bounded(3 * 365)) * msPerDay - 8 * msPerDay;
            qint64 invited = created;
            if (unconfirmed)
                invited = expired ? now - (7 + qint64(rng.bounded(60))) * msPerDay -
                                        qint64(rng.bounded(int(msPerDay)))
                                  : now - qint64(rng.bounded(int(7 * msPerDay - 3600000)));
            qint64 profile = standardProfile;
            if (!isPortal) {
                if (i % 97 == 5)
                    profile = adminProfile;
                else if (i % 61 == 7)
                    profile = managerProfile;
            }
            const bool confirmed = !unconfirmed && !(inactive && roll % 2);
            user.addBindValue(isPortal ? QStringLiteral("portal") : QStringLiteral("crm"));
            user.addBindValue(email);
            user.addBindValue(userEmailKey(email));
            user.addBindValue(name);
            user.addBindValue(nameKey(name));
            user.addBindValue(isPortal ? QVariant(QMetaType(QMetaType::LongLong))
                                       : QVariant(profile));
            user.addBindValue(
                isPortal ? QString::fromUtf16(accounts[rng.bounded(int(std::size(accounts)))])
                         : QString());
            user.addBindValue(inactive ? 0 : 1);
            user.addBindValue(confirmed ? QVariant(invited + msPerDay / 3)
                                        : QVariant(QMetaType(QMetaType::LongLong)));
            user.addBindValue(created);
            user.addBindValue(adminId);
            user.addBindValue(invited);
            user.addBindValue(invited);
            user.addBindValue(invited + invitationLifetimeMs);
            user.addBindValue(unconfirmed ? 1 + int(rng.bounded(3)) : 1);
            user.addBindValue(adminName);
            user.addBindValue(QStringLiteral("sent"));
            if (Status s = db.exec(user); !s)
                return s;
            if (!user.next())
                return makeError(ErrorKind::Database, QStringLiteral("demo user not stored"));
            const qint64 id = user.value(0).toLongLong();
            user.finish();
            if (!confirmed && !inactive) {
                invitation.addBindValue(id);
                invitation.addBindValue(issueToken().hash); // a token nobody holds
                invitation.addBindValue(invited);
                invitation.addBindValue(invited + invitationLifetimeMs);
                invitation.addBindValue(adminId);
                invitation.addBindValue(adminName);
                invitation.addBindValue(QVariant(QMetaType(QMetaType::LongLong)));
                if (Status s = db.exec(invitation); !s)
                    return s;
            }
        }
        if (Status s = tx.commit(); !s)
            return s;
        done = end;
        if (progress)
            progress(done, total);
    }
    if (db.dialect() == Dialect::Sqlite)
        (void)db.exec(QStringLiteral("ANALYZE"));
    else
        // VACUUM too: it sets the visibility map, without which PostgreSQL counts the
        // Unconfirmed view through the heap (36 ms at 200k users) instead of users_unconfirmed
        // alone (2 ms). Autovacuum does the same for a real organisation, later.
        (void)db.exec(QStringLiteral("VACUUM ANALYZE users"));
    return ok();
}

} // namespace roster
