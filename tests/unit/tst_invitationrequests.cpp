// SPEC §8, "Ask for a new invitation", in the service layer: recorded once per invitation and
// audited, only for an expired or superseded invitation of an active, unconfirmed user; shown by
// the Requested view; cleared by a re-invite. Runs on SQLite and (the _pg twin) PostgreSQL.
#include "app/invitationlookup.h"
#include "app/invitationrequests.h"
#include "app/orgsettings.h"
#include "app/tokens.h"
#include "app/userservice.h"
#include "models/userfilter.h"
#include "models/userrepository.h"
#include "testsupport.h"

#include <QTest>

using namespace roster;
using namespace testsupport;

class TestInvitationRequests : public QObject
{
    Q_OBJECT

private:
    std::unique_ptr<TestOrg> org;

    UserRecord user(qint64 id) { return UserRepository(org->db()).byId(id).value(); }
    QByteArray latestToken(const QString &email)
    {
        const QStringList files = emlFiles(org->mailDir());
        for (qsizetype i = files.size() - 1; i >= 0; --i) {
            const QByteArray m = readFile(files.at(i));
            if (m.contains(email.toLatin1()))
                return tokenFromMessage(m);
        }
        return {};
    }
    // A user with one delivered invitation; its token in *token.
    qint64 invited(const QString &email, QByteArray *token)
    {
        const qint64 id = org->addUnconfirmedUser(email, QStringLiteral("Rita Requester"));
        if (id <= 0 || org->deliver() != 1)
            return 0;
        *token = latestToken(email);
        return id;
    }
    qint64 requestAudits(qint64 userId)
    {
        return org->scalar(QStringLiteral("SELECT count(*) FROM audit_log WHERE action = "
                                          "'invitation.request' AND target_user_id = ?"),
                           {userId});
    }
    QList<qint64> requestedView()
    {
        UserFilter f;
        f.kind = TestOrg::testKind();
        f.view = UserView::Requested;
        f.sort = UserFilter::defaultSort(f.view);
        QList<qint64> ids;
        const auto rows = UserRepository(org->db()).fetch(f, 0, 100);
        if (rows)
            for (const UserRecord &u : rows.value())
                ids << u.id;
        return ids;
    }

private slots:
    void init()
    {
        org = std::make_unique<TestOrg>();
        QVERIFY2(org->isValid(), qPrintable(org->error()));
    }
    void cleanup() { org.reset(); }

    void expiredInvitationIsRecordedOnceAndAudited()
    {
        QByteArray token;
        const qint64 id = invited(QStringLiteral("rita@example.com"), &token);
        QVERIFY(id > 0);
        QCOMPARE(token.size(), 43);
        org->clock().advance(invitationLifetimeMs + 60000);
        const qint64 askedAt = org->clock().nowMs();

        auto r = requestNewInvitation(org->db(), org->clock(), token);
        QVERIFY2(r, r ? "" : qPrintable(r.error().message));
        QVERIFY(r->recorded);
        QCOMPARE(r->invitee, QStringLiteral("Rita Requester"));
        QCOMPARE(user(id).inviteRequestedAt, std::optional<qint64>(askedAt));
        QVERIFY(user(id).asksForInvitation());
        QCOMPARE(
            org->scalar(QStringLiteral("SELECT requested_at FROM invitations WHERE user_id = ?"),
                        {id}),
            askedAt);
        QCOMPARE(requestAudits(id), 1);
        QCOMPARE(requestedView(), QList<qint64>{id});

        // Once per invitation: a second request changes nothing.
        org->clock().advanceMinutes(5);
        const QString before = org->dump();
        auto again = requestNewInvitation(org->db(), org->clock(), token);
        QVERIFY2(again, again ? "" : qPrintable(again.error().message));
        QVERIFY(!again->recorded);
        QCOMPARE(again->invitee, QStringLiteral("Rita Requester"));
        QCOMPARE(org->dump(), before);
        QCOMPARE(user(id).inviteRequestedAt, std::optional<qint64>(askedAt));
    }

    void supersededInvitationIsRecorded()
    {
        QByteArray oldToken;
        const qint64 id = invited(QStringLiteral("sam@example.com"), &oldToken);
        QVERIFY(id > 0);
        org->clock().advanceMinutes(10); // past the re-invite cooldown
        InvitationService s(org->db(), org->clock(), org->adminId());
        QVERIFY(s.reinvite(id));
        // The old link is superseded while the new one is still valid: the user lost the new
        // mail and asks from the old one.
        auto r = requestNewInvitation(org->db(), org->clock(), oldToken);
        QVERIFY2(r, r ? "" : qPrintable(r.error().message));
        QVERIFY(r->recorded);
        QVERIFY(user(id).asksForInvitation());
        QCOMPARE(requestAudits(id), 1);
        QVERIFY(org->scalar(QStringLiteral("SELECT count(*) FROM audit_log WHERE action = "
                                           "'invitation.request' AND detail LIKE '%superseded%'"),
                            {}) == 1);
    }

    void reinviteClearsTheRequest()
    {
        QByteArray token;
        const qint64 id = invited(QStringLiteral("tom@example.com"), &token);
        QVERIFY(id > 0);
        org->clock().advanceDays(8);
        QVERIFY(requestNewInvitation(org->db(), org->clock(), token));
        QCOMPARE(requestedView(), QList<qint64>{id});

        InvitationService s(org->db(), org->clock(), org->adminId());
        auto re = s.reinvite(id);
        QVERIFY2(re, re ? "" : qPrintable(re.error().message));
        QVERIFY(!user(id).inviteRequestedAt);
        QVERIFY(!user(id).asksForInvitation());
        QVERIFY(requestedView().isEmpty());
        // The new invitation carries no request; the old one keeps its record.
        QCOMPARE(org->scalar(QStringLiteral("SELECT count(*) FROM invitations WHERE user_id = ? "
                                            "AND requested_at IS NULL"),
                             {id}),
                 1);
        QCOMPARE(org->scalar(QStringLiteral("SELECT count(*) FROM invitations WHERE user_id = ? "
                                            "AND requested_at IS NOT NULL"),
                             {id}),
                 1);
        // The old (now superseded) invitation was already asked from: nothing new.
        auto again = requestNewInvitation(org->db(), org->clock(), token);
        QVERIFY(again);
        QVERIFY(!again->recorded);
        QVERIFY(!user(id).asksForInvitation());
    }

    void bulkReinviteClearsTheRequest()
    {
        QByteArray t1, t2;
        const qint64 a = invited(QStringLiteral("una@example.com"), &t1);
        const qint64 b = invited(QStringLiteral("vic@example.com"), &t2);
        QVERIFY(a > 0 && b > 0);
        org->clock().advanceDays(8);
        QVERIFY(requestNewInvitation(org->db(), org->clock(), t1));
        QVERIFY(requestNewInvitation(org->db(), org->clock(), t2));
        QCOMPARE(requestedView().size(), 2);
        InvitationService s(org->db(), org->clock(), org->adminId());
        auto r = s.reinviteMany({a, b});
        QVERIFY2(r, r ? "" : qPrintable(r.error().message));
        QCOMPARE(r->invited.size(), 2);
        QVERIFY(requestedView().isEmpty());
    }

    void refusals_data()
    {
        QTest::addColumn<QString>("kind");
        QTest::addColumn<int>("errorKind");
        QTest::addColumn<QString>("words");
        QTest::newRow("unknown") << "unknown" << int(ErrorKind::NotFound) << "not valid";
        QTest::newRow("malformed") << "malformed" << int(ErrorKind::NotFound) << "not valid";
        QTest::newRow("valid") << "valid" << int(ErrorKind::Refused) << "still valid";
        QTest::newRow("accepted") << "accepted" << int(ErrorKind::Refused) << "already accepted";
        QTest::newRow("deactivated") << "deactivated" << int(ErrorKind::Refused) << "deactivated";
    }
    void refusals()
    {
        QFETCH(QString, kind);
        QFETCH(int, errorKind);
        QFETCH(QString, words);
        QByteArray token;
        const qint64 id = invited(QStringLiteral("wes@example.com"), &token);
        QVERIFY(id > 0);
        UserService s(org->db(), org->clock(), org->adminId());
        if (kind == u"unknown")
            token = issueToken().token;
        else if (kind == u"malformed")
            token = "not-a-token<script>";
        else if (kind == u"accepted")
            QVERIFY(InvitationService::acceptInvitation(org->db(), org->clock(), token,
                                                        QStringLiteral("a good password")));
        else if (kind == u"deactivated")
            QVERIFY(s.setActive(id, false));
        if (kind != u"valid")
            org->clock().advanceDays(8); // expired, so only the rule under test refuses
        const QString before = org->dump();
        auto r = requestNewInvitation(org->db(), org->clock(), token);
        QVERIFY(!r);
        QCOMPARE(int(r.error().kind), errorKind);
        QVERIFY2(r.error().message.contains(words), qPrintable(r.error().message));
        QCOMPARE(org->dump(), before); // a refusal records nothing
        QCOMPARE(requestAudits(id), 0);
    }

    // What roster-web does on one connection: an acceptance, then a request. The request is
    // committed: another connection (the console, rosterctl) sees it at once.
    void requestAfterAnAcceptanceIsCommitted()
    {
        QByteArray zoeToken, ottoToken;
        const qint64 zoe = invited(QStringLiteral("zoe@example.com"), &zoeToken);
        QVERIFY(zoe > 0);
        org->clock().advanceDays(8);
        const qint64 otto = invited(QStringLiteral("otto@example.com"), &ottoToken);
        QVERIFY(otto > 0);
        org->clock().advanceDays(8); // Otto's expired; Zoë gets a fresh link below
        auto fresh = InvitationService(org->db(), org->clock(), org->adminId()).copyInviteLink(zoe);
        QVERIFY2(fresh, fresh ? "" : qPrintable(fresh.error().message));
        auto web = org->db().reopen();
        QVERIFY(web);
        QVERIFY(OrgSettings::load(*web.value()));
        QVERIFY(lookupInvitation(*web.value(), org->clock(), fresh->token));
        QVERIFY(lookupInvitation(*web.value(), org->clock(), fresh->token));
        auto accepted = InvitationService::acceptInvitation(
            *web.value(), org->clock(), fresh->token, QStringLiteral("a good password"));
        QVERIFY(lookupInvitation(*web.value(), org->clock(), ottoToken));
        QVERIFY(lookupInvitation(*web.value(), org->clock(), ottoToken));
        QVERIFY2(accepted, accepted ? "" : qPrintable(accepted.error().message));
        auto asked = requestNewInvitation(*web.value(), org->clock(), ottoToken);
        QVERIFY2(asked, asked ? "" : qPrintable(asked.error().message));
        QVERIFY(asked->recorded);
        QVERIFY(!web.value()->inTransaction());
        // Another process sees it (rosterctl, as an administrator would look).
        const RunResult list = rosterctl({QStringLiteral("user"), QStringLiteral("list"),
                                          QStringLiteral("--view"), QStringLiteral("requested")},
                                         {}, org->rosterctlEnvironment());
        QVERIFY2(list.exitCode == 0, qPrintable(list.err));
        QVERIFY2(list.out.contains(QStringLiteral("otto@example.com")), qPrintable(list.out));
    }

    // The marker is for users an administrator can still invite: once the user accepts a newer
    // invitation (or is deactivated) the Requested view no longer lists them.
    void acceptingLeavesTheRequestedView()
    {
        QByteArray oldToken;
        const qint64 id = invited(QStringLiteral("xan@example.com"), &oldToken);
        QVERIFY(id > 0);
        org->clock().advanceMinutes(10);
        InvitationService s(org->db(), org->clock(), org->adminId());
        QVERIFY(s.reinvite(id));
        QCOMPARE(org->deliver(), 1);
        const QByteArray newToken = latestToken(QStringLiteral("xan@example.com"));
        QVERIFY(requestNewInvitation(org->db(), org->clock(), oldToken));
        QCOMPARE(requestedView(), QList<qint64>{id});
        QVERIFY(InvitationService::acceptInvitation(org->db(), org->clock(), newToken,
                                                    QStringLiteral("a good password")));
        QVERIFY(requestedView().isEmpty());
        QVERIFY(!user(id).asksForInvitation());
    }
};

QTEST_GUILESS_MAIN(TestInvitationRequests)
#include "tst_invitationrequests.moc"
