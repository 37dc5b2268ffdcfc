// prepareSmtpData() and the envelope checks: what goes on the wire after DATA.
#include "app/mail/smtp/smtpdata.h"

#include <QTest>

using namespace roster;

class TestSmtpData : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void prepare_data();
    void prepare();
    void cleanDataIsShared();
    void envelope_data();
    void envelope();
    void xtext_data();
    void xtext();
};

void TestSmtpData::prepare_data()
{
    QTest::addColumn<QByteArray>("in");
    QTest::addColumn<QByteArray>("out");
    QTest::addColumn<bool>("eightBit");
    QTest::addColumn<int>("longest");
    QTest::newRow("clean") << QByteArray("a\r\nbc\r\n") << QByteArray("a\r\nbc\r\n") << false << 2;
    QTest::newRow("empty") << QByteArray() << QByteArray() << false << 0;
    QTest::newRow("leading dot") << QByteArray(".a\r\n") << QByteArray("..a\r\n") << false << 2;
    QTest::newRow("lone dot line")
        << QByteArray("a\r\n.\r\nb\r\n") << QByteArray("a\r\n..\r\nb\r\n") << false << 1;
    QTest::newRow("dots later in the line untouched")
        << QByteArray("a.b\r\n x.\r\n") << QByteArray("a.b\r\n x.\r\n") << false << 3;
    QTest::newRow("bare LF") << QByteArray("a\nb\n") << QByteArray("a\r\nb\r\n") << false << 1;
    QTest::newRow("bare CR") << QByteArray("a\rb\r\n") << QByteArray("a\r\nb\r\n") << false << 1;
    QTest::newRow("no final CRLF")
        << QByteArray("a\r\nb") << QByteArray("a\r\nb\r\n") << false << 1;
    QTest::newRow("dot after bare LF")
        << QByteArray("a\n.b") << QByteArray("a\r\n..b\r\n") << false << 2;
    QTest::newRow("8bit") << QByteArray("caf\xc3\xa9\r\n") << QByteArray("caf\xc3\xa9\r\n") << true
                          << 5;
    QTest::newRow("8bit past the first eight octets")
        << QByteArray("abcdefghijk\r\nlmnopq\xc3\xa9\r\n")
        << QByteArray("abcdefghijk\r\nlmnopq\xc3\xa9\r\n") << true << 11;
    QTest::newRow("several dot lines, 8bit")
        << QByteArray("a\r\n.\xc3\xa9\r\nxyz\r\n.b.\r\n.\r\n")
        << QByteArray("a\r\n..\xc3\xa9\r\nxyz\r\n..b.\r\n..\r\n") << true << 3;
}

void TestSmtpData::prepare()
{
    QFETCH(QByteArray, in);
    QFETCH(QByteArray, out);
    QFETCH(bool, eightBit);
    QFETCH(int, longest);
    const SmtpWireData w = prepareSmtpData(in);
    QCOMPARE(w.bytes, out);
    QCOMPARE(w.eightBit, eightBit);
    QCOMPARE(w.longestLine, qsizetype(longest));
}

void TestSmtpData::cleanDataIsShared()
{
    const QByteArray in = QByteArray("Subject: x\r\n\r\n") + QByteArray(500, 'y') + "\r\n";
    const SmtpWireData w = prepareSmtpData(in);
    QCOMPARE(w.bytes.constData(), in.constData()); // no copy for the normal case
}

void TestSmtpData::envelope_data()
{
    QTest::addColumn<QByteArray>("address");
    QTest::addColumn<bool>("allowEmpty");
    QTest::addColumn<bool>("ok");
    QTest::newRow("plain") << QByteArray("a@example.org") << false << true;
    QTest::newRow("empty sender") << QByteArray() << true << true;
    QTest::newRow("empty recipient") << QByteArray() << false << false;
    QTest::newRow("CRLF") << QByteArray("a@example.org\r\nRCPT TO:<b@x>") << false << false;
    QTest::newRow("LF") << QByteArray("a@exa\nmple.org") << false << false;
    QTest::newRow("CR") << QByteArray("a@exa\rmple.org") << false << false;
    QTest::newRow("NUL") << QByteArray("a@exa\0mple.org", 15) << false << false;
    QTest::newRow("angle") << QByteArray("a@example.org> X") << false << false;
    QTest::newRow("space") << QByteArray("a b@example.org") << false << false;
    QTest::newRow("too long") << QByteArray(250, 'a') + "@x.org" << false << false;
    QTest::newRow("utf8") << QByteArray("jos\xc3\xa9@example.org") << false << true;
}

void TestSmtpData::envelope()
{
    QFETCH(QByteArray, address);
    QFETCH(bool, allowEmpty);
    QFETCH(bool, ok);
    QCOMPARE(isSafeEnvelopeAddress(address, allowEmpty), ok);
}

void TestSmtpData::xtext_data()
{
    QTest::addColumn<QByteArray>("in");
    QTest::addColumn<QByteArray>("out");
    QTest::newRow("plain") << QByteArray("k7m2qx4ab5cd6efg") << QByteArray("k7m2qx4ab5cd6efg");
    QTest::newRow("plus and equals")
        << QByteArray("a+b=c@example.org") << QByteArray("a+2Bb+3Dc@example.org");
    QTest::newRow("space, CR, LF, NUL")
        << QByteArray("a b\r\n\0", 6) << QByteArray("a+20b+0D+0A+00");
    QTest::newRow("edges 33 and 126 kept, 127 encoded")
        << QByteArray("!~\x7f") << QByteArray("!~+7F");
    QTest::newRow("8-bit") << QByteArray("\xc3\xa9") << QByteArray("+C3+A9");
    QTest::newRow("empty") << QByteArray() << QByteArray();
}

void TestSmtpData::xtext()
{
    QFETCH(QByteArray, in);
    QFETCH(QByteArray, out);
    QCOMPARE(xtextEncode(in), out);
}

QTEST_GUILESS_MAIN(TestSmtpData)
#include "tst_smtpdata.moc"
