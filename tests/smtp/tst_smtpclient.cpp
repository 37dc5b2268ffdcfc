// Protocol edge cases of SmtpClient against a scripted server (C:/S: scenarios).
#include "app/mail/smtp/smtpclient.h"
#include "fakesmtpserver.h"

#include <QSignalSpy>
#include <QTest>

using namespace roster;

Q_DECLARE_METATYPE(QList<roster::OutgoingMessage>)

namespace {

using Script = QList<QByteArray>;

OutgoingMessage message(const QByteArray &to = "to@example.net",
                        const QByteArray &data = "Subject: t\r\n\r\nhello\r\n")
{
    OutgoingMessage m;
    m.envelopeFrom = "from@example.org";
    m.recipients = {to};
    m.data = data;
    m.messageId = "id@example.org";
    return m;
}

Script lines(std::initializer_list<const char *> l)
{
    Script s;
    for (const char *x : l)
        s << QByteArray(x);
    return s;
}

const Script greetPlain =
    lines({"S: 220 fake ESMTP", "C: EHLO localhost", "S: 250-fake", "S: 250 8BITMIME"});
const Script greetPipelining = lines({"S: 220 fake ESMTP", "C: EHLO localhost", "S: 250-fake",
                                      "S: 250-8BITMIME", "S: 250 PIPELINING"});
const Script sendOne = lines({"C: MAIL FROM:<from@example.org>", "S: 250 ok",
                              "C: RCPT TO:<to@example.net>", "S: 250 ok", "C: DATA", "S: 354 go",
                              "C: Subject: t", "C: ", "C: hello", "C: .", "S: 250 queued"});
const Script quit = lines({"C: QUIT", "S: 221 bye"});

// One letter per message: S sent, P permanent, T temporary, C temporary + connectionError.
QString outcomes(const QList<DeliveryResult> &results)
{
    QString s;
    for (const DeliveryResult &r : results) {
        switch (r.outcome) {
        case DeliveryResult::Outcome::Sent:
            s += u'S';
            break;
        case DeliveryResult::Outcome::Permanent:
            s += u'P';
            break;
        case DeliveryResult::Outcome::Temporary:
            s += r.connectionError ? u'C' : u'T';
            break;
        }
    }
    return s;
}

} // namespace

class TestSmtpClient : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void scenario_data();
    void scenario();
    void errorsAreOneTranslatedLine();
    void connectionRefused();
    void resultsArriveAsynchronously();
};

void TestSmtpClient::scenario_data()
{
    QTest::addColumn<Script>("script");
    QTest::addColumn<QList<OutgoingMessage>>("messages");
    QTest::addColumn<int>("security"); // SmtpSettings::Security
    QTest::addColumn<QString>("user"); // "user:password[:allowplain]"
    QTest::addColumn<int>("timeoutMs");
    QTest::addColumn<bool>("lockstep");
    QTest::addColumn<SmtpClient::Error>("error");
    QTest::addColumn<QString>("outcomes");
    QTest::addColumn<QString>("replyContains"); // in the first message's reply

    const int none = int(SmtpSettings::Security::None);
    const int starttls = int(SmtpSettings::Security::StartTls);
    const QList<OutgoingMessage> one{message()};
    using E = SmtpClient::Error;

    QTest::newRow("plain, no pipelining: one command at a time")
        << greetPlain + sendOne + quit << one << none << QString() << 3000 << true << E::NoError
        << u"S"_qs << u"250 queued"_qs;
    QTest::newRow("multi-line 220 greeting")
        << lines({"S: 220-fake.example ESMTP", "S: 220-more text", "S: 220 ready"}) +
               greetPlain.mid(1) + sendOne + quit
        << one << none << QString() << 3000 << true << E::NoError << u"S"_qs << QString();
    QTest::newRow("250 PIPELINING on the last EHLO line: MAIL+RCPT+DATA in one group")
        << greetPipelining +
               lines({"C: MAIL FROM:<from@example.org>", "C: RCPT TO:<to@example.net>", "C: DATA",
                      "S: 250 ok", "S: 250 ok", "S: 354 go", "C: Subject: t", "C: ", "C: hello",
                      "C: .", "S: 250 queued"}) +
               quit
        << one << none << QString() << 1000 << false << E::NoError << u"S"_qs << QString();
    QTest::newRow("EHLO refused: HELO fallback")
        << lines({"S: 220 old", "C: EHLO localhost", "S: 502 what?", "C: HELO localhost",
                  "S: 250 hi"}) +
               sendOne + quit
        << one << none << QString() << 3000 << true << E::NoError << u"S"_qs << QString();
    // RFC 3461 DSN (issue 15): parameters only where EHLO lists DSN, values xtext-encoded.
    OutgoingMessage dsn = message("odd+name=x@example.net");
    dsn.envelopeFrom = "bounces+k7m2qx4ab5cd6efg@example.org";
    dsn.requestDsn = true;
    dsn.envelopeId = "k7m2qx4ab5cd6efg";
    const Script sendDsnBody = lines({"C: Subject: t", "C: ", "C: hello", "C: .", "S: 250 queued"});
    QTest::newRow("DSN offered: RET, ENVID, NOTIFY and ORCPT in xtext")
        << lines({"S: 220 fake", "C: EHLO localhost", "S: 250-fake", "S: 250-DSN",
                  "S: 250 8BITMIME",
                  "C: MAIL FROM:<bounces+k7m2qx4ab5cd6efg@example.org> RET=HDRS "
                  "ENVID=k7m2qx4ab5cd6efg",
                  "S: 250 ok",
                  "C: RCPT TO:<odd+name=x@example.net> NOTIFY=FAILURE,DELAY "
                  "ORCPT=rfc822;odd+2Bname+3Dx@example.net",
                  "S: 250 ok", "C: DATA", "S: 354 go"}) +
               sendDsnBody + quit
        << QList<OutgoingMessage>{dsn} << none << QString() << 3000 << true << E::NoError << u"S"_qs
        << u"250 queued"_qs;
    QTest::newRow("DSN not offered: no DSN parameter at all")
        << lines({"S: 220 fake", "C: EHLO localhost", "S: 250-fake", "S: 250 8BITMIME",
                  "C: MAIL FROM:<bounces+k7m2qx4ab5cd6efg@example.org>", "S: 250 ok",
                  "C: RCPT TO:<odd+name=x@example.net>", "S: 250 ok", "C: DATA", "S: 354 go"}) +
               sendDsnBody + quit
        << QList<OutgoingMessage>{dsn} << none << QString() << 3000 << true << E::NoError << u"S"_qs
        << QString();
    OutgoingMessage hostileEnvid = dsn;
    hostileEnvid.envelopeId = "a b\r\nRCPT TO:<evil@x>=+";
    QTest::newRow("DSN: an ENVID with CR/LF, space, '=' and '+' stays one xtext word")
        << lines({"S: 220 fake", "C: EHLO localhost", "S: 250-fake", "S: 250 DSN",
                  "C: MAIL FROM:<bounces+k7m2qx4ab5cd6efg@example.org> RET=HDRS "
                  "ENVID=a+20b+0D+0ARCPT+20TO:<evil@x>+3D+2B",
                  "S: 250 ok",
                  "C: RCPT TO:<odd+name=x@example.net> NOTIFY=FAILURE,DELAY "
                  "ORCPT=rfc822;odd+2Bname+3Dx@example.net",
                  "S: 250 ok", "C: DATA", "S: 354 go"}) +
               sendDsnBody + quit
        << QList<OutgoingMessage>{hostileEnvid} << none << QString() << 3000 << true << E::NoError
        << u"S"_qs << QString();
    QTest::newRow("DSN offered but not asked for: nothing added")
        << lines({"S: 220 fake", "C: EHLO localhost", "S: 250-fake", "S: 250 DSN"}) + sendOne + quit
        << one << none << QString() << 3000 << true << E::NoError << u"S"_qs << QString();
    QTest::newRow("greeting 554: no service")
        << lines({"S: 554 go away"}) << one << none << QString() << 3000 << true
        << E::ServiceUnavailable << u"C"_qs << u"554 go away"_qs;
    QTest::newRow("STARTTLS required but not offered: fail closed")
        << greetPlain << one << starttls << QString() << 3000 << true << E::StartTlsUnavailable
        << u"C"_qs << u"STARTTLS"_qs;
    QTest::newRow("STARTTLS offered then refused with 454: fail closed")
        << lines({"S: 220 fake", "C: EHLO localhost", "S: 250-fake", "S: 250 STARTTLS",
                  "C: STARTTLS", "S: 454 4.7.0 TLS not available"})
        << one << starttls << QString() << 3000 << true << E::StartTlsRefused << u"C"_qs
        << u"454 4.7.0 TLS not available"_qs;
    QTest::newRow("bytes injected after 220 to STARTTLS: abort")
        << lines({"S: 220 fake", "C: EHLO localhost", "S: 250-fake", "S: 250 STARTTLS",
                  "C: STARTTLS", "S: 220 go ahead", "S: 250-injected", "S: 250 AUTH PLAIN"})
        << one << starttls << QString() << 3000 << true << E::StartTlsInjection << u"C"_qs
        << u"injection"_qs;
    QTest::newRow("STARTTLS accepted, then no handshake: timeout")
        << lines({"S: 220 fake", "C: EHLO localhost", "S: 250-fake", "S: 250 STARTTLS",
                  "C: STARTTLS", "S: 220 go ahead", "T"})
        << one << starttls << QString() << 500 << true << E::TlsHandshakeFailed << u"C"_qs
        << u"timed out"_qs;
    QTest::newRow("server never answers: greeting timeout")
        << Script() << one << none << QString() << 300 << true << E::ReplyTimeout << u"C"_qs
        << u"greeting"_qs;
    QTest::newRow("server never answers the final dot: timeout")
        << greetPlain + sendOne.mid(0, sendOne.size() - 1) << one << none << QString() << 300
        << true << E::ReplyTimeout << u"C"_qs << u"end of data"_qs;
    QTest::newRow("malformed reply")
        << lines({"S: hello, I am not SMTP"}) << one << none << QString() << 3000 << true
        << E::ProtocolError << u"C"_qs << u"hello, I am not SMTP"_qs;
    QTest::newRow("reply without separator")
        << lines({"S: 220fake"}) << one << none << QString() << 3000 << true << E::ProtocolError
        << u"C"_qs << QString();
    QTest::newRow("over-long reply line") << Script{"S: 220 fake", "C: EHLO localhost",
                                                    "S: 250-" + QByteArray(20000, 'a'), "S: 250 ok"}
                                          << one << none << QString() << 3000 << true
                                          << E::ProtocolError << u"C"_qs << u"longer than"_qs;
    {
        Script s{"S: 220 fake", "C: EHLO localhost"};
        for (int i = 0; i < 500; ++i)
            s << "S: 250-line " + QByteArray::number(i);
        s << "S: 250 end";
        QTest::newRow("endless multi-line reply") << s << one << none << QString() << 3000 << true
                                                  << E::ProtocolError << u"C"_qs << u"lines"_qs;
    }
    QTest::newRow("multi-line reply with changing codes")
        << lines({"S: 220-fake", "S: 250 ok"}) << one << none << QString() << 3000 << true
        << E::ProtocolError << u"C"_qs << QString();
    QTest::newRow("refused recipient: Permanent, RSET, next message sent")
        << greetPlain +
               lines({"C: MAIL FROM:<from@example.org>", "S: 250 ok",
                      "C: RCPT TO:<nobody@example.net>", "S: 550 5.1.1 no such user", "C: RSET",
                      "S: 250 reset"}) +
               sendOne + quit
        << QList<OutgoingMessage>{message("nobody@example.net"), message()} << none << QString()
        << 3000 << true << E::NoError << u"PS"_qs << u"550 5.1.1 no such user"_qs;
    QTest::newRow("4xx recipient: Temporary")
        << greetPlain +
               lines({"C: MAIL FROM:<from@example.org>", "S: 250 ok", "C: RCPT TO:<to@example.net>",
                      "S: 451 4.3.0 try later", "C: RSET", "S: 250 reset"}) +
               quit
        << one << none << QString() << 3000 << true << E::NoError << u"T"_qs
        << u"451 4.3.0 try later"_qs;
    QTest::newRow("refused MAIL FROM: no RCPT, RSET")
        << greetPlain +
               lines({"C: MAIL FROM:<from@example.org>", "S: 553 sender not allowed", "C: RSET",
                      "S: 250 reset"}) +
               quit
        << one << none << QString() << 3000 << true << E::NoError << u"P"_qs
        << u"553 sender not allowed"_qs;
    QTest::newRow("final dot refused: Permanent")
        << greetPlain + sendOne.mid(0, sendOne.size() - 1) + lines({"S: 554 5.7.1 spam"}) + quit
        << one << none << QString() << 3000 << true << E::NoError << u"P"_qs
        << u"554 5.7.1 spam"_qs;
    // RFC 5321 §4.3.2: only the code each command expects is success. Anything else that is
    // not a 4xx/5xx refusal leaves the session out of step: never Sent, and nothing more sent.
    QTest::newRow("354 to the final dot: not sent")
        << greetPlain + sendOne.mid(0, sendOne.size() - 1) + lines({"S: 354 go on"}) << one << none
        << QString() << 3000 << true << E::ProtocolError << u"C"_qs << u"354 go on"_qs;
    QTest::newRow("300 to the final dot: not sent")
        << greetPlain + sendOne.mid(0, sendOne.size() - 1) + lines({"S: 300 what"}) << one << none
        << QString() << 3000 << true << E::ProtocolError << u"C"_qs << u"300 what"_qs;
    QTest::newRow("251 to the final dot: not sent")
        << greetPlain + sendOne.mid(0, sendOne.size() - 1) + lines({"S: 251 forwarded"}) << one
        << none << QString() << 3000 << true << E::ProtocolError << u"C"_qs << u"251 forwarded"_qs;
    QTest::newRow("354 to MAIL FROM: not sent, no RCPT")
        << greetPlain + lines({"C: MAIL FROM:<from@example.org>", "S: 354 go"}) << one << none
        << QString() << 3000 << true << E::ProtocolError << u"C"_qs << u"354 go"_qs;
    QTest::newRow("334 to RCPT TO: not sent, no DATA")
        << greetPlain + lines({"C: MAIL FROM:<from@example.org>", "S: 250 ok",
                               "C: RCPT TO:<to@example.net>", "S: 334 huh"})
        << one << none << QString() << 3000 << true << E::ProtocolError << u"C"_qs << u"334 huh"_qs;
    QTest::newRow("251 to RCPT TO: accepted (will forward)")
        << greetPlain +
               lines({"C: MAIL FROM:<from@example.org>", "S: 250 ok", "C: RCPT TO:<to@example.net>",
                      "S: 251 user not local; will forward", "C: DATA", "S: 354 go",
                      "C: Subject: t", "C: ", "C: hello", "C: .", "S: 250 queued"}) +
               quit
        << one << none << QString() << 3000 << true << E::NoError << u"S"_qs << u"250 queued"_qs;
    QTest::newRow("250 to DATA: not sent, no content")
        << greetPlain + lines({"C: MAIL FROM:<from@example.org>", "S: 250 ok",
                               "C: RCPT TO:<to@example.net>", "S: 250 ok", "C: DATA", "S: 250 ok"})
        << one << none << QString() << 3000 << true << E::ProtocolError << u"C"_qs << u"250 ok"_qs;
    QTest::newRow("354 to RSET: session ends, the next message is not sent")
        << greetPlain + lines({"C: MAIL FROM:<from@example.org>", "S: 250 ok",
                               "C: RCPT TO:<nobody@example.net>", "S: 550 5.1.1 no such user",
                               "C: RSET", "S: 354 go"})
        << QList<OutgoingMessage>{message("nobody@example.net"), message()} << none << QString()
        << 3000 << true << E::ProtocolError << u"PC"_qs << u"550 5.1.1 no such user"_qs;
    QTest::newRow("pipelined: 354 to the final dot, the next message is not sent either")
        << greetPipelining +
               lines({"C: MAIL FROM:<from@example.org>", "C: RCPT TO:<to@example.net>", "C: DATA",
                      "S: 250 ok", "S: 250 ok", "S: 354 go", "C: Subject: t", "C: ", "C: hello",
                      "C: .", "C: MAIL FROM:<from@example.org>", "C: RCPT TO:<to@example.net>",
                      "C: DATA", "S: 354 go"})
        << QList<OutgoingMessage>{message(), message()} << none << QString() << 1000 << false
        << E::ProtocolError << u"CC"_qs << u"354 go"_qs;
    QTest::newRow("220 to EHLO instead of 250: nothing sent")
        << lines({"S: 220 fake", "C: EHLO localhost", "S: 220 again"}) << one << none << QString()
        << 3000 << true << E::ProtocolError << u"C"_qs << u"220 again"_qs;
    QTest::newRow("AUTH answered 250 instead of 235: not authenticated, nothing sent")
        << lines({"S: 220 fake", "C: EHLO localhost", "S: 250-fake", "S: 250 AUTH PLAIN",
                  "C: AUTH PLAIN AGFsaWNlAHNlY3JldA==", "S: 250 fine"})
        << one << none << u"alice:secret:allowplain"_qs << 3000 << true << E::ProtocolError
        << u"C"_qs << u"250 fine"_qs;
    QTest::newRow("pipelined refused recipient: RSET and the next transaction in one group")
        << greetPipelining +
               lines({"C: MAIL FROM:<from@example.org>", "C: RCPT TO:<nobody@example.net>",
                      "C: DATA", "S: 250 ok", "S: 550 5.1.1 no such user",
                      "S: 554 5.5.1 no valid recipients", "C: RSET",
                      "C: MAIL FROM:<from@example.org>", "C: RCPT TO:<to@example.net>", "C: DATA",
                      "S: 250 reset", "S: 250 ok", "S: 250 ok", "S: 354 go", "C: Subject: t",
                      "C: ", "C: hello", "C: .", "S: 250 queued"}) +
               quit
        << QList<OutgoingMessage>{message("nobody@example.net"), message()} << none << QString()
        << 1000 << false << E::NoError << u"PS"_qs << u"550 5.1.1 no such user"_qs;
    QTest::newRow("pipelined: content, dot and the next transaction in one group")
        << greetPipelining +
               lines({"C: MAIL FROM:<from@example.org>",
                      "C: RCPT TO:<to@example.net>",
                      "C: DATA",
                      "S: 250 ok",
                      "S: 250 ok",
                      "S: 354 go",
                      "C: Subject: t",
                      "C: ",
                      "C: hello",
                      "C: .",
                      "C: MAIL FROM:<from@example.org>",
                      "C: RCPT TO:<to@example.net>",
                      "C: DATA",
                      "S: 250 queued 1",
                      "S: 250 ok",
                      "S: 250 ok",
                      "S: 354 go",
                      "C: Subject: t",
                      "C: ",
                      "C: hello",
                      "C: .",
                      "S: 250 queued 2"}) +
               quit
        << QList<OutgoingMessage>{message(), message()} << none << QString() << 1000 << false
        << E::NoError << u"SS"_qs << u"250 queued 1"_qs;
    QTest::newRow("pipelined: refused final dot, no RSET inside the next transaction")
        << greetPipelining +
               lines({"C: MAIL FROM:<from@example.org>",
                      "C: RCPT TO:<to@example.net>",
                      "C: DATA",
                      "S: 250 ok",
                      "S: 250 ok",
                      "S: 354 go",
                      "C: Subject: t",
                      "C: ",
                      "C: hello",
                      "C: .",
                      "C: MAIL FROM:<from@example.org>",
                      "C: RCPT TO:<to@example.net>",
                      "C: DATA",
                      "S: 451 4.7.1 greylisted",
                      "S: 250 ok",
                      "S: 250 ok",
                      "S: 354 go",
                      "C: Subject: t",
                      "C: ",
                      "C: hello",
                      "C: .",
                      "S: 250 queued 2"}) +
               quit
        << QList<OutgoingMessage>{message(), message()} << none << QString() << 1000 << false
        << E::NoError << u"TS"_qs << u"451 4.7.1 greylisted"_qs;
    QTest::newRow("421 in the middle: every message Temporary, connection error")
        << greetPlain +
               lines({"C: MAIL FROM:<from@example.org>", "S: 421 4.3.2 shutting down", "X"})
        << QList<OutgoingMessage>{message(), message()} << none << QString() << 3000 << true
        << E::ServiceUnavailable << u"CC"_qs << u"421 4.3.2 shutting down"_qs;
    QTest::newRow("hang-up during DATA: Temporary")
        << greetPlain + lines({"C: MAIL FROM:<from@example.org>", "S: 250 ok",
                               "C: RCPT TO:<to@example.net>", "S: 250 ok", "C: DATA", "S: 354 go",
                               "C: Subject: t", "C: ", "C: hello", "C: .", "X"})
        << one << none << QString() << 3000 << true << E::ConnectionClosed << u"C"_qs
        << u"closed the connection"_qs;
    QTest::newRow("dot-stuffing of every line starting with '.', bare LF normalised")
        << greetPlain +
               lines({"C: MAIL FROM:<from@example.org>", "S: 250 ok", "C: RCPT TO:<to@example.net>",
                      "S: 250 ok", "C: DATA", "S: 354 go", "C: Subject: dots", "C: ", "C: ..",
                      "C: ..hidden", "C: ...two", "C: a.b", "C: end", "C: .", "S: 250 queued"}) +
               quit
        << QList<OutgoingMessage>{message("to@example.net",
                                          "Subject: dots\n\n.\r\n.hidden\n..two\r\na.b\nend")}
        << none << QString() << 3000 << true << E::NoError << u"S"_qs << QString();
    QTest::newRow("CR/LF in a recipient never reaches the server")
        << greetPlain + quit
        << QList<OutgoingMessage>{message("to@example.net>\r\nRCPT TO:<evil@example.com")} << none
        << QString() << 3000 << true << E::NoError << u"P"_qs << u"Invalid envelope address"_qs;
    QTest::newRow("non-ASCII address without SMTPUTF8: Permanent, nothing sent")
        << greetPlain + quit << QList<OutgoingMessage>{message("jos\xc3\xa9@example.net")} << none
        << QString() << 3000 << true << E::NoError << u"P"_qs << u"SMTPUTF8"_qs;
    QTest::newRow("non-ASCII address with SMTPUTF8")
        << lines({"S: 220 fake", "C: EHLO localhost", "S: 250-fake", "S: 250 SMTPUTF8",
                  "C: MAIL FROM:<from@example.org> SMTPUTF8", "S: 250 ok",
                  "C: RCPT TO:<jos\xc3\xa9@example.net>", "S: 250 ok", "C: DATA", "S: 354 go",
                  "C: Subject: t", "C: ", "C: hello", "C: .", "S: 250 queued"}) +
               quit
        << QList<OutgoingMessage>{message("jos\xc3\xa9@example.net")} << none << QString() << 3000
        << true << E::NoError << u"S"_qs << QString();
    QTest::newRow("8-bit body: BODY=8BITMIME when offered")
        << greetPlain +
               lines({"C: MAIL FROM:<from@example.org> BODY=8BITMIME", "S: 250 ok",
                      "C: RCPT TO:<to@example.net>", "S: 250 ok", "C: DATA", "S: 354 go",
                      "C: Subject: t", "C: ", "C: caf\xc3\xa9", "C: .", "S: 250 queued"}) +
               quit
        << QList<OutgoingMessage>{message("to@example.net", "Subject: t\r\n\r\ncaf\xc3\xa9\r\n")}
        << none << QString() << 3000 << true << E::NoError << u"S"_qs << QString();
    QTest::newRow("line over 998 octets: Permanent, nothing sent")
        << greetPlain + quit
        << QList<OutgoingMessage>{message("to@example.net",
                                          "Subject: t\r\n\r\n" + QByteArray(1200, 'x') + "\r\n")}
        << none << QString() << 3000 << true << E::NoError << u"P"_qs << u"998"_qs;
    QTest::newRow("AUTH over plain text refused by policy: no AUTH sent")
        << lines({"S: 220 fake", "C: EHLO localhost", "S: 250-fake", "S: 250 AUTH PLAIN LOGIN"})
        << one << none << u"alice:secret"_qs << 3000 << true << E::AuthNotEncrypted << u"C"_qs
        << u"unencrypted"_qs;
    QTest::newRow("AUTH PLAIN in clear when explicitly allowed")
        << lines({"S: 220 fake", "C: EHLO localhost", "S: 250-fake", "S: 250 AUTH LOGIN PLAIN",
                  "C: AUTH PLAIN AGFsaWNlAHNlY3JldA==", "S: 235 2.7.0 ok"}) +
               sendOne + quit
        << one << none << u"alice:secret:allowplain"_qs << 3000 << true << E::NoError << u"S"_qs
        << QString();
    QTest::newRow("AUTH LOGIN when PLAIN is not offered")
        << lines({"S: 220 fake", "C: EHLO localhost", "S: 250-fake", "S: 250 AUTH=LOGIN",
                  "C: AUTH LOGIN", "S: 334 VXNlcm5hbWU6", "C: YWxpY2U=", "S: 334 UGFzc3dvcmQ6",
                  "C: c2VjcmV0", "S: 235 ok"}) +
               sendOne + quit
        << one << none << u"alice:secret:allowplain"_qs << 3000 << true << E::NoError << u"S"_qs
        << QString();
    QTest::newRow("AUTH rejected with 535")
        << lines({"S: 220 fake", "C: EHLO localhost", "S: 250-fake", "S: 250 AUTH PLAIN",
                  "C: AUTH PLAIN AGFsaWNlAHNlY3JldA==", "S: 535 5.7.8 bad credentials"})
        << one << none << u"alice:secret:allowplain"_qs << 3000 << true << E::AuthFailed << u"C"_qs
        << u"535 5.7.8 bad credentials"_qs;
    QTest::newRow("endless AUTH challenges are capped")
        << lines({"S: 220 fake", "C: EHLO localhost", "S: 250-fake", "S: 250 AUTH LOGIN",
                  "C: AUTH LOGIN", "S: 334 VXNlcm5hbWU6", "C: YWxpY2U=", "S: 334 UGFzc3dvcmQ6",
                  "C: c2VjcmV0", "S: 334 UGFzc3dvcmQ6", "C: c2VjcmV0", "S: 334 UGFzc3dvcmQ6",
                  "C: c2VjcmV0", "S: 334 UGFzc3dvcmQ6"})
        << one << none << u"alice:secret:allowplain"_qs << 3000 << true << E::AuthFailed << u"C"_qs
        << u"challenges"_qs;
    QTest::newRow("no usable AUTH mechanism")
        << lines({"S: 220 fake", "C: EHLO localhost", "S: 250-fake", "S: 250 AUTH CRAM-MD5"}) << one
        << none << u"alice:secret:allowplain"_qs << 3000 << true << E::AuthUnavailable << u"C"_qs
        << u"CRAM-MD5"_qs;
}

void TestSmtpClient::scenario()
{
    QFETCH(Script, script);
    QFETCH(QList<OutgoingMessage>, messages);
    QFETCH(int, security);
    QFETCH(QString, user);
    QFETCH(int, timeoutMs);
    QFETCH(bool, lockstep);
    QFETCH(SmtpClient::Error, error);
    QFETCH(QString, outcomes);
    QFETCH(QString, replyContains);

    FakeSmtpServer server(script);
    server.setLockstep(lockstep);
    SmtpSettings s;
    s.host = u"127.0.0.1"_qs;
    s.port = server.port();
    s.security = SmtpSettings::Security(security);
    if (!user.isEmpty()) {
        const QStringList parts = user.split(u':');
        s.username = parts.value(0);
        s.password = parts.value(1);
        s.allowPlainAuth = parts.value(2) == u"allowplain";
    }
    s.connectTimeoutMs = timeoutMs;
    s.replyTimeoutMs = timeoutMs;
    s.dataTimeoutMs = timeoutMs;

    SmtpClient client(s);
    QSignalSpy finished(&client, &SmtpClient::finished);
    QSignalSpy perMessage(&client, &SmtpClient::messageFinished);
    client.start(messages);
    QVERIFY(finished.wait(15000));
    QCOMPARE(finished.size(), 1);
    QCOMPARE(perMessage.size(), messages.size());

    const QList<DeliveryResult> results = client.results();
    QCOMPARE(client.error(), error);
    QCOMPARE(::outcomes(results), outcomes);
    if (!replyContains.isEmpty())
        QVERIFY2(results.first().reply.contains(replyContains), qPrintable(results.first().reply));
    if (error != SmtpClient::Error::NoError) // the last message never got a result of its own
        QCOMPARE(results.last().reply, client.errorString());
    // Nothing the script did not expect reached the server, even after the client gave up.
    QTRY_VERIFY_WITH_TIMEOUT(server.clientGone(), 5000);
    QVERIFY2(server.problems().isEmpty(), qPrintable(server.problems().join(u'\n')));
    if (error == SmtpClient::Error::NoError)
        QVERIFY(server.scriptDone());
}

void TestSmtpClient::errorsAreOneTranslatedLine()
{
    const auto meta = QMetaEnum::fromType<SmtpClient::Error>();
    for (int i = 1; i < meta.keyCount(); ++i) {
        const QString text =
            SmtpClient::describeError(SmtpClient::Error(meta.value(i)), u"detail"_qs);
        QVERIFY2(!text.isEmpty(), meta.key(i));
        QVERIFY2(!text.contains(u'\n') && !text.contains(u'\r'), meta.key(i));
    }
}

void TestSmtpClient::connectionRefused()
{
    quint16 port = 0;
    {
        FakeSmtpServer probe({});
        port = probe.port(); // free now that the probe is gone
    }
    SmtpSettings s;
    s.host = u"127.0.0.1"_qs;
    s.port = port;
    s.security = SmtpSettings::Security::None;
    SmtpClient client(s);
    QSignalSpy finished(&client, &SmtpClient::finished);
    client.start({message(), message()});
    QVERIFY(finished.wait(10000));
    QCOMPARE(client.error(), SmtpClient::Error::ConnectionRefused);
    QCOMPARE(outcomes(client.results()), u"CC"_qs);
    QVERIFY(client.errorString().contains(QString::number(port)));
}

void TestSmtpClient::resultsArriveAsynchronously()
{
    SmtpSettings s; // empty host: invalid
    SmtpClient client(s);
    QSignalSpy finished(&client, &SmtpClient::finished);
    client.start({message()});
    QCOMPARE(finished.size(), 0); // never from inside start()
    QVERIFY(finished.wait(1000));
    QCOMPARE(client.error(), SmtpClient::Error::InvalidSettings);
    QCOMPARE(outcomes(client.results()), u"C"_qs);
}

QTEST_GUILESS_MAIN(TestSmtpClient)
#include "tst_smtpclient.moc"
