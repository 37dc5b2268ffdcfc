// Issue 5, concurrency "with locks or constraints, not luck", as real processes:
// - two `rosterctl user reinvite` of the SAME user past the cooldown, 50 rounds: exactly one new
//   invitation per round, never two open ones, the loser told about the cooldown (exit 3);
// - two `rosterctl outbox deliver` draining 2,000 queued invitations into aiosmtpd: 2,000
//   delivered, no Message-ID twice.
// Issue 13 point 3, "never sends a message twice":
// - a live, slow delivery run (aiosmtpd holds its second message) and, beside it, a run whose
//   clock is 20 minutes ahead (faketime): the fast clock takes none of the live run's claims;
// - a delivery killed (SIGKILL) after N accepted messages, then a new run: every Message-ID
//   arrives once, except at most the one in flight.
// Issue 16: on PostgreSQL a bulk re-invite's first batch is mailed while its last batch waits.
// Runs on the engine named by ROSTER_TEST_ENGINE (CTest runs it on SQLite and PostgreSQL).
#include "../smtp/smtptestservers.h"
#include "app/orgsettings.h"
#include "app/userservice.h"
#include "models/userrepository.h"
#include "testsupport.h"

#include <QElapsedTimer>
#include <QFile>
#include <QHash>
#include <QJsonArray>
#include <QProcess>
#include <QRegularExpression>
#include <QSet>
#include <QSqlQuery>
#include <QTest>

using namespace roster;
using namespace testsupport;

namespace {
// What two racing commands said, for a failed round's message.
QString raceDetail(int round, const QList<RunResult> &r)
{
    return QStringLiteral("round %1: exit %2/%3\n%4%5\n%6%7")
        .arg(round)
        .arg(r.at(0).exitCode)
        .arg(r.at(1).exitCode)
        .arg(r.at(0).out, r.at(0).err, r.at(1).out, r.at(1).err);
}
} // namespace

class TestConcurrency : public QObject
{
    Q_OBJECT
    std::unique_ptr<TestOrg> org;

    // `count` unconfirmed users, each with one queued invitation mail.
    bool queueInvitations(int count)
    {
        QList<qint64> ids;
        {
            Transaction tx(org->db());
            if (!tx.status())
                return false;
            QSqlQuery q =
                org->db().prepare(QStringLiteral("INSERT INTO users (kind, email, email_key, name, "
                                                 "name_key, profile_id, active, created_at, "
                                                 "updated_at) VALUES ('crm', ?, ?, ?, ?, (SELECT "
                                                 "id FROM profiles WHERE name = 'Standard'), 1, "
                                                 "?, ?) RETURNING id"));
            for (int i = 0; i < count; ++i) {
                const QString email =
                    QStringLiteral("user%1@acme.example").arg(i, 4, 10, QLatin1Char('0'));
                const QString name = QStringLiteral("User %1").arg(i);
                for (const QVariant &v : QVariantList{email, email, name, name.toLower(),
                                                      org->clock().nowMs(), org->clock().nowMs()})
                    q.addBindValue(v);
                if (!org->db().exec(q) || !q.next())
                    return false;
                ids.append(q.value(0).toLongLong());
                q.finish();
            }
            if (!tx.commit())
                return false;
        }
        InvitationService service(org->db(), org->clock(), org->adminId());
        auto queued = service.reinviteMany(ids);
        return queued && queued->invited.size() == count;
    }

    bool configureSmtp(quint16 port)
    {
        auto conf = rosterctl({QStringLiteral("mail"), QStringLiteral("configure"),
                               QStringLiteral("--transport"), QStringLiteral("smtp"),
                               QStringLiteral("--host"), QStringLiteral("127.0.0.1"),
                               QStringLiteral("--port"), QString::number(port),
                               QStringLiteral("--security"), QStringLiteral("none"),
                               QStringLiteral("--from"), QStringLiteral("invites@acme.example")},
                              {}, org->rosterctlEnvironment());
        if (conf.exitCode != 0)
            qWarning().noquote() << conf.err;
        return conf.exitCode == 0;
    }

    // How many times each Message-ID reached the server.
    static QHash<QString, int> messageIdCounts(const QList<StoredMessage> &messages)
    {
        static const QRegularExpression idHeader(
            QStringLiteral("(?mi)^Message-ID:\\s*(<[^>\\r\\n]+>)"));
        QHash<QString, int> counts;
        for (const StoredMessage &m : messages)
            ++counts[idHeader.match(QString::fromUtf8(m.data)).captured(1)];
        return counts;
    }

private slots:
    void init()
    {
        org = std::make_unique<TestOrg>();
        QVERIFY2(org->isValid(), qPrintable(org->error()));
    }
    void cleanup() { org.reset(); }

    qint64 openInvitations(qint64 id)
    {
        return org->scalar(QStringLiteral("SELECT count(*) FROM invitations WHERE user_id = ? AND "
                                          "accepted_at IS NULL AND revoked_at IS NULL"),
                           {id});
    }
    qint64 queuedMail(qint64 id)
    {
        return org->scalar(
            QStringLiteral("SELECT count(*) FROM outbox WHERE user_id = ? AND state = 'queued'"),
            {id});
    }

    void twoAdministratorsReinviteTheSameUser()
    {
        const QString email = QStringLiteral("race@acme.example");
        const qint64 id = org->addUnconfirmedUser(email);
        QVERIFY(id);
        const QStringList reinvite{QStringLiteral("user"), QStringLiteral("reinvite"), email,
                                   QStringLiteral("--queue-only")};
        constexpr int rounds = 50;
        QElapsedTimer timer;
        timer.start();
        for (int round = 0; round < rounds; ++round) {
            org->clock().advanceMinutes(6); // past the 5-minute cooldown
            const auto results =
                rosterctlTogether({reinvite, reinvite}, org->rosterctlEnvironment(), 60000);
            QList<int> codes{results.at(0).exitCode, results.at(1).exitCode};
            std::sort(codes.begin(), codes.end());
            const QString detail = raceDetail(round, results);
            QVERIFY2((codes == QList<int>{0, 3}), qPrintable(detail));
            const RunResult &loser = results.at(0).exitCode == 3 ? results.at(0) : results.at(1);
            QVERIFY2(loser.err.contains(QStringLiteral("re-invite in")), qPrintable(detail));
            QCOMPARE(openInvitations(id), 1);
            QCOMPARE(
                org->scalar(QStringLiteral("SELECT count(*) FROM invitations WHERE user_id = ?"),
                            {id}),
                round + 2); // the first invitation, and one per round
            QCOMPARE(queuedMail(id), 1);
        }
        QCOMPARE(org->scalar(QStringLiteral("SELECT invite_count FROM users WHERE id = ?"), {id}),
                 rounds + 1);
        QCOMPARE(org->scalar(
                     QStringLiteral("SELECT count(*) FROM audit_log WHERE target_user_id = ? AND "
                                    "action = 'invitation.reinvite'"),
                     {id}),
                 rounds);
        qInfo() << rounds << "rounds of two racing processes on" << org->engine() << "in"
                << timer.elapsed() << "ms";
    }

    // A bulk re-invite (--all-unconfirmed) racing a single one for the same user: one of them
    // re-invites, the other skips or refuses the user on the cooldown; never two open
    // invitations, never a count that went up twice.
    void bulkAndSingleReinviteRace()
    {
        const QString email = QStringLiteral("race@acme.example");
        const qint64 id = org->addUnconfirmedUser(email);
        QVERIFY(id);
        const QStringList single{QStringLiteral("user"), QStringLiteral("reinvite"), email,
                                 QStringLiteral("--queue-only")};
        const QStringList bulk{QStringLiteral("user"), QStringLiteral("reinvite"),
                               QStringLiteral("--all-unconfirmed"), QStringLiteral("--queue-only")};
        constexpr int rounds = 25;
        int bulkWins = 0;
        for (int round = 0; round < rounds; ++round) {
            org->clock().advanceMinutes(6); // past the 5-minute cooldown
            const auto results =
                rosterctlTogether({single, bulk}, org->rosterctlEnvironment(), 60000);
            const QString detail = raceDetail(round, results);
            QVERIFY2(results.at(1).exitCode == 0, qPrintable(detail));
            const bool singleWon = results.at(0).exitCode == 0;
            const bool bulkWon = results.at(1).out.contains(QStringLiteral("queued ") + email);
            QVERIFY2(singleWon != bulkWon, qPrintable(detail));
            bulkWins += bulkWon ? 1 : 0;
            if (singleWon)
                QVERIFY2(results.at(1).out.contains(QStringLiteral("re-invite in")),
                         qPrintable(detail));
            else
                QVERIFY2(results.at(0).exitCode == 3 &&
                             results.at(0).err.contains(QStringLiteral("re-invite in")),
                         qPrintable(detail));
            QCOMPARE(openInvitations(id), 1);
            QCOMPARE(
                org->scalar(QStringLiteral("SELECT invite_count FROM users WHERE id = ?"), {id}),
                round + 2);
            QCOMPARE(queuedMail(id), 1);
        }
        qInfo() << "on" << org->engine() << "the bulk re-invite won" << bulkWins << "of" << rounds
                << "rounds";
    }

    // Every console's worker sends the automatic reminders: two delivery runs at once remind a
    // user once (even with no cooldown to stop the second).
    void twoDeliveryRunsRemindOnce()
    {
        auto settings = OrgSettings::load(org->db()).value();
        settings.reminderDaysBefore = 2;
        settings.cooldownMinutes = 0;
        QVERIFY(settings.save(org->db()));
        const QStringList deliver{QStringLiteral("outbox"), QStringLiteral("deliver")};
        constexpr int rounds = 10;
        for (int round = 0; round < rounds; ++round) {
            const QString email = QStringLiteral("remind%1@acme.example").arg(round);
            const qint64 id = org->addUnconfirmedUser(email);
            QVERIFY(id);
            org->clock().advanceDays(5);
            org->clock().advanceMinutes(1); // the invitation now expires within two days
            const auto results =
                rosterctlTogether({deliver, deliver}, org->rosterctlEnvironment(), 60000);
            const QString detail = raceDetail(round, results);
            QVERIFY2(results.at(0).exitCode == 0 && results.at(1).exitCode == 0,
                     qPrintable(detail));
            const QString line = QStringLiteral("reminder ") + email;
            QVERIFY2(results.at(0).out.count(line) + results.at(1).out.count(line) == 1,
                     qPrintable(detail));
            QCOMPARE(org->scalar(QStringLiteral("SELECT count(*) FROM audit_log WHERE "
                                                "target_user_id = ? AND action = "
                                                "'invitation.reminder'"),
                                 {id}),
                     1);
            QCOMPARE(
                org->scalar(QStringLiteral("SELECT invite_count FROM users WHERE id = ?"), {id}),
                2);
            QCOMPARE(openInvitations(id), 1);
        }
    }

    void twoWorkersDrainOneQueue()
    {
        constexpr int total = 2000;
        // 2,000 unconfirmed users, each with one queued invitation mail.
        QList<qint64> ids;
        {
            Transaction tx(org->db());
            QVERIFY(tx.status());
            QSqlQuery q =
                org->db().prepare(QStringLiteral("INSERT INTO users (kind, email, email_key, name, "
                                                 "name_key, profile_id, active, created_at, "
                                                 "updated_at) VALUES ('crm', ?, ?, ?, ?, (SELECT "
                                                 "id FROM profiles WHERE name = 'Standard'), 1, "
                                                 "?, ?) RETURNING id"));
            for (int i = 0; i < total; ++i) {
                const QString email =
                    QStringLiteral("user%1@acme.example").arg(i, 4, 10, QLatin1Char('0'));
                const QString name = QStringLiteral("User %1").arg(i);
                q.addBindValue(email);
                q.addBindValue(email);
                q.addBindValue(name);
                q.addBindValue(name.toLower());
                q.addBindValue(org->clock().nowMs());
                q.addBindValue(org->clock().nowMs());
                QVERIFY(org->db().exec(q));
                QVERIFY(q.next());
                ids.append(q.value(0).toLongLong());
                q.finish();
            }
            QVERIFY(tx.commit());
        }
        InvitationService service(org->db(), org->clock(), org->adminId());
        auto queued = service.reinviteMany(ids);
        QVERIFY2(queued, queued ? "" : qPrintable(queued.error().message));
        QCOMPARE(queued->invited.size(), total);

        AiosmtpdServer server;
        QString error;
        QVERIFY2(server.start({}, &error), qPrintable(error));
        auto conf = rosterctl({QStringLiteral("mail"), QStringLiteral("configure"),
                               QStringLiteral("--transport"), QStringLiteral("smtp"),
                               QStringLiteral("--host"), QStringLiteral("127.0.0.1"),
                               QStringLiteral("--port"), QString::number(server.port()),
                               QStringLiteral("--security"), QStringLiteral("none"),
                               QStringLiteral("--from"), QStringLiteral("invites@acme.example")},
                              {}, org->rosterctlEnvironment());
        QVERIFY2(conf.exitCode == 0, qPrintable(conf.err));

        QElapsedTimer timer;
        timer.start();
        const QStringList deliver{QStringLiteral("outbox"), QStringLiteral("deliver")};
        const auto results = rosterctlTogether({deliver, deliver}, org->rosterctlEnvironment());
        const qint64 elapsed = timer.elapsed();
        int sentBy[2] = {0, 0};
        for (int i = 0; i < 2; ++i) {
            QVERIFY2(results.at(i).exitCode == 0, qPrintable(results.at(i).err));
            sentBy[i] =
                int(results.at(i).out.count(QRegularExpression(QStringLiteral("(?m)^sent "))));
        }
        qInfo() << total << "messages by two workers on" << org->engine() << "in" << elapsed
                << "ms; split" << sentBy[0] << "/" << sentBy[1];
        QCOMPARE(sentBy[0] + sentBy[1], total);

        const auto messages = server.messages();
        QCOMPARE(messages.size(), total);
        static const QRegularExpression idHeader(
            QStringLiteral("(?mi)^Message-ID:\\s*(<[^>\\r\\n]+>)"));
        QSet<QString> messageIds;
        QSet<QString> recipients;
        for (const StoredMessage &m : messages) {
            const auto match = idHeader.match(QString::fromUtf8(m.data));
            QVERIFY(match.hasMatch());
            messageIds.insert(match.captured(1));
            for (const QJsonValue &r : m.meta.value(QStringLiteral("rcpt_tos")).toArray())
                recipients.insert(r.toString());
        }
        QCOMPARE(messageIds.size(), total); // no message sent twice
        QCOMPARE(recipients.size(), total); // and every user got theirs
        QCOMPARE(org->scalar(QStringLiteral("SELECT count(*) FROM outbox WHERE state = 'sent'")),
                 total);
        QCOMPARE(
            org->scalar(QStringLiteral("SELECT count(*) FROM users WHERE mail_state = 'sent'")),
            total);
    }

    void fastClockLeavesALiveRunsClaims()
    {
        constexpr int total = 20;
        QVERIFY(queueInvitations(total));
        AiosmtpdServer server;
        QString error;
        // The first connection's second message waits until the test releases it.
        QVERIFY2(server.start({QStringLiteral("--hold-after"), QStringLiteral("1")}, &error),
                 qPrintable(error));
        QVERIFY(configureSmtp(server.port()));

        QProcess live;
        live.setProcessEnvironment(org->rosterctlEnvironment());
        live.start(qEnvironmentVariable("ROSTERCTL"),
                   {QStringLiteral("outbox"), QStringLiteral("deliver")});
        QVERIFY(live.waitForStarted(10000));
        live.closeWriteChannel();
        // The live run has claimed everything and is held in its second message.
        QVERIFY(QTest::qWaitFor([&] { return server.messages().size() == 1; }, 60000));

        // A second machine whose clock is 20 minutes ahead.
        QProcess ahead;
        QProcessEnvironment aheadEnv = org->rosterctlEnvironment();
        // faketime comes by LD_PRELOAD, before the sanitizer runtime of an asan build.
        aheadEnv.insert(QStringLiteral("ASAN_OPTIONS"),
                        aheadEnv.value(QStringLiteral("ASAN_OPTIONS")) +
                            QStringLiteral(":verify_asan_link_order=0"));
        ahead.setProcessEnvironment(aheadEnv);
        ahead.start(QStringLiteral("faketime"),
                    {QStringLiteral("-f"), QStringLiteral("+20m"),
                     qEnvironmentVariable("ROSTERCTL"), QStringLiteral("outbox"),
                     QStringLiteral("deliver")});
        QVERIFY(ahead.waitForStarted(10000));
        ahead.closeWriteChannel();
        QVERIFY(ahead.waitForFinished(120000));
        const QString aheadOut = QString::fromUtf8(ahead.readAllStandardOutput());
        const QString aheadErr = QString::fromUtf8(ahead.readAllStandardError());
        QVERIFY2(ahead.exitStatus() == QProcess::NormalExit && ahead.exitCode() == 0,
                 qPrintable(aheadErr));

        QFile release(server.dir() + QStringLiteral("/release"));
        QVERIFY(release.open(QIODevice::WriteOnly));
        release.close();
        QVERIFY(live.waitForFinished(120000));
        const QString liveOut = QString::fromUtf8(live.readAllStandardOutput());
        QVERIFY2(live.exitStatus() == QProcess::NormalExit && live.exitCode() == 0,
                 qPrintable(QString::fromUtf8(live.readAllStandardError())));

        const auto counts = messageIdCounts(server.messages());
        for (auto it = counts.cbegin(); it != counts.cend(); ++it)
            QVERIFY2(it.value() == 1,
                     qPrintable(QStringLiteral("%1 arrived %2 times; the run ahead said:\n%3%4")
                                    .arg(it.key())
                                    .arg(it.value())
                                    .arg(aheadOut, aheadErr)));
        QCOMPARE(counts.size(), total);
        QCOMPARE(liveOut.count(QRegularExpression(QStringLiteral("(?m)^sent "))), total);
        QCOMPARE(org->scalar(QStringLiteral("SELECT count(*) FROM outbox WHERE state = 'sent'")),
                 total);
    }

    // Issue 16: on PostgreSQL, `user reinvite --all-unconfirmed` mails each batch while it writes
    // the next. The test holds a lock on a user of the last batch, so that batch cannot be
    // written: the first batch's mail must reach the server all the same, and once the lock is
    // released every invitation is mailed once.
    void bulkReinviteMailsTheFirstBatchBeforeTheLastIsWritten()
    {
        if (org->db().dialect() != Dialect::Postgres)
            QSKIP("PostgreSQL only: on SQLite the mail goes out after the batches");
        constexpr int total = 620; // two batches of the re-invite (500 a batch)
        QVERIFY(queueInvitations(total));
        AiosmtpdServer server;
        QString error;
        QVERIFY2(server.start({}, &error), qPrintable(error));
        QVERIFY(configureSmtp(server.port()));
        org->clock().advanceMinutes(6); // past the 5-minute cooldown

        // The order rosterctl re-invites them in; the last one is in the second batch.
        UserFilter f;
        f.kind = UserKind::Crm;
        f.view = UserView::Unconfirmed;
        f.sort = UserFilter::Sort::Invited;
        f.nowMs = org->clock().nowMs();
        auto rows = UserRepository(org->db()).fetch(f, 0, 5000, false, -1);
        QVERIFY(rows);
        QCOMPARE(rows->size(), total);
        const qint64 last = rows->last().id;

        Transaction hold(org->db());
        QVERIFY(hold.status());
        QSqlQuery lock = org->db().prepare(QStringLiteral("SELECT id FROM users WHERE id = ? FOR "
                                                          "UPDATE"));
        lock.addBindValue(last);
        QVERIFY(org->db().exec(lock));
        lock.finish();

        QProcess bulk;
        bulk.setProcessEnvironment(org->rosterctlEnvironment());
        bulk.start(qEnvironmentVariable("ROSTERCTL"),
                   {QStringLiteral("user"), QStringLiteral("reinvite"),
                    QStringLiteral("--all-unconfirmed")});
        QVERIFY(bulk.waitForStarted(10000));
        bulk.closeWriteChannel();
        // The second batch waits for the lock; the first batch's mail arrives meanwhile.
        QVERIFY2(QTest::qWaitFor([&] { return !server.messages().isEmpty(); }, 120000),
                 qPrintable(QString::fromUtf8(bulk.readAllStandardError())));
        QCOMPARE(bulk.state(), QProcess::Running);
        QCOMPARE(org->scalar(QStringLiteral("SELECT count(*) FROM invitations WHERE user_id = ?"),
                             {last}),
                 1);            // its re-invite is not written yet
        QVERIFY(hold.commit()); // the lock goes

        QVERIFY(bulk.waitForFinished(300000));
        const QString out = QString::fromUtf8(bulk.readAllStandardOutput());
        QVERIFY2(bulk.exitStatus() == QProcess::NormalExit && bulk.exitCode() == 0,
                 qPrintable(QString::fromUtf8(bulk.readAllStandardError())));
        QCOMPARE(out.count(QRegularExpression(QStringLiteral("(?m)^sent "))), total);
        const auto counts = messageIdCounts(server.messages());
        QCOMPARE(counts.size(), total);
        for (auto it = counts.cbegin(); it != counts.cend(); ++it)
            QVERIFY2(it.value() == 1, qPrintable(it.key()));
        QCOMPARE(org->scalar(QStringLiteral("SELECT count(*) FROM outbox WHERE state = 'sent'")),
                 total);
        QCOMPARE(
            org->scalar(QStringLiteral("SELECT count(*) FROM outbox WHERE state = 'cancelled'")),
            total); // the first invitations' mail, never sent
        QCOMPARE(org->scalar(QStringLiteral("SELECT count(*) FROM invitations WHERE user_id = ?"),
                             {last}),
                 2);
    }

    void killedRunResendsAtMostTheOneInFlight()
    {
        constexpr int total = 20;
        constexpr int accepted = 5;
        QVERIFY(queueInvitations(total));
        AiosmtpdServer server;
        QString error;
        QVERIFY2(server.start({QStringLiteral("--hold-after"), QString::number(accepted)}, &error),
                 qPrintable(error));
        QVERIFY(configureSmtp(server.port()));

        QProcess first;
        first.setProcessEnvironment(org->rosterctlEnvironment());
        first.start(qEnvironmentVariable("ROSTERCTL"),
                    {QStringLiteral("outbox"), QStringLiteral("deliver")});
        QVERIFY(first.waitForStarted(10000));
        first.closeWriteChannel();
        // Killed after `accepted` messages got their 250, while the next one is on the wire.
        QVERIFY(QTest::qWaitFor([&] { return server.messages().size() == accepted; }, 60000));
        first.kill(); // SIGKILL
        QVERIFY(first.waitForFinished(10000));

        auto again = rosterctl({QStringLiteral("outbox"), QStringLiteral("deliver")}, {},
                               org->rosterctlEnvironment());
        QVERIFY2(again.exitCode == 0, qPrintable(again.err));

        const auto counts = messageIdCounts(server.messages());
        QCOMPARE(counts.size(), total);
        int twice = 0;
        for (auto it = counts.cbegin(); it != counts.cend(); ++it) {
            QVERIFY2(it.value() <= 2, qPrintable(it.key()));
            twice += it.value() - 1;
        }
        QVERIFY2(twice <= 1, qPrintable(QStringLiteral("%1 messages arrived twice").arg(twice)));
        QCOMPARE(org->scalar(QStringLiteral("SELECT count(*) FROM outbox WHERE state = 'sent'")),
                 total);
    }
};

QTEST_GUILESS_MAIN(TestConcurrency)
#include "tst_concurrency.moc"
