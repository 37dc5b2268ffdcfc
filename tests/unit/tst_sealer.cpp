// The sealer (issue 13 #4, issue 17): libsodium's XChaCha20-Poly1305 with a versioned format,
// known answers for it and for the old construction, old values opened and re-sealed, and the
// key file: never invented over sealed data, created exclusively 0600, refused when others may
// read it.
#include "testsupport.h"

#include "app/mailsetup.h"
#include "app/orgsettings.h"
#include "app/sealer.h"

#include <QDir>
#include <QFile>
#include <QSqlQuery>
#include <QTest>
#include <QThread>

#include <sys/stat.h>

#include <atomic>
#include <memory>
#include <vector>

using namespace roster;
using namespace testsupport;

namespace {

QByteArray range(int from, int count)
{
    QByteArray b;
    for (int i = 0; i < count; ++i)
        b.append(char(from + i));
    return b;
}

mode_t modeOf(const QString &path)
{
    struct stat st = {};
    return ::stat(QFile::encodeName(path).constData(), &st) == 0 ? (st.st_mode & 07777) : 07777;
}

// The error of a failed result, for QVERIFY2 (which evaluates its message either way).
template <typename R> QByteArray why(const R &r)
{
    return r ? QByteArray() : r.error().message.toUtf8();
}

QByteArray keyFromFile(const QString &path)
{
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? QByteArray::fromHex(f.readAll().trimmed()) : QByteArray();
}

} // namespace

class TestSealer : public QObject
{
    Q_OBJECT
    std::unique_ptr<TestOrg> org;

    QString keyPath() const { return org->dir() + QStringLiteral("/sealing.key"); }
    RunResult ctl(const QStringList &args, const QByteArray &input = {})
    {
        return rosterctl(args, input, org->rosterctlEnvironment());
    }
    // One invitation queued, not sent: a sealed token in the outbox.
    bool queueOne(const QString &email)
    {
        const RunResult r = ctl({QStringLiteral("user"), QStringLiteral("add"),
                                 QStringLiteral("--email"), email, QStringLiteral("--name"),
                                 QStringLiteral("Queued User"), QStringLiteral("--queue-only")});
        if (r.exitCode != 0)
            qWarning("%s", qPrintable(r.err));
        return r.exitCode == 0;
    }

private slots:
    void init()
    {
        org = std::make_unique<TestOrg>();
        QVERIFY2(org->isValid(), qPrintable(org->error()));
    }
    void cleanup() { org.reset(); }

    // draft-irtf-cfrg-xchacha-03, A.3.1 (AEAD_XChaCha20_Poly1305), through the v2 format.
    void knownAnswerXChaCha20Poly1305()
    {
        const QByteArray plain = "Ladies and Gentlemen of the class of '99: If I could offer you "
                                 "only one tip for the future, sunscreen would be it.";
        const QByteArray ad = QByteArray::fromHex("50515253c0c1c2c3c4c5c6c7");
        const Sealer s = Sealer::withKey(range(0x80, 32));
        const QString sealed = s.sealWithNonceForTest(plain, ad, range(0x40, 24));
        QVERIFY(sealed.startsWith(QStringLiteral("v2:")));
        const QByteArray raw = QByteArray::fromBase64(sealed.mid(3).toLatin1());
        QCOMPARE(raw.left(24), range(0x40, 24));
        QCOMPARE(raw.mid(24).toHex(),
                 QByteArray("bd6d179d3e83d43b9576579493c0e939572a1700252bfaccbed2902c21396cbb"
                            "731c7f1b0b4aa6440bf3a82f4eda7e39ae64c6708c54c216cb96b72e1213b452"
                            "2f8c9ba40db5d945b11b69b982c1bb9e3f3fac2bc369488f76b2383565d3fff9"
                            "21f9664c97637da9768812f615c68b13b52e"
                            "c0875924c1c7987947deafd8780acf49"));
        QCOMPARE(s.unseal(sealed, ad), plain);
        QVERIFY(!s.unseal(sealed, ad + 'x'));                          // the context is bound in
        QVERIFY(!Sealer::withKey(range(0x81, 32)).unseal(sealed, ad)); // another key
        QVERIFY(!Sealer::isLegacy(s.seal("x", "ctx")));
    }

    // The construction before v2, as its code wrote it (computed independently with Python's
    // hmac module): it still opens, and only through unseal().
    void knownAnswerLegacyFormat()
    {
        const QString vector =
            QStringLiteral("EBESExQVFhcYGRobHB0eH1LzYo2YaREzeEqf9KvDZsaCgmYKxfu9wgtOrZsI30Hmt/6S");
        const QByteArray key(32, 'k');
        QCOMPARE(Sealer::sealLegacyForTest(key, range(0x10, 16), "correct horse token",
                                           "<id@acme.example>"),
                 vector);
        QVERIFY(Sealer::isLegacy(vector));
        QCOMPARE(Sealer::withKey(key).unseal(vector, "<id@acme.example>"),
                 QByteArray("correct horse token"));
        QVERIFY(!Sealer::withKey(key).unseal(vector, "<other@acme.example>"));
    }

    // A queued token and the SMTP password sealed the old way open, are re-sealed as v2 when
    // the key is opened, and the mail then goes out with the right token.
    void legacyValuesOpenAndAreResealed()
    {
        QVERIFY(queueOne(QStringLiteral("old@example.com")));
        auto first = Sealer::forDatabase(org->db(), keyPath());
        QVERIFY2(first, why(first).constData());
        const QByteArray key = keyFromFile(keyPath());
        QCOMPARE(key.size(), 32);
        QSqlQuery q = org->db().prepare(QStringLiteral(
            "SELECT id, message_id, sealed_token FROM outbox WHERE sealed_token <> ''"));
        QVERIFY(org->db().exec(q) && q.next());
        const qint64 id = q.value(0).toLongLong();
        const QByteArray messageId = q.value(1).toString().toLatin1();
        const auto token = first->unseal(q.value(2).toString(), messageId);
        QVERIFY(token && token->size() == 43);
        const QString legacy = Sealer::sealLegacyForTest(key, range(0x30, 16), *token, messageId);
        QSqlQuery u =
            org->db().prepare(QStringLiteral("UPDATE outbox SET sealed_token = ? WHERE id = ?"));
        u.addBindValue(legacy);
        u.addBindValue(id);
        QVERIFY(org->db().exec(u));
        OrgSettings s = OrgSettings::load(org->db()).value();
        s.smtpPasswordSealed =
            Sealer::sealLegacyForTest(key, range(0x50, 16), "old-smtp-pw", smtpPasswordContext);
        QVERIFY(s.save(org->db()));

        auto again = Sealer::forDatabase(org->db(), keyPath());
        QVERIFY2(again, why(again).constData());
        QSqlQuery after =
            org->db().prepare(QStringLiteral("SELECT sealed_token FROM outbox WHERE id = ?"));
        after.addBindValue(id);
        QVERIFY(org->db().exec(after) && after.next());
        const QString now = after.value(0).toString();
        QVERIFY2(now.startsWith(QStringLiteral("v2:")), qPrintable(now));
        QCOMPARE(again->unseal(now, messageId), *token);
        const OrgSettings reloaded = OrgSettings::load(org->db()).value();
        QVERIFY(reloaded.smtpPasswordSealed.startsWith(QStringLiteral("v2:")));
        QCOMPARE(again->unseal(reloaded.smtpPasswordSealed, smtpPasswordContext),
                 QByteArray("old-smtp-pw"));
        // Delivered: the link carries the token that was sealed the old way.
        org->clock().advanceMinutes(1); // rosterctl runs on the test's clock: past the queueing
        const RunResult sent = ctl({QStringLiteral("outbox"), QStringLiteral("deliver")});
        QVERIFY2(sent.exitCode == 0, qPrintable(sent.out + sent.err));
        const QStringList mails = emlFiles(org->mailDir());
        QCOMPARE(mails.size(), 1);
        QCOMPARE(tokenFromMessage(readFile(mails.first())), *token);
    }

    // (a) A database that holds sealed data never gets a new key: one error line that says how
    // to install the organisation's key file; rosterctl exits 6 with that one line.
    void refusesToInventAKeyOverSealedData()
    {
        QVERIFY(queueOne(QStringLiteral("waiting@example.com")));
        QVERIFY(QFile::exists(keyPath()));
        QVERIFY(QFile::remove(keyPath()));
        auto s = Sealer::forDatabase(org->db(), keyPath());
        QVERIFY(!s);
        QCOMPARE(s.error().kind, ErrorKind::Mail);
        QVERIFY2(s.error().message.contains(keyPath()), qPrintable(s.error().message));
        QVERIFY2(s.error().message.contains(QStringLiteral("chmod 600")),
                 qPrintable(s.error().message));
        QVERIFY(!s.error().message.contains(u'\n'));
        QVERIFY(!QFile::exists(keyPath()));

        org->clock().advanceMinutes(1); // due, so that only the missing key stops it
        const RunResult r = ctl({QStringLiteral("outbox"), QStringLiteral("deliver")});
        QCOMPARE(r.exitCode, 6);
        QCOMPARE(r.err.count(u'\n'), 1);
        QVERIFY2(r.err.contains(QStringLiteral("key file")), qPrintable(r.err));
        QVERIFY(!QFile::exists(keyPath()));
        QCOMPARE(emlFiles(org->mailDir()).size(), 0);

        // A sealed SMTP password alone counts too.
        QVERIFY(org->db().exec(QStringLiteral("UPDATE outbox SET sealed_token = NULL")));
        OrgSettings settings = OrgSettings::load(org->db()).value();
        settings.smtpPasswordSealed = QStringLiteral("v2:AAAA");
        QVERIFY(settings.save(org->db()));
        QVERIFY(!Sealer::forDatabase(org->db(), keyPath()));
        settings.smtpPasswordSealed.clear();
        QVERIFY(settings.save(org->db()));
        QVERIFY(Sealer::forDatabase(org->db(), keyPath())); // nothing sealed: a new key
    }

    // (b) Created exclusively and private, whatever the umask; of racing openers one key wins
    // and every one of them uses it.
    void keyIsCreatedOnceAndPrivate()
    {
        const QString path = org->dir() + QStringLiteral("/race/k.key");
        const mode_t old = ::umask(0);
        constexpr int n = 8;
        std::vector<std::optional<Sealer>> sealers(n);
        std::atomic<int> ready{0};
        std::vector<std::unique_ptr<QThread>> threads;
        for (int i = 0; i < n; ++i) {
            threads.emplace_back(QThread::create([&, i] {
                auto own = org->db().reopen(); // a connection of this thread
                ++ready;
                while (ready.load() < n) {
                }
                if (own) {
                    auto s = Sealer::forDatabase(*own.value(), path);
                    if (s)
                        sealers[size_t(i)] = s.value();
                }
            }));
            threads.back()->start();
        }
        for (auto &t : threads)
            QVERIFY(t->wait(30000));
        ::umask(old);
        QCOMPARE(modeOf(path), mode_t(0600));
        const QString sealed = sealers[0] ? sealers[0]->seal("same key", "c") : QString();
        for (int i = 0; i < n; ++i) {
            QVERIFY2(sealers[size_t(i)], qPrintable(QString::number(i)));
            QCOMPARE(sealers[size_t(i)]->unseal(sealed, "c"), QByteArray("same key"));
        }
        QCOMPARE(QDir(org->dir() + QStringLiteral("/race")).entryList(QDir::Files).size(), 1);
    }

    // (c) A key file that others may read is refused with a clear message.
    void keyReadableByOthersIsRefused()
    {
        QVERIFY(Sealer::forDatabase(org->db(), keyPath()));
        QVERIFY(QFile::setPermissions(keyPath(), QFileDevice::ReadOwner | QFileDevice::WriteOwner |
                                                     QFileDevice::ReadGroup));
        auto s = Sealer::forDatabase(org->db(), keyPath());
        QVERIFY(!s);
        QVERIFY2(s.error().message.contains(QStringLiteral("chmod 600")),
                 qPrintable(s.error().message));
        QVERIFY2(s.error().message.contains(QStringLiteral("640")), qPrintable(s.error().message));
        QVERIFY(QFile::setPermissions(keyPath(), QFileDevice::ReadOwner | QFileDevice::WriteOwner));
        QVERIFY(Sealer::forDatabase(org->db(), keyPath()));
    }
};

QTEST_GUILESS_MAIN(TestSealer)
#include "tst_sealer.moc"
