// SmtpTransport against a real server: aiosmtpd, started by the test on 127.0.0.1 (plain,
// STARTTLS, implicit TLS, AUTH PLAIN/LOGIN), asserting on the messages the server stored.
#include "app/mail/smtp/smtptransport.h"
#include "smtptestservers.h"

#include <QJsonArray>
#include <QTemporaryDir>
#include <QTest>
#include <QThread>

using namespace roster;

namespace {

OutgoingMessage invitation(int n, const QByteArray &to = "user@example.net")
{
    OutgoingMessage m;
    m.outboxId = n;
    m.envelopeFrom = "crm@example.org";
    m.recipients = {to};
    m.messageId = "inv-" + QByteArray::number(n) + "@example.org";
    m.data = "From: Example CRM <crm@example.org>\r\n"
             "To: <" +
             to +
             ">\r\n"
             "Subject: Invitation " +
             QByteArray::number(n) +
             "\r\n"
             "Message-ID: <" +
             m.messageId +
             ">\r\n"
             "MIME-Version: 1.0\r\n"
             "Content-Type: text/plain; charset=utf-8\r\n"
             "\r\n"
             "Accept: https://crm.example.org/accept?token=tok" +
             QByteArray::number(n) +
             "\r\n"
             ".a line that starts with a dot\r\n"
             ".\r\n"
             "..two dots\r\n"
             "end\r\n";
    return m;
}

QByteArray normalised(QByteArray data)
{
    return data.replace("\r\n", "\n");
}

} // namespace

class TestSmtpTransportAiosmtpd : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void plainManyMessagesOneConnection();
    void eachResultBeforeTheNextContent_data();
    void eachResultBeforeTheNextContent();
    void refusedRecipientDoesNotStopTheOthers();
    void startTlsVerifiedWithCaFile();
    void startTlsRefusedWithoutCa_data();
    void startTlsRefusedWithoutCa();
    void startTlsRequiredButNotOffered();
    void implicitTls();
    void auth_data();
    void auth();
    void serverDown();

private:
    SmtpSettings settings(quint16 port, SmtpSettings::Security security) const;
    QTemporaryDir m_pki;
};

void TestSmtpTransportAiosmtpd::initTestCase()
{
    QVERIFY(m_pki.isValid());
    QString error;
    QVERIFY2(TestPki::makeCa(m_pki.path(), u"ca"_qs, &error), qPrintable(error));
    QVERIFY2(TestPki::makeCa(m_pki.path(), u"otherca"_qs, &error), qPrintable(error));
    QVERIFY2(TestPki::makeServerCert(m_pki.path(), u"ca"_qs, u"server"_qs,
                                     u"DNS:localhost,IP:127.0.0.1"_qs, &error),
             qPrintable(error));
    QVERIFY2(TestPki::makeServerCert(m_pki.path(), u"ca"_qs, u"elsewhere"_qs,
                                     u"DNS:mail.example.com"_qs, &error),
             qPrintable(error));
}

SmtpSettings TestSmtpTransportAiosmtpd::settings(quint16 port,
                                                 SmtpSettings::Security security) const
{
    SmtpSettings s;
    s.host = u"127.0.0.1"_qs;
    s.port = port;
    s.security = security;
    s.connectTimeoutMs = 10000;
    s.replyTimeoutMs = 10000;
    s.dataTimeoutMs = 10000;
    return s;
}

void TestSmtpTransportAiosmtpd::plainManyMessagesOneConnection()
{
    AiosmtpdServer server;
    QString error;
    QVERIFY2(server.start({}, &error), qPrintable(error));
    QList<OutgoingMessage> messages;
    for (int i = 1; i <= 25; ++i)
        messages << invitation(i, "user" + QByteArray::number(i) + "@example.net");
    SmtpTransport transport(settings(server.port(), SmtpSettings::Security::None));
    const QList<DeliveryResult> results = transport.deliver(messages);
    QCOMPARE(results.size(), messages.size());
    for (const DeliveryResult &r : results) {
        QCOMPARE(r.outcome, DeliveryResult::Outcome::Sent);
        QVERIFY2(r.reply.startsWith(u"250"), qPrintable(r.reply));
    }
    const QList<StoredMessage> stored = server.messages();
    QCOMPARE(stored.size(), messages.size());
    for (int i = 0; i < stored.size(); ++i) {
        // Dot-stuffed lines come back as they were written; headers and body untouched.
        QCOMPARE(normalised(stored.at(i).data), normalised(messages.at(i).data));
        QVERIFY(stored.at(i).data.contains(QByteArray(
            "Accept: https://crm.example.org/accept?token=tok" + QByteArray::number(i + 1))));
        QCOMPARE(stored.at(i).meta.value(u"mail_from").toString(), u"crm@example.org"_qs);
        QCOMPARE(stored.at(i).meta.value(u"rcpt_tos").toArray().first().toString(),
                 QString::fromLatin1("user" + QByteArray::number(i + 1) + "@example.net"));
        QCOMPARE(stored.at(i).meta.value(u"connection").toInt(), 1); // one session for all
    }
}

// The outbox's promise (a crash resends at most the message in flight) rests on this: the result
// handler runs on the caller's thread for message i while the server holds messages 0..i and
// not yet i + 1's content, whether the session runs on a thread of its own (the console's
// workers) or on the caller's (the command line). A handler that says stop ends the session:
// the rest get a Temporary result and never reach the server.
void TestSmtpTransportAiosmtpd::eachResultBeforeTheNextContent_data()
{
    QTest::addColumn<bool>("callerThreadIsIdle");
    QTest::newRow("session on its own thread") << false;
    QTest::newRow("session on the caller's thread") << true;
}

void TestSmtpTransportAiosmtpd::eachResultBeforeTheNextContent()
{
    QFETCH(bool, callerThreadIsIdle);
    AiosmtpdServer server;
    QString error;
    QVERIFY2(server.start({}, &error), qPrintable(error));
    QList<OutgoingMessage> messages;
    for (int i = 1; i <= 6; ++i)
        messages << invitation(i, "user" + QByteArray::number(i) + "@example.net");
    SmtpTransport transport(settings(server.port(), SmtpSettings::Security::None));
    transport.setCallerThreadIsIdle(callerThreadIsIdle);
    QList<qsizetype> sent;       // messages the handler was given as sent ...
    QList<qsizetype> storedThen; // ... and how many the server held at that moment
    QList<qsizetype> notSent;
    bool onCallerThread = true;
    transport.setResultHandler([&](qsizetype i, const DeliveryResult &r) {
        onCallerThread = onCallerThread && QThread::currentThread() == thread();
        if (r.outcome == DeliveryResult::Outcome::Sent) {
            sent << i;
            storedThen << server.messages().size();
        } else {
            notSent << i;
        }
        return i < 3; // stop after the fourth
    });
    const QList<DeliveryResult> results = transport.deliver(messages);
    QVERIFY(onCallerThread);
    QCOMPARE(sent, (QList<qsizetype>{0, 1, 2, 3}));
    QCOMPARE(storedThen, (QList<qsizetype>{1, 2, 3, 4}));
    QCOMPARE(notSent, (QList<qsizetype>{4, 5}));
    QCOMPARE(results.size(), messages.size());
    for (int i = 0; i < 4; ++i)
        QCOMPARE(results.at(i).outcome, DeliveryResult::Outcome::Sent);
    for (int i = 4; i < 6; ++i)
        QCOMPARE(results.at(i).outcome, DeliveryResult::Outcome::Temporary);
    QCOMPARE(server.messages().size(), 4);
}

void TestSmtpTransportAiosmtpd::refusedRecipientDoesNotStopTheOthers()
{
    AiosmtpdServer server;
    QString error;
    QVERIFY2(server.start({u"--rcpt-reply"_qs, u"nobody@example.net=550 5.1.1 no such user"_qs,
                           u"--rcpt-reply"_qs, u"busy@example.net=451 4.2.1 mailbox busy"_qs},
                          &error),
             qPrintable(error));
    SmtpTransport transport(settings(server.port(), SmtpSettings::Security::None));
    const QList<DeliveryResult> results =
        transport.deliver({invitation(1), invitation(2, "nobody@example.net"),
                           invitation(3, "busy@example.net"), invitation(4)});
    QCOMPARE(results.size(), 4);
    QCOMPARE(results[0].outcome, DeliveryResult::Outcome::Sent);
    QCOMPARE(results[1].outcome, DeliveryResult::Outcome::Permanent);
    QCOMPARE(results[1].reply, u"550 5.1.1 no such user"_qs);
    QVERIFY(!results[1].connectionError);
    QCOMPARE(results[2].outcome, DeliveryResult::Outcome::Temporary);
    QCOMPARE(results[2].reply, u"451 4.2.1 mailbox busy"_qs);
    QVERIFY(!results[2].connectionError);
    QCOMPARE(results[3].outcome, DeliveryResult::Outcome::Sent);
    const QList<StoredMessage> stored = server.messages();
    QCOMPARE(stored.size(), 2);
    QVERIFY(stored[1].data.contains("Subject: Invitation 4"));
    QCOMPARE(stored[1].meta.value(u"connection").toInt(), 1);
}

void TestSmtpTransportAiosmtpd::startTlsVerifiedWithCaFile()
{
    AiosmtpdServer server;
    QString error;
    QVERIFY2(server.start({u"--starttls"_qs, u"--cert"_qs, m_pki.filePath(u"server.pem"_qs),
                           u"--key"_qs, m_pki.filePath(u"server.key"_qs)},
                          &error),
             qPrintable(error));
    SmtpSettings s = settings(server.port(), SmtpSettings::Security::StartTls);
    s.caFile = m_pki.filePath(u"ca.pem"_qs);
    SmtpTransport transport(s);
    const QList<DeliveryResult> results = transport.deliver({invitation(1), invitation(2)});
    QCOMPARE(results.size(), 2);
    QVERIFY2(results[0].outcome == DeliveryResult::Outcome::Sent, qPrintable(results[0].reply));
    QCOMPARE(results[1].outcome, DeliveryResult::Outcome::Sent);
    const QList<StoredMessage> stored = server.messages();
    QCOMPARE(stored.size(), 2);
    QVERIFY(stored[0].meta.value(u"tls").toBool()); // delivered inside TLS
    QCOMPARE(normalised(stored[1].data), normalised(invitation(2).data));
}

void TestSmtpTransportAiosmtpd::startTlsRefusedWithoutCa_data()
{
    QTest::addColumn<QString>("cert");
    QTest::addColumn<QString>("caFile");
    QTest::addColumn<QString>("reason");
    QTest::newRow("no CA file: issuer unknown") << u"server"_qs << QString() << u"issuer"_qs;
    QTest::newRow("another CA") << u"server"_qs << u"otherca.pem"_qs << u"issuer"_qs;
    QTest::newRow("certificate for another host")
        << u"elsewhere"_qs << u"ca.pem"_qs << u"host name"_qs;
}

void TestSmtpTransportAiosmtpd::startTlsRefusedWithoutCa()
{
    QFETCH(QString, cert);
    QFETCH(QString, caFile);
    QFETCH(QString, reason);
    AiosmtpdServer server;
    QString error;
    QVERIFY2(server.start({u"--starttls"_qs, u"--cert"_qs, m_pki.filePath(cert + u".pem"),
                           u"--key"_qs, m_pki.filePath(cert + u".key")},
                          &error),
             qPrintable(error));
    SmtpSettings s = settings(server.port(), SmtpSettings::Security::StartTls);
    if (!caFile.isEmpty())
        s.caFile = m_pki.filePath(caFile);
    SmtpTransport transport(s);
    const QList<DeliveryResult> results = transport.deliver({invitation(1), invitation(2)});
    QCOMPARE(results.size(), 2);
    for (const DeliveryResult &r : results) {
        QCOMPARE(r.outcome, DeliveryResult::Outcome::Temporary);
        QVERIFY(r.connectionError);
        QVERIFY2(r.reply.contains(u"TLS"), qPrintable(r.reply));
        QVERIFY2(r.reply.contains(reason, Qt::CaseInsensitive), qPrintable(r.reply));
    }
    QCOMPARE(server.messages().size(), 0);
}

void TestSmtpTransportAiosmtpd::startTlsRequiredButNotOffered()
{
    AiosmtpdServer server;
    QString error;
    QVERIFY2(server.start({}, &error), qPrintable(error));
    SmtpTransport transport(settings(server.port(), SmtpSettings::Security::StartTls));
    const QList<DeliveryResult> results = transport.deliver({invitation(1)});
    QCOMPARE(results.size(), 1);
    QVERIFY(results[0].connectionError);
    QVERIFY2(results[0].reply.contains(u"STARTTLS"), qPrintable(results[0].reply));
    QCOMPARE(server.messages().size(), 0);
}

void TestSmtpTransportAiosmtpd::implicitTls()
{
    AiosmtpdServer server;
    QString error;
    QVERIFY2(server.start({u"--tls"_qs, u"--cert"_qs, m_pki.filePath(u"server.pem"_qs), u"--key"_qs,
                           m_pki.filePath(u"server.key"_qs)},
                          &error),
             qPrintable(error));
    SmtpSettings s = settings(server.port(), SmtpSettings::Security::Tls);
    s.caFile = m_pki.filePath(u"ca.pem"_qs);
    SmtpTransport transport(s);
    const QList<DeliveryResult> results = transport.deliver({invitation(1), invitation(2)});
    QVERIFY2(results.value(0).outcome == DeliveryResult::Outcome::Sent,
             qPrintable(results.value(0).reply));
    QCOMPARE(results.value(1).outcome, DeliveryResult::Outcome::Sent);
    QCOMPARE(server.messages().size(), 2);

    // The same server without the CA: refused before anything is sent.
    s.caFile.clear();
    SmtpTransport untrusted(s);
    const QList<DeliveryResult> refused = untrusted.deliver({invitation(3)});
    QVERIFY(refused.value(0).connectionError);
    QVERIFY2(refused.value(0).reply.contains(u"issuer", Qt::CaseInsensitive),
             qPrintable(refused.value(0).reply));
    QCOMPARE(server.messages().size(), 2);
}

void TestSmtpTransportAiosmtpd::auth_data()
{
    QTest::addColumn<QString>("mechs");
    QTest::addColumn<QString>("password");
    QTest::addColumn<bool>("ok");
    QTest::newRow("PLAIN, right password") << u"PLAIN,LOGIN"_qs << u"s3cret pass"_qs << true;
    QTest::newRow("PLAIN, wrong password") << u"PLAIN,LOGIN"_qs << u"wrong"_qs << false;
    QTest::newRow("LOGIN, right password") << u"LOGIN"_qs << u"s3cret pass"_qs << true;
    QTest::newRow("LOGIN, wrong password") << u"LOGIN"_qs << u"wrong"_qs << false;
}

void TestSmtpTransportAiosmtpd::auth()
{
    QFETCH(QString, mechs);
    QFETCH(QString, password);
    QFETCH(bool, ok);
    AiosmtpdServer server;
    QString error;
    QVERIFY2(server.start({u"--starttls"_qs, u"--cert"_qs, m_pki.filePath(u"server.pem"_qs),
                           u"--key"_qs, m_pki.filePath(u"server.key"_qs), u"--auth"_qs,
                           u"alice:s3cret pass"_qs, u"--auth-mechs"_qs, mechs},
                          &error),
             qPrintable(error));
    SmtpSettings s = settings(server.port(), SmtpSettings::Security::StartTls);
    s.caFile = m_pki.filePath(u"ca.pem"_qs);
    s.username = u"alice"_qs;
    s.password = password;
    SmtpTransport transport(s);
    const QList<DeliveryResult> results = transport.deliver({invitation(1), invitation(2)});
    QCOMPARE(results.size(), 2);
    if (ok) {
        QVERIFY2(results[0].outcome == DeliveryResult::Outcome::Sent, qPrintable(results[0].reply));
        QCOMPARE(results[1].outcome, DeliveryResult::Outcome::Sent);
        const QList<StoredMessage> stored = server.messages();
        QCOMPARE(stored.size(), 2);
        QVERIFY(stored[0].meta.value(u"authenticated").toBool());
        QCOMPARE(stored[0].meta.value(u"login").toString(), u"alice"_qs);
    } else {
        for (const DeliveryResult &r : results) {
            QCOMPARE(r.outcome, DeliveryResult::Outcome::Temporary);
            QVERIFY(r.connectionError);
            QVERIFY2(r.reply.contains(u"535"), qPrintable(r.reply));
            QVERIFY2(r.reply.contains(u"password"), qPrintable(r.reply));
        }
        QCOMPARE(server.messages().size(), 0);
    }
}

void TestSmtpTransportAiosmtpd::serverDown()
{
    SmtpTransport transport(settings(freeLocalPort(), SmtpSettings::Security::None));
    const QList<DeliveryResult> results = transport.deliver({invitation(1), invitation(2)});
    QCOMPARE(results.size(), 2);
    for (const DeliveryResult &r : results) {
        QCOMPARE(r.outcome, DeliveryResult::Outcome::Temporary);
        QVERIFY(r.connectionError);
        QVERIFY2(r.reply.contains(u"refused the connection"), qPrintable(r.reply));
    }
    QCOMPARE(transport.lastError(), results[0].reply);
}

QTEST_GUILESS_MAIN(TestSmtpTransportAiosmtpd)
#include "tst_smtptransport_aiosmtpd.moc"
