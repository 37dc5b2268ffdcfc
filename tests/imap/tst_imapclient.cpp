// Protocol edge cases of ImapClient against a scripted server (C:/S: scenarios, the SMTP suite's
// FakeSmtpServer: it is line-based and knows nothing of SMTP), and a TLS server with a
// certificate nobody trusts. Dovecot, the real server, is in tests/integration.
#include "app/mail/imap/imapclient.h"
#include "fakesmtpserver.h"
#include "smtptestservers.h"

#include <QSignalSpy>
#include <QSslKey>
#include <QSslServer>
#include <QSslSocket>
#include <QTemporaryDir>
#include <QTest>

using namespace roster;

namespace {
using Script = QList<QByteArray>;
Script lines(std::initializer_list<const char *> l)
{
    Script s;
    for (const char *x : l)
        s << QByteArray(x);
    return s;
}

const Script greetLogin = lines({"S: * OK [CAPABILITY IMAP4rev1 LITERAL+] fake ready",
                                 "C: R0001 LOGIN \"bob\" \"secret\"", "S: R0001 OK logged in"});
const Script select77 =
    lines({"C: R0002 SELECT \"INBOX\"", "S: * 3 EXISTS", "S: * OK [UIDVALIDITY 77] UIDs valid",
           "S: R0002 OK [READ-WRITE] selected"});
const Script search59 = lines({"C: R0003 UID SEARCH UNSEEN UID 1:*", "S: * SEARCH 5 9",
                               "S: R0003 OK done", "C: R0004 UID FETCH 5,9 (UID BODY.PEEK[])"});
} // namespace

class TestImapClient : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void scenario_data();
    void scenario();
    void stringsAreQuotedOrLiteralsNeverRaw();
    void untrustedCertificateIsRefused();
    void caFileWithoutACertificateIsRefused();
};

void TestImapClient::scenario_data()
{
    QTest::addColumn<Script>("script");
    QTest::addColumn<int>("security");
    QTest::addColumn<QString>("password");
    QTest::addColumn<bool>("allowPlain");
    QTest::addColumn<int>("maxLiteral");
    QTest::addColumn<QString>("mark"); // "uidvalidity:uid" the caller kept
    QTest::addColumn<ImapClient::Error>("error");
    QTest::addColumn<int>("fetched");
    QTest::addColumn<int>("flagged");
    const int none = int(ImapSettings::Security::None);
    const int starttls = int(ImapSettings::Security::StartTls);
    using E = ImapClient::Error;

    QTest::newRow("login, select, search, fetch with literals in any order, flag reports only")
        << greetLogin + select77 + search59 +
               lines({"S: * 1 FETCH (UID 5 BODY[] {8}", "S: RE\r\nPORT)",
                      "S: * 2 FETCH (BODY[] {5}", "S: hello UID 9)",
                      "S: * 2 FETCH (FLAGS (\\Recent))", "S: R0004 OK fetched",
                      "C: R0005 UID STORE 5 +FLAGS.SILENT (\\Seen)", "S: R0005 OK stored",
                      "C: R0006 LOGOUT", "S: * BYE see you", "S: R0006 OK bye", "X"})
        << none << u"secret"_qs << true << 1000000 << QString() << E::NoError << 2 << 1;
    QTest::newRow("the kept mark: only UIDs above it")
        << greetLogin + select77 +
               lines({"C: R0003 UID SEARCH UNSEEN UID 10:*", "S: * SEARCH 9", "S: R0003 OK",
                      "C: R0004 LOGOUT", "S: R0004 OK", "X"})
        << none << u"secret"_qs << true << 1000000 << u"77:9"_qs << E::NoError << 0 << 0;
    // The empty fetch (issue 15: under 100 ms): SELECT's UIDNEXT tells that no UID above the
    // mark exists, so no SEARCH round trip ("UID 10:*" would even match the last message).
    const Script selectNext10 =
        lines({"C: R0002 SELECT \"INBOX\"", "S: * 9 EXISTS", "S: * OK [UIDVALIDITY 77] UIDs valid",
               "S: * OK [UIDNEXT 10] Predicted next UID", "S: R0002 OK [READ-WRITE] selected"});
    QTest::newRow("nothing above the mark (UIDNEXT): no SEARCH")
        << greetLogin + selectNext10 + lines({"C: R0003 LOGOUT", "S: R0003 OK", "X"}) << none
        << u"secret"_qs << true << 1000000 << u"77:9"_qs << E::NoError << 0 << 0;
    QTest::newRow("an empty mailbox, first time: no SEARCH")
        << greetLogin +
               lines({"C: R0002 SELECT \"INBOX\"", "S: * 0 EXISTS",
                      "S: * OK [UIDVALIDITY 77] UIDs valid", "S: * OK [UIDNEXT 1] next",
                      "S: R0002 OK [READ-WRITE] selected", "C: R0003 LOGOUT", "S: R0003 OK", "X"})
        << none << u"secret"_qs << true << 1000000 << QString() << E::NoError << 0 << 0;
    QTest::newRow("UIDNEXT above the mark: SEARCH from the mark")
        << greetLogin + selectNext10 +
               lines({"C: R0003 UID SEARCH UNSEEN UID 9:*", "S: * SEARCH", "S: R0003 OK",
                      "C: R0004 LOGOUT", "S: R0004 OK", "X"})
        << none << u"secret"_qs << true << 1000000 << u"77:8"_qs << E::NoError << 0 << 0;
    QTest::newRow("UIDNEXT of another UIDVALIDITY does not void the SEARCH")
        << greetLogin + selectNext10 +
               lines({"C: R0003 UID SEARCH UNSEEN UID 1:*", "S: * SEARCH", "S: R0003 OK",
                      "C: R0004 LOGOUT", "S: R0004 OK", "X"})
        << none << u"secret"_qs << true << 1000000 << u"76:9"_qs << E::NoError << 0 << 0;
    QTest::newRow("UIDVALIDITY changed: the old mark is void")
        << greetLogin + select77 +
               lines({"C: R0003 UID SEARCH UNSEEN UID 1:*", "S: * SEARCH", "S: R0003 OK",
                      "C: R0004 LOGOUT", "S: R0004 OK", "X"})
        << none << u"secret"_qs << true << 1000000 << u"76:9"_qs << E::NoError << 0 << 0;
    QTest::newRow("8-bit password as a literal, after the server's +")
        << lines({"S: * OK ready", "C: R0001 LOGIN \"bob\" {3}", "S: + go on", "C: p\xc3\xa4",
                  "S: R0001 OK"}) +
               select77 +
               lines({"C: R0003 UID SEARCH UNSEEN UID 1:*", "S: R0003 OK", "C: R0004 LOGOUT",
                      "S: R0004 OK", "X"})
        << none << u"p\u00e4"_qs << true << 1000000 << QString() << E::NoError << 0 << 0;
    QTest::newRow("a literal larger than the cap")
        << greetLogin + select77 + search59 + lines({"S: * 1 FETCH (UID 5 BODY[] {5000}"}) << none
        << u"secret"_qs << true << 1000 << QString() << E::TooLarge << 0 << 0;
    QTest::newRow("BYE mid-fetch: an error, nothing flagged")
        << greetLogin + select77 + search59 +
               lines({"S: * 1 FETCH (UID 5 BODY[] {6}", "S: REPORT)",
                      "S: * BYE server shutting down", "X"})
        << none << u"secret"_qs << true << 1000000 << QString() << E::ServerBye << 1 << 0;
    QTest::newRow("an injected tagged reply (wrong tag)")
        << lines({"S: * OK ready", "C: R0001 LOGIN \"bob\" \"secret\"", "S: R0002 OK [READ-WRITE]"})
        << none << u"secret"_qs << true << 1000000 << QString() << E::ProtocolError << 0 << 0;
    QTest::newRow("a tagged reply before the command (no command in flight)")
        << lines({"S: * OK ready", "S: R0001 OK LOGIN done"}) << none << u"secret"_qs << true
        << 1000000 << QString() << E::ProtocolError << 0 << 0;
    QTest::newRow("STARTTLS with bytes buffered after the OK: abort")
        << lines({"S: * OK ready", "C: R0001 STARTTLS", "S: R0001 OK begin TLS",
                  "S: * OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] injected"})
        << starttls << u"secret"_qs << false << 1000000 << QString() << E::StartTlsInjection << 0
        << 0;
    QTest::newRow("STARTTLS refused: fail closed")
        << lines({"S: * OK ready", "C: R0001 STARTTLS", "S: R0001 NO not today"}) << starttls
        << u"secret"_qs << false << 1000000 << QString() << E::StartTlsRefused << 0 << 0;
    QTest::newRow("LOGIN in clear refused by policy: nothing sent")
        << lines({"S: * OK ready"}) << none << u"secret"_qs << false << 1000000 << QString()
        << E::LoginNotEncrypted << 0 << 0;
    QTest::newRow("CR/LF in the password: never written")
        << lines({"S: * OK ready"}) << none << u"sec\r\nR0002 DELETE INBOX"_qs << true << 1000000
        << QString() << E::InvalidSettings << 0 << 0;
    QTest::newRow("login refused")
        << lines({"S: * OK ready", "C: R0001 LOGIN \"bob\" \"secret\"",
                  "S: R0001 NO [AUTHENTICATIONFAILED] Authentication failed."})
        << none << u"secret"_qs << true << 1000000 << QString() << E::LoginFailed << 0 << 0;
    QTest::newRow("mailbox missing")
        << greetLogin + lines({"C: R0002 SELECT \"INBOX\"",
                               "S: R0002 NO [NONEXISTENT] Mailbox doesn't exist"})
        << none << u"secret"_qs << true << 1000000 << QString() << E::MailboxError << 0 << 0;
    QTest::newRow("a message that was not asked for")
        << greetLogin + select77 + search59 + lines({"S: * 7 FETCH (UID 77 BODY[] {2}", "S: hi)"})
        << none << u"secret"_qs << true << 1000000 << QString() << E::ProtocolError << 0 << 0;
    QTest::newRow("server silent: timeout") << Script() << none << u"secret"_qs << true << 1000000
                                            << QString() << E::ReplyTimeout << 0 << 0;
}

void TestImapClient::scenario()
{
    QFETCH(Script, script);
    QFETCH(int, security);
    QFETCH(QString, password);
    QFETCH(bool, allowPlain);
    QFETCH(int, maxLiteral);
    QFETCH(QString, mark);
    QFETCH(ImapClient::Error, error);
    QFETCH(int, fetched);
    QFETCH(int, flagged);

    FakeSmtpServer server(script);
    server.setLockstep(true);
    ImapSettings s;
    s.host = u"127.0.0.1"_qs;
    s.port = server.port();
    s.security = ImapSettings::Security(security);
    s.username = u"bob"_qs;
    s.password = password;
    s.allowPlainAuth = allowPlain;
    s.maxLiteral = maxLiteral;
    s.connectTimeoutMs = s.replyTimeoutMs = 1000;
    ImapClient client(s);
    QSignalSpy finished(&client, &ImapClient::finished);
    QList<QByteArray> bodies;
    client.start(
        [&](quint32 uidValidity) {
            return mark.section(u':', 0, 0).toUInt() == uidValidity
                       ? mark.section(u':', 1, 1).toUInt()
                       : 0;
        },
        [&](quint32, const QByteArray &body) {
            bodies << body;
            return body.contains("PORT");
        });
    QVERIFY(finished.wait(10000));
    QCOMPARE(finished.size(), 1);
    QVERIFY2(client.error() == error, qPrintable(client.errorString()));
    QCOMPARE(client.summary().fetched, fetched);
    QCOMPARE(client.summary().flagged, flagged);
    if (error == ImapClient::Error::NoError) {
        QVERIFY(client.errorString().isEmpty());
        QVERIFY(server.scriptDone());
        if (fetched)
            QCOMPARE(bodies, (QList<QByteArray>{"RE\r\nPORT", "hello"}));
    } else {
        QVERIFY(!client.errorString().isEmpty());
        QVERIFY(!client.errorString().contains(u'\n'));
    }
    QTRY_VERIFY_WITH_TIMEOUT(server.clientGone(), 5000);
    // Nothing the script did not expect reached the server (no STORE, no EXPUNGE, no password
    // in clear), even after the client gave up.
    QVERIFY2(server.problems().isEmpty(), qPrintable(server.problems().join(u'\n')));
    for (const QByteArray &r : server.received())
        QVERIFY(!r.toUpper().contains("EXPUNGE"));
}

void TestImapClient::stringsAreQuotedOrLiteralsNeverRaw()
{
    QCOMPARE(ImapClient::encodeString("INBOX")->join('|'), QByteArray("\"INBOX\""));
    QCOMPARE(ImapClient::encodeString("a\"b\\c")->join('|'), QByteArray("\"a\\\"b\\\\c\""));
    QCOMPARE(ImapClient::encodeString("")->join('|'), QByteArray("\"\""));
    QCOMPARE(ImapClient::encodeString("\xc3\xa9")->join('|'), QByteArray("{2}|\xc3\xa9"));
    QVERIFY(!ImapClient::encodeString("a\r\nb"));
    QVERIFY(!ImapClient::encodeString("a\nb"));
    QVERIFY(!ImapClient::encodeString(QByteArray("a\0b", 3)));
}

void TestImapClient::untrustedCertificateIsRefused()
{
    QTemporaryDir dir;
    QString error;
    QVERIFY2(TestPki::makeCa(dir.path(), u"evil-ca"_qs, &error), qPrintable(error));
    QVERIFY2(TestPki::makeServerCert(dir.path(), u"evil-ca"_qs, u"server"_qs,
                                     u"DNS:localhost,IP:127.0.0.1"_qs, &error),
             qPrintable(error));
    QFile certFile(dir.filePath(u"server.pem"_qs)), keyFile(dir.filePath(u"server.key"_qs));
    QVERIFY(certFile.open(QIODevice::ReadOnly) && keyFile.open(QIODevice::ReadOnly));
    QSslServer server;
    QSslConfiguration conf = QSslConfiguration::defaultConfiguration();
    conf.setLocalCertificate(QSslCertificate(certFile.readAll()));
    conf.setPrivateKey(QSslKey(keyFile.readAll(), QSsl::Ec));
    conf.setPeerVerifyMode(QSslSocket::VerifyNone);
    server.setSslConfiguration(conf);
    bool greeted = false;
    // QSslServer hands out a connection once its handshake is done.
    connect(&server, &QTcpServer::pendingConnectionAvailable, this, [&] {
        while (QTcpSocket *s = server.nextPendingConnection()) {
            greeted = true;
            s->write("* OK ready\r\n");
        }
    });
    QVERIFY(server.listen(QHostAddress::LocalHost));

    for (const auto security : {ImapSettings::Security::Tls}) {
        ImapSettings s;
        s.host = u"localhost"_qs;
        s.port = server.serverPort();
        s.security = security;
        s.username = u"bob"_qs;
        s.password = u"secret"_qs;
        s.connectTimeoutMs = s.replyTimeoutMs = 5000;
        ImapClient client(s);
        QSignalSpy finished(&client, &ImapClient::finished);
        client.start({}, {});
        QVERIFY(finished.wait(10000));
        QCOMPARE(client.error(), ImapClient::Error::TlsHandshakeFailed);
        QVERIFY2(client.errorString().contains(u"certificate", Qt::CaseInsensitive),
                 qPrintable(client.errorString()));
    }
    // With that CA trusted, the same server is fine (the handshake is what failed above).
    ImapSettings s;
    s.host = u"localhost"_qs;
    s.port = server.serverPort();
    s.security = ImapSettings::Security::Tls;
    s.username = u"bob"_qs;
    s.password = u"secret"_qs;
    s.caFile = dir.filePath(u"evil-ca.pem"_qs);
    s.connectTimeoutMs = s.replyTimeoutMs = 2000;
    ImapClient client(s);
    QSignalSpy finished(&client, &ImapClient::finished);
    client.start({}, {});
    QVERIFY(finished.wait(10000));
    QVERIFY(greeted);
    QCOMPARE(client.error(), ImapClient::Error::ReplyTimeout); // the server never answers LOGIN
}

void TestImapClient::caFileWithoutACertificateIsRefused()
{
    QTemporaryDir dir;
    QFile f(dir.filePath(u"not-a-ca.pem"_qs));
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write("no certificate here\n");
    f.close();
    for (const QString &path : {f.fileName(), dir.filePath(u"missing.pem"_qs)}) {
        ImapSettings s;
        s.host = u"localhost"_qs;
        s.port = 993;
        s.security = ImapSettings::Security::Tls;
        s.caFile = path;
        ImapClient client(s);
        QSignalSpy finished(&client, &ImapClient::finished);
        client.start({}, {});
        QVERIFY(finished.wait(10000));
        QCOMPARE(client.error(), ImapClient::Error::InvalidSettings);
        QVERIFY2(client.errorString().contains(path), qPrintable(client.errorString()));
    }
}

QTEST_GUILESS_MAIN(TestImapClient)
#include "tst_imapclient.moc"
