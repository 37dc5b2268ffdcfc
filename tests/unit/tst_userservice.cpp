// SPEC §2, rule by rule, in the service layer. Each test fails when its rule is removed.
#include "app/audit.h"
#include "app/demodata.h"
#include "app/outbox.h"
#include "app/sealer.h"
#include "app/tokens.h"
#include "app/userservice.h"
#include "models/userfilter.h"
#include "models/userrepository.h"
#include "testsupport.h"

#include <QDir>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QJsonParseError>
#include <QSqlQuery>
#include <QSqlRecord>
#include <QTest>

using namespace roster;
using namespace testsupport;

class TestUserService : public QObject
{
    Q_OBJECT

private:
    std::unique_ptr<TestOrg> org;

    UserRecord user(qint64 id) { return UserRepository(org->db()).byId(id).value(); }
    // n unconfirmed users u0…@bulk.example never invited (added confirmed, then unconfirmed):
    // bulk re-invites without n first mails to deliver. Empty when the setup failed.
    QList<qint64> neverInvited(int n)
    {
        QList<qint64> ids;
        for (int i = 0; i < n; ++i)
            ids << org->addConfirmedUser(QStringLiteral("u%1@bulk.example").arg(i),
                                         QStringLiteral("Standard"));
        if (ids.contains(0) || !org->db().exec(QStringLiteral("UPDATE users SET confirmed_at = "
                                                              "NULL WHERE email LIKE "
                                                              "'%@bulk.example'")))
            return {};
        return ids;
    }
    QByteArray latestToken(const QString &email)
    {
        const QStringList files = emlFiles(org->mailDir());
        for (qsizetype i = files.size() - 1; i >= 0; --i) {
            const QByteArray m = readFile(files.at(i));
            if (m.contains("To: ") && m.contains(email.toLatin1()))
                return tokenFromMessage(m);
        }
        return {};
    }
    // Every form a leaked token could take in a row or a file: the link's text and its 32 bytes,
    // as they are, in hex (both cases), and in base64 and base64url at each of the three
    // alignments a value can start at inside a longer encoded text (only the quanta that hold
    // nothing but the token's bytes).
    static QList<QByteArray> leakForms(const QByteArray &token)
    {
        QList<QByteArray> forms;
        const QByteArray bytes = QByteArray::fromBase64(
            token, QByteArray::Base64UrlEncoding | QByteArray::AbortOnBase64DecodingErrors);
        for (const QByteArray &t : {token, bytes}) {
            if (t.isEmpty())
                continue;
            forms << t << t.toHex() << t.toHex().toUpper();
            for (auto encoding : {QByteArray::Base64Encoding, QByteArray::Base64UrlEncoding}) {
                for (int shift = 0; shift < 3; ++shift) {
                    const QByteArray b64 =
                        QByteArray(QByteArray(shift, '\0') + t).toBase64(encoding);
                    // Whole quanta of token bytes only: skip the one the prefix shares, and the
                    // last (what follows the token changes it).
                    const qsizetype from = shift ? 4 : 0;
                    const qsizetype quanta = (t.size() - (shift ? 3 - shift : 0)) / 3 - 1;
                    forms << b64.mid(from, quanta * 4);
                }
            }
        }
        return forms;
    }
    // The forms of `token` found in `haystack` (empty when none).
    static QList<QByteArray> leaksIn(const QByteArray &haystack, const QByteArray &token)
    {
        QList<QByteArray> found;
        for (const QByteArray &form : leakForms(token))
            if (haystack.contains(form))
                found << form;
        return found;
    }
    qint64 openInvitations(qint64 userId)
    {
        return org->scalar(QStringLiteral("SELECT count(*) FROM invitations WHERE user_id = ? AND "
                                          "accepted_at IS NULL AND revoked_at IS NULL"),
                           {userId});
    }

private slots:
    void init()
    {
        org = std::make_unique<TestOrg>();
        QVERIFY2(org->isValid(), qPrintable(org->error()));
    }
    void cleanup() { org.reset(); }

    // Rule 7: a new user is unconfirmed and gets its first invitation by the same path.
    void addUserCreatesUnconfirmedUserAndMailsInvitation()
    {
        const qint64 id = org->addUnconfirmedUser(QStringLiteral("Bob@Example.com"),
                                                  QStringLiteral("Bob Builder"));
        QVERIFY(id > 0);
        const UserRecord u = user(id);
        QCOMPARE(u.email, QStringLiteral("Bob@Example.com")); // stored as typed
        QVERIFY(!u.confirmedAt);
        QCOMPARE(u.status(org->clock().nowMs()), UserStatus::Pending);
        QCOMPARE(u.inviteCount, 1);
        QCOMPARE(openInvitations(id), 1);
        QCOMPARE(
            org->scalar(QStringLiteral(
                            "SELECT count(*) FROM outbox WHERE user_id = ? AND state = 'queued'"),
                        {id}),
            1);
        QCOMPARE(org->deliver(), 1);
        QCOMPARE(user(id).mailState, QStringLiteral("sent"));
        QCOMPARE(latestToken(QStringLiteral("Bob@Example.com")).size(), 43);
        QCOMPARE(org->scalar(QStringLiteral("SELECT count(*) FROM audit_log WHERE action = "
                                            "'user.add' AND target_user_id = ?"),
                             {id}),
                 1);
    }

    void emailsAreUniqueCaseInsensitively()
    {
        QVERIFY(org->addUnconfirmedUser(QStringLiteral("carol@example.com")) > 0);
        UserService s(org->db(), org->clock(), org->adminId());
        auto r = s.addUser(NewUser{TestOrg::testKind(),
                                   QStringLiteral("CAROL@example.COM"),
                                   QStringLiteral("Carol"),
                                   {},
                                   {}});
        QVERIFY(!r);
        QCOMPARE(r.error().kind, ErrorKind::Refused);
        QVERIFY(r.error().message.contains(QStringLiteral("already a user")));
    }

    // Rule 2: re-invite only unconfirmed users.
    void reinviteOfConfirmedUserIsRefused()
    {
        const qint64 id =
            org->addConfirmedUser(QStringLiteral("dave@example.com"), QStringLiteral("Standard"));
        InvitationService s(org->db(), org->clock(), org->adminId());
        auto r = s.reinvite(id);
        QVERIFY(!r);
        QCOMPARE(r.error().kind, ErrorKind::Refused);
        QVERIFY2(r.error().message.contains(QStringLiteral("already confirmed")),
                 qPrintable(r.error().message));
        QCOMPARE(
            org->scalar(QStringLiteral("SELECT count(*) FROM invitations WHERE user_id = ?"), {id}),
            0);
    }

    void reinviteOfDeactivatedUserSaysActivateFirst()
    {
        const qint64 id = org->addUnconfirmedUser(QStringLiteral("erin@example.com"));
        UserService s(org->db(), org->clock(), org->adminId());
        InvitationService invitations(org->db(), org->clock(), org->adminId());
        QVERIFY(s.setActive(id, false));
        org->clock().advanceMinutes(10);
        auto r = invitations.reinvite(id);
        QVERIFY(!r);
        QCOMPARE(r.error().kind, ErrorKind::Refused);
        QVERIFY2(r.error().message.contains(QStringLiteral("activate the user first")),
                 qPrintable(r.error().message));
        QVERIFY(s.setActive(id, true));
        QVERIFY(invitations.reinvite(id));
    }

    // Rule 3: revoke + new invitation + outbox + audit, and the old link stops working.
    void reinviteRevokesOldLinkAndIssuesNewOne()
    {
        const qint64 id = org->addUnconfirmedUser(QStringLiteral("frank@example.com"));
        QCOMPARE(org->deliver(), 1);
        const QByteArray oldToken = latestToken(QStringLiteral("frank@example.com"));
        QCOMPARE(oldToken.size(), 43);
        org->clock().advanceMinutes(6);
        InvitationService s(org->db(), org->clock(), org->adminId());
        auto r = s.reinvite(id);
        QVERIFY2(r, r ? "" : qPrintable(r.error().message));
        QCOMPARE(openInvitations(id), 1);
        QCOMPARE(org->scalar(QStringLiteral("SELECT count(*) FROM invitations WHERE user_id = ? "
                                            "AND revoked_at IS NOT NULL"),
                             {id}),
                 1);
        QCOMPARE(org->scalar(QStringLiteral("SELECT count(*) FROM audit_log WHERE action = "
                                            "'invitation.reinvite' AND target_user_id = ?"),
                             {id}),
                 1);
        QCOMPARE(user(id).inviteCount, 2);
        QCOMPARE(org->deliver(), 1);
        const QByteArray newToken = latestToken(QStringLiteral("frank@example.com"));
        QVERIFY(newToken != oldToken);
        auto old = InvitationService::acceptInvitation(org->db(), org->clock(), oldToken,
                                                       QStringLiteral("a good password"));
        QVERIFY(!old);
        QCOMPARE(old.error().kind, ErrorKind::Refused);
        QVERIFY(old.error().message.contains(QStringLiteral("replaced by a newer one")));
        QVERIFY(InvitationService::acceptInvitation(org->db(), org->clock(), newToken,
                                                    QStringLiteral("a good password")));
        QVERIFY(user(id).confirmedAt);
    }

    // Rule 3: nothing half-done survives. A failure after the revoke rolls everything back.
    void reinviteIsOneTransaction()
    {
        if (org->engine() != u"sqlite")
            QSKIP("the failure is injected with an SQLite trigger");
        const qint64 id = org->addUnconfirmedUser(QStringLiteral("gina@example.com"));
        org->clock().advanceMinutes(6);
        QVERIFY(
            org->db().exec(QStringLiteral("CREATE TRIGGER fail_audit BEFORE INSERT ON audit_log "
                                          "WHEN NEW.action = 'invitation.reinvite' "
                                          "BEGIN SELECT RAISE(ABORT, 'injected failure'); END")));
        const QString before = org->dump();
        InvitationService s(org->db(), org->clock(), org->adminId());
        auto r = s.reinvite(id);
        QVERIFY(!r);
        QCOMPARE(org->dump(), before);
        QCOMPARE(openInvitations(id), 1);
    }

    // Rule 4: the cooldown, with the time left; bulk skips and reports.
    void cooldownRefusesQuickRepeat()
    {
        const qint64 id = org->addUnconfirmedUser(QStringLiteral("hank@example.com"));
        InvitationService s(org->db(), org->clock(), org->adminId());
        org->clock().advanceMinutes(2);
        auto r = s.reinvite(id);
        QVERIFY(!r);
        QCOMPARE(r.error().kind, ErrorKind::Refused);
        QVERIFY2(r.error().message.contains(QStringLiteral("3 min")),
                 qPrintable(r.error().message));
        org->clock().advanceMinutes(3);
        QVERIFY(s.reinvite(id));
    }

    void bulkReinviteSkipsAndReports()
    {
        const qint64 fresh = org->addUnconfirmedUser(QStringLiteral("ivy@example.com"));
        org->clock().advanceMinutes(10);
        const qint64 old = org->addUnconfirmedUser(QStringLiteral("jack@example.com"));
        org->clock().advanceMinutes(1); // jack is within the cooldown, ivy is not
        const qint64 confirmed =
            org->addConfirmedUser(QStringLiteral("kim@example.com"), QStringLiteral("Standard"));
        const qint64 inactive = org->addUnconfirmedUser(QStringLiteral("lee@example.com"));
        UserService s(org->db(), org->clock(), org->adminId());
        InvitationService invitations(org->db(), org->clock(), org->adminId());
        QVERIFY(s.setActive(inactive, false));
        auto plan = invitations.planReinvite({fresh, old, confirmed, inactive});
        QVERIFY(plan);
        QCOMPARE(plan->eligible.size(), 1);
        QCOMPARE(plan->skipped.size(), 3);
        auto r = invitations.reinviteMany({fresh, old, confirmed, inactive});
        QVERIFY(r);
        QCOMPARE(r->invited.size(), 1);
        QCOMPARE(r->invited.first().user.id, fresh);
        QCOMPARE(r->skipped.size(), 3);
        QStringList reasons;
        for (const auto &sk : r->skipped)
            reasons << sk.reason;
        const QString all = reasons.join(u'\n');
        QVERIFY2(all.contains(QStringLiteral("re-invite in")), qPrintable(all));
        QVERIFY2(all.contains(QStringLiteral("already confirmed")), qPrintable(all));
        QVERIFY2(all.contains(QStringLiteral("activate the user first")), qPrintable(all));
    }

    void bulkReinviteCanBeCancelledBetweenTransactions()
    {
        const QList<qint64> ids = neverInvited(1200);
        QCOMPARE(ids.size(), 1200);
        InvitationService s(org->db(), org->clock(), org->adminId());
        int calls = 0;
        auto r = s.reinviteMany(ids, [&](qsizetype done, qsizetype total) {
            ++calls;
            return !(done < total && calls == 1);
        });
        QVERIFY(r);
        QVERIFY(r->cancelled);
        QCOMPARE(r->invited.size(), 500);
        QCOMPARE(org->scalar(QStringLiteral("SELECT count(*) FROM outbox")), 500);
    }

    // On PostgreSQL a bulk re-invite writes a batch by column (arrays, unnest), not user by
    // user: what it stores must be what a single re-invite stores, text that array literals
    // must escape included.
    void bulkReinviteWritesWhatOneReinviteWrites()
    {
        const QString name = QStringLiteral("Zoë \"Z\" O'Hara, {Jr.} \\ NULL");
        const qint64 one = org->addUnconfirmedUser(QStringLiteral("one@example.com"), name);
        QList<qint64> many;
        for (int i = 0; i < 3; ++i)
            many << org->addUnconfirmedUser(QStringLiteral("many%1@example.com").arg(i), name);
        QVERIFY(one && !many.contains(0));
        org->clock().advanceMinutes(10);
        InvitationService s(org->db(), org->clock(), org->adminId());
        QVERIFY(s.reinvite(one));
        auto bulk = s.reinviteMany(many + many); // a user listed twice is re-invited once
        QVERIFY2(bulk, bulk ? "" : qPrintable(bulk.error().message));
        QCOMPARE(bulk->invited.size(), 3);

        // Every row of the user's, with what differs by nature (ids, address, token, message id)
        // left out or replaced by what it must point at.
        const auto rowsOf = [&](qint64 id) {
            QStringList rows;
            const auto read = [&](const QString &sql) {
                QSqlQuery q = org->db().prepare(sql);
                q.addBindValue(id);
                if (!org->db().exec(q))
                    return rows << QStringLiteral("failed: ") + sql;
                while (q.next()) {
                    QStringList cells;
                    for (int c = 0; c < q.record().count(); ++c)
                        cells << q.value(c).toString();
                    rows << cells.join(u'|');
                }
                return rows;
            };
            read(QStringLiteral(
                "SELECT name, invited_at, invite_expires_at, invite_count, last_invited_by, "
                "mail_state, mail_reply IS NULL, updated_at, "
                "last_outbox_id = (SELECT max(id) FROM outbox o WHERE o.user_id = u.id) "
                "FROM users u WHERE id = ?"));
            read(QStringLiteral(
                "SELECT created_at, expires_at, revoked_at, accepted_at, created_by, "
                "created_by_name, length(token_hash), "
                "(SELECT o.invitation_id = i.id AND o.user_id = i.user_id FROM outbox o "
                "WHERE o.id = i.outbox_id) FROM invitations i WHERE user_id = ? ORDER BY id"));
            read(QStringLiteral(
                "SELECT kind, state, last_reply, sealed_token IS NULL, attempts, created_at, "
                "next_attempt_at, recipient, payload FROM outbox WHERE user_id = ? ORDER BY id"));
            read(QStringLiteral(
                "SELECT at, actor_id, actor_email, action, target_email, "
                "replace(replace(detail, 'invitation ' || CAST((SELECT max(id) FROM invitations i "
                "WHERE i.user_id = a.target_user_id) AS TEXT) || ',', 'invitation newest,'), "
                "'invitation ' || CAST((SELECT min(id) FROM invitations i "
                "WHERE i.user_id = a.target_user_id) AS TEXT) || ',', 'invitation first,') "
                "FROM audit_log a WHERE target_user_id = ? ORDER BY id"));
            return rows.join(u'\n').replace(user(id).email, QStringLiteral("<email>"));
        };
        const QString expected = rowsOf(one);
        QVERIFY2(expected.contains(name) &&
                     expected.contains(QStringLiteral("invitation newest,")) &&
                     expected.contains(QStringLiteral("invitation first,")),
                 qPrintable(expected));
        for (const InviteOutcome &o : bulk->invited) {
            const QString rows = rowsOf(o.user.id);
            if (rows != expected)
                qWarning().noquote() << rows << "\n---- expected:\n" << expected;
            QVERIFY(rows == expected);
            const UserRecord stored = user(o.user.id);
            QCOMPARE(o.user.name, name);
            QCOMPARE(o.user.inviteCount, stored.inviteCount);
            QCOMPARE(o.user.invitedAt, stored.invitedAt);
            QCOMPARE(o.user.mailState, stored.mailState);
            QCOMPARE(o.outboxId, org->scalar(QStringLiteral("SELECT last_outbox_id FROM users "
                                                            "WHERE id = ?"),
                                             {o.user.id}));
            QCOMPARE(o.invitationId,
                     org->scalar(QStringLiteral("SELECT max(id) FROM invitations WHERE "
                                                "user_id = ?"),
                                 {o.user.id}));
        }

        // The mail goes out and its link works: the sealed token matches the stored hash.
        QCOMPARE(org->deliver(), 4);
        for (qint64 id : many) {
            auto accepted = InvitationService::acceptInvitation(org->db(), org->clock(),
                                                                latestToken(user(id).email),
                                                                QStringLiteral("a good password"));
            QVERIFY2(accepted, accepted ? "" : qPrintable(accepted.error().message));
        }
    }

    // The invitation mail's fields are written as JSON text by hand (shared parts once per
    // batch): whatever a name or an address holds, the outbox reads back exactly those fields,
    // from a single re-invite and from a bulk one.
    void invitationPayloadReadsBackAsWritten()
    {
        const QStringList names{
            QStringLiteral("Zoë \"Z\" O'Hara \\ {Jr.}"),
            QStringLiteral("tab\tnew\nline\r\x01\x1f end"),
            QStringLiteral("Müller \u2028 \U0001F600 /slash/ </script>"),
        };
        QList<qint64> ids;
        for (int i = 0; i < names.size(); ++i) {
            ids << org->addUnconfirmedUser(QStringLiteral("payload%1@example.com").arg(i));
            // Set in SQL: the service refuses control characters in a new name, but rows
            // written before that rule (or by another tool) may hold them.
            QSqlQuery rename = org->db().prepare(QStringLiteral("UPDATE users SET name = ? "
                                                                "WHERE id = ?"));
            rename.addBindValue(names[i]);
            rename.addBindValue(ids.last());
            QVERIFY(org->db().exec(rename));
        }
        QVERIFY(!ids.contains(0));
        org->clock().advanceMinutes(10);
        InvitationService s(org->db(), org->clock(), org->adminId());
        QVERIFY(s.reinvite(ids.first()));
        auto bulk = s.reinviteMany(ids.mid(1));
        QVERIFY2(bulk, bulk ? "" : qPrintable(bulk.error().message));
        QCOMPARE(bulk->invited.size(), names.size() - 1);

        const OrgSettings cfg = OrgSettings::load(org->db()).value();
        const UserRecord admin = user(org->adminId());
        for (int i = 0; i < ids.size(); ++i) {
            const UserRecord target = user(ids[i]);
            QSqlQuery q = org->db().prepare(QStringLiteral(
                "SELECT o.payload, i.expires_at, o.created_at FROM outbox o JOIN invitations i "
                "ON i.id = o.invitation_id WHERE o.id = (SELECT last_outbox_id FROM users WHERE id "
                "= ?)"));
            q.addBindValue(target.id);
            QVERIFY(org->db().exec(q) && q.next());
            QJsonParseError error;
            const QJsonDocument doc =
                QJsonDocument::fromJson(q.value(0).toString().toUtf8(), &error);
            QVERIFY2(error.error == QJsonParseError::NoError, qPrintable(error.errorString()));
            const QJsonObject expected{
                {QStringLiteral("portal"), target.kind == UserKind::Portal},
                {QStringLiteral("organisation"), cfg.organisation},
                {QStringLiteral("inviter"), admin.name},
                {QStringLiteral("to_name"), names[i]},
                {QStringLiteral("to_email"), target.email},
                {QStringLiteral("from_name"),
                 cfg.senderName.isEmpty() ? cfg.organisation : cfg.senderName},
                {QStringLiteral("from_email"), cfg.senderAddress},
                {QStringLiteral("accept_url"),
                 target.kind == UserKind::Portal ? cfg.portalAcceptUrl : cfg.acceptUrl},
                {QStringLiteral("expires_at"), QString::number(q.value(1).toLongLong())},
                {QStringLiteral("date"), QString::number(q.value(2).toLongLong())},
            };
            if (doc.object() != expected)
                qWarning().noquote() << q.value(0).toString();
            QCOMPARE(doc.object(), expected);
        }
    }

    // Rule 3 for a bulk re-invite: a failure keeps the batches committed before it and nothing
    // of its own batch (on PostgreSQL, a batch is written by column).
    void bulkReinviteFailureKeepsOnlyEarlierBatches()
    {
        const QList<qint64> ids = neverInvited(600);
        QCOMPARE(ids.size(), 600);
        // The audit entry of one user of the second batch is refused.
        const QString when = QStringLiteral(
            "NEW.action = 'invitation.reinvite' AND NEW.target_email = 'u550@bulk.example'");
        if (org->engine() == u"sqlite") {
            QVERIFY(org->db().exec(QStringLiteral("CREATE TRIGGER refuse BEFORE INSERT ON "
                                                  "audit_log WHEN %1 BEGIN SELECT "
                                                  "RAISE(ABORT, 'injected failure'); END")
                                       .arg(when)));
        } else {
            QVERIFY(org->db().exec(QStringLiteral(
                "CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                "RAISE EXCEPTION 'injected failure'; END $$")));
            QVERIFY(org->db().exec(QStringLiteral("CREATE TRIGGER refuse BEFORE INSERT ON "
                                                  "audit_log FOR EACH ROW WHEN (%1) "
                                                  "EXECUTE FUNCTION refuse()")
                                       .arg(when)));
        }
        InvitationService s(org->db(), org->clock(), org->adminId());
        auto r = s.reinviteMany(ids);
        // Issue 13 point 6: what was committed is reported beside the error (it used to be the
        // error alone, and the committed 500 were neither reported nor delivered).
        QVERIFY(r);
        QVERIFY(r->error);
        QVERIFY2(r->error->message.contains(QStringLiteral("injected failure")),
                 qPrintable(r->error->message));
        QCOMPARE(r->invited.size(), 500);
        for (const InviteOutcome &o : std::as_const(r->invited))
            QVERIFY(o.outboxId);
        const QString ofBulk = QStringLiteral(" JOIN users u ON u.id = t.user_id "
                                              "WHERE u.email LIKE '%@bulk.example'");
        QCOMPARE(org->scalar(QStringLiteral("SELECT count(*) FROM invitations t") + ofBulk), 500);
        QCOMPARE(org->scalar(QStringLiteral("SELECT count(*) FROM outbox t") + ofBulk), 500);
        QCOMPARE(org->scalar(QStringLiteral("SELECT count(*) FROM users WHERE email LIKE "
                                            "'%@bulk.example' AND invite_count = 1")),
                 500);
        QCOMPARE(org->scalar(QStringLiteral("SELECT count(*) FROM audit_log WHERE action = "
                                            "'invitation.reinvite'")),
                 500);
        QCOMPARE(org->scalar(QStringLiteral("SELECT max(invite_count) FROM users WHERE email IN "
                                            "('u500@bulk.example', 'u599@bulk.example')")),
                 0);
        // The connection works on: without the trigger the rest goes out.
        QVERIFY(org->db().exec(
            QStringLiteral("DROP TRIGGER refuse") +
            (org->engine() == u"sqlite" ? QString() : QStringLiteral(" ON audit_log"))));
        auto rest = s.reinviteMany(ids.mid(500));
        QVERIFY2(rest, rest ? "" : qPrintable(rest.error().message));
        QCOMPARE(rest->invited.size(), 100);
    }

    // The bulk path checks that every invitation it wrote came back: one the database silently
    // skipped (here a trigger) is an error, and nothing of the batch stays.
    void bulkReinviteOfARowNotStoredIsAnError()
    {
        QList<qint64> ids;
        for (int i = 0; i < 3; ++i)
            ids << org->addUnconfirmedUser(QStringLiteral("s%1@example.com").arg(i));
        QVERIFY(!ids.contains(0));
        org->clock().advanceMinutes(10);
        const QString when = QStringLiteral("NEW.user_id = %1").arg(ids.at(1));
        if (org->engine() == u"sqlite") {
            QVERIFY(org->db().exec(QStringLiteral("CREATE TRIGGER skip BEFORE INSERT ON "
                                                  "invitations WHEN %1 BEGIN SELECT "
                                                  "RAISE(IGNORE); END")
                                       .arg(when)));
        } else {
            QVERIFY(org->db().exec(
                QStringLiteral("CREATE FUNCTION skip_row() RETURNS trigger LANGUAGE plpgsql AS $$ "
                               "BEGIN RETURN NULL; END $$")));
            QVERIFY(org->db().exec(QStringLiteral("CREATE TRIGGER skip BEFORE INSERT ON "
                                                  "invitations FOR EACH ROW WHEN (%1) "
                                                  "EXECUTE FUNCTION skip_row()")
                                       .arg(when)));
        }
        const QString before = org->dump();
        InvitationService s(org->db(), org->clock(), org->adminId());
        auto r = s.reinviteMany(ids);
        QVERIFY(!r);
        QCOMPARE(r.error().kind, ErrorKind::Database);
        QVERIFY2(r.error().message.contains(QStringLiteral("not stored")),
                 qPrintable(r.error().message));
        QCOMPARE(org->dump(), before);
    }

    // Rule 5: accepted once, before expiry, not revoked, user active.
    void acceptanceRules()
    {
        const qint64 id = org->addUnconfirmedUser(QStringLiteral("mia@example.com"));
        QCOMPARE(org->deliver(), 1);
        const QByteArray token = latestToken(QStringLiteral("mia@example.com"));
        UserService s(org->db(), org->clock(), org->adminId());
        InvitationService invitations(org->db(), org->clock(), org->adminId());
        QVERIFY(s.setActive(id, false));
        auto inactive = InvitationService::acceptInvitation(org->db(), org->clock(), token,
                                                            QStringLiteral("a good password"));
        QVERIFY(!inactive);
        QVERIFY(inactive.error().message.contains(QStringLiteral("deactivated")));
        QVERIFY(s.setActive(id, true));
        // Issue 13 point 11: re-activating does not revive the link (this test accepted it).
        auto revived = InvitationService::acceptInvitation(org->db(), org->clock(), token,
                                                           QStringLiteral("a good password"));
        QVERIFY(!revived);
        QVERIFY2(revived.error().message.contains(QStringLiteral("invite you again")),
                 qPrintable(revived.error().message));
        org->clock().advanceMinutes(10);
        QVERIFY(invitations.reinvite(id));
        QCOMPARE(org->deliver(), 1);
        const QByteArray fresh = latestToken(QStringLiteral("mia@example.com"));
        auto ok = InvitationService::acceptInvitation(org->db(), org->clock(), fresh,
                                                      QStringLiteral("a good password"));
        QVERIFY2(ok, ok ? "" : qPrintable(ok.error().message));
        QVERIFY(user(id).confirmedAt);
        auto again = InvitationService::acceptInvitation(org->db(), org->clock(), fresh,
                                                         QStringLiteral("a good password"));
        QVERIFY(!again);
        QVERIFY(again.error().message.contains(QStringLiteral("already accepted")));
        // The user left the Unconfirmed view.
        UserFilter f;
        f.view = UserView::Unconfirmed;
        QCOMPARE(UserRepository(org->db()).count(f).value(), 0);
    }

    void invitationExpiresAfterSevenDays()
    {
        const qint64 id = org->addUnconfirmedUser(QStringLiteral("ned@example.com"));
        QCOMPARE(org->deliver(), 1);
        const QByteArray token = latestToken(QStringLiteral("ned@example.com"));
        org->clock().advance(invitationLifetimeMs - 60000);
        QCOMPARE(user(id).status(org->clock().nowMs()), UserStatus::Pending);
        QVERIFY(
            user(id).statusText(org->clock().nowMs()).contains(QStringLiteral("expires in 1 day")));
        org->clock().advance(60000);
        QCOMPARE(user(id).status(org->clock().nowMs()), UserStatus::Expired);
        auto r = InvitationService::acceptInvitation(org->db(), org->clock(), token,
                                                     QStringLiteral("a good password"));
        QVERIFY(!r);
        QVERIFY2(r.error().message.contains(QStringLiteral("expired")),
                 qPrintable(r.error().message));
        org->clock().advanceDays(2);
        QVERIFY(user(id)
                    .statusText(org->clock().nowMs())
                    .contains(QStringLiteral("expired 2 days ago")));
        // A re-invite gives a fresh 7-day window.
        InvitationService s(org->db(), org->clock(), org->adminId());
        auto again = s.reinvite(id);
        QVERIFY(again);
        QCOMPARE(*again->user.inviteExpiresAt, org->clock().nowMs() + invitationLifetimeMs);
    }

    void malformedTokensAreRefused_data()
    {
        QTest::addColumn<QByteArray>("token");
        QTest::newRow("empty") << QByteArray();
        QTest::newRow("short") << QByteArray("abc");
        QTest::newRow("44 chars") << QByteArray(44, 'A');
        QTest::newRow("bad alphabet") << QByteArray(42, 'A') + '+';
        QTest::newRow("padding") << QByteArray(42, 'A') + '=';
        QTest::newRow("unknown") << issueToken().token;
        QTest::newRow("sql") << QByteArray("' OR 1=1 --AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
    }
    void malformedTokensAreRefused()
    {
        QFETCH(QByteArray, token);
        org->addUnconfirmedUser(QStringLiteral("olga@example.com"));
        const QString before = org->dump();
        auto r = InvitationService::acceptInvitation(org->db(), org->clock(), token,
                                                     QStringLiteral("a good password"));
        QVERIFY(!r);
        QVERIFY(r.error().kind == ErrorKind::Invalid || r.error().kind == ErrorKind::NotFound);
        QVERIFY(r.error().message.contains(QStringLiteral("not valid")));
        QCOMPARE(org->dump(), before);
    }

    // A token accepts only the invitation of its own kind of user (issue 7).
    void tokenIsBoundToItsKind()
    {
        const qint64 crm = org->addUnconfirmedUser(QStringLiteral("crm@example.com"),
                                                   QStringLiteral("C"), UserKind::Crm);
        const qint64 portal = org->addUnconfirmedUser(QStringLiteral("cust@example.com"),
                                                      QStringLiteral("P"), UserKind::Portal);
        QVERIFY(crm && portal);
        QCOMPARE(org->deliver(), 2);
        const QByteArray crmToken = latestToken(QStringLiteral("crm@example.com"));
        const QByteArray portalToken = latestToken(QStringLiteral("cust@example.com"));
        auto wrong = InvitationService::acceptInvitation(
            org->db(), org->clock(), crmToken, QStringLiteral("a good password"), UserKind::Portal);
        QVERIFY(!wrong);
        QCOMPARE(user(crm).confirmedAt.has_value(), false);
        auto wrong2 = InvitationService::acceptInvitation(
            org->db(), org->clock(), portalToken, QStringLiteral("a good password"), UserKind::Crm);
        QVERIFY(!wrong2);
        QVERIFY(InvitationService::acceptInvitation(org->db(), org->clock(), portalToken,
                                                    QStringLiteral("a good password"),
                                                    UserKind::Portal));
        QVERIFY(user(portal).confirmedAt);
        // The portal mail is the portal's: its own subject and accept URL.
        bool sawPortal = false;
        for (const QString &f : emlFiles(org->mailDir())) {
            const QByteArray m = decodeQuotedPrintable(readFile(f));
            if (m.contains("cust@example.com")) {
                sawPortal = true;
                QVERIFY(m.contains("https://portal.acme.example/accept?token="));
                QVERIFY(m.contains("customer portal"));
            }
        }
        QVERIFY(sawPortal);
    }

    // Rule 6: the database keeps only the hash; the token is nowhere in the file.
    void tokensNeverReachTheDatabaseInClear()
    {
        const bool sqlite = org->engine() == u"sqlite";
        const auto fileBytes = [this]() -> QByteArray {
            if (!org->db().exec(QStringLiteral("PRAGMA wal_checkpoint(TRUNCATE)")))
                return QByteArray();
            return readFile(org->location()) + readFile(org->location() + QStringLiteral("-wal"));
        };
        const qint64 id = org->addUnconfirmedUser(QStringLiteral("pat@example.com"));
        // Before delivery the token sits sealed in the outbox; after, it is gone.
        QCOMPARE(org->deliver(), 1);
        const QByteArray token = latestToken(QStringLiteral("pat@example.com"));
        QCOMPARE(token.size(), 43);
        QCOMPARE(org->scalar(
                     QStringLiteral(
                         "SELECT count(*) FROM invitations WHERE user_id = ? AND token_hash = ?"),
                     {id, tokenHash(token)}),
                 1);
        QCOMPARE(leaksIn(org->dump().toUtf8(), token), QList<QByteArray>());
        if (sqlite) {
            const QByteArray bytes = fileBytes();
            QVERIFY(!bytes.isEmpty());
            QCOMPARE(leaksIn(bytes, token), QList<QByteArray>());
            QVERIFY(bytes.contains(tokenHash(token).toLatin1()));
        }
        // Also while queued: a re-invite whose mail is not delivered yet. Its token is in the
        // outbox only sealed (read back here with the organisation's key, as a sender would),
        // in no other form in any row or in the file.
        org->clock().advanceMinutes(6);
        InvitationService s(org->db(), org->clock(), org->adminId());
        auto queued = s.reinvite(id);
        QVERIFY(queued);
        QVERIFY(queued->outboxId > 0);
        auto sealer = Sealer::forDatabase(org->db());
        QVERIFY(sealer);
        QSqlQuery q = org->db().prepare(QStringLiteral(
            "SELECT sealed_token, message_id FROM outbox WHERE id = ? AND state = 'queued'"));
        q.addBindValue(queued->outboxId);
        QVERIFY(org->db().exec(q));
        QVERIFY(q.next());
        const auto queuedToken =
            sealer->unseal(q.value(0).toString(), q.value(1).toString().toLatin1());
        q.finish();
        QVERIFY(queuedToken);
        QCOMPARE(queuedToken->size(), 43);
        QCOMPARE(leaksIn(org->dump().toUtf8(), *queuedToken), QList<QByteArray>());
        if (sqlite)
            QCOMPARE(leaksIn(fileBytes(), *queuedToken), QList<QByteArray>());
        // Then delivered: the mail carries it, the database still does not.
        QCOMPARE(org->deliver(), 1);
        QCOMPARE(latestToken(QStringLiteral("pat@example.com")), *queuedToken);
        QCOMPARE(leaksIn(org->dump().toUtf8(), *queuedToken), QList<QByteArray>());
        if (sqlite)
            QCOMPARE(leaksIn(fileBytes(), *queuedToken), QList<QByteArray>());
        // And a copied link: the token handed back, never stored.
        org->clock().advanceMinutes(6);
        auto link = s.copyInviteLink(id);
        QVERIFY(link);
        QCOMPARE(leaksIn(org->dump().toUtf8(), link->token), QList<QByteArray>());
        if (sqlite)
            QCOMPARE(leaksIn(fileBytes(), link->token), QList<QByteArray>());
        QVERIFY(link->link.endsWith(QString::fromLatin1(link->token)));
        QVERIFY(InvitationService::acceptInvitation(org->db(), org->clock(), link->token,
                                                    QStringLiteral("a good password")));
    }

    // Rule 1 in the service layer: a Standard user's calls are refused even without the GUI.
    void standardUserIsRefusedByTheServices()
    {
        const qint64 standard =
            org->addConfirmedUser(QStringLiteral("sam@example.com"), QStringLiteral("Standard"));
        const qint64 target = org->addUnconfirmedUser(QStringLiteral("tia@example.com"));
        org->clock().advanceMinutes(10);
        UserService s(org->db(), org->clock(), standard);
        InvitationService invitations(org->db(), org->clock(), standard);
        const QString before = org->dump();
        auto r = invitations.reinvite(target);
        QVERIFY(!r);
        QCOMPARE(r.error().kind, ErrorKind::Refused);
        QVERIFY(!s.addUser(
            NewUser{UserKind::Crm, QStringLiteral("x@example.com"), QStringLiteral("X"), {}, {}}));
        QVERIFY(!s.setActive(target, false));
        QVERIFY(!invitations.reinviteMany({target}));
        QVERIFY(!invitations.copyInviteLink(target));
        QCOMPARE(org->dump(), before);
    }

    void userManagerMayNotMakeAdministrators()
    {
        const qint64 manager = org->addConfirmedUser(QStringLiteral("uma@example.com"),
                                                     QStringLiteral("User Manager"));
        UserService s(org->db(), org->clock(), manager);
        auto admin = s.addUser(NewUser{UserKind::Crm,
                                       QStringLiteral("evil@example.com"),
                                       QStringLiteral("Evil"),
                                       QStringLiteral("Administrator"),
                                       {}});
        QVERIFY(!admin);
        QCOMPARE(admin.error().kind, ErrorKind::Refused);
        auto standard = s.addUser(NewUser{UserKind::Crm,
                                          QStringLiteral("ok@example.com"),
                                          QStringLiteral("Okay"),
                                          QStringLiteral("Standard"),
                                          {}});
        QVERIFY(standard);
        // ... nor deactivate one.
        auto deact = s.setActive(org->adminId(), false);
        QVERIFY(!deact);
        QCOMPARE(deact.error().kind, ErrorKind::Refused);
    }

    void deactivatedAdministratorLosesAccessAtOnce()
    {
        const qint64 second = org->addConfirmedUser(QStringLiteral("vic@example.com"),
                                                    QStringLiteral("Administrator"));
        const qint64 target = org->addUnconfirmedUser(QStringLiteral("wes@example.com"));
        org->clock().advanceMinutes(10);
        UserService asAdmin(org->db(), org->clock(), org->adminId());
        QVERIFY(asAdmin.setActive(second, false));
        InvitationService asSecond(org->db(), org->clock(), second);
        QVERIFY(!asSecond.reinvite(target));
    }

    // "Not yourself" (activeChangeRefusal): an administrator may deactivate another one, and
    // then not themself. (The last-administrator rule is the test after this one.)
    void administratorCannotDeactivateThemself()
    {
        UserService s(org->db(), org->clock(), org->adminId());
        const qint64 other = org->addConfirmedUser(QStringLiteral("xena@example.com"),
                                                   QStringLiteral("Administrator"));
        UserService asOther(org->db(), org->clock(), other);
        QVERIFY(asOther.setActive(org->adminId(), false));
        auto r = asOther.setActive(other, false);
        QVERIFY(!r);
        QVERIFY(r.error().message.contains(QStringLiteral("yourself")));
    }

    // The last active administrator stays one: a demotion (the one way to lose the last one
    // without a race: deactivating oneself is refused first, and deactivating another means the
    // actor remains) is refused while no other administrator is active, and allowed once one
    // is. Deactivations racing each other are tst_adminrace's.
    void lastAdministratorCannotBeDemoted()
    {
        UserService s(org->db(), org->clock(), org->adminId());
        auto alone = s.updateUser(org->adminId(), QStringLiteral("Ada Admin"),
                                  QStringLiteral("User Manager"));
        QVERIFY(!alone);
        QCOMPARE(alone.error().kind, ErrorKind::Refused);
        QVERIFY2(alone.error().message.contains(QStringLiteral("last active administrator")),
                 qPrintable(alone.error().message));
        QCOMPARE(user(org->adminId()).isAdmin, true);
        // A second administrator who has not confirmed yet does not count.
        const qint64 pending = org->addUnconfirmedUser(QStringLiteral("pam@example.com"),
                                                       QStringLiteral("Pam"), UserKind::Crm);
        QVERIFY(s.updateUser(pending, QStringLiteral("Pam"), QStringLiteral("Administrator")));
        QVERIFY(!s.updateUser(org->adminId(), QStringLiteral("Ada Admin"),
                              QStringLiteral("User Manager")));
        const qint64 other = org->addConfirmedUser(QStringLiteral("olga@example.com"),
                                                   QStringLiteral("Administrator"));
        QVERIFY(other);
        auto demoted = s.updateUser(org->adminId(), QStringLiteral("Ada Admin"),
                                    QStringLiteral("User Manager"));
        QVERIFY2(demoted, demoted ? "" : qPrintable(demoted.error().message));
        QCOMPARE(user(org->adminId()).isAdmin, false);
    }

    // Issue 13 point 11: deactivating revokes the user's open invitations and cancels their
    // unsent mail in the same transaction; re-activating revives neither (a re-invite does).
    void deactivationRevokesLinksAndCancelsMail()
    {
        const QString mailed = QStringLiteral("mia@example.com");
        const qint64 a = org->addUnconfirmedUser(mailed);
        QCOMPARE(org->deliver(), 1); // its invitation mail was sent
        const QByteArray token = latestToken(mailed);
        QVERIFY(!token.isEmpty());
        UserService s(org->db(), org->clock(), org->adminId());
        InvitationService invitations(org->db(), org->clock(), org->adminId());
        NewUser nu;
        nu.kind = TestOrg::testKind();
        nu.email = QStringLiteral("quin@example.com");
        nu.name = QStringLiteral("Quin");
        auto queued = s.addUser(nu); // its mail still queued
        QVERIFY2(queued, queued ? "" : qPrintable(queued.error().message));
        const qint64 b = queued->user.id;

        QVERIFY(s.setActive(a, false));
        QVERIFY(s.setActive(b, false));
        QCOMPARE(openInvitations(a), 0);
        QCOMPARE(openInvitations(b), 0);
        QCOMPARE(org->scalar(QStringLiteral("SELECT count(*) FROM outbox WHERE user_id = ? AND "
                                            "state IN ('queued', 'deferred')"),
                             {b}),
                 0);
        QCOMPARE(org->scalar(QStringLiteral("SELECT count(*) FROM outbox WHERE user_id = ? AND "
                                            "sealed_token IS NOT NULL"),
                             {b}),
                 0);
        QCOMPARE(user(b).mailState, QStringLiteral("cancelled"));

        QVERIFY(s.setActive(a, true));
        QVERIFY(s.setActive(b, true));
        QCOMPARE(org->deliver(), 0); // the cancelled mail stays cancelled
        auto accept = InvitationService::acceptInvitation(org->db(), org->clock(), token,
                                                          QStringLiteral("a good password"));
        QVERIFY(!accept);
        QCOMPARE(openInvitations(a), 0);
        // The list tells the truth: the link is gone, the user needs a re-invite.
        QCOMPARE(user(a).status(org->clock().nowMs()), UserStatus::Expired);
        org->clock().advanceMinutes(10);
        QVERIFY(invitations.reinvite(a));
        QCOMPARE(openInvitations(a), 1);
        QCOMPARE(org->deliver(), 1);
        QVERIFY(InvitationService::acceptInvitation(org->db(), org->clock(), latestToken(mailed),
                                                    QStringLiteral("a good password")));
    }

    // Rule 8: every change to a user is audited.
    void everyChangeIsAudited()
    {
        const qint64 id = org->addUnconfirmedUser(QStringLiteral("yan@example.com"));
        UserService s(org->db(), org->clock(), org->adminId());
        InvitationService invitations(org->db(), org->clock(), org->adminId());
        QVERIFY(s.setActive(id, false));
        QVERIFY(s.setActive(id, true));
        org->clock().advanceMinutes(10);
        QVERIFY(invitations.reinvite(id));
        auto entries = readAudit(org->db(), 100, id);
        QVERIFY(entries);
        QStringList actions;
        for (const AuditEntry &e : entries.value())
            actions.prepend(e.action);
        QCOMPARE(actions,
                 (QStringList{QStringLiteral("user.add"), QStringLiteral("invitation.invite"),
                              QStringLiteral("user.deactivate"), QStringLiteral("user.activate"),
                              QStringLiteral("invitation.reinvite")}));
        for (const AuditEntry &e : entries.value())
            QCOMPARE(e.actorEmail, TestOrg::adminEmail());
    }

    void reminderIsSentOnceBeforeExpiry()
    {
        const qint64 id = org->addUnconfirmedUser(QStringLiteral("zed@example.com"));
        auto st = OrgSettings::load(org->db()).value();
        st.reminderDaysBefore = 2;
        QVERIFY(st.save(org->db()));
        InvitationService s(org->db(), org->clock(), org->adminId());
        QCOMPARE(s.sendDueReminders()->size(), 0); // 7 days left
        org->clock().advanceDays(5);
        org->clock().advanceMinutes(1);
        auto first = s.sendDueReminders();
        QVERIFY(first);
        QCOMPARE(first->size(), 1);
        QCOMPARE(user(id).inviteCount, 2);
        org->clock().advanceDays(5);
        QCOMPARE(s.sendDueReminders()->size(), 0); // once: the reminder's invitation gets none
        QVERIFY(s.reinvite(id));                   // an administrator's re-invite earns one again
        org->clock().advanceDays(5);
        org->clock().advanceMinutes(1);
        QCOMPARE(s.sendDueReminders()->size(), 1);
    }

    // Issue 13 point 9: "reminded once" for users whose history has no invite audit row (every
    // demo user): the comparison against a NULL max() was never true, so they were reminded
    // again each time their new invitation came near its end.
    void demoUsersAreRemindedOnce()
    {
        QVERIFY(generateDemoData(org->db(), org->clock(), org->adminId(), DemoOptions{120, 0, 7}));
        auto st = OrgSettings::load(org->db()).value();
        st.reminderDaysBefore = 2;
        st.cooldownMinutes = 0;
        QVERIFY(st.save(org->db()));
        InvitationService s(org->db(), org->clock(), org->adminId());
        qsizetype reminded = 0;
        for (int day = 0; day < 20; ++day) {
            auto r = s.sendDueReminders();
            QVERIFY2(r, r ? "" : qPrintable(r.error().message));
            reminded += r->size();
            org->clock().advanceDays(1);
        }
        QVERIFY(reminded > 0);
        QCOMPARE(org->scalar(QStringLiteral(
                     "SELECT count(*) FROM (SELECT target_user_id FROM audit_log WHERE action = "
                     "'invitation.reminder' GROUP BY target_user_id HAVING count(*) > 1) t")),
                 0);
    }

    // Edit user: the name (and the account of a portal user) change, the email stays, the change
    // is audited with old → new.
    void editChangesNameAndIsAudited()
    {
        const qint64 id =
            org->addUnconfirmedUser(QStringLiteral("ed@example.com"), QStringLiteral("Ed Old"));
        UserService s(org->db(), org->clock(), org->adminId());
        const bool portal = TestOrg::testKind() == UserKind::Portal;
        auto r =
            s.updateUser(id, QStringLiteral("  Edwina New "), {},
                         portal ? std::optional<QString>(QStringLiteral("Globex")) : std::nullopt);
        QVERIFY2(r, r ? "" : qPrintable(r.error().message));
        const UserRecord u = user(id);
        QCOMPARE(u.name, QStringLiteral("Edwina New"));
        QCOMPARE(u.email, QStringLiteral("ed@example.com"));
        if (portal)
            QCOMPARE(u.account, QStringLiteral("Globex"));
        // The search finds the new name (name_key and the search index follow).
        UserFilter f;
        f.kind = TestOrg::testKind();
        f.search = QStringLiteral("edwina");
        QCOMPARE(UserRepository(org->db()).count(f).value(), 1);
        auto entries = readAudit(org->db(), 10, id);
        QVERIFY(entries);
        QCOMPARE(entries->first().action, QStringLiteral("user.edit"));
        QVERIFY2(entries->first().detail.contains(QStringLiteral("\"Ed Old\" → \"Edwina New\"")),
                 qPrintable(entries->first().detail));
        // Saving the same values writes nothing.
        const QString before = org->dump();
        QVERIFY(
            s.updateUser(id, QStringLiteral("Edwina New"), {},
                         portal ? std::optional<QString>(QStringLiteral("Globex")) : std::nullopt));
        QCOMPARE(org->dump(), before);
    }

    void editRefusesBadInputAndOutsiders()
    {
        const qint64 id =
            org->addUnconfirmedUser(QStringLiteral("fay@example.com"), QStringLiteral("Fay"));
        const qint64 standard =
            org->addConfirmedUser(QStringLiteral("stan@example.com"), QStringLiteral("Standard"));
        UserService s(org->db(), org->clock(), org->adminId());
        const QString before = org->dump();
        for (const QString &bad :
             {QStringLiteral("Fay\r\nBcc: x@y.example"), QStringLiteral("Fay\tTab"),
              QString(10000, u'f'), QStringLiteral("   ")}) {
            auto r = s.updateUser(id, bad, {});
            QVERIFY(!r);
            QCOMPARE(r.error().kind, ErrorKind::Invalid);
        }
        auto badProfile = s.updateUser(id, QStringLiteral("Fay"), QStringLiteral("Standard\n"));
        QVERIFY(!badProfile);
        QCOMPARE(badProfile.error().kind, ErrorKind::Invalid);
        auto ghost = s.updateUser(999999, QStringLiteral("Ghost"), {});
        QVERIFY(!ghost);
        QCOMPARE(ghost.error().kind, ErrorKind::NotFound);
        UserService asStandard(org->db(), org->clock(), standard);
        auto refused = asStandard.updateUser(id, QStringLiteral("Hacked"), {});
        QVERIFY(!refused);
        QCOMPARE(refused.error().kind, ErrorKind::Refused);
        QCOMPARE(org->dump(), before);
        // Portal users have no profile; CRM users have no account.
        if (TestOrg::testKind() == UserKind::Portal) {
            auto r = s.updateUser(id, QStringLiteral("Fay"), QStringLiteral("Administrator"));
            QVERIFY(!r);
            QCOMPARE(r.error().kind, ErrorKind::Invalid);
            QVERIFY(r.error().message.contains(QStringLiteral("account")));
        } else {
            auto r = s.updateUser(id, QStringLiteral("Fay"), {}, QStringLiteral("Globex"));
            QVERIFY(!r);
            QCOMPARE(r.error().kind, ErrorKind::Invalid);
        }
        QCOMPARE(org->dump(), before);
    }

    // Profiles: Manage Users neither gives nor takes Administrator nor edits an administrator;
    // nobody demotes the last active administrator.
    void editProfileRules()
    {
        if (TestOrg::testKind() == UserKind::Portal)
            QSKIP("portal users have no profile (editRefusesBadInputAndOutsiders covers it)");
        const qint64 manager = org->addConfirmedUser(QStringLiteral("uma@example.com"),
                                                     QStringLiteral("User Manager"));
        const qint64 std1 =
            org->addConfirmedUser(QStringLiteral("sid@example.com"), QStringLiteral("Standard"));
        UserService asManager(org->db(), org->clock(), manager);
        UserService asAdmin(org->db(), org->clock(), org->adminId());
        const QString before = org->dump();
        auto give =
            asManager.updateUser(std1, QStringLiteral("Sid"), QStringLiteral("Administrator"));
        QVERIFY(!give);
        QCOMPARE(give.error().kind, ErrorKind::Refused);
        auto self =
            asManager.updateUser(manager, QStringLiteral("Uma"), QStringLiteral("administrator"));
        QVERIFY(!self);
        QCOMPARE(self.error().kind, ErrorKind::Refused);
        auto take = asManager.updateUser(org->adminId(), QStringLiteral("Admin"),
                                         QStringLiteral("Standard"));
        QVERIFY(!take);
        QCOMPARE(take.error().kind, ErrorKind::Refused);
        auto rename = asManager.updateUser(org->adminId(), QStringLiteral("Renamed Admin"), {});
        QVERIFY(!rename);
        QCOMPARE(rename.error().kind, ErrorKind::Refused);
        // The last active administrator stays one, even at its own hand.
        auto last =
            asAdmin.updateUser(org->adminId(), QStringLiteral("Admin"), QStringLiteral("Standard"));
        QVERIFY(!last);
        QCOMPARE(last.error().kind, ErrorKind::Refused);
        QVERIFY2(last.error().message.contains(QStringLiteral("last active administrator")),
                 qPrintable(last.error().message));
        auto unknown = asAdmin.updateUser(std1, QStringLiteral("Sid"), QStringLiteral("Wizard"));
        QVERIFY(!unknown);
        QCOMPARE(unknown.error().kind, ErrorKind::Invalid);
        QCOMPARE(org->dump(), before);

        // What a manager may do: move a standard user between non-admin profiles.
        auto ok = asManager.updateUser(std1, QStringLiteral("Sid"), QStringLiteral("User Manager"));
        QVERIFY2(ok, ok ? "" : qPrintable(ok.error().message));
        QCOMPARE(user(std1).profileName, QStringLiteral("User Manager"));
        // An administrator promotes, then (with two) demotes.
        QVERIFY(asAdmin.updateUser(std1, QStringLiteral("Sid"), QStringLiteral("Administrator")));
        QVERIFY(user(std1).isAdmin);
        auto demote =
            asAdmin.updateUser(org->adminId(), QStringLiteral("Admin"), QStringLiteral("Standard"));
        QVERIFY2(demote, demote ? "" : qPrintable(demote.error().message));
        QVERIFY(!user(org->adminId()).isAdmin);
        auto entries = readAudit(org->db(), 10, org->adminId());
        QCOMPARE(entries->first().action, QStringLiteral("user.edit"));
        QVERIFY2(
            entries->first().detail.contains(QStringLiteral("profile: Administrator → Standard")),
            qPrintable(entries->first().detail));
    }
};

QTEST_GUILESS_MAIN(TestUserService)
#include "tst_userservice.moc"
