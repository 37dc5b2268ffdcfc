// SPEC §9's effect of a bounce: matched by tag, ENVID or Message-ID; a failure marks the mail
// bounced (audited), a delay and a superseded invitation are history only, a report counts once,
// and what matches nothing is left alone. On SQLite and PostgreSQL.
#include "app/audit.h"
#include "app/bounceservice.h"
#include "app/orgsettings.h"
#include "app/userservice.h"
#include "models/userfilter.h"
#include "models/userrepository.h"
#include "testsupport.h"

#include <QFile>
#include <QSqlQuery>
#include <QTest>

using namespace roster;
using namespace testsupport;

class TestBounceService : public QObject
{
    Q_OBJECT
    std::unique_ptr<TestOrg> org;

    static QByteArray sample(const char *name)
    {
        QFile f(qEnvironmentVariable("ROSTER_SOURCE_DIR") + QStringLiteral("/tests/mail/bounces/") +
                QString::fromLatin1(name));
        if (!f.open(QIODevice::ReadOnly))
            qFatal("missing sample %s", name);
        return f.readAll();
    }
    QString tagOf(qint64 userId)
    {
        QSqlQuery q =
            org->db().prepare(QStringLiteral("SELECT o.bounce_tag FROM outbox o JOIN users u ON "
                                             "u.last_outbox_id = o.id WHERE u.id = ?"));
        q.addBindValue(userId);
        if (!org->db().exec(q) || !q.next())
            return {};
        return q.value(0).toString();
    }
    QString messageIdOf(qint64 userId)
    {
        QSqlQuery q =
            org->db().prepare(QStringLiteral("SELECT o.message_id FROM outbox o JOIN users u ON "
                                             "u.last_outbox_id = o.id WHERE u.id = ?"));
        q.addBindValue(userId);
        if (!org->db().exec(q) || !q.next())
            return {};
        return q.value(0).toString();
    }
    // The Postfix DSN sample, addressed to `tag` (and with that ENVID), or with neither.
    static QByteArray dsn(const QString &tag, const char *file = "postfix-dsn-failure.eml",
                          const QByteArray &sampleTag = "k7m2qx4ab5cd6efg")
    {
        QByteArray m = sample(file);
        m.replace(sampleTag, tag.toLatin1());
        return m;
    }
    QList<AuditEntry> audit(qint64 userId, const QString &action)
    {
        QList<AuditEntry> out;
        const auto entries = readAudit(org->db(), 100, userId);
        for (const AuditEntry &e : entries.value())
            if (e.action == action)
                out << e;
        return out;
    }

private Q_SLOTS:
    void init()
    {
        org = std::make_unique<TestOrg>();
        QVERIFY2(org->isValid(), qPrintable(org->error()));
        OrgSettings s = OrgSettings::load(org->db()).value();
        s.bounceAddress = QStringLiteral("bounces@roster.test");
        QVERIFY(s.save(org->db()));
    }
    void cleanup() { org.reset(); }

    void failureMarksTheInvitationBouncedOnce()
    {
        const qint64 jon = org->addUnconfirmedUser(QStringLiteral("jon.smiht@bouncing.test"));
        const qint64 ann = org->addUnconfirmedUser(QStringLiteral("ann@acme.example"));
        QCOMPARE(org->deliver(), 2);
        const QString tag = tagOf(jon);
        QCOMPARE(tag.size(), 16);
        BounceService service(org->db(), org->clock());
        auto line = service.apply(dsn(tag), QStringLiteral("bounces@roster.test"));
        QVERIFY2(line, line ? "" : qPrintable(line.error().message));
        QCOMPARE(line->outcome, BounceLine::Outcome::Bounced);
        QCOMPARE(line->userId, jon);
        QCOMPARE(line->matchedBy, QStringLiteral("verp"));
        QVERIFY(line->flagSeen());
        const UserRecord u = UserRepository(org->db()).byId(jon).value();
        QCOMPARE(u.mailState, QStringLiteral("bounced"));
        QVERIFY2(u.mailReply.startsWith(QStringLiteral("550 5.1.1 <jon.smiht@bouncing.test>")),
                 qPrintable(u.mailReply));
        QCOMPARE(UserRepository(org->db()).byId(ann)->mailState, QStringLiteral("sent"));
        QCOMPARE(audit(jon, QStringLiteral("invitation.bounced")).size(), 1);

        // The Bounced view lists exactly that user.
        UserFilter f;
        f.kind = TestOrg::testKind();
        f.view = UserView::Bounced;
        auto listed = UserRepository(org->db()).fetch(f, 0, 100);
        QVERIFY(listed);
        QCOMPARE(listed->size(), 1);
        QCOMPARE(listed->first().id, jon);

        // The same report again: nothing more.
        const QString before = org->dump();
        auto again = service.apply(dsn(tag), QStringLiteral("bounces@roster.test"));
        QCOMPARE(again->outcome, BounceLine::Outcome::Duplicate);
        QVERIFY(again->flagSeen());
        QCOMPARE(org->dump(), before);
    }

    void matchedByEnvidElseMessageId()
    {
        const qint64 a = org->addUnconfirmedUser(QStringLiteral("a@bouncing.test"));
        const qint64 b = org->addUnconfirmedUser(QStringLiteral("b@bouncing.test"));
        QCOMPARE(org->deliver(), 2);
        BounceService service(org->db(), org->clock());
        // A forwarder rewrote the recipient: no VERP tag, but the ENVID came back.
        QByteArray m = dsn(tagOf(a));
        m.replace(QByteArray("bounces+" + tagOf(a).toLatin1() + "@roster.test"),
                  "postmaster@roster.test");
        auto byEnvid = service.apply(m, QStringLiteral("bounces@roster.test"));
        QCOMPARE(byEnvid->outcome, BounceLine::Outcome::Bounced);
        QCOMPARE(byEnvid->userId, a);
        QCOMPARE(byEnvid->matchedBy, QStringLiteral("envid"));
        // A plain bounce with only the returned headers.
        QByteArray plain = sample("plain-undelivered.eml");
        plain.replace("roster.99998888777766665555444433332222@roster.test",
                      messageIdOf(b).toLatin1());
        auto byId = service.apply(plain, QStringLiteral("bounces@roster.test"));
        QCOMPARE(byId->outcome, BounceLine::Outcome::Bounced);
        QCOMPARE(byId->userId, b);
        QCOMPARE(byId->matchedBy, QStringLiteral("message-id"));
    }

    void delayIsHistoryOnly()
    {
        const qint64 ana = org->addUnconfirmedUser(QStringLiteral("ana@slow.test"));
        QCOMPARE(org->deliver(), 1);
        BounceService service(org->db(), org->clock());
        auto line = service.apply(dsn(tagOf(ana), "postfix-dsn-delay.eml", "p3qrs7tuv2wxyz45"),
                                  QStringLiteral("bounces@roster.test"));
        QCOMPARE(line->outcome, BounceLine::Outcome::Delayed);
        QCOMPARE(UserRepository(org->db()).byId(ana)->mailState, QStringLiteral("sent"));
        const QList<AuditEntry> delayed = audit(ana, QStringLiteral("invitation.delayed"));
        QCOMPARE(delayed.size(), 1);
        QVERIFY(delayed.first().detail.contains(QStringLiteral("4.4.1")));
    }

    void aSupersededInvitationIsHistoryOnly()
    {
        const qint64 jon = org->addUnconfirmedUser(QStringLiteral("jon@bouncing.test"));
        QCOMPARE(org->deliver(), 1);
        const QString oldTag = tagOf(jon);
        org->clock().advanceMinutes(10); // past the cooldown
        InvitationService users(org->db(), org->clock(), org->adminId());
        QVERIFY(users.reinvite(jon));
        QCOMPARE(org->deliver(), 1);
        QVERIFY(tagOf(jon) != oldTag);
        BounceService service(org->db(), org->clock());
        auto line = service.apply(dsn(oldTag), QStringLiteral("bounces@roster.test"));
        QCOMPARE(line->outcome, BounceLine::Outcome::Superseded);
        QCOMPARE(UserRepository(org->db()).byId(jon)->mailState, QStringLiteral("sent"));
        QCOMPARE(audit(jon, QStringLiteral("invitation.bounced_superseded")).size(), 1);
        QCOMPARE(audit(jon, QStringLiteral("invitation.bounced")).size(), 0);
    }

    void unmatchedAndNonReportsAreLeftAlone()
    {
        org->addUnconfirmedUser(QStringLiteral("x@acme.example"));
        QCOMPARE(org->deliver(), 1);
        BounceService service(org->db(), org->clock());
        const QString before = org->dump();
        // A well-formed tag nobody was given.
        auto unmatched = service.apply(dsn(QStringLiteral("aaaaaaaaaaaaaaaa")),
                                       QStringLiteral("bounces@roster.test"));
        QCOMPARE(unmatched->outcome, BounceLine::Outcome::Unmatched);
        QVERIFY(!unmatched->flagSeen());
        for (const char *f :
             {"out-of-office.eml", "out-of-office-xautoreply.eml", "ordinary-mail.eml"}) {
            auto l = service.apply(sample(f), QStringLiteral("bounces@roster.test"));
            QCOMPARE(l->outcome, BounceLine::Outcome::NotAReport);
            QVERIFY(!l->flagSeen());
        }
        QCOMPARE(org->dump(), before);
    }
};

QTEST_GUILESS_MAIN(TestBounceService)
#include "tst_bounceservice.moc"
