// SPEC §9's "change email and re-invite": unconfirmed users only, one transaction, audited with
// the old and new address, the old link dead, the cooldown not in the way. Both engines.
#include "app/audit.h"
#include "app/userservice.h"
#include "models/userrepository.h"
#include "testsupport.h"

#include <QSqlQuery>
#include <QTest>

#include <functional>
#include <utility>

using namespace roster;
using namespace testsupport;

namespace {
// A clock that runs `onRead` the first time it is read: another console's change landing while
// a call is under way, at the moment the call asks the time.
class InterruptingClock final : public Clock
{
public:
    InterruptingClock(qint64 nowMs, std::function<void()> onRead)
        : m_now(nowMs), m_onRead(std::move(onRead))
    {}
    qint64 nowMs() const override
    {
        if (m_onRead)
            std::exchange(m_onRead, {})();
        return m_now;
    }

private:
    qint64 m_now;
    mutable std::function<void()> m_onRead;
};
} // namespace

class TestChangeEmail : public QObject
{
    Q_OBJECT
    std::unique_ptr<TestOrg> org;

private Q_SLOTS:
    void init()
    {
        org = std::make_unique<TestOrg>();
        QVERIFY2(org->isValid(), qPrintable(org->error()));
    }
    void cleanup() { org.reset(); }

    void changesRevokesAndReinvitesInOneStep()
    {
        const qint64 id = org->addUnconfirmedUser(QStringLiteral("jon.smiht@acme.example"));
        UserService service(org->db(), org->clock(), org->adminId());
        InvitationService invites(org->db(), org->clock(), org->adminId());
        // A link of the old invitation, to show it dies.
        auto link = invites.copyInviteLink(id);
        QVERIFY(!link); // the cooldown refuses a second invitation this soon...
        org->clock().advanceMinutes(10);
        link = invites.copyInviteLink(id);
        QVERIFY2(link, link ? "" : qPrintable(link.error().message));
        // ...but not a change of address, made right after it.
        auto r = service.changeEmail(id, QStringLiteral(" jon.smith@acme.example "));
        QVERIFY2(r, r ? "" : qPrintable(r.error().message));
        QVERIFY(r->outboxId > 0);
        const UserRecord u = UserRepository(org->db()).byId(id).value();
        QCOMPARE(u.email, QStringLiteral("jon.smith@acme.example"));
        QCOMPARE(u.mailState, QStringLiteral("queued"));
        QCOMPARE(
            org->scalar(QStringLiteral("SELECT count(*) FROM invitations WHERE user_id = ? AND "
                                       "revoked_at IS NULL AND accepted_at IS NULL"),
                        {id}),
            1);
        QCOMPARE(org->scalar(QStringLiteral("SELECT count(*) FROM outbox WHERE user_id = ? AND "
                                            "state = 'queued' AND recipient = ?"),
                             {id, QStringLiteral("jon.smith@acme.example")}),
                 1);
        QCOMPARE(org->scalar(QStringLiteral("SELECT count(*) FROM outbox WHERE user_id = ? AND "
                                            "state = 'queued' AND recipient <> ?"),
                             {id, QStringLiteral("jon.smith@acme.example")}),
                 0);
        const auto audit = readAudit(org->db(), 20, id);
        bool found = false;
        for (const AuditEntry &e : audit.value())
            if (e.action == u"user.change_email")
                found = e.detail.contains(QStringLiteral("jon.smiht@acme.example")) &&
                        e.detail.contains(QStringLiteral("jon.smith@acme.example"));
        QVERIFY(found);
        // The old link is refused; the new mail goes to the new address.
        auto accept = InvitationService::acceptInvitation(org->db(), org->clock(), link->token,
                                                          QStringLiteral("a long enough password"));
        QVERIFY(!accept);
        QCOMPARE(org->deliver(), 1);
    }

    // The actor's permission is read inside the transaction that changes the address, after the
    // actor's row is locked, like every other action's: an administrator demoted by another
    // console while the call is under way (here as it reads the time, before its transaction
    // begins) changes nothing. It was read before the transaction, and the change went through.
    void demotedWhileUnderWayChangesNothing()
    {
        const qint64 b = org->addConfirmedUser(QStringLiteral("second@acme.example"),
                                               QStringLiteral("Administrator"));
        const qint64 id = org->addUnconfirmedUser(QStringLiteral("jon.smiht@acme.example"));
        bool demoted = false;
        InterruptingClock clock(org->clock().nowMs(), [&] {
            QSqlQuery q = org->db().prepare(QStringLiteral(
                "UPDATE users SET profile_id = (SELECT id FROM profiles WHERE name = "
                "'Standard') WHERE id = ?"));
            q.addBindValue(b);
            demoted = bool(org->db().exec(q));
        });
        auto r = UserService(org->db(), clock, b)
                     .changeEmail(id, QStringLiteral("jon.smith@acme.example"));
        QVERIFY(demoted);
        QVERIFY(!r);
        QCOMPARE(int(r.error().kind), int(ErrorKind::Refused));
        QCOMPARE(UserRepository(org->db()).byId(id)->email,
                 QStringLiteral("jon.smiht@acme.example"));
        QCOMPARE(
            org->scalar(QStringLiteral("SELECT count(*) FROM audit_log WHERE actor_id = ?"), {b}),
            0);
    }

    // An unconfirmed administrator's address is the administrator's invitation: a Manage Users
    // profile that changed it could accept that invitation itself. Changing the address edits
    // the user, and only an Administrator edits an administrator (editRefusal).
    void managerCannotRedirectAnAdministratorsInvitation()
    {
        const qint64 manager = org->addConfirmedUser(QStringLiteral("uma@acme.example"),
                                                     QStringLiteral("User Manager"));
        NewUser nu;
        nu.email = QStringLiteral("new.admin@acme.example");
        nu.name = QStringLiteral("New Admin");
        nu.profile = QStringLiteral("Administrator");
        auto added = UserService(org->db(), org->clock(), org->adminId()).addUser(nu);
        QVERIFY2(added, added ? "" : qPrintable(added.error().message));
        const QString before = org->dump();
        auto r = UserService(org->db(), org->clock(), manager)
                     .changeEmail(added->user.id, QStringLiteral("uma+admin@acme.example"));
        QVERIFY(!r);
        QCOMPARE(int(r.error().kind), int(ErrorKind::Refused));
        QVERIFY2(r.error().message.contains(QStringLiteral("Only an Administrator")),
                 qPrintable(r.error().message));
        QCOMPARE(org->dump(), before);
    }

    void refusedWithReasons_data()
    {
        QTest::addColumn<QString>("target"); // confirmed | unconfirmed
        QTest::addColumn<QString>("newEmail");
        QTest::addColumn<int>("kind");
        QTest::addColumn<QString>("reason");
        QTest::newRow("confirmed user") << u"confirmed"_qs << u"new@acme.example"_qs
                                        << int(ErrorKind::Refused) << u"confirmed"_qs;
        QTest::newRow("duplicate") << u"unconfirmed"_qs << u"other@acme.example"_qs
                                   << int(ErrorKind::Refused) << u"already a user"_qs;
        QTest::newRow("duplicate, other case") << u"unconfirmed"_qs << u"OTHER@acme.example"_qs
                                               << int(ErrorKind::Refused) << u"already a user"_qs;
        QTest::newRow("invalid") << u"unconfirmed"_qs << u"not an address"_qs
                                 << int(ErrorKind::Invalid) << QString();
        QTest::newRow("header injection") << u"unconfirmed"_qs << u"a@b.example\r\nBcc: x@y"_qs
                                          << int(ErrorKind::Invalid) << QString();
        QTest::newRow("same address") << u"unconfirmed"_qs << u"Target@acme.example"_qs
                                      << int(ErrorKind::Invalid) << u"already"_qs;
    }
    void refusedWithReasons()
    {
        QFETCH(QString, target);
        QFETCH(QString, newEmail);
        QFETCH(int, kind);
        QFETCH(QString, reason);
        const qint64 id =
            target == u"confirmed"
                ? org->addConfirmedUser(QStringLiteral("target@acme.example"),
                                        QStringLiteral("Standard"), TestOrg::testKind())
                : org->addUnconfirmedUser(QStringLiteral("target@acme.example"));
        org->addUnconfirmedUser(QStringLiteral("other@acme.example"));
        const QString before = org->dump();
        UserService service(org->db(), org->clock(), org->adminId());
        auto r = service.changeEmail(id, newEmail);
        QVERIFY(!r);
        QCOMPARE(int(r.error().kind), kind);
        QVERIFY2(r.error().message.contains(reason), qPrintable(r.error().message));
        QCOMPARE(org->dump(), before);
    }
};

QTEST_GUILESS_MAIN(TestChangeEmail)
#include "tst_changeemail.moc"
