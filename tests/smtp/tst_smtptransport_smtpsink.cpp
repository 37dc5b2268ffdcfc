// SmtpTransport against Postfix's smtp-sink (Debian: postfix), started by the test on
// 127.0.0.1: soft and hard refusals, 421 and silent disconnects, a slow server, no PIPELINING.
#include "app/mail/smtp/smtptransport.h"
#include "smtptestservers.h"

#include <QTest>

using namespace roster;

namespace {

QList<OutgoingMessage> messages(int count)
{
    QList<OutgoingMessage> list;
    for (int i = 0; i < count; ++i) {
        OutgoingMessage m;
        m.outboxId = i + 1;
        m.envelopeFrom = "crm@example.org";
        m.recipients = {"user" + QByteArray::number(i) + "@example.net"};
        m.messageId = "m" + QByteArray::number(i) + "@example.org";
        m.data =
            "From: crm@example.org\r\nTo: user@example.net\r\nSubject: " + QByteArray::number(i) +
            "\r\n\r\n.dot\r\nbody\r\n";
        list << m;
    }
    return list;
}

struct Counts
{
    int sent = 0, temporary = 0, permanent = 0, connectionErrors = 0;
};

Counts count(const QList<DeliveryResult> &results)
{
    Counts c;
    for (const DeliveryResult &r : results) {
        c.sent += r.outcome == DeliveryResult::Outcome::Sent;
        c.temporary += r.outcome == DeliveryResult::Outcome::Temporary;
        c.permanent += r.outcome == DeliveryResult::Outcome::Permanent;
        c.connectionErrors += r.connectionError;
    }
    return c;
}

SmtpSettings settings(quint16 port, int replyTimeoutMs = 10000)
{
    SmtpSettings s;
    s.host = u"127.0.0.1"_qs;
    s.port = port;
    s.security = SmtpSettings::Security::None;
    s.connectTimeoutMs = 10000;
    s.replyTimeoutMs = replyTimeoutMs;
    s.dataTimeoutMs = replyTimeoutMs;
    return s;
}

} // namespace

class TestSmtpTransportSmtpSink : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void faults_data();
    void faults();
    void slowDataReplyAgainstShortTimeout();
    void slowDataReplyWithinTimeout();
};

void TestSmtpTransportSmtpSink::faults_data()
{
    QTest::addColumn<QStringList>("options");
    QTest::addColumn<int>("messages");
    QTest::addColumn<int>("sent");
    QTest::addColumn<int>("temporary");
    QTest::addColumn<int>("permanent");
    QTest::addColumn<int>("connectionErrors");
    QTest::addColumn<int>("stored");
    QTest::addColumn<QString>("replyContains");

    QTest::newRow("pipelining, many messages")
        << QStringList() << 300 << 300 << 0 << 0 << 0 << 300 << u"250"_qs;
    QTest::newRow("-p: no PIPELINING")
        << QStringList{u"-p"_qs} << 50 << 50 << 0 << 0 << 0 << 50 << u"250"_qs;
    QTest::newRow("-r RCPT: soft failures")
        << QStringList{u"-r"_qs, u"RCPT"_qs} << 20 << 0 << 20 << 0 << 0 << 0 << u"4"_qs;
    QTest::newRow("-f RCPT: hard failures")
        << QStringList{u"-f"_qs, u"RCPT"_qs} << 20 << 0 << 0 << 20 << 0 << 0 << u"5"_qs;
    // smtp-sink writes its dump file before it refuses the final dot.
    QTest::newRow("-r .: final dot soft")
        << QStringList{u"-r"_qs, u"."_qs} << 10 << 0 << 10 << 0 << 0 << 10 << u"4"_qs;
    QTest::newRow("-f .: final dot hard")
        << QStringList{u"-f"_qs, u"."_qs} << 10 << 0 << 0 << 10 << 0 << 10 << u"5"_qs;
    QTest::newRow("-Q RCPT: 421 and hang up")
        << QStringList{u"-Q"_qs, u"RCPT"_qs} << 20 << 0 << 20 << 0 << 20 << 0 << u"421"_qs;
    QTest::newRow("-q DATA: silent hang-up") << QStringList{u"-q"_qs, u"DATA"_qs} << 20 << 0 << 20
                                             << 0 << 20 << 0 << u"closed the connection"_qs;
}

void TestSmtpTransportSmtpSink::faults()
{
    QFETCH(QStringList, options);
    QFETCH(int, messages);
    QFETCH(int, sent);
    QFETCH(int, temporary);
    QFETCH(int, permanent);
    QFETCH(int, connectionErrors);
    QFETCH(int, stored);
    QFETCH(QString, replyContains);

    SmtpSink sink;
    QString error;
    QVERIFY2(sink.start(options, &error), qPrintable(error));
    SmtpTransport transport(settings(sink.port()));
    const QList<DeliveryResult> results = transport.deliver(::messages(messages));
    QCOMPARE(results.size(), messages);
    const Counts c = count(results);
    QCOMPARE(c.sent, sent);
    QCOMPARE(c.temporary, temporary);
    QCOMPARE(c.permanent, permanent);
    QCOMPARE(c.connectionErrors, connectionErrors);
    QVERIFY2(results.first().reply.contains(replyContains), qPrintable(results.first().reply));
    QTRY_COMPARE(sink.messageCount(), stored);
}

void TestSmtpTransportSmtpSink::slowDataReplyAgainstShortTimeout()
{
    SmtpSink sink;
    QString error;
    QVERIFY2(sink.start({u"-w"_qs, u"3"_qs}, &error), qPrintable(error));
    SmtpTransport transport(settings(sink.port(), 700));
    const QList<DeliveryResult> results = transport.deliver(::messages(3));
    const Counts c = count(results);
    QCOMPARE(c.temporary, 3);
    QCOMPARE(c.connectionErrors, 3);
    QVERIFY2(results.first().reply.contains(u"did not answer in time"),
             qPrintable(results.first().reply));
    QCOMPARE(c.sent, 0);
}

void TestSmtpTransportSmtpSink::slowDataReplyWithinTimeout()
{
    SmtpSink sink;
    QString error;
    QVERIFY2(sink.start({u"-w"_qs, u"1"_qs}, &error), qPrintable(error));
    SmtpTransport transport(settings(sink.port(), 5000));
    const QList<DeliveryResult> results = transport.deliver(::messages(2));
    QCOMPARE(count(results).sent, 2);
    QTRY_COMPARE(sink.messageCount(), 2);
}

QTEST_GUILESS_MAIN(TestSmtpTransportSmtpSink)
#include "tst_smtptransport_smtpsink.moc"
