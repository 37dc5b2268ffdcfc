#include "app/mail/invitationmail.h"

#include "mailparse.h"

#include <QFile>
#include <QTest>
#include <QTimeZone>

using namespace roster;
using namespace Qt::StringLiterals;

namespace {

const QString Link =
    u"https://crm.example.com/accept?token=AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-_abcd&lang=en"_s;

InvitationMail sampleMail()
{
    InvitationMail mail;
    mail.organisation = u"Acme Corp"_s;
    mail.inviterName = u"Alice Admin"_s;
    mail.from = {u"Acme Corp"_s, u"noreply@acme.example"_s};
    mail.to = {u"Jane Doe"_s, u"jane@example.com"_s};
    mail.acceptLink = Link;
    mail.expiresAt = QDateTime(QDate(2024, 1, 22), QTime(14, 30), QTimeZone(3600));
    mail.messageId = "0123456789abcdef@acme.example";
    mail.date = QDateTime(QDate(2024, 1, 15), QTime(14, 30), QTimeZone(3600));
    return mail;
}

struct Rendered
{
    mailparse::Part top;
    QString text;
    QString html;
};

Rendered renderAndParse(const InvitationMail &mail, QString *error)
{
    Rendered r;
    const QByteArray data = renderInvitationMail(mail, error);
    if (data.isEmpty())
        return r;
    r.top = mailparse::parse(data);
    const QList<mailparse::Part> parts = mailparse::multipartParts(r.top);
    if (parts.size() == 2) {
        r.text = QString::fromUtf8(mailparse::decodeQuotedPrintable(parts.at(0).body));
        r.html = QString::fromUtf8(mailparse::decodeQuotedPrintable(parts.at(1).body));
    }
    return r;
}

} // namespace

class TestInvitationMail : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void templatesAreResources();
    void subject_data();
    void subject();
    void bodiesFilled_data();
    void bodiesFilled();
    void htmlEscaped();
    void badInput_data();
    void badInput();
    void longValues();
    void deterministic();
    void fillTemplate();
    void rendererGivesTheSameBytes();
};

void TestInvitationMail::initTestCase()
{
    // The expiry date is spelled out in the default locale: pin it.
    QLocale::setDefault(QLocale(QLocale::English, QLocale::UnitedKingdom));
}

void TestInvitationMail::templatesAreResources()
{
    for (const char *name :
         {"invitation.txt", "invitation.html", "portal-invitation.txt", "portal-invitation.html"}) {
        QFile file(u":/templates/"_s + QLatin1StringView(name));
        QVERIFY2(file.open(QIODevice::ReadOnly), name);
        QVERIFY2(file.size() > 100, name);
    }
}

void TestInvitationMail::subject_data()
{
    QTest::addColumn<bool>("portal");
    QTest::addColumn<QString>("inviter");
    QTest::addColumn<QString>("expected");
    QTest::newRow("crm") << false << u"Alice Admin"_s
                         << u"Alice Admin invited you to Acme Corp on Roster"_s;
    QTest::newRow("crm, no inviter")
        << false << QString() << u"You're invited to Acme Corp on Roster"_s;
    QTest::newRow("portal, no inviter")
        << true << QString() << u"You're invited to Acme Corp's customer portal"_s;
    QTest::newRow("portal") << true << u"Alice Admin"_s
                            << u"Alice Admin invited you to Acme Corp's customer portal"_s;
}

void TestInvitationMail::subject()
{
    QFETCH(bool, portal);
    QFETCH(QString, inviter);
    QFETCH(QString, expected);
    InvitationMail mail = sampleMail();
    mail.portal = portal;
    mail.inviterName = inviter;
    QCOMPARE(invitationSubject(mail), expected);
    QString error;
    const Rendered r = renderAndParse(mail, &error);
    QVERIFY2(!r.top.headers.isEmpty(), qPrintable(error));
    QCOMPARE(mailparse::decodeHeader(r.top.header("Subject")), expected);
}

void TestInvitationMail::bodiesFilled_data()
{
    QTest::addColumn<bool>("portal");
    QTest::newRow("crm") << false;
    QTest::newRow("portal") << true;
}

void TestInvitationMail::bodiesFilled()
{
    QFETCH(bool, portal);
    InvitationMail mail = sampleMail();
    mail.portal = portal;
    QString error;
    const Rendered r = renderAndParse(mail, &error);
    QVERIFY2(!r.text.isEmpty() && !r.html.isEmpty(), qPrintable(error));

    QCOMPARE(r.top.header("From"), "Acme Corp <noreply@acme.example>"_ba);
    QCOMPARE(r.top.header("To"), "Jane Doe <jane@example.com>"_ba);
    QCOMPARE(r.top.header("Auto-Submitted"), "auto-generated"_ba);
    QCOMPARE(r.top.header("Message-ID"), "<0123456789abcdef@acme.example>"_ba);

    for (const QString &body : {r.text, r.html}) {
        QVERIFY(!body.contains(u"{{"_s));
        QVERIFY(!body.contains(u"}}"_s));
        QVERIFY(body.contains(u"Hello Jane Doe,"_s));
        QVERIFY(body.contains(u"Alice Admin"_s));
        QVERIFY(body.contains(u"Acme Corp"_s));
        QVERIFY(body.contains(u"jane@example.com"_s));
        QVERIFY(body.contains(u"Monday, 22 January 2024"_s));
        QVERIFY(body.contains(u"14:30"_s));
        QVERIFY(body.contains(u"UTC+01:00"_s));
        QVERIFY(body.contains(u"ignore this email"_s));
    }
    QCOMPARE(r.text.contains(u"customer portal"_s), portal);
    QCOMPARE(r.html.contains(u"customer portal"_s), portal);
    // The plain link on a line of its own in the text; a button in the HTML, & escaped.
    QVERIFY(r.text.contains(u"\r\n"_s + Link + u"\r\n"_s));
    QString escapedLink = Link;
    escapedLink.replace(u"&"_s, u"&amp;"_s);
    QVERIFY(r.html.contains(u"href=\""_s + escapedLink + u"\""_s));
    QVERIFY(r.html.contains(u">Accept invitation</a>"_s));
    QVERIFY(r.html.contains(u"<title>"_s + invitationSubject(mail).toHtmlEscaped()));
}

void TestInvitationMail::htmlEscaped()
{
    InvitationMail mail = sampleMail();
    mail.to.name = u"<script>alert('x')</script> & \"Jane\""_s;
    mail.inviterName = u"<b>Mallory</b>"_s;
    mail.organisation = u"Smith & Sons <Ltd>"_s;
    QString error;
    const Rendered r = renderAndParse(mail, &error);
    QVERIFY2(!r.html.isEmpty(), qPrintable(error));
    QVERIFY(!r.html.contains(u"<script"_s));
    QVERIFY(!r.html.contains(u"<b>Mallory"_s));
    QVERIFY(!r.html.contains(u"<Ltd>"_s));
    QVERIFY(r.html.contains(u"&lt;script&gt;alert('x')&lt;/script&gt; &amp; &quot;Jane&quot;"_s));
    QVERIFY(r.html.contains(u"&lt;b&gt;Mallory&lt;/b&gt;"_s));
    QVERIFY(r.html.contains(u"Smith &amp; Sons &lt;Ltd&gt;"_s));
    // The text part carries the values as they are.
    QVERIFY(r.text.contains(u"Hello <script>alert('x')</script> & \"Jane\","_s));
    QVERIFY(r.text.contains(u"Smith & Sons <Ltd>"_s));
    // Headers: quoted, not interpreted.
    QCOMPARE(mailparse::decodeHeader(r.top.header("Subject")),
             u"<b>Mallory</b> invited you to Smith & Sons <Ltd> on Roster"_s);
}

void TestInvitationMail::badInput_data()
{
    QTest::addColumn<QString>("field");
    QTest::addColumn<QString>("value");
    QTest::newRow("CRLF in organisation") << u"organisation"_s << u"Acme\r\nBcc: x@evil.example"_s;
    QTest::newRow("LF in inviter") << u"inviter"_s << u"Alice\nBcc: x@evil.example"_s;
    QTest::newRow("NUL in recipient name") << u"toName"_s << QStringLiteral("Jane\0");
    QTest::newRow("CR in sender name") << u"fromName"_s << u"Acme\r"_s;
    QTest::newRow("bad recipient address") << u"toAddress"_s << u"jane@@example.com"_s;
    QTest::newRow("look-alike recipient") << u"toAddress"_s << u"jane@exаmple.com"_s;
    QTest::newRow("CRLF in recipient address")
        << u"toAddress"_s << u"jane@example.com\r\nBcc: x@y.z"_s;
    QTest::newRow("javascript link") << u"link"_s << u"javascript:alert(1)"_s;
    QTest::newRow("relative link") << u"link"_s << u"/accept?token=x"_s;
    QTest::newRow("empty link") << u"link"_s << QString();
    QTest::newRow("link with CRLF") << u"link"_s << u"https://a.example/?t=x\r\nBcc: y"_s;
    QTest::newRow("no expiry") << u"expires"_s << QString();
    QTest::newRow("bad message id") << u"messageId"_s << u"<x y>"_s;
}

void TestInvitationMail::badInput()
{
    QFETCH(QString, field);
    QFETCH(QString, value);
    InvitationMail mail = sampleMail();
    if (field == u"organisation")
        mail.organisation = value;
    else if (field == u"inviter")
        mail.inviterName = value;
    else if (field == u"toName")
        mail.to.name = value;
    else if (field == u"fromName")
        mail.from.name = value;
    else if (field == u"toAddress")
        mail.to.address = value;
    else if (field == u"link")
        mail.acceptLink = value;
    else if (field == u"expires")
        mail.expiresAt = QDateTime();
    else if (field == u"messageId")
        mail.messageId = value.toLatin1();
    QString error;
    QVERIFY(renderInvitationMail(mail, &error).isEmpty());
    QVERIFY(!error.isEmpty());
    for (QChar c : error)
        QVERIFY2(c.isPrint(), qPrintable(error));
    QVERIFY(!renderInvitationMail(sampleMail(), &error).isEmpty());
}

void TestInvitationMail::longValues()
{
    InvitationMail mail = sampleMail();
    mail.to.name = QString(10000, u'J');
    mail.inviterName = QString(10000, u'é');
    mail.acceptLink = u"https://crm.example.com/accept?token="_s + QString(4000, u'x');
    QString error;
    const QByteArray data = renderInvitationMail(mail, &error);
    QVERIFY2(!data.isEmpty(), qPrintable(error));
    for (const QByteArray &line : data.split('\n'))
        QVERIFY2(line.size() <= 999, qPrintable(QString::number(line.size()))); // 998 + CR
    const Rendered r = renderAndParse(mail, &error);
    QVERIFY(r.text.contains(u"\r\n"_s + mail.acceptLink + u"\r\n"_s));
    QCOMPARE(mailparse::decodeHeader(r.top.header("Subject")), invitationSubject(mail));
}

void TestInvitationMail::deterministic()
{
    QString error;
    const QByteArray first = renderInvitationMail(sampleMail(), &error);
    QVERIFY(!first.isEmpty());
    QCOMPARE(renderInvitationMail(sampleMail(), &error), first);
    InvitationMail other = sampleMail();
    other.acceptLink += u"x"_s;
    QVERIFY(renderInvitationMail(other, &error) != first);
}

void TestInvitationMail::fillTemplate()
{
    QString result;
    QString error;
    QVERIFY(roster::fillTemplate(u"{{a}} and {{ b }}!"_s, {{u"a"_s, u"{{b}}"_s}, {u"b"_s, u"B"_s}},
                                 &result, &error));
    QCOMPARE(result, u"{{b}} and B!"_s); // values are not scanned again
    QVERIFY(!roster::fillTemplate(u"Hi {{nmae}}"_s, {{u"name"_s, u"x"_s}}, &result, &error));
    QVERIFY(error.contains(u"nmae"_s));
}

// The outbox renders a run's mail with InvitationRenderer (templates compiled and shared lines
// encoded once): byte for byte what renderInvitationMail() makes, message after message, with the
// values, the kind and the expiry changing between them, and the same refusals.
void TestInvitationMail::rendererGivesTheSameBytes()
{
    InvitationRenderer renderer;
    QList<InvitationMail> mails;
    for (int i = 0; i < 3; ++i) {
        for (bool portal : {false, true}) {
            InvitationMail m = sampleMail();
            m.portal = portal;
            m.messageId = "roster." + QByteArray::number(i) + "abc@acme.example";
            mails << m;
            m.to = {u"Zoë Ñúñez-Øster \"the\" <b>boss</b> & co"_s, u"zoe@example.com"_s};
            m.inviterName = i == 1 ? QString() : u"Ünïcødé Admin =?utf-8?q?x?="_s;
            m.organisation = i == 2 ? QString() : u"From the <Acme> & \"Sons\" =3D"_s;
            m.expiresAt = m.expiresAt.addSecs(3600 * i);
            m.acceptLink = Link + u"&n="_s + QString::number(i);
            mails << m;
            m.to.name.clear();
            m.expiresAt = QDateTime(QDate(2024, 2, 1), QTime(9, 5), QTimeZone(-5 * 3600));
            mails << m;
        }
    }
    InvitationMail bad = sampleMail();
    bad.acceptLink = u"ftp://example.com/x"_s;
    mails << bad;
    bad = sampleMail();
    bad.expiresAt = QDateTime();
    mails << bad;
    mails << sampleMail();
    // A line that starts with "From " (its "F" encoded), values long enough to move the soft
    // breaks of the literal pieces after them, empty values, and the fields' refusals.
    InvitationMail m = sampleMail();
    m.inviterName = u"From Fred"_s;
    mails << m;
    m.to.name = QString(140, u'x');
    m.organisation = u"Acme "_s + QString(97, u'=');
    mails << m;
    for (int n = 1; n < 80; n += 7) {
        m.to.name = QString(n, u'y');
        m.organisation = QString(n % 13 + 1, u'o') + u" \u00e9"_s;
        mails << m;
    }
    m.inviterName.clear();
    m.organisation.clear();
    mails << m;
    // Links that QUrl changes when it encodes them (an IDN host, non-ASCII and escaped octets).
    for (const QString &link : {u"https://b\u00fccher.example/einladung/\u00e4?token=abc&x=1%2F"_s,
                                u"HTTP://Crm.Example:8443/a%7eb/?token=t_-9&q=%C3%A9#frag"_s,
                                u"https://crm.example/a b?token=x"_s}) {
        m.acceptLink = link;
        mails << m;
    }
    // A run's links differ in their token, and the renderer checks a link that differs from
    // the last good one only there, in unreserved characters, no further. Links of the same
    // length that differ elsewhere or in other characters are checked again, each after a
    // good one.
    const qsizetype query = Link.indexOf(u'?');
    QVERIFY(query > 0 && Link.size() > query + 3);
    for (QChar c : {u'\r', u' ', u'%', u'\u00e9', u'#', u'~', u'Q'}) {
        m = sampleMail();
        mails << m;
        m.acceptLink = Link;
        m.acceptLink[Link.size() - 1] = c;
        mails << m;
    }
    for (qsizetype at : {qsizetype(0), qsizetype(8), query - 1, query}) {
        m = sampleMail();
        mails << m;
        m.acceptLink = Link;
        m.acceptLink[at] = m.acceptLink.at(at) == u'z' ? u'y' : u'z';
        mails << m;
    }
    m = sampleMail();
    m.from.address = u"not an address"_s;
    mails << m;
    m = sampleMail();
    m.to.address = u"nobody"_s;
    mails << m;
    m = sampleMail();
    m.messageId = "no-at-sign";
    mails << m;
    m = sampleMail();
    m.from.name = u"Another Sender"_s;
    m.date = m.date.addSecs(61);
    mails << m << sampleMail();
    for (const InvitationMail &m : std::as_const(mails)) {
        QString expectedError;
        QString error;
        const QByteArray expected = renderInvitationMail(m, &expectedError);
        QCOMPARE(renderer.render(m, &error), expected);
        QCOMPARE(error, expectedError);
    }
}

QTEST_APPLESS_MAIN(TestInvitationMail)
#include "tst_invitationmail.moc"
