// generateDemoData, on both engines: what `rosterctl demo` and the welcome dialog's demo fill an
// organisation with. The writing takes shortcuts (multi-row inserts with ids decided beforehand,
// indexes dropped and rebuilt, on SQLite no search trigger and no per-statement foreign key
// checks until the end), so these check that what comes out is what always came out, in every
// state, found by the views and the search, and that the organisation works as before afterwards.
#include "app/demodata.h"
#include "models/userfilter.h"
#include "models/userrepository.h"
#include "testsupport.h"

#include <QRegularExpression>
#include <QTest>

#include <algorithm>

using namespace roster;
using namespace testsupport;

namespace {
// 2,000 CRM users and 200 portal users from the default seed: big enough for every state, small
// enough for a unit test.
DemoOptions smallDemo()
{
    DemoOptions o;
    o.users = 2000;
    o.portalUsers = 200;
    return o;
}

QStringList column(Database &db, const QString &sql, const QVariantList &binds = {})
{
    QSqlQuery q = db.prepare(sql);
    for (const QVariant &b : binds)
        q.addBindValue(b);
    QStringList out;
    if (Status s = db.exec(q); !s)
        return {u"error: " + s.error().message};
    while (q.next())
        out << q.value(0).toString();
    return out;
}

// Every index, trigger and constraint, as their definitions (SQLite: every schema object, and the
// search index's configuration).
QStringList schemaOf(Database &db)
{
    if (db.dialect() == Dialect::Sqlite)
        return column(db, QStringLiteral("SELECT type || ' ' || name || ' ' || COALESCE(sql, '') "
                                         "FROM sqlite_master WHERE name NOT LIKE 'sqlite_stat%' "
                                         "UNION ALL SELECT 'config ' || k || ' ' || v FROM "
                                         "users_search_config ORDER BY 1"));
    return column(db,
                  QStringLiteral("SELECT indexname || ' ' || indexdef FROM pg_indexes WHERE "
                                 "schemaname = current_schema() UNION ALL SELECT "
                                 "conrelid::regclass::text || ' ' || conname || ' ' || "
                                 "pg_get_constraintdef(oid) FROM pg_constraint WHERE connamespace "
                                 "= current_schema()::regnamespace ORDER BY 1"));
}
} // namespace

class TestDemoData : public QObject
{
    Q_OBJECT
    std::unique_ptr<TestOrg> org;
    QStringList schemaBefore;
    QList<std::pair<qint64, qint64>> progress;

    // Generated users (not the administrator) matching an SQL condition on users.
    qint64 users(const QString &where)
    {
        return org->scalar(u"SELECT count(*) FROM users WHERE id <> ? AND " + where,
                           {org->adminId()});
    }
    qint64 viewCount(UserView view, UserKind kind = UserKind::Crm, const QString &search = {})
    {
        UserFilter f;
        f.view = view;
        f.kind = kind;
        f.search = search;
        f.nowMs = org->clock().nowMs();
        auto n = UserRepository(org->db()).count(f);
        return n ? n.value() : -1;
    }

private slots:
    void initTestCase()
    {
        org = std::make_unique<TestOrg>();
        QVERIFY2(org->isValid(), qPrintable(org->error()));
        schemaBefore = schemaOf(org->db());
        QVERIFY(schemaBefore.size() > 10);
        Status s = generateDemoData(org->db(), org->clock(), org->adminId(), smallDemo(),
                                    [this](qint64 done, qint64 total) {
                                        progress.append({done, total});
                                    });
        QVERIFY2(s, s ? "" : qPrintable(s.error().message));
    }
    void cleanupTestCase() { org.reset(); }

    // Rows of the default seed as the one-row-at-a-time generator wrote them (rosterctl demo
    // --users 2000 --portal-users 200 before multi-row inserts): the same seed still gives the
    // same organisation.
    void sameSeedSameUsersAsEver()
    {
        const auto row = [this](qint64 n) { // the n-th generated user, from 1
            const QStringList r = column(
                org->db(),
                QStringLiteral("SELECT kind || '|' || email || '|' || name || '|' || account || "
                               "'|' || active || '|' || CASE WHEN confirmed_at IS NULL THEN 0 "
                               "ELSE 1 END || '|' || invite_count FROM users WHERE id = ?"),
                {org->adminId() + n});
            return r.value(0);
        };
        QCOMPARE(row(1), QStringLiteral("crm|rosa.sato.1@example.org|Rosa Sato||1|1|1"));
        QCOMPARE(row(2), QStringLiteral("crm|olga.nakamura.2@example.org|Olga Nakamura||1|1|1"));
        QCOMPARE(row(6), QStringLiteral("crm|jonas.muller.6@example.net|Jonas Müller||1|0|3"));
        QCOMPARE(row(22), QStringLiteral("crm|hana.brown.22@example.org|Hana Brown||1|0|2"));
        QCOMPARE(row(49), QStringLiteral("crm|xavier.jensen.49@example.com|Xavier Jensen||0|0|1"));
        QCOMPARE(row(53),
                 QStringLiteral("crm|mateo.haddad.53@fabrikam.example|Mateo Haddad||0|1|1"));
        QCOMPARE(row(999),
                 QStringLiteral("crm|dmitri.haddad.999@example.net|Dmitri Haddad||1|1|1"));
        QCOMPARE(row(2000), QStringLiteral("crm|emma.kim.2000@northwind.example|Emma Kim||1|1|1"));
        QCOMPARE(row(2001),
                 QStringLiteral("portal|olga.novak.2001@northwind.example|Olga Novák|Hooli|1|1|1"));
        QCOMPARE(
            row(2200),
            QStringLiteral("portal|olga.tanaka.2200@northwind.example|Olga Tanaka|Initech|1|1|1"));
        QCOMPARE(users(QStringLiteral("1 = 1")), 2200);
        QCOMPARE(org->scalar(QStringLiteral("SELECT sum(invite_count) FROM users WHERE id <> ?"),
                             {org->adminId()}),
                 2421);
        // Expired or not: the invitation of user 6 ran out, user 22's has days left.
        const qint64 now = org->clock().nowMs();
        QVERIFY(users(QStringLiteral("id = %1 AND invite_expires_at <= %2")
                          .arg(org->adminId() + 6)
                          .arg(now)) == 1);
        QVERIFY(users(QStringLiteral("id = %1 AND invite_expires_at > %2")
                          .arg(org->adminId() + 22)
                          .arg(now + 3600000)) == 1);
    }

    // ~5% deactivated, ~10% unconfirmed (half of them expired), a few administrators and user
    // managers; the views (over the rebuilt indexes) count them.
    void everyState()
    {
        const QString now = QString::number(org->clock().nowMs());
        QCOMPARE(users(QStringLiteral("kind = 'crm'")), 2000);
        QCOMPARE(users(QStringLiteral("kind = 'portal'")), 200);
        QCOMPARE(users(QStringLiteral("kind = 'crm' AND active = 0")), 100);
        QCOMPARE(users(QStringLiteral("kind = 'portal' AND active = 0")), 9);
        QCOMPARE(users(QStringLiteral("kind = 'crm' AND active = 1 AND confirmed_at IS NULL")),
                 197);
        QCOMPARE(users(QStringLiteral("kind = 'portal' AND active = 1 AND confirmed_at IS NULL")),
                 23);
        QCOMPARE(users(u"kind = 'crm' AND active = 1 AND confirmed_at IS NULL AND "
                       u"invite_expires_at <= " +
                       now),
                 93);
        QCOMPARE(users(u"kind = 'portal' AND active = 1 AND confirmed_at IS NULL AND "
                       u"invite_expires_at <= " +
                       now),
                 13);
        QCOMPARE(users(QStringLiteral("active = 0 AND confirmed_at IS NULL")), 53);
        QCOMPARE(users(QStringLiteral("profile_id = (SELECT id FROM profiles WHERE name = "
                                      "'Administrator')")),
                 21);
        QCOMPARE(users(QStringLiteral("profile_id = (SELECT id FROM profiles WHERE name = "
                                      "'User Manager')")),
                 32);
        QCOMPARE(users(QStringLiteral("kind = 'portal' AND profile_id IS NULL AND account <> ''")),
                 200);
        QCOMPARE(users(QStringLiteral("kind = 'crm' AND account = ''")), 2000);

        QCOMPARE(viewCount(UserView::All), 2001); // and the administrator
        QCOMPARE(viewCount(UserView::Inactive), 100);
        QCOMPARE(viewCount(UserView::Unconfirmed), 197);
        QCOMPARE(viewCount(UserView::Admins), 22);
        QCOMPARE(viewCount(UserView::Unconfirmed, UserKind::Portal), 23);
        QCOMPARE(viewCount(UserView::All, UserKind::Portal), 200);
    }

    // Every invited user (active, not confirmed) has one open invitation matching the user's
    // summary, with a token nobody holds; nobody else has one.
    void invitationsForTheInvited()
    {
        QCOMPARE(org->scalar(QStringLiteral("SELECT count(*) FROM invitations")), 220);
        QCOMPARE(users(QStringLiteral(
                     "active = 1 AND confirmed_at IS NULL AND (SELECT count(*) FROM invitations i "
                     "WHERE i.user_id = users.id AND i.accepted_at IS NULL AND i.revoked_at IS "
                     "NULL AND i.created_at = users.invited_at AND i.expires_at = "
                     "users.invite_expires_at AND i.created_by = users.created_by AND "
                     "i.created_by_name = users.last_invited_by) = 1")),
                 220);
        QCOMPARE(org->scalar(QStringLiteral(
                     "SELECT count(*) FROM invitations i JOIN users u ON u.id = i.user_id WHERE "
                     "u.active = 0 OR u.confirmed_at IS NOT NULL")),
                 0);
        const QStringList hashes =
            column(org->db(), QStringLiteral("SELECT DISTINCT token_hash FROM invitations"));
        QCOMPARE(hashes.size(), 220);
        static const QRegularExpression sha256(QStringLiteral("^[0-9a-f]{64}$"));
        for (const QString &h : hashes)
            QVERIFY2(sha256.match(h).hasMatch(), qPrintable(h));
    }

    void namesFromManyLanguages()
    {
        const QStringList names = column(
            org->db(), QStringLiteral("SELECT name FROM users WHERE id <> ?"), {org->adminId()});
        QCOMPARE(names.size(), 2200);
        const auto nonAscii = std::count_if(names.cbegin(), names.cend(), [](const QString &n) {
            return std::any_of(n.cbegin(), n.cend(), [](QChar c) { return c.unicode() > 127; });
        });
        QCOMPARE(qint64(nonAscii), qint64(939));
        for (const char16_t *name : {u"Müller", u"Łukasiewicz", u"Nguyễn", u"Yılmaz", u"Søren"})
            QVERIFY2(names.filter(QString::fromUtf16(name)).size() > 0,
                     qPrintable(QString::fromUtf16(name)));
        // Addresses are ASCII folds of the names.
        QVERIFY(users(QStringLiteral("email LIKE 'jonas.muller.%'")) > 0);
    }

    // The search (on SQLite a trigram index rebuilt after the rows went in) finds them.
    void searchFindsGeneratedUsers()
    {
        const qint64 muller = users(QStringLiteral("kind = 'crm' AND name_key LIKE '%müller%'"));
        QVERIFY(muller > 0);
        QCOMPARE(viewCount(UserView::All, UserKind::Crm, QStringLiteral("MÜLLER")), muller);
        QCOMPARE(viewCount(UserView::All, UserKind::Crm, QStringLiteral("dmitri.haddad.999@")), 1);
        QCOMPARE(viewCount(UserView::All, UserKind::Portal, QStringLiteral("olga.novak.2001")), 1);
        QCOMPARE(viewCount(UserView::All, UserKind::Crm, QStringLiteral("olga.novak.2001")), 0);
        QCOMPARE(viewCount(UserView::Unconfirmed, UserKind::Crm, QStringLiteral("hana brown")),
                 users(QStringLiteral("kind = 'crm' AND active = 1 AND confirmed_at IS NULL AND "
                                      "name = 'Hana Brown'")));
        QCOMPARE(viewCount(UserView::All, UserKind::Crm, QStringLiteral("ros")),
                 users(QStringLiteral("kind = 'crm' AND (name_key LIKE '%ros%' OR email_key LIKE "
                                      "'%ros%')")));
    }

    // Whatever was dropped on the way is back, as it was.
    void schemaAsBefore()
    {
        QCOMPARE(schemaOf(org->db()), schemaBefore);
        if (org->db().dialect() == Dialect::Sqlite) {
            QCOMPARE(org->scalar(QStringLiteral("PRAGMA foreign_keys")), 1);
            QCOMPARE(column(org->db(), QStringLiteral("PRAGMA integrity_check")),
                     QStringList{QStringLiteral("ok")});
            QCOMPARE(column(org->db(), QStringLiteral("PRAGMA foreign_key_check")), QStringList{});
        } else {
            QCOMPARE(org->scalar(QStringLiteral("SELECT count(*) FROM pg_index WHERE indrelid = "
                                                "'users'::regclass AND NOT indisvalid")),
                     0);
        }
    }

    void progressIsReported()
    {
        QVERIFY(!progress.isEmpty());
        QCOMPARE(progress.last(), (std::pair<qint64, qint64>{2200, 2200}));
        for (qsizetype i = 1; i < progress.size(); ++i)
            QVERIFY(progress.at(i).first > progress.at(i - 1).first);
    }

    // Last: it changes the organisation. The next user gets the next id (SQLite's max + 1,
    // PostgreSQL's sequence went on), is found by the search, and foreign keys hold again.
    void organisationWorksAfterwards()
    {
        const qint64 id = org->addUnconfirmedUser(QStringLiteral("late.comer@acme.example"),
                                                  QStringLiteral("Late Comer"), UserKind::Crm);
        QCOMPARE(id, org->adminId() + 2201);
        QCOMPARE(viewCount(UserView::All, UserKind::Crm, QStringLiteral("late com")), 1);
        QSqlQuery orphan = org->db().prepare(
            QStringLiteral("INSERT INTO invitations (user_id, token_hash, created_at, expires_at) "
                           "VALUES (?, 'orphan', 0, 0)"));
        orphan.addBindValue(id + 1000);
        QVERIFY(!org->db().exec(orphan));
    }

    // A failure undoes everything: the rows, and the dropped indexes and trigger come back. An
    // administrator id that is no user breaks the created_by foreign key.
    void aFailureLeavesTheOrganisationAsItWas()
    {
        TestOrg other;
        QVERIFY2(other.isValid(), qPrintable(other.error()));
        const QStringList schema = schemaOf(other.db());
        DemoOptions o;
        o.users = 300;
        QVERIFY(!generateDemoData(other.db(), other.clock(), other.adminId() + 1000, o));
        QCOMPARE(other.scalar(QStringLiteral("SELECT count(*) FROM users")), 1);
        QCOMPARE(other.scalar(QStringLiteral("SELECT count(*) FROM invitations")), 0);
        QCOMPARE(schemaOf(other.db()), schema);
        if (other.db().dialect() == Dialect::Sqlite)
            QCOMPARE(other.scalar(QStringLiteral("PRAGMA foreign_keys")), 1);
        // And it can be done again, properly.
        QVERIFY(generateDemoData(other.db(), other.clock(), other.adminId(), o));
        QCOMPARE(other.scalar(QStringLiteral("SELECT count(*) FROM users")), 331);
    }
};

QTEST_GUILESS_MAIN(TestDemoData)
#include "tst_demodata.moc"
