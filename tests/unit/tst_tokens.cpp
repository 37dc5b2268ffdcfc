#include "app/sealer.h"
#include "app/tokens.h"

#include <QSet>
#include <QTest>

using namespace roster;

class TestTokens : public QObject
{
    Q_OBJECT
private slots:
    void tokensAre43Base64UrlCharacters()
    {
        QSet<QByteArray> seen;
        for (int i = 0; i < 1000; ++i) {
            const IssuedToken t = issueToken();
            QCOMPARE(t.token.size(), 43);
            QVERIFY(decodeToken(t.token));
            QCOMPARE(decodeToken(t.token)->size(), 32);
            QCOMPARE(t.hash.size(), 64);
            QCOMPARE(t.hash, tokenHash(t.token));
            QVERIFY(!seen.contains(t.token));
            seen.insert(t.token);
        }
    }
    void decodeRefusesWhatIsNotAToken_data()
    {
        QTest::addColumn<QByteArray>("text");
        QTest::newRow("empty") << QByteArray();
        QTest::newRow("42") << QByteArray(42, 'A');
        QTest::newRow("44") << QByteArray(44, 'A');
        QTest::newRow("plus") << QByteArray(42, 'A') + '+';
        QTest::newRow("slash") << QByteArray(42, 'A') + '/';
        QTest::newRow("pad") << QByteArray(42, 'A') + '=';
        QTest::newRow("space") << QByteArray(42, 'A') + ' ';
        QTest::newRow("nul") << QByteArray(42, 'A') + '\0';
        QTest::newRow("non-canonical tail") << QByteArray(42, 'A') + 'B';
        QTest::newRow("utf8") << QByteArray("ä").repeated(21) + 'A';
    }
    void decodeRefusesWhatIsNotAToken()
    {
        QFETCH(QByteArray, text);
        QVERIFY(!decodeToken(text));
    }
    void sealRoundTripsAndBindsContext()
    {
        const Sealer s = Sealer::withKey(QByteArray(32, 'k'));
        const QByteArray secret = issueToken().token;
        const QString sealed = s.seal(secret, "ctx-1");
        QVERIFY(!sealed.contains(QString::fromLatin1(secret)));
        QCOMPARE(s.unseal(sealed, "ctx-1").value(), secret);
        QVERIFY(!s.unseal(sealed, "ctx-2"));
        QVERIFY(!Sealer::withKey(QByteArray(32, 'x')).unseal(sealed, "ctx-1"));
        QString tampered = sealed;
        tampered[20] = tampered[20] == u'A' ? u'B' : u'A';
        QVERIFY(!s.unseal(tampered, "ctx-1"));
        QVERIFY(!s.unseal(QStringLiteral("short"), "ctx-1"));
        QVERIFY(s.seal(secret, "ctx-1") != sealed); // fresh nonce each time
    }
};

QTEST_GUILESS_MAIN(TestTokens)
#include "tst_tokens.moc"
