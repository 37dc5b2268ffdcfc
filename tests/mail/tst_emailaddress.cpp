#include "app/mail/emailaddress.h"
#include "models/userfilter.h"

#include <QTest>

using namespace roster;
using namespace Qt::StringLiterals;

class TestEmailAddress : public QObject
{
    Q_OBJECT

private slots:
    void validation_data();
    void validation();
    void problemIsOneLine();
    void key_data();
    void key();
    void mailbox_data();
    void mailbox();
};

void TestEmailAddress::validation_data()
{
    QTest::addColumn<QString>("email");
    QTest::addColumn<bool>("accepted");
    // Part of the expected message, so a refusal for the wrong reason fails too.
    QTest::addColumn<QString>("says");

    const QString local64(64, u'a');
    const QString label63(63, u'b');
    // 63 + 1 + 63 + 1 + 63 + 1 + 56 + 4 = 252 characters of domain: 254 with "a@"
    const QString longDomain = label63 + u'.' + label63 + u'.' + label63 + u'.' +
                               QString(56, u'c') + QStringLiteral(".com");

    QTest::newRow("plain") << u"jane@example.com"_s << true << QString();
    QTest::newRow("subdomain") << u"jane.doe@mail.example.co.uk"_s << true << QString();
    QTest::newRow("plus tag") << u"jane+crm@example.com"_s << true << QString();
    QTest::newRow("atext specials")
        << u"o'neil!#$%&*/=?^_`{|}~-@example.com"_s << true << QString();
    QTest::newRow("upper case") << u"Jane.Doe@Example.COM"_s << true << QString();
    QTest::newRow("digits and hyphen") << u"1234@my-host9.example"_s << true << QString();
    QTest::newRow("local part 64") << (local64 + u"@example.com") << true << QString();
    QTest::newRow("whole 254") << (u"a@" + longDomain) << true << QString();

    QTest::newRow("empty") << QString() << false << u"empty"_s;
    QTest::newRow("no at") << u"jane.example.com"_s << false << u"@"_s;
    QTest::newRow("two ats") << u"jane@doe@example.com"_s << false << u"more than one"_s;
    QTest::newRow("nothing before at") << u"@example.com"_s << false << u"nothing before"_s;
    QTest::newRow("no domain") << u"jane@"_s << false << u"no domain"_s;
    QTest::newRow("domain without dot") << u"jane@localhost"_s << false << u"no dot"_s;
    QTest::newRow("CR LF injection")
        << u"jane@example.com\r\nBcc: x@evil.example"_s << false << u"line break"_s;
    QTest::newRow("LF only") << u"jane@example.com\n"_s << false << u"line break"_s;
    QTest::newRow("NUL") << QStringLiteral("jane@exa\0mple.com") << false << u"control"_s;
    QTest::newRow("tab") << u"jane\t@example.com"_s << false << u"control"_s;
    QTest::newRow("DEL") << u"jane\x7f@example.com"_s << false << u"control"_s;
    QTest::newRow("space") << u"jane doe@example.com"_s << false << u"space"_s;
    QTest::newRow("leading space") << u" jane@example.com"_s << false << u"space"_s;
    QTest::newRow("no-break space") << u"jane\u00a0@example.com"_s << false << u"space"_s;
    QTest::newRow("cyrillic a look-alike")
        << u"j\u0430ne@example.com"_s << false << u"plain ASCII"_s;
    QTest::newRow("greek omicron in domain")
        << u"jane@ex\u03bfmple.com"_s << false << u"plain ASCII"_s;
    QTest::newRow("fullwidth at") << u"jane\uff20example.com"_s << false << u"plain ASCII"_s;
    QTest::newRow("umlaut") << u"j\u00f6rg@example.com"_s << false << u"plain ASCII"_s;
    QTest::newRow("emoji") << u"jane\U0001F600@example.com"_s << false << u"plain ASCII"_s;
    QTest::newRow("zero-width space") << u"ja\u200bne@example.com"_s << false << u"plain ASCII"_s;
    QTest::newRow("quoted local part") << u"\"jane doe\"@example.com"_s << false << u"space"_s;
    QTest::newRow("quote") << u"ja\"ne@example.com"_s << false << u"quotation"_s;
    QTest::newRow("name and brackets") << u"Jane <jane@example.com>"_s << false << u"space"_s;
    QTest::newRow("angle brackets") << u"<jane@example.com>"_s << false << u"angle"_s;
    QTest::newRow("comment") << u"jane(work)@example.com"_s << false << u"parenthesis"_s;
    QTest::newRow("leading dot") << u".jane@example.com"_s << false << u"start or end"_s;
    QTest::newRow("trailing dot local") << u"jane.@example.com"_s << false << u"start or end"_s;
    QTest::newRow("double dot local") << u"ja..ne@example.com"_s << false << u"two dots"_s;
    QTest::newRow("double dot domain") << u"jane@example..com"_s << false << u"two dots"_s;
    QTest::newRow("domain leading dot") << u"jane@.example.com"_s << false << u"start or end"_s;
    QTest::newRow("domain trailing dot") << u"jane@example.com."_s << false << u"start or end"_s;
    QTest::newRow("comma in local") << u"ja,ne@example.com"_s << false << u"not allowed"_s;
    QTest::newRow("underscore in domain") << u"jane@ex_ample.com"_s << false << u"only letters"_s;
    QTest::newRow("hyphen at label start") << u"jane@-example.com"_s << false << u"hyphen"_s;
    QTest::newRow("hyphen at label end") << u"jane@example-.com"_s << false << u"hyphen"_s;
    QTest::newRow("ip literal") << u"jane@[192.0.2.1]"_s << false << u"IP address"_s;
    QTest::newRow("bare ip") << u"jane@192.0.2.1"_s << false << u"IP address"_s;
    QTest::newRow("local part 65") << (local64 + u"a@example.com") << false << u"65"_s;
    QTest::newRow("label 64") << (u"jane@" + label63 + u"b.com") << false << u"64"_s;
    QTest::newRow("whole 255") << (u"ab@" + longDomain) << false << u"255"_s;
    QTest::newRow("domain 256") << (u"a@" + longDomain + u"xyzw") << false << u"256"_s;
    QTest::newRow("10000 characters")
        << (QString(10000, u'a') + u"@example.com") << false << u"10000"_s;
}

void TestEmailAddress::validation()
{
    QFETCH(QString, email);
    QFETCH(bool, accepted);
    QFETCH(QString, says);
    const QString problem = emailAddressProblem(email);
    if (accepted) {
        QVERIFY2(problem.isEmpty(), qPrintable(problem));
    } else {
        QVERIFY2(!problem.isEmpty(), "accepted an address that must be refused");
        QVERIFY2(problem.contains(says, Qt::CaseInsensitive),
                 qPrintable(u"expected \u201c" + says + u"\u201d in: " + problem));
    }
}

// The message goes into one-line errors (rosterctl's stderr, a status bar): it must never
// carry the offending control character or line break along.
void TestEmailAddress::problemIsOneLine()
{
    const QStringList bad = {u"a@b.com\r\nBcc: c@d.com"_s, QStringLiteral("a\0@b.com"),
                             u"a\u2028@b.com"_s, u"a\u0085@b.com"_s};
    for (const QString &email : bad) {
        const QString problem = emailAddressProblem(email);
        QVERIFY(!problem.isEmpty());
        for (QChar c : problem)
            QVERIFY2(c.isPrint(), qPrintable(problem));
    }
}

void TestEmailAddress::key_data()
{
    QTest::addColumn<QString>("a");
    QTest::addColumn<QString>("b");
    QTest::addColumn<bool>("same");
    QTest::newRow("case") << u"Jane.Doe@Example.COM"_s << u"jane.doe@example.com"_s << true;
    QTest::newRow("identical") << u"x@y.org"_s << u"x@y.org"_s << true;
    QTest::newRow("different") << u"jane@example.com"_s << u"john@example.com"_s << false;
    QTest::newRow("tag differs") << u"jane+a@example.com"_s << u"jane+b@example.com"_s << false;
}

void TestEmailAddress::key()
{
    QFETCH(QString, a);
    QFETCH(QString, b);
    QFETCH(bool, same);
    // The key of the users table's UNIQUE index (models/userfilter.h), for addresses this
    // file's rules accept.
    QVERIFY(emailAddressProblem(a).isEmpty() && emailAddressProblem(b).isEmpty());
    QCOMPARE(userEmailKey(a) == userEmailKey(b), same);
    QCOMPARE(userEmailKey(a), userEmailKey(userEmailKey(a)));
}

// A sender given as an address or a mailbox ("Name <address>", the name quoted or not); a
// refusal names what is really wrong.
void TestEmailAddress::mailbox_data()
{
    QTest::addColumn<QString>("input");
    QTest::addColumn<QString>("name");    // expected, when accepted
    QTest::addColumn<QString>("address"); // expected, when accepted; empty: refused
    QTest::addColumn<QString>("problem"); // in the refusal

    QTest::newRow("bare address") << u"noreply@acme.test"_s << QString() << u"noreply@acme.test"_s
                                  << QString();
    QTest::newRow("name and address") << u"Acme CRM <noreply@acme.test>"_s << u"Acme CRM"_s
                                      << u"noreply@acme.test"_s << QString();
    QTest::newRow("spaces around") << u"  Acme CRM   <noreply@acme.test>  "_s << u"Acme CRM"_s
                                   << u"noreply@acme.test"_s << QString();
    QTest::newRow("quoted name with comma")
        << u"\"Acme, Inc.\" <noreply@acme.test>"_s << u"Acme, Inc."_s << u"noreply@acme.test"_s
        << QString();
    QTest::newRow("quoted name with escapes")
        << u"\"The \\\"Best\\\" CRM\" <noreply@acme.test>"_s << u"The \"Best\" CRM"_s
        << u"noreply@acme.test"_s << QString();
    QTest::newRow("angle brackets only")
        << u"<noreply@acme.test>"_s << QString() << u"noreply@acme.test"_s << QString();
    QTest::newRow("non-ASCII name") << u"Café Über <noreply@acme.test>"_s << u"Café Über"_s
                                    << u"noreply@acme.test"_s << QString();

    QTest::newRow("missing >") << u"Acme CRM <noreply@acme.test"_s << QString() << QString()
                               << u"\u201c>\u201d"_s;
    QTest::newRow("> without <") << u"Acme CRM noreply@acme.test>"_s << QString() << QString()
                                 << u"\u201c<\u201d"_s;
    QTest::newRow("text after >") << u"Acme <noreply@acme.test> extra"_s << QString() << QString()
                                  << u"after"_s;
    QTest::newRow("two addresses")
        << u"A <a@acme.test> <b@acme.test>"_s << QString() << QString() << u"one"_s;
    QTest::newRow("no @") << u"Acme CRM <noreply.acme.test>"_s << QString() << QString()
                          << u"\u201c@\u201d"_s;
    QTest::newRow("CR/LF") << u"Acme <noreply@acme.test>\r\nBcc: x@evil.test"_s << QString()
                           << QString() << u"line break"_s;
    QTest::newRow("CR/LF in the name")
        << u"Acme\r\nBcc: x <noreply@acme.test>"_s << QString() << QString() << u"line break"_s;
    QTest::newRow("unterminated quote")
        << u"\"Acme <noreply@acme.test>"_s << QString() << QString() << u"quotation mark"_s;
    QTest::newRow("stray quote in the name")
        << u"Acme \"CRM <noreply@acme.test>"_s << QString() << QString() << u"quotation mark"_s;
    QTest::newRow("name without brackets")
        << u"Acme CRM noreply@acme.test"_s << QString() << QString() << u"angle brackets"_s;
    QTest::newRow("empty") << QString() << QString() << QString() << u"empty"_s;
    QTest::newRow("empty brackets") << u"Acme <>"_s << QString() << QString() << u"empty"_s;
}

void TestEmailAddress::mailbox()
{
    QFETCH(QString, input);
    QFETCH(QString, name);
    QFETCH(QString, address);
    QFETCH(QString, problem);
    QString why;
    const std::optional<Mailbox> m = parseMailbox(input, &why);
    if (address.isEmpty()) {
        QVERIFY2(!m, qPrintable(input));
        QVERIFY2(why.contains(problem), qPrintable(why));
        QVERIFY(!why.contains(u'\n') && !why.contains(u'\r'));
        QVERIFY2(!why.contains(u"contains a space"_s), qPrintable(why));
        return;
    }
    QVERIFY2(m, qPrintable(why));
    QCOMPARE(m->name, name);
    QCOMPARE(m->address, address);
    QVERIFY(why.isEmpty());
}

QTEST_APPLESS_MAIN(TestEmailAddress)
#include "tst_emailaddress.moc"
