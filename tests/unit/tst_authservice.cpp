// SPEC §2.1 at sign-in, and the lockout of issue 9.
#include "app/passwordhasher.h"
#include "app/userservice.h"
#include "testsupport.h"

#include <QElapsedTimer>
#include <QSqlQuery>
#include <QTest>

using namespace roster;
using namespace testsupport;

class TestAuthService : public QObject
{
    Q_OBJECT
    std::unique_ptr<TestOrg> org;

private slots:
    void init()
    {
        org = std::make_unique<TestOrg>();
        QVERIFY2(org->isValid(), qPrintable(org->error()));
    }
    void cleanup() { org.reset(); }

    void administratorSignsIn()
    {
        AuthService auth(org->db(), org->clock());
        auto s = auth.signIn(QStringLiteral("ADMIN@acme.example"), TestOrg::adminPassword());
        QVERIFY2(s, s ? "" : qPrintable(s.error().message));
        QCOMPARE(s->userId, org->adminId());
        QVERIFY(s->isAdmin);
    }

    void manageUsersProfileSignsIn()
    {
        org->addConfirmedUser(QStringLiteral("uma@acme.example"), QStringLiteral("User Manager"));
        AuthService auth(org->db(), org->clock());
        auto s = auth.signIn(QStringLiteral("uma@acme.example"), TestOrg::adminPassword());
        QVERIFY(s);
        QVERIFY(!s->isAdmin);
    }

    void standardUserIsToldWhy()
    {
        org->addConfirmedUser(QStringLiteral("sam@acme.example"), QStringLiteral("Standard"));
        AuthService auth(org->db(), org->clock());
        auto s = auth.signIn(QStringLiteral("sam@acme.example"), TestOrg::adminPassword());
        QVERIFY(!s);
        QCOMPARE(s.error().kind, ErrorKind::Refused);
        QVERIFY2(s.error().message.contains(QStringLiteral("Standard")),
                 qPrintable(s.error().message));
        QVERIFY(s.error().message.contains(QStringLiteral("may not manage users")));
    }

    void portalUserNeverSignsIn()
    {
        org->addConfirmedUser(QStringLiteral("cust@client.example"),
                              QStringLiteral("Administrator"), UserKind::Portal);
        AuthService auth(org->db(), org->clock());
        auto s = auth.signIn(QStringLiteral("cust@client.example"), TestOrg::adminPassword());
        QVERIFY(!s);
        QCOMPARE(s.error().message, QStringLiteral("Wrong email or password."));
    }

    void wrongPasswordAndUnknownEmailLookTheSame()
    {
        AuthService auth(org->db(), org->clock());
        auto wrong = auth.signIn(TestOrg::adminEmail(), QStringLiteral("not the password"));
        auto unknown =
            auth.signIn(QStringLiteral("nobody@acme.example"), QStringLiteral("not the password"));
        QVERIFY(!wrong && !unknown);
        QCOMPARE(wrong.error().message, unknown.error().message);
        QCOMPARE(wrong.error().kind, ErrorKind::Refused);
    }

    void deactivatedAndUnconfirmedAdministratorsAreRefused()
    {
        const qint64 other = org->addConfirmedUser(QStringLiteral("vic@acme.example"),
                                                   QStringLiteral("Administrator"));
        UserService s(org->db(), org->clock(), org->adminId());
        QVERIFY(s.setActive(other, false));
        AuthService auth(org->db(), org->clock());
        QVERIFY(!auth.signIn(QStringLiteral("vic@acme.example"), TestOrg::adminPassword()));
        QVERIFY(s.setActive(other, true));
        QVERIFY(auth.signIn(QStringLiteral("vic@acme.example"), TestOrg::adminPassword()));
    }

    void fiveWrongPasswordsLockTheAccountForFifteenMinutes()
    {
        AuthService auth(org->db(), org->clock());
        for (int i = 0; i < AuthService::maxFailures; ++i)
            QVERIFY(!auth.signIn(TestOrg::adminEmail(), QStringLiteral("wrong %1").arg(i)));
        auto locked = auth.signIn(TestOrg::adminEmail(), TestOrg::adminPassword());
        QVERIFY(!locked);
        // Issue 13 point 12: the lock is not told to whoever tries (it said "15 minutes", so
        // the account existed); the legitimate user learns it after the lock, below.
        QCOMPARE(locked.error().message, QStringLiteral("Wrong email or password."));
        QCOMPARE(org->scalar(QStringLiteral(
                     "SELECT count(*) FROM audit_log WHERE action = 'signin.locked'")),
                 1);
        org->clock().advanceMinutes(14);
        QVERIFY(!auth.signIn(TestOrg::adminEmail(), TestOrg::adminPassword()));
        org->clock().advanceMinutes(1);
        auto after = auth.signIn(TestOrg::adminEmail(), TestOrg::adminPassword());
        QVERIFY(after);
        QVERIFY2(after->notice.contains(QStringLiteral("locked")), qPrintable(after->notice));
        QVERIFY(auth.signIn(TestOrg::adminEmail(), TestOrg::adminPassword())->notice.isEmpty());
    }

    // Issue 13 point 12: a locked account (even with its right password), a wrong password and
    // an unknown email get the same words and the same kind, and each pays one Argon2
    // verification (the locked account paid none; an unknown email paid a hash and a
    // verification, the dummy hash being made on first use).
    void lockedWrongAndUnknownLookTheSame()
    {
        const QString other = QStringLiteral("olga@acme.example");
        QVERIFY(org->addConfirmedUser(other, QStringLiteral("Administrator")));
        AuthService auth(org->db(), org->clock());
        for (int i = 0; i < AuthService::maxFailures; ++i)
            QVERIFY(!auth.signIn(TestOrg::adminEmail(), QStringLiteral("wrong %1").arg(i)));
        QElapsedTimer t;
        t.start();
        auto unknown = auth.signIn(QStringLiteral("nobody@acme.example"), TestOrg::adminPassword());
        const qint64 unknownMs = t.restart();
        auto locked = auth.signIn(TestOrg::adminEmail(), TestOrg::adminPassword());
        const qint64 lockedMs = t.restart();
        auto wrong = auth.signIn(other, QStringLiteral("not the password"));
        const qint64 wrongMs = t.elapsed();
        QVERIFY(!unknown && !locked && !wrong);
        QCOMPARE(locked.error().message, wrong.error().message);
        QCOMPARE(unknown.error().message, wrong.error().message);
        QCOMPARE(locked.error().kind, ErrorKind::Refused);
        QCOMPARE(unknown.error().kind, ErrorKind::Refused);
        QCOMPARE(wrong.error().kind, ErrorKind::Refused);
        // The dummy hash has the parameters of a stored one, so it costs the same to verify.
        const QString stored = PasswordHasher::hash(QStringLiteral("whatever it is"));
        const auto params = [](const QString &h) { return h.section(u'$', 1, 3); };
        QCOMPARE(params(PasswordHasher::dummyHash()), params(stored));
        qInfo() << "sign-in refusals: unknown" << unknownMs << "ms, locked" << lockedMs
                << "ms, wrong" << wrongMs << "ms";
    }

    void storedHashCarriesOwaspParameters()
    {
        QSqlQuery q =
            org->db().prepare(QStringLiteral("SELECT password_hash FROM users WHERE id = ?"));
        q.addBindValue(org->adminId());
        QVERIFY(org->db().exec(q) && q.next());
        const QString hash = q.value(0).toString();
        QVERIFY2(hash.startsWith(QStringLiteral("$argon2id$v=19$m=19456,t=2,p=1$")),
                 qPrintable(hash));
        QVERIFY(!hash.contains(TestOrg::adminPassword()));
        QVERIFY(PasswordHasher::verify(hash, TestOrg::adminPassword()));
        QVERIFY(!PasswordHasher::verify(hash, TestOrg::adminPassword() + u'x'));
    }

    void firstAdministratorOnlyOnce()
    {
        auto again = AuthService::createFirstAdmin(
            org->db(), org->clock(), QStringLiteral("other@acme.example"), QStringLiteral("Other"),
            QStringLiteral("long enough pw"));
        QVERIFY(!again);
        QCOMPARE(again.error().kind, ErrorKind::Refused);
    }
};

QTEST_GUILESS_MAIN(TestAuthService)
#include "tst_authservice.moc"
