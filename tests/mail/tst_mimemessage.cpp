#include "app/mail/mimemessage.h"

#include "mailparse.h"

#include <QRegularExpression>
#include <QTest>
#include <QTimeZone>

using namespace roster;
using namespace Qt::StringLiterals;

namespace {

QDateTime fixedDate()
{
    return QDateTime(QDate(2024, 1, 15), QTime(14, 30, 5), QTimeZone(3600));
}

MimeMessage sampleMessage()
{
    MimeMessage message;
    message.setFrom({u"Acme CRM"_s, u"noreply@acme.example"_s});
    message.addTo({u"Jane Doe"_s, u"jane@example.com"_s});
    message.setSubject(u"Welcome"_s);
    message.setMessageId("0123456789abcdef@acme.example");
    message.setDate(fixedDate());
    message.setTextBody(u"Hello Jane,\nwelcome.\n"_s);
    message.setHtmlBody(u"<p>Hello Jane,</p>\n<p>welcome.</p>\n"_s);
    return message;
}

QByteArray headerBlock(const QByteArray &message)
{
    return message.left(message.indexOf("\r\n\r\n") + 2);
}

// Every line of `data`, CRLF ended: a bare CR or LF anywhere fails.
QList<QByteArray> crlfLines(const QByteArray &data, QString *problem)
{
    QList<QByteArray> lines;
    qsizetype start = 0;
    for (qsizetype i = 0; i < data.size(); ++i) {
        if (data.at(i) == '\r' || data.at(i) == '\n') {
            if (data.at(i) != '\r' || i + 1 >= data.size() || data.at(i + 1) != '\n') {
                *problem = u"bare CR or LF at offset "_s + QString::number(i);
                return {};
            }
            lines.append(data.mid(start, i - start));
            start = i + 2;
            ++i;
        }
    }
    if (start < data.size())
        lines.append(data.mid(start));
    return lines;
}

QString normalized(QString text)
{
    text.replace(u"\r\n"_s, u"\n"_s).replace(u'\r', u'\n');
    return text.replace(u"\n"_s, u"\r\n"_s);
}

} // namespace

class TestMimeMessage : public QObject
{
    Q_OBJECT

private slots:
    void headerValueProblem_data();
    void headerValueProblem();
    void injectionRefused_data();
    void injectionRefused();
    void asciiHeaderTextUnchanged();
    void encodedWords_data();
    void encodedWords();
    void structure();
    void singlePart();
    void dateFormat_data();
    void dateFormat();
    void displayNames_data();
    void displayNames();
    void lineLengths_data();
    void lineLengths();
    void quotedPrintable_data();
    void quotedPrintable();
    void quotedPrintableKnownAnswers_data();
    void quotedPrintableKnownAnswers();
    void deterministic();
    void messageIds();
    void missingParts();
    void extraHeaders();
};

void TestMimeMessage::headerValueProblem_data()
{
    QTest::addColumn<QString>("value");
    QTest::addColumn<bool>("accepted");
    QTest::newRow("plain") << u"Jane Doe"_s << true;
    QTest::newRow("empty") << QString() << true;
    QTest::newRow("unicode") << u"Zoë Ødegård – 山田"_s << true;
    QTest::newRow("emoji") << u"Party \U0001F389"_s << true;
    QTest::newRow("CR") << u"a\rb"_s << false;
    QTest::newRow("LF") << u"a\nb"_s << false;
    QTest::newRow("CRLF") << u"a\r\nBcc: x@y.com"_s << false;
    QTest::newRow("NUL") << QStringLiteral("a\0b") << false;
    QTest::newRow("tab") << u"a\tb"_s << false;
    QTest::newRow("escape") << u"a\x1b[31mb"_s << false;
    QTest::newRow("DEL") << u"a\x7f"_s << false;
    QTest::newRow("NEL") << u"a\u0085b"_s << false;
    QTest::newRow("line separator") << u"a\u2028b"_s << false;
    QTest::newRow("paragraph separator") << u"a\u2029b"_s << false;
}

void TestMimeMessage::headerValueProblem()
{
    QFETCH(QString, value);
    QFETCH(bool, accepted);
    QCOMPARE(roster::headerValueProblem(value).isEmpty(), accepted);
}

void TestMimeMessage::injectionRefused_data()
{
    QTest::addColumn<QString>("field");
    QTest::addColumn<QString>("payload");
    const QStringList fields = {u"subject"_s,   u"fromName"_s, u"toName"_s,      u"fromAddress"_s,
                                u"toAddress"_s, u"secondTo"_s, u"headerValue"_s, u"headerName"_s};
    const QList<QPair<const char *, QString>> payloads = {
        {"CRLF", u"\r\nBcc: victim@evil.example"_s},
        {"LF", u"\nBcc: victim@evil.example"_s},
        {"CR", u"\rBcc: victim@evil.example"_s},
        {"NUL", QStringLiteral("\0x")},
    };
    for (const QString &field : fields) {
        for (const auto &[name, payload] : payloads)
            QTest::addRow("%s %s", qPrintable(field), name) << field << payload;
    }
}

void TestMimeMessage::injectionRefused()
{
    QFETCH(QString, field);
    QFETCH(QString, payload);
    MimeMessage message = sampleMessage();
    if (field == u"subject")
        message.setSubject(u"Hi"_s + payload);
    else if (field == u"fromName")
        message.setFrom({u"Acme"_s + payload, u"noreply@acme.example"_s});
    else if (field == u"toName")
        message = [&] {
            MimeMessage m = sampleMessage();
            MimeMessage fresh;
            fresh.setFrom(m.from());
            fresh.addTo({u"Jane"_s + payload, u"jane@example.com"_s});
            fresh.setMessageId(m.messageId());
            fresh.setDate(fixedDate());
            return fresh;
        }();
    else if (field == u"fromAddress")
        message.setFrom({u"Acme"_s, u"noreply@acme.example"_s + payload});
    else if (field == u"toAddress")
        message = [&] {
            MimeMessage fresh;
            fresh.setFrom({u"Acme"_s, u"noreply@acme.example"_s});
            fresh.addTo({u"Jane"_s, u"jane@example.com"_s + payload});
            return fresh;
        }();
    else if (field == u"secondTo")
        message.addTo({u"John"_s, u"john@example.com"_s + payload});
    else if (field == u"headerValue")
        message.addHeader("X-Note", u"fine"_s + payload);
    else if (field == u"headerName")
        message.addHeader("X-Note" + payload.toLatin1(), u"fine"_s);

    QString error;
    const QByteArray rendered = message.render(&error);
    QVERIFY2(rendered.isEmpty(), rendered.constData());
    QVERIFY(!error.isEmpty());
    for (QChar c : error)
        QVERIFY2(c.isPrint(), qPrintable(error));
    // And the sample itself renders, so the refusal above is the payload's doing.
    QVERIFY(!sampleMessage().render(&error).isEmpty());
}

void TestMimeMessage::asciiHeaderTextUnchanged()
{
    const QString text = u"Jane Doe invited you to Acme, Inc. (EU) on Roster!"_s;
    QCOMPARE(encodeHeaderText(text), text.toLatin1());
    QCOMPARE(encodeHeaderText(QString()), QByteArray());
}

void TestMimeMessage::encodedWords_data()
{
    QTest::addColumn<QString>("text");
    QTest::newRow("latin") << u"Zoë Ødegård"_s;
    QTest::newRow("cjk") << u"山田 太郎"_s;
    QTest::newRow("emoji") << u"\U0001F389 Party \U0001F680"_s;
    QTest::newRow("rtl") << u"שלום עולם"_s;
    QTest::newRow("looks encoded") << u"=?UTF-8?B?SGk=?="_s;
    QTest::newRow("long ascii word") << QString(500, u'x');
    QString mixed;
    for (int i = 0; i < 2000; ++i)
        mixed += (i % 3 == 0) ? u"\U0001F600"_s : (i % 3 == 1 ? u"é"_s : u"a "_s);
    QTest::newRow("mixed 2000") << mixed;
    QTest::newRow("10000 non-ascii") << QString(10000, u'ü');
}

void TestMimeMessage::encodedWords()
{
    QFETCH(QString, text);
    const QByteArray encoded = encodeHeaderText(text);
    QVERIFY(encoded != text.toUtf8());
    const QList<QByteArray> words = mailparse::encodedWords(encoded);
    QVERIFY(!words.isEmpty());
    // Nothing but encoded-words and the single spaces between them.
    QCOMPARE(words.join(' '), encoded);
    for (const QByteArray &word : words) {
        QVERIFY2(word.size() <= 75, word.constData());
        // Each word decodes on its own: no code point is cut in two (RFC 2047 5).
        const QString alone = mailparse::decodeHeader(word);
        QVERIFY2(!alone.contains(QChar::ReplacementCharacter), word.constData());
        QCOMPARE(alone.toUtf8(), QByteArray::fromBase64(word.mid(10, word.size() - 12)));
    }
    QCOMPARE(mailparse::decodeHeader(encoded), text);
}

void TestMimeMessage::structure()
{
    QString error;
    const QByteArray data = sampleMessage().render(&error);
    QVERIFY2(!data.isEmpty(), qPrintable(error));
    QString problem;
    QVERIFY2(!crlfLines(data, &problem).isEmpty(), qPrintable(problem));
    QVERIFY(data.endsWith("\r\n"));

    const mailparse::Part top = mailparse::parse(data);
    QCOMPARE(top.header("From"), "\"Acme CRM\" <noreply@acme.example>"_ba.replace("\"", ""));
    QCOMPARE(top.header("To"), "Jane Doe <jane@example.com>"_ba);
    QCOMPARE(top.header("Subject"), "Welcome"_ba);
    QCOMPARE(top.header("Message-ID"), "<0123456789abcdef@acme.example>"_ba);
    QCOMPARE(top.header("MIME-Version"), "1.0"_ba);
    QCOMPARE(top.header("Date"), "Mon, 15 Jan 2024 14:30:05 +0100"_ba);
    QVERIFY(top.header("Content-Type").startsWith("multipart/alternative;"));
    QVERIFY(top.header("Bcc").isEmpty());

    const QList<mailparse::Part> parts = mailparse::multipartParts(top);
    QCOMPARE(parts.size(), 2);
    QCOMPARE(parts.at(0).header("Content-Type"), "text/plain; charset=UTF-8"_ba);
    QCOMPARE(parts.at(1).header("Content-Type"), "text/html; charset=UTF-8"_ba);
    for (const auto &part : parts)
        QCOMPARE(part.header("Content-Transfer-Encoding"), "quoted-printable"_ba);
    QCOMPARE(QString::fromUtf8(mailparse::decodeQuotedPrintable(parts.at(0).body)),
             u"Hello Jane,\r\nwelcome.\r\n"_s);
    QCOMPARE(QString::fromUtf8(mailparse::decodeQuotedPrintable(parts.at(1).body)),
             u"<p>Hello Jane,</p>\r\n<p>welcome.</p>\r\n"_s);
}

void TestMimeMessage::singlePart()
{
    MimeMessage message;
    message.setFrom({QString(), u"noreply@acme.example"_s});
    message.addTo({QString(), u"jane@example.com"_s});
    message.setSubject(u"Test"_s);
    message.setMessageId("1@acme.example");
    message.setDate(fixedDate());
    message.setTextBody(u"Only text"_s);
    QString error;
    const mailparse::Part top = mailparse::parse(message.render(&error));
    QCOMPARE(top.header("From"), "noreply@acme.example"_ba);
    QCOMPARE(top.header("Content-Type"), "text/plain; charset=UTF-8"_ba);
    QCOMPARE(mailparse::decodeQuotedPrintable(top.body).trimmed(), "Only text"_ba);
}

void TestMimeMessage::dateFormat_data()
{
    QTest::addColumn<QDateTime>("date");
    QTest::addColumn<QByteArray>("expected");
    QTest::newRow("plus one hour") << fixedDate() << "Mon, 15 Jan 2024 14:30:05 +0100"_ba;
    QTest::newRow("utc") << QDateTime(QDate(2024, 2, 29), QTime(0, 0), QTimeZone::utc())
                         << "Thu, 29 Feb 2024 00:00:00 +0000"_ba;
    QTest::newRow("negative half hour")
        << QDateTime(QDate(2023, 12, 3), QTime(23, 59, 59), QTimeZone(-(3 * 3600 + 1800)))
        << "Sun, 03 Dec 2023 23:59:59 -0330"_ba;
    QTest::newRow("india") << QDateTime(QDate(2024, 7, 1), QTime(9, 5), QTimeZone(19800))
                           << "Mon, 01 Jul 2024 09:05:00 +0530"_ba;
}

void TestMimeMessage::dateFormat()
{
    QFETCH(QDateTime, date);
    QFETCH(QByteArray, expected);
    // English names whatever the user's locale.
    const QLocale previous;
    QLocale::setDefault(QLocale(QLocale::German, QLocale::Germany));
    QCOMPARE(rfc5322Date(date), expected);
    QLocale::setDefault(previous);
}

void TestMimeMessage::displayNames_data()
{
    QTest::addColumn<QString>("name");
    QTest::addColumn<QByteArray>("expectedHeader"); // empty: only the round trip is checked
    QTest::newRow("atoms") << u"Jane Doe"_s << "Jane Doe <jane@example.com>"_ba;
    QTest::newRow("comma") << u"Doe, Jane"_s << "\"Doe, Jane\" <jane@example.com>"_ba;
    QTest::newRow("quotes and backslash")
        << u"Jane \"JD\" D\\oe"_s << "\"Jane \\\"JD\\\" D\\\\oe\" <jane@example.com>"_ba;
    QTest::newRow("angle brackets")
        << u"<script>alert(1)</script>"_s << "\"<script>alert(1)</script>\" <jane@example.com>"_ba;
    QTest::newRow("non-ascii") << u"Zoë Ødegård"_s << QByteArray();
    QTest::newRow("cjk") << u"山田 太郎"_s << QByteArray();
}

void TestMimeMessage::displayNames()
{
    QFETCH(QString, name);
    QFETCH(QByteArray, expectedHeader);
    MimeMessage message = sampleMessage();
    message = [&] {
        MimeMessage m;
        m.setFrom({u"Acme"_s, u"noreply@acme.example"_s});
        m.addTo({name, u"jane@example.com"_s});
        m.setMessageId("1@acme.example");
        m.setDate(fixedDate());
        return m;
    }();
    QString error;
    const QByteArray to = mailparse::parse(message.render(&error)).header("To");
    QVERIFY2(!to.isEmpty(), qPrintable(error));
    if (!expectedHeader.isEmpty())
        QCOMPARE(to, expectedHeader);
    QVERIFY(to.endsWith(" <jane@example.com>"));
    QString decoded = mailparse::decodeHeader(to.chopped(19));
    if (decoded.startsWith(u'"'))
        decoded = decoded.mid(1, decoded.size() - 2)
                      .replace(u"\\\""_s, u"\""_s)
                      .replace(u"\\\\"_s, u"\\"_s);
    QCOMPARE(decoded, name);
}

void TestMimeMessage::lineLengths_data()
{
    QTest::addColumn<QString>("name");
    QTest::addColumn<QString>("subject");
    QTest::addColumn<QString>("body");
    const QString link = u"https://crm.example.com/accept?token="_s + QString(3000, u'A');
    QString words;
    for (int i = 0; i < 1500; ++i)
        words += u"word%1 "_s.arg(i);
    QTest::newRow("10000 ascii name") << QString(10000, u'n') << u"Hi"_s << u"x"_s;
    QTest::newRow("10000 non-ascii name") << QString(10000, u'ñ') << u"Hi"_s << u"x"_s;
    QTest::newRow("10000 emoji name") << u"😀"_s.repeated(5000) << u"Hi"_s << u"x"_s;
    QTest::newRow("long name with spaces") << words << words << words;
    QTest::newRow("10000 subject") << u"Jane"_s << QString(10000, u's') << u"x"_s;
    QTest::newRow("long link") << u"Jane"_s << u"Link"_s << (u"Open:\n"_s + link + u"\n"_s);
    QTest::newRow("long body line") << u"Jane"_s << u"Hi"_s << QString(20000, u'é');
}

void TestMimeMessage::lineLengths()
{
    QFETCH(QString, name);
    QFETCH(QString, subject);
    QFETCH(QString, body);
    MimeMessage message;
    message.setFrom({name, u"noreply@acme.example"_s});
    message.addTo({name, u"jane@example.com"_s});
    message.addTo({u"Second"_s, u"second@example.com"_s});
    message.setSubject(subject);
    message.setMessageId("1@acme.example");
    message.setDate(fixedDate());
    message.setTextBody(body);
    message.setHtmlBody(u"<p>"_s + body.toHtmlEscaped() + u"</p>"_s);
    QString error;
    const QByteArray data = message.render(&error);
    QVERIFY2(!data.isEmpty(), qPrintable(error));

    QString problem;
    const QList<QByteArray> lines = crlfLines(data, &problem);
    QVERIFY2(!lines.isEmpty(), qPrintable(problem));
    for (const QByteArray &line : lines)
        QVERIFY2(line.size() <= 998, qPrintable(QString::number(line.size())));
    // Headers fold within 78 (the longest unbreakable part is an address in brackets).
    const QList<QByteArray> headerLines = crlfLines(headerBlock(data), &problem);
    for (const QByteArray &line : headerLines)
        QVERIFY2(line.size() <= 78, line.constData());
    // No continuation line is all whitespace.
    for (const QByteArray &line : headerLines)
        QVERIFY2(!line.trimmed().isEmpty(), "empty header line");

    const mailparse::Part top = mailparse::parse(data);
    QCOMPARE(mailparse::decodeHeader(top.header("Subject")), subject.trimmed());
    QByteArray to = top.header("To");
    const QByteArray firstTo = to.left(to.indexOf(" <jane@example.com>,"));
    QString decodedName = mailparse::decodeHeader(firstTo);
    QCOMPARE(decodedName, name.simplified());
    const QList<mailparse::Part> parts = mailparse::multipartParts(top);
    QCOMPARE(parts.size(), 2);
    QCOMPARE(QString::fromUtf8(mailparse::decodeQuotedPrintable(parts.at(0).body)),
             normalized(body));
}

void TestMimeMessage::quotedPrintable_data()
{
    QTest::addColumn<QString>("text");
    QTest::newRow("empty") << QString();
    QTest::newRow("plain") << u"Hello world"_s;
    QTest::newRow("equals") << u"a=b ==3D= =\n=="_s;
    QTest::newRow("trailing spaces") << u"line with space \nand tab\t\nend  "_s;
    QTest::newRow("From line") << u"From me\nFrom: header\n From"_s;
    QTest::newRow("dots") << u".\n..\n.leading"_s;
    QTest::newRow("crlf and cr") << u"a\r\nb\rc\n\nd"_s;
    QTest::newRow("unicode") << u"Grüße, Zoë! 山田 \U0001F389 – “quotes”"_s;
    QTest::newRow("exactly 76") << QString(76, u'x');
    QTest::newRow("77") << QString(77, u'x');
    QTest::newRow("long with equals at the edge") << (QString(74, u'x') + u"==========="_s);
    QTest::newRow("long spaces") << QString(300, u' ');
    QTest::newRow("long unicode") << QString(1000, u'é');
    QTest::newRow("controls") << QStringLiteral("a\0b\x01\x7f\tc");
}

void TestMimeMessage::quotedPrintable()
{
    QFETCH(QString, text);
    const QByteArray encoded = encodeQuotedPrintable(text);
    QString problem;
    const QList<QByteArray> lines = crlfLines(encoded, &problem);
    QVERIFY2(problem.isEmpty(), qPrintable(problem));
    for (const QByteArray &line : lines) {
        QVERIFY2(line.size() <= 76, line.constData());
        QVERIFY2(!line.endsWith(' ') && !line.endsWith('\t'), line.constData());
        QVERIFY2(!line.startsWith("From "), line.constData());
        for (char c : line)
            QVERIFY2((c >= 32 && c <= 126) || c == '\t', line.constData());
    }
    QCOMPARE(QString::fromUtf8(mailparse::decodeQuotedPrintable(encoded)), normalized(text));
}

// Exact bytes, from the encoder as it was before it was rewritten to append in place (issue 16):
// soft breaks at 76, "From " and trailing whitespace encoded, CR/LF/CRLF all one break.
void TestMimeMessage::quotedPrintableKnownAnswers_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<QByteArray>("expected");
    QTest::newRow("case 0") << QString::fromUtf8("From here\r\nto there \nand\tback\t\r\r\n")
                            << QByteArray("=46rom here\r\nto there=20\r\nand\tback=09\r\n\r\n");
    QTest::newRow("case 1")
        << QString::fromUtf8("xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
                             "xxxxx=yyy \n\xc3"
                             "\xa9"
                             "\xc3"
                             "\xa9"
                             "\xc3"
                             "\xa9"
                             "\xc3"
                             "\xa9"
                             "\xc3"
                             "\xa9"
                             "\xc3"
                             "\xa9"
                             "\xc3"
                             "\xa9"
                             "\xc3"
                             "\xa9"
                             "\xc3"
                             "\xa9"
                             "\xc3"
                             "\xa9"
                             "\xc3"
                             "\xa9"
                             "\xc3"
                             "\xa9"
                             "\xc3"
                             "\xa9"
                             "\xc3"
                             "\xa9"
                             "\xc3"
                             "\xa9"
                             "\xc3"
                             "\xa9"
                             "\xc3"
                             "\xa9"
                             "\xc3"
                             "\xa9"
                             "\xc3"
                             "\xa9"
                             "\xc3"
                             "\xa9"
                             "\xc3"
                             "\xa9"
                             "\xc3"
                             "\xa9"
                             "\xc3"
                             "\xa9"
                             "\xc3"
                             "\xa9"
                             "\xc3"
                             "\xa9"
                             "\xc3"
                             "\xa9"
                             "\xc3"
                             "\xa9"
                             "\xc3"
                             "\xa9"
                             "\xc3"
                             "\xa9"
                             "\xc3"
                             "\xa9"
                             "")
        << QByteArray("xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx="
                      "\r\n=3Dyyy=20\r\n=C3=A9=C3=A9=C3=A9=C3=A9=C3=A9=C3=A9=C3=A9=C3=A9=C3=A9=C3="
                      "A9=C3=A9=C3=A9=C3=\r\n=A9=C3=A9=C3=A9=C3=A9=C3=A9=C3=A9=C3=A9=C3=A9=C3=A9="
                      "C3=A9=C3=A9=C3=A9=C3=A9=\r\n=C3=A9=C3=A9=C3=A9=C3=A9=C3=A9");
    QTest::newRow("case 2")
        << QString::fromUtf8("a b a b a b a b a b a b a b a b a b a b a b a b a b a b a b a b a b "
                             "a b a b a b a b a b a b a b a b a b a b a b a b a b \n\nFrom\nFrom x")
        << QByteArray(
               "a b a b a b a b a b a b a b a b a b a b a b a b a b a b a b a b a b a b a b=\r\n a "
               "b a b a b a b a b a b a b a b a b a b a b=20\r\n\r\nFrom\r\n=46rom x");
    QTest::newRow("case 3")
        << QString::fromUtf8("<p style=\"margin:0 0 12px 0;\">\xc3"
                             "\x9c"
                             "n\xc3"
                             "\xaf"
                             "c\xc3"
                             "\xb8"
                             "d\xc3"
                             "\xa9"
                             " &amp; \xe2"
                             "\x82"
                             "\xac"
                             "100 \xe2"
                             "\x80"
                             "\x94"
                             " ok</p><p style=\"margin:0 0 12px 0;\">\xc3"
                             "\x9c"
                             "n\xc3"
                             "\xaf"
                             "c\xc3"
                             "\xb8"
                             "d\xc3"
                             "\xa9"
                             " &amp; \xe2"
                             "\x82"
                             "\xac"
                             "100 \xe2"
                             "\x80"
                             "\x94"
                             " ok</p>")
        << QByteArray("<p style=3D\"margin:0 0 12px 0;\">=C3=9Cn=C3=AFc=C3=B8d=C3=A9 &amp; "
                      "=E2=82=AC=\r\n100 =E2=80=94 ok</p><p style=3D\"margin:0 0 12px "
                      "0;\">=C3=9Cn=C3=AFc=C3=B8d=\r\n=C3=A9 &amp; =E2=82=AC100 =E2=80=94 ok</p>");
}

void TestMimeMessage::quotedPrintableKnownAnswers()
{
    QFETCH(QString, text);
    QFETCH(QByteArray, expected);
    QCOMPARE(encodeQuotedPrintable(text), expected);
}

void TestMimeMessage::deterministic()
{
    QString error;
    const QByteArray first = sampleMessage().render(&error);
    QVERIFY(!first.isEmpty());
    QCOMPARE(sampleMessage().render(&error), first);

    // The boundary follows the Message-ID: another ID, another boundary.
    MimeMessage other = sampleMessage();
    other.setMessageId("fedcba9876543210@acme.example");
    const QByteArray second = other.render(&error);
    const auto boundary = [](const QByteArray &data) {
        const QByteArray type = mailparse::parse(data).header("Content-Type");
        return type.mid(type.indexOf("boundary="));
    };
    QVERIFY(!boundary(first).isEmpty());
    QVERIFY(boundary(first) != boundary(second));
}

void TestMimeMessage::messageIds()
{
    const QByteArray a = newMessageId(u"acme.example"_s);
    const QByteArray b = newMessageId(u"acme.example"_s);
    QVERIFY(a != b);
    QVERIFY(a.endsWith("@acme.example"));
    QVERIFY(!a.contains('<') && !a.contains('>'));
    // One format for every Message-ID Roster makes (issue 17): the outbox's, which the bounce
    // matching and the stored rows know.
    QVERIFY2(QRegularExpression(u"^roster\\.[0-9a-f]{32}@acme\\.example$"_s)
                 .match(QString::fromLatin1(a))
                 .hasMatch(),
             a.constData());
    QCOMPARE(newMessageId(u"Acme.Example"_s).split('@').last(), QByteArray("acme.example"));
    QVERIFY(a.indexOf('@') >= 16); // enough randomness on the left
    QVERIFY(newMessageId(u"bad domain\r\n"_s).endsWith("@roster.invalid"));
    QVERIFY(newMessageId(QString()).endsWith("@roster.invalid"));

    MimeMessage message = sampleMessage();
    message.setMessageId("<with@brackets.example>");
    QString error;
    QVERIFY(message.render(&error).isEmpty());
    QVERIFY(error.contains(u"Message-ID"_s));
    message.setMessageId("a b@example.com");
    QVERIFY(message.render(&error).isEmpty());
    message.setMessageId(a);
    QVERIFY(!message.render(&error).isEmpty());
}

void TestMimeMessage::missingParts()
{
    QString error;
    MimeMessage noFrom;
    noFrom.addTo({u"Jane"_s, u"jane@example.com"_s});
    QVERIFY(noFrom.render(&error).isEmpty());
    QVERIFY(error.contains(u"sender"_s));

    MimeMessage noTo;
    noTo.setFrom({u"Acme"_s, u"noreply@acme.example"_s});
    QVERIFY(noTo.render(&error).isEmpty());
    QVERIFY(error.contains(u"recipient"_s));

    MimeMessage badAddress = sampleMessage();
    badAddress.addTo({u"Eve"_s, u"eve@exаmple.com"_s}); // Cyrillic а
    QVERIFY(badAddress.render(&error).isEmpty());
    QVERIFY(error.contains(u"ASCII"_s));
    QVERIFY(badAddress.render(nullptr).isEmpty()); // no crash without an error pointer
}

void TestMimeMessage::extraHeaders()
{
    MimeMessage message = sampleMessage();
    message.addHeader("Auto-Submitted", u"auto-generated"_s);
    message.addHeader("X-Roster-Note", u"Grüße"_s);
    QString error;
    const mailparse::Part top = mailparse::parse(message.render(&error));
    QCOMPARE(top.header("Auto-Submitted"), "auto-generated"_ba);
    QCOMPARE(mailparse::decodeHeader(top.header("X-Roster-Note")), u"Grüße"_s);

    const QList<QByteArray> refused = {"Bcc", "subject", "Content-Type", "Message-Id", "X:Y", ""};
    for (const QByteArray &name : refused) {
        MimeMessage bad = sampleMessage();
        bad.addHeader(name, u"x"_s);
        QVERIFY2(bad.render(&error).isEmpty(), name.constData());
        QVERIFY(!error.isEmpty());
    }
}

QTEST_APPLESS_MAIN(TestMimeMessage)
#include "tst_mimemessage.moc"
