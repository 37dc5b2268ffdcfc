// SPEC §3's outbox: states, backoff, claims. The transport here is scripted (replies chosen per
// message); the real servers are exercised in tests/smtp and tests/integration.
#include "app/bouncetag.h"
#include "app/demodata.h"
#include "app/orgsettings.h"
#include "app/backgrounddelivery.h"
#include "app/outbox.h"
#include "app/sealer.h"
#include "app/userservice.h"
#include "models/userfilter.h"
#include "models/userrepository.h"
#include "testsupport.h"

#include <QSqlQuery>
#include <QSysInfo>
#include <QTest>

using namespace roster;
using namespace testsupport;

namespace {
bool isPlausibleTag(const QString &t)
{
    for (QChar c : t)
        if (!((c >= u'a' && c <= u'z') || (c >= u'2' && c <= u'7')))
            return false;
    return !t.isEmpty();
}

class ScriptedTransport final : public MailTransport
{
public:
    QList<DeliveryResult::Outcome> script; // consumed per message; Sent when empty
    QList<OutgoingMessage> seen;
    bool connectionError = false;
    QList<DeliveryResult> deliver(const QList<OutgoingMessage> &messages) override
    {
        QList<DeliveryResult> out;
        for (const OutgoingMessage &m : messages) {
            seen.append(m);
            DeliveryResult r;
            r.outcome = script.isEmpty() ? DeliveryResult::Outcome::Sent : script.takeFirst();
            r.reply = r.outcome == DeliveryResult::Outcome::Sent
                          ? QStringLiteral("250 2.0.0 queued")
                      : r.outcome == DeliveryResult::Outcome::Temporary
                          ? QStringLiteral("451 4.3.0 try later")
                          : QStringLiteral("550 5.1.1 no such user");
            r.connectionError = connectionError;
            out.append(r);
        }
        return out;
    }
};
} // namespace

class TestOutbox : public QObject
{
    Q_OBJECT
    std::unique_ptr<TestOrg> org;

    Sealer sealer() { return Sealer::forDatabase(org->db()).value(); }
    QString state(qint64 userId)
    {
        QSqlQuery q = org->db().prepare(
            QStringLiteral("SELECT state FROM outbox WHERE user_id = ? ORDER BY id DESC"));
        q.addBindValue(userId);
        if (!org->db().exec(q) || !q.next())
            return {};
        return q.value(0).toString();
    }

private slots:
    void init()
    {
        org = std::make_unique<TestOrg>();
        QVERIFY2(org->isValid(), qPrintable(org->error()));
    }
    void cleanup() { org.reset(); }

    void backoffDoublesFromOneMinuteCappedAtOneHour()
    {
        QCOMPARE(Outbox::retryDelayMs(1), 60000);
        QCOMPARE(Outbox::retryDelayMs(2), 120000);
        QCOMPARE(Outbox::retryDelayMs(3), 240000);
        QCOMPARE(Outbox::retryDelayMs(6), 32 * 60000);
        QCOMPARE(Outbox::retryDelayMs(7), 60 * 60000);
        QCOMPARE(Outbox::retryDelayMs(50), 60 * 60000);
    }

    void temporaryFailureDefersThenSends()
    {
        const qint64 id = org->addUnconfirmedUser(QStringLiteral("a@acme.example"));
        ScriptedTransport t;
        t.script = {DeliveryResult::Outcome::Temporary, DeliveryResult::Outcome::Temporary};
        Outbox outbox(org->db(), org->clock());
        auto r = outbox.deliverDue(t, sealer());
        QVERIFY(r);
        QCOMPARE(r->size(), 1);
        QCOMPARE(r->first().state, QStringLiteral("deferred"));
        QCOMPARE(r->first().reply, QStringLiteral("451 4.3.0 try later"));
        QCOMPARE(r->first().nextAttemptAt, org->clock().nowMs() + 60000);
        QCOMPARE(UserRepository(org->db()).byId(id)->mailState, QStringLiteral("deferred"));
        // Not due yet: nothing happens.
        QCOMPARE(outbox.deliverDue(t, sealer())->size(), 0);
        org->clock().advanceMinutes(1);
        QCOMPARE(outbox.deliverDue(t, sealer())->first().nextAttemptAt,
                 org->clock().nowMs() + 120000);
        org->clock().advanceMinutes(2);
        auto sent = outbox.deliverDue(t, sealer());
        QCOMPARE(sent->first().state, QStringLiteral("sent"));
        QCOMPARE(t.seen.size(), 3);
        // The same Message-ID on every attempt.
        QVERIFY(
            t.seen.at(0).data.contains(QByteArray("Message-ID: <" + t.seen.at(0).messageId + '>')));
        QCOMPARE(t.seen.at(0).messageId, t.seen.at(2).messageId);
        QCOMPARE(UserRepository(org->db()).byId(id)->mailState, QStringLiteral("sent"));
        QCOMPARE(org->scalar(
                     QStringLiteral("SELECT count(*) FROM outbox WHERE sealed_token IS NOT NULL")),
                 0);
    }

    void permanentFailureFailsAtOnceWithTheReply()
    {
        const qint64 id = org->addUnconfirmedUser(QStringLiteral("b@acme.example"));
        ScriptedTransport t;
        t.script = {DeliveryResult::Outcome::Permanent};
        Outbox outbox(org->db(), org->clock());
        auto r = outbox.deliverDue(t, sealer());
        QCOMPARE(r->first().state, QStringLiteral("failed"));
        const UserRecord u = UserRepository(org->db()).byId(id).value();
        QCOMPARE(u.mailState, QStringLiteral("failed"));
        QCOMPARE(u.mailReply, QStringLiteral("550 5.1.1 no such user"));
        org->clock().advanceDays(1);
        QCOMPARE(outbox.deliverDue(t, sealer())->size(), 0);
    }

    void givesUpAfterFiveDays()
    {
        org->addUnconfirmedUser(QStringLiteral("c@acme.example"));
        ScriptedTransport t;
        for (int i = 0; i < 500; ++i)
            t.script << DeliveryResult::Outcome::Temporary;
        Outbox outbox(org->db(), org->clock());
        QString last;
        int attempts = 0;
        for (int hour = 0; hour <= 5 * 24 + 2; ++hour) {
            auto r = outbox.deliverDue(t, sealer());
            QVERIFY(r);
            if (!r->isEmpty()) {
                last = r->last().state;
                ++attempts;
            }
            org->clock().advanceMinutes(60);
        }
        QCOMPARE(last, QStringLiteral("failed"));
        QVERIFY2(attempts > 100 && attempts < 130, qPrintable(QString::number(attempts)));
    }

    void connectionErrorStopsTheRunAndKeepsTheRestQueued()
    {
        for (int i = 0; i < 5; ++i)
            org->addUnconfirmedUser(QStringLiteral("d%1@acme.example").arg(i));
        ScriptedTransport t;
        t.connectionError = true;
        t.script = {DeliveryResult::Outcome::Temporary, DeliveryResult::Outcome::Temporary};
        Outbox outbox(org->db(), org->clock());
        auto r = outbox.deliverDue(t, sealer(), 2);
        QVERIFY(r);
        QCOMPARE(r->size(), 2);
        QCOMPARE(org->scalar(QStringLiteral("SELECT count(*) FROM outbox WHERE state = 'queued'")),
                 3);
    }

    // Only the given rows go out, a batch of them per claim, whatever their order and however
    // many batches they make; the others stay queued.
    void onlyTheGivenRowsGoOutBatchByBatch()
    {
        for (int i = 0; i < 9; ++i)
            org->addUnconfirmedUser(QStringLiteral("only%1@acme.example").arg(i));
        QList<qint64> all;
        QSqlQuery q = org->db().prepare(QStringLiteral("SELECT id FROM outbox ORDER BY id"));
        QVERIFY(org->db().exec(q));
        while (q.next())
            all << q.value(0).toLongLong();
        q.finish();
        QCOMPARE(all.size(), 9);
        const QList<qint64> wanted = {all.at(7), all.at(1), all.at(4),
                                      all.at(2), all.at(8), all.at(1)};
        ScriptedTransport t;
        Outbox outbox(org->db(), org->clock());
        auto r = outbox.deliverDue(t, sealer(), 2, wanted);
        QVERIFY(r);
        QList<qint64> sent;
        for (const DeliveryReport &d : r.value()) {
            QCOMPARE(d.state, QStringLiteral("sent"));
            sent << d.outboxId;
        }
        std::sort(sent.begin(), sent.end());
        QCOMPARE(sent, (QList<qint64>{all.at(1), all.at(2), all.at(4), all.at(7), all.at(8)}));
        QCOMPARE(t.seen.size(), 5);
        QCOMPARE(org->scalar(QStringLiteral("SELECT count(*) FROM outbox WHERE state = 'queued'")),
                 4);
    }

    // A run makes the link of its accept URL once and puts each token in its place: the link
    // in each mail is invitationLink() of the URL and that message's token (the query's other
    // items and the fragment kept, an old token replaced).
    void aRunsLinksAreInvitationLinks()
    {
        OrgSettings s = OrgSettings::load(org->db()).value();
        s.acceptUrl = QStringLiteral("https://crm.acme.example/accept?lang=en&token=old#top");
        QVERIFY(s.save(org->db()));
        for (int i = 0; i < 3; ++i)
            org->addUnconfirmedUser(QStringLiteral("same%1@acme.example").arg(i),
                                    QStringLiteral("Zoë Ünïcødé %1").arg(i));
        ScriptedTransport t;
        Outbox outbox(org->db(), org->clock());
        QVERIFY(outbox.deliverDue(t, sealer()));
        QCOMPARE(t.seen.size(), 3);
        for (const OutgoingMessage &m : std::as_const(t.seen)) {
            const QByteArray token = tokenFromMessage(m.data);
            QCOMPARE(token.size(), 43);
            const QString link = invitationLink(s.acceptUrl, token);
            QVERIFY(link.startsWith(u"https://crm.acme.example/accept?lang=en&token="));
            QVERIFY(link.endsWith(QString::fromLatin1(token) + u"#top"));
            QVERIFY2(decodeQuotedPrintable(m.data).contains(link.toLatin1()), m.data.constData());
        }
    }

    // A bulk re-invite of several batches with its mail delivered beside it: every invitation
    // it queued is mailed once and reported once; mail queued before it (a user it skipped) is
    // not its to send.
    void backgroundDeliverySendsEachBatchOnceAsItCommits()
    {
        QVERIFY(
            generateDemoData(org->db(), org->clock(), org->adminId(), DemoOptions{12000, 0, 7}));
        UserFilter f;
        f.kind = UserKind::Crm;
        f.view = UserView::Unconfirmed;
        f.nowMs = org->clock().nowMs();
        UserRepository repo(org->db());
        auto rows = repo.fetch(f, 0, 100000, false, -1);
        QVERIFY(rows);
        QList<qint64> ids;
        for (const UserRecord &u : rows.value())
            if (u.active)
                ids << u.id;
        // More than the first batch (500; on SQLite the later batches grow).
        QVERIFY2(ids.size() > 1000, qPrintable(QString::number(ids.size())));
        InvitationService service(org->db(), org->clock(), org->adminId());
        // Re-invited alone just before: the bulk skips this user (cooldown), its mail stays.
        auto single = service.reinvite(ids.first());
        QVERIFY(single);
        const QStringList before = emlFiles(org->mailDir());

        BackgroundDelivery background(org->location(), org->clock(), sealer(),
                                      OrgSettings::load(org->db()).value());
        QVERIFY(background.start(org->db()));
        qsizetype handed = 0;
        int batches = 0;
        auto bulk = service.reinviteMany(ids, [&](qsizetype done, qsizetype) {
            background.committed(ids.mid(handed, done - handed));
            handed = done;
            ++batches;
            return true;
        });
        QString error;
        const QList<DeliveryReport> reports = background.finish(&error);
        QVERIFY2(error.isEmpty(), qPrintable(error));
        QVERIFY(bulk);
        QVERIFY(!bulk->error);
        QVERIFY2(batches >= 2, qPrintable(QString::number(batches)));
        QCOMPARE(bulk->skipped.size(), 1);
        QSet<qint64> queued;
        for (const InviteOutcome &o : bulk->invited)
            queued << o.outboxId;
        QCOMPARE(queued.size(), bulk->invited.size());
        QSet<qint64> reported;
        for (const DeliveryReport &r : reports) {
            QCOMPARE(r.state, QStringLiteral("sent"));
            QVERIFY(queued.contains(r.outboxId));
            QVERIFY(!reported.contains(r.outboxId));
            reported << r.outboxId;
        }
        QCOMPARE(reported, queued);
        QCOMPARE(newFiles(before, emlFiles(org->mailDir())).size(), queued.size());
        QCOMPARE(state(ids.first()), QStringLiteral("queued"));
        QCOMPARE(org->scalar(QStringLiteral("SELECT count(*) FROM outbox WHERE id = ? AND "
                                            "state = 'queued'"),
                             {single->outboxId}),
                 1);
    }

    void reinviteCancelsTheUnsentMailOfTheOldLink()
    {
        const qint64 id = org->addUnconfirmedUser(QStringLiteral("e@acme.example"));
        org->clock().advanceMinutes(6);
        InvitationService s(org->db(), org->clock(), org->adminId());
        QVERIFY(s.reinvite(id));
        QCOMPARE(
            org->scalar(QStringLiteral(
                "SELECT count(*) FROM outbox WHERE state = 'cancelled' AND sealed_token IS NULL")),
            1);
        ScriptedTransport t;
        Outbox outbox(org->db(), org->clock());
        QCOMPARE(outbox.deliverDue(t, sealer())->size(), 1); // only the new one
    }

    void claimsNeverOverlap()
    {
        for (int i = 0; i < 30; ++i)
            org->addUnconfirmedUser(QStringLiteral("f%1@acme.example").arg(i));
        auto second = org->db().reopen();
        QVERIFY(second);
        ScriptedTransport t1, t2;
        Outbox o1(org->db(), org->clock()), o2(*second.value(), org->clock());
        // Interleave: o2 runs inside o1's transport call (a second process mid-delivery).
        struct Nested final : MailTransport
        {
            ScriptedTransport *inner;
            std::function<void()> during;
            QList<DeliveryResult> deliver(const QList<OutgoingMessage> &m) override
            {
                if (during) {
                    during();
                    during = nullptr;
                }
                return inner->deliver(m);
            }
        } nested;
        nested.inner = &t1;
        nested.during = [&] { QVERIFY(o2.deliverDue(t2, sealer(), 7)); };
        QVERIFY(o1.deliverDue(nested, sealer(), 7));
        QSet<QByteArray> ids;
        for (const auto &m : t1.seen + t2.seen)
            ids.insert(m.messageId);
        QCOMPARE(t1.seen.size() + t2.seen.size(), 30);
        QCOMPARE(ids.size(), 30);
        QVERIFY(!t2.seen.isEmpty());
    }

    void claimsOfADeadProcessAreRetried()
    {
        const qint64 id = org->addUnconfirmedUser(QStringLiteral("g@acme.example"));
        QVERIFY(org->db().exec(
            QStringLiteral(
                "UPDATE outbox SET state = 'sending', claimed_by = '%1:999999', claimed_at = %2")
                .arg(QSysInfo::machineHostName())
                .arg(org->clock().nowMs())));
        ScriptedTransport t;
        Outbox outbox(org->db(), org->clock());
        auto r = outbox.deliverDue(t, sealer());
        QVERIFY(r);
        QCOMPARE(r->size(), 1);
        QCOMPARE(state(id), QStringLiteral("sent"));
    }

    // The lease is measured by the database's clock: a process clock a day ahead takes nothing.
    void quietClaimsOfAnotherHostWaitForTheStaleTimeout()
    {
        const qint64 id = org->addUnconfirmedUser(QStringLiteral("h@acme.example"));
        const QString dbNow =
            org->engine() == u"postgresql"
                ? QStringLiteral("CAST(extract(epoch FROM clock_timestamp()) * 1000 AS BIGINT)")
                : QStringLiteral("CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER)");
        QVERIFY(org->db().exec(QStringLiteral("UPDATE outbox SET state = 'sending', claimed_by = "
                                              "'elsewhere:1', claimed_at = %1 - %2")
                                   .arg(dbNow)
                                   .arg(Outbox::staleClaimMs - 60000)));
        ScriptedTransport t;
        Outbox outbox(org->db(), org->clock());
        QCOMPARE(outbox.deliverDue(t, sealer())->size(), 0);
        org->clock().advanceDays(1);
        QCOMPARE(outbox.deliverDue(t, sealer())->size(), 0);
        QVERIFY(org->db().exec(QStringLiteral("UPDATE outbox SET claimed_at = %1 - %2")
                                   .arg(dbNow)
                                   .arg(Outbox::staleClaimMs + 1000)));
        QCOMPARE(outbox.deliverDue(t, sealer())->size(), 1);
        QCOMPARE(state(id), QStringLiteral("sent"));
    }

    // A result whose claim another sender took back is not written over theirs, and is reported.
    void aLostClaimIsReportedNotOverwritten()
    {
        const qint64 id = org->addUnconfirmedUser(QStringLiteral("l@acme.example"));
        ScriptedTransport inner;
        struct Taking final : MailTransport
        {
            ScriptedTransport *inner;
            std::function<void()> during;
            QList<DeliveryResult> deliver(const QList<OutgoingMessage> &m) override
            {
                during();
                return inner->deliver(m);
            }
        } taking;
        taking.inner = &inner;
        taking.during = [&] {
            QVERIFY(org->db().exec(QStringLiteral(
                "UPDATE outbox SET claimed_by = 'elsewhere:2:7' WHERE state = 'sending'")));
        };
        Outbox outbox(org->db(), org->clock());
        auto r = outbox.deliverDue(taking, sealer());
        QVERIFY(r);
        QCOMPARE(r->size(), 1);
        QVERIFY(r->first().claimLost);
        QCOMPARE(org->scalar(QStringLiteral("SELECT count(*) FROM outbox WHERE state = 'sending' "
                                            "AND claimed_by = 'elsewhere:2:7' AND user_id = ?"),
                             {id}),
                 1);
    }

    // A claim whose owner still holds its lock (PostgreSQL) or process (this host) is kept,
    // however old it looks.
    void aLiveClaimIsKeptHoweverOld()
    {
        org->addUnconfirmedUser(QStringLiteral("k@acme.example"));
        auto second = Database::open(org->location(), Database::OpenMode::MustExist);
        QVERIFY(second);
        Outbox owner(*second.value(), org->clock());
        struct Holding final : MailTransport
        {
            std::function<void()> during;
            QList<DeliveryResult> deliver(const QList<OutgoingMessage> &m) override
            {
                during();
                DeliveryResult r;
                r.outcome = DeliveryResult::Outcome::Sent;
                r.reply = QStringLiteral("250 ok");
                return QList<DeliveryResult>(m.size(), r);
            }
        } holding;
        ScriptedTransport other;
        holding.during = [&] {
            // Claimed a day ago by the clock, and from another host by the name.
            QVERIFY(org->db().exec(
                QStringLiteral("UPDATE outbox SET claimed_at = claimed_at - 86400000, claimed_by = "
                               "replace(claimed_by, '%1:', 'elsewhere:') WHERE state = 'sending'")
                    .arg(QSysInfo::machineHostName())));
            const bool pg = org->engine() == u"postgresql";
            Outbox thief(org->db(), org->clock());
            org->clock().advanceDays(1);
            auto r = thief.deliverDue(other, sealer());
            QVERIFY(r);
            // PostgreSQL asks the owner's lock; SQLite, with a name from another host and no
            // heartbeat for a day, can only go by the lease.
            QCOMPARE(r->size(), pg ? 0 : 1);
        };
        QVERIFY(owner.deliverDue(holding, sealer()));
        if (org->engine() == u"postgresql")
            QCOMPARE(other.seen.size(), 0);
    }

    void invitationsGoOutFromTheTaggedBounceAddress()
    {
        // Without a bounce address: the sender address, no DSN, no tag.
        org->addUnconfirmedUser(QStringLiteral("plain@acme.example"));
        ScriptedTransport t;
        Outbox outbox(org->db(), org->clock());
        QVERIFY(outbox.deliverDue(t, sealer()));
        QCOMPARE(t.seen.size(), 1);
        const OrgSettings before = OrgSettings::load(org->db()).value();
        QCOMPARE(t.seen.at(0).envelopeFrom, before.senderAddress.toUtf8());
        QVERIFY(!t.seen.at(0).requestDsn);
        QCOMPARE(org->scalar(QStringLiteral("SELECT count(*) FROM outbox WHERE bounce_tag IS NOT "
                                            "NULL")),
                 0);

        OrgSettings s = before;
        s.bounceAddress = QStringLiteral("bounces@acme.example");
        QVERIFY(s.save(org->db()));
        org->addUnconfirmedUser(QStringLiteral("one@acme.example"));
        org->addUnconfirmedUser(QStringLiteral("two@acme.example"));
        QVERIFY(outbox.deliverDue(t, sealer()));
        QCOMPARE(t.seen.size(), 3);
        QStringList tags;
        for (qsizetype i = 1; i < 3; ++i) {
            const OutgoingMessage &m = t.seen.at(i);
            const QString tag = verpTag(sealer(), m.outboxId);
            QCOMPARE(tag.size(), 16);
            QVERIFY(isPlausibleTag(tag));
            QCOMPARE(m.envelopeFrom, "bounces+" + tag.toLatin1() + "@acme.example");
            QVERIFY(m.requestDsn);
            QCOMPARE(m.envelopeId, tag.toLatin1());
            QCOMPARE(org->scalar(QStringLiteral("SELECT count(*) FROM outbox WHERE id = ? AND "
                                                "bounce_tag = ?"),
                                 {m.outboxId, tag}),
                     1);
            tags << tag;
        }
        QVERIFY(tags.at(0) != tags.at(1));
        // Another key gives other tags: they cannot be guessed from the row id.
        QVERIFY(verpTag(Sealer::withKey(QByteArray(32, 'k')), t.seen.at(1).outboxId) != tags.at(0));
    }

    void missingKeyLeavesTheMessageUnsent()
    {
        org->addUnconfirmedUser(QStringLiteral("i@acme.example"));
        ScriptedTransport t;
        Outbox outbox(org->db(), org->clock());
        auto r = outbox.deliverDue(t, Sealer::withKey(QByteArray(32, 'z')));
        QVERIFY(r);
        QCOMPARE(t.seen.size(), 0);
        QCOMPARE(r->first().state, QStringLiteral("deferred"));
        QVERIFY(r->first().reply.contains(QStringLiteral("key")));
        // The machine that holds the key delivers it when it is due.
        org->clock().advanceMinutes(1);
        auto later = outbox.deliverDue(t, sealer());
        QCOMPARE(later->size(), 1);
        QCOMPARE(later->first().state, QStringLiteral("sent"));
    }
};

QTEST_GUILESS_MAIN(TestOutbox)
#include "tst_outbox.moc"
