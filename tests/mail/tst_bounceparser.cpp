// The bounce parser (app/mail/bounce/bounceparser.h) on realistic samples in tests/mail/bounces/:
// what Postfix, Exchange and qmail really write, and auto-replies that must not count.
#include "app/mail/bounce/bounceparser.h"

#include <QFile>
#include <QTest>

using namespace roster;

class TestBounceParser : public QObject
{
    Q_OBJECT

    static QByteArray sample(const char *name)
    {
        QFile f(qEnvironmentVariable("ROSTER_SOURCE_DIR") + QStringLiteral("/tests/mail/bounces/") +
                QString::fromLatin1(name));
        if (!f.open(QIODevice::ReadOnly))
            qFatal("missing sample %s", name);
        return f.readAll();
    }

private Q_SLOTS:
    void postfixFailure()
    {
        const BounceReport r =
            parseBounce(sample("postfix-dsn-failure.eml"), QStringLiteral("bounces@roster.test"));
        QCOMPARE(r.kind, BounceReport::Kind::Failure);
        QCOMPARE(r.format, BounceReport::Format::Dsn);
        QCOMPARE(r.verpTag, QStringLiteral("k7m2qx4ab5cd6efg"));
        QCOMPARE(r.envelopeId, QStringLiteral("k7m2qx4ab5cd6efg"));
        QCOMPARE(r.returnedMessageId,
                 QStringLiteral("roster.0123456789abcdef0123456789abcdef@roster.test"));
        QCOMPARE(r.recipients.size(), 1);
        QCOMPARE(r.recipients[0].finalRecipient, QStringLiteral("jon.smiht@bouncing.test"));
        QCOMPARE(r.recipients[0].originalRecipient, QStringLiteral("jon.smiht@bouncing.test"));
        QCOMPARE(r.recipients[0].action, QStringLiteral("failed"));
        QCOMPARE(r.recipients[0].status, QStringLiteral("5.1.1"));
        QCOMPARE(r.diagnostic(),
                 QStringLiteral("550 5.1.1 <jon.smiht@bouncing.test>: Recipient address rejected: "
                                "User unknown in local recipient table"));
    }

    void postfixFailureCrlf()
    {
        QByteArray m = sample("postfix-dsn-failure.eml");
        m.replace("\n", "\r\n");
        const BounceReport r = parseBounce(m);
        QCOMPARE(r.kind, BounceReport::Kind::Failure);
        QCOMPARE(r.verpTag, QStringLiteral("k7m2qx4ab5cd6efg"));
        QCOMPARE(r.recipients.value(0).status, QStringLiteral("5.1.1"));
    }

    void verpOnlyForTheBounceAddress()
    {
        // Another local part or domain is not our tag.
        const BounceReport r =
            parseBounce(sample("postfix-dsn-failure.eml"), QStringLiteral("returns@roster.test"));
        QVERIFY(r.verpTag.isEmpty());
        QCOMPARE(r.kind, BounceReport::Kind::Failure); // still a report, matched by ENVID
        QCOMPARE(r.envelopeId, QStringLiteral("k7m2qx4ab5cd6efg"));
    }

    void postfixDelay()
    {
        const BounceReport r = parseBounce(sample("postfix-dsn-delay.eml"));
        QCOMPARE(r.kind, BounceReport::Kind::Delay);
        QCOMPARE(r.verpTag, QStringLiteral("p3qrs7tuv2wxyz45"));
        QCOMPARE(r.recipients.value(0).action, QStringLiteral("delayed"));
        QCOMPARE(r.recipients.value(0).status, QStringLiteral("4.4.1"));
        // X-Postfix diagnostics carry no code of their own: the status is put in front.
        QCOMPARE(r.diagnostic(),
                 QStringLiteral("4.4.1 connect to mx.slow.test[198.51.100.3]:25: Connection timed "
                                "out"));
        QCOMPARE(r.returnedMessageId,
                 QStringLiteral("roster.fedcba9876543210fedcba9876543210@roster.test"));
    }

    void exchangeNdr()
    {
        const BounceReport r = parseBounce(sample("exchange-ndr.eml"));
        QCOMPARE(r.kind, BounceReport::Kind::Failure);
        QCOMPARE(r.format, BounceReport::Format::Exchange);
        QCOMPARE(r.verpTag, QStringLiteral("m4n5o6p7q2r3s4t5"));
        QCOMPARE(r.recipients.value(0).finalRecipient, QStringLiteral("pat.doe@corp.example"));
        QCOMPARE(r.recipients.value(0).status, QStringLiteral("5.1.10"));
        QCOMPARE(r.diagnostic(),
                 QStringLiteral("550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by "
                                "SMTP address lookup"));
        QCOMPARE(r.returnedMessageId,
                 QStringLiteral("roster.11112222333344445555666677778888@roster.test"));
    }

    void qmailBounce()
    {
        const BounceReport r = parseBounce(sample("qmail-bounce.eml"));
        QCOMPARE(r.kind, BounceReport::Kind::Failure);
        QCOMPARE(r.format, BounceReport::Format::Qmail);
        QCOMPARE(r.verpTag, QStringLiteral("a2b3c4d5e6f7g2h3"));
        QCOMPARE(r.recipients.value(0).finalRecipient, QStringLiteral("lee@old.test"));
        QCOMPARE(r.diagnostic(), QStringLiteral("550 5.1.1 <lee@old.test>... User unknown"));
        QCOMPARE(r.returnedMessageId,
                 QStringLiteral("roster.aaaabbbbccccddddeeeeffff00001111@roster.test"));
    }

    void plainUndelivered()
    {
        const BounceReport r = parseBounce(sample("plain-undelivered.eml"));
        QCOMPARE(r.kind, BounceReport::Kind::Failure);
        QCOMPARE(r.format, BounceReport::Format::Plain);
        QVERIFY(r.verpTag.isEmpty()); // sent without VERP: matched by the returned Message-ID
        QCOMPARE(r.recipients.size(), 1);
        QCOMPARE(r.recipients[0].finalRecipient, QStringLiteral("kim@gone.test"));
        QCOMPARE(r.diagnostic(),
                 QStringLiteral("550 5.1.1 <kim@gone.test>: Recipient address rejected: User "
                                "unknown (in reply to RCPT TO command)"));
        QCOMPARE(r.returnedMessageId,
                 QStringLiteral("roster.99998888777766665555444433332222@roster.test"));
    }

    void autoRepliesAreNotBounces_data()
    {
        QTest::addColumn<QByteArray>("file");
        QTest::newRow("Auto-Submitted + Automatic reply") << QByteArray("out-of-office.eml");
        QTest::newRow("X-Autoreply + Precedence") << QByteArray("out-of-office-xautoreply.eml");
    }
    void autoRepliesAreNotBounces()
    {
        QFETCH(QByteArray, file);
        const BounceReport r = parseBounce(sample(file.constData()));
        QCOMPARE(r.kind, BounceReport::Kind::AutoReply);
        QVERIFY(!r.isReport());
        QVERIFY(r.recipients.isEmpty());
    }

    void outOfOfficeBySubjectOnly()
    {
        const QByteArray m = "From: a@b.test\nTo: bounces+abc@roster.test\n"
                             "Subject: Out of Office\n\nAway.\n";
        QCOMPARE(parseBounce(m).kind, BounceReport::Kind::AutoReply);
    }

    void ordinaryMail()
    {
        const BounceReport r = parseBounce(sample("ordinary-mail.eml"));
        QCOMPARE(r.kind, BounceReport::Kind::NotABounce);
        QVERIFY(!r.isReport());
    }

    void successDsnIsNotAFailure()
    {
        QByteArray m = sample("postfix-dsn-failure.eml");
        m.replace("Action: failed", "Action: delivered").replace("Status: 5.1.1", "Status: 2.0.0");
        QCOMPARE(parseBounce(m).kind, BounceReport::Kind::Other);
    }

    void hostileInputIsBounded()
    {
        // Deep nesting and a huge diagnostic: bounded, one line, no control characters.
        QByteArray m =
            "Content-Type: multipart/report; report-type=delivery-status; boundary=b\n\n";
        m += "--b\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; x\n\n"
             "Final-Recipient: rfc822; a@b.test\nAction: failed\nStatus: 5.1.1\n"
             "Diagnostic-Code: smtp; 550 " +
             QByteArray(100000, 'x') + "\x01\x7f\n--b--\n";
        const BounceReport r = parseBounce(m);
        QCOMPARE(r.kind, BounceReport::Kind::Failure);
        QVERIFY(r.diagnostic().size() <= 1000);
        for (QChar c : r.diagnostic())
            QVERIFY(c.unicode() >= 0x20 && c.unicode() != 0x7f);
        QByteArray nest;
        for (int i = 0; i < 2000; ++i)
            nest += "Content-Type: multipart/mixed; boundary=b" + QByteArray::number(i) +
                    "\n\n--b" + QByteArray::number(i) + "\n";
        QCOMPARE(parseBounce(nest).kind, BounceReport::Kind::NotABounce);
    }

    void returnedMessageIdIsPrintable()
    {
        // Found by fuzz_bounce_parser: a control character inside the copied Message-ID.
        QByteArray m = sample("plain-undelivered.eml");
        m.replace("<roster.9999", "<ros\x01ter.9999");
        const BounceReport r = parseBounce(m);
        for (QChar c : r.returnedMessageId)
            QVERIFY2(c.unicode() >= 0x20 && c.unicode() != 0x7f, qPrintable(r.returnedMessageId));
    }

    void recipientIsPrintable()
    {
        // Found by fuzz_bounce_parser: a control character inside qmail's <address>.
        QByteArray m = sample("qmail-bounce.eml");
        m.replace("<lee@old.test>:", QByteArray("<le\x02"
                                                "e@o\0ld.test>:",
                                                17));
        const BounceReport r = parseBounce(m);
        QCOMPARE(r.kind, BounceReport::Kind::Failure);
        for (QChar c : r.recipients.value(0).finalRecipient)
            QVERIFY2(c.unicode() >= 0x20 && c.unicode() != 0x7f,
                     qPrintable(r.recipients.value(0).finalRecipient));
    }

    void tagAlphabet()
    {
        QVERIFY(isPlausibleVerpTag(QStringLiteral("abcdefghijklmnop")));
        QVERIFY(!isPlausibleVerpTag(QStringLiteral("abc1"))); // 1 is not base32
        QVERIFY(!isPlausibleVerpTag(QStringLiteral("ABCD"))); // callers lower-case first
        QVERIFY(!isPlausibleVerpTag(QString()));
        QVERIFY(!isPlausibleVerpTag(QString(65, u'a')));
    }
};

QTEST_GUILESS_MAIN(TestBounceParser)
#include "tst_bounceparser.moc"
