#pragma once

#include <QByteArray>
#include <QCoreApplication>
#include <QDateTime>
#include <QList>
#include <QString>

namespace roster {

struct MailAddress
{
    QString name;    // display name, any Unicode; may be empty
    QString address; // addr-spec, plain ASCII (see emailAddressProblem)
};

// Empty when the text may go into a header (no CR, LF, NUL or other control characters, no
// Unicode line or paragraph separators); otherwise one translated reason.
QString headerValueProblem(const QString &value);

// RFC 2047: printable ASCII text comes back unchanged; anything else (non-ASCII, text that
// looks like an encoded-word, a word too long to fold) becomes UTF-8 "B" encoded-words of at
// most 75 characters each, separated by single spaces where a header folder may break the line.
QByteArray encodeHeaderText(const QString &text);

// A new globally unique Message-ID, without angle brackets: "roster." + 128 random bits in hex
// + "@" + the domain in lower case. An empty or unusable domain falls back to "roster.invalid".
// The one place where Message-IDs are made (outbox rows, invitations, rendered messages).
QByteArray newMessageId(const QString &domain);

// Builds one RFC 5322 / MIME message: text and/or HTML body, UTF-8, quoted-printable.
class MimeMessage
{
    Q_DECLARE_TR_FUNCTIONS(MimeMessage)

public:
    void setFrom(const MailAddress &from) { m_from = from; }
    void addTo(const MailAddress &to) { m_to.append(to); }
    void setSubject(const QString &subject) { m_subject = subject; }
    // Without angle brackets. When never set, render() makes one up (and is then not
    // deterministic).
    void setMessageId(const QByteArray &idWithoutBrackets) { m_messageId = idWithoutBrackets; }
    // When never set, render() uses the current time.
    void setDate(const QDateTime &date) { m_date = date; }
    void setTextBody(const QString &text) { m_text = text; }
    void setHtmlBody(const QString &html)
    {
        m_html = html;
    } // with a text body: multipart/alternative
    // Instead of the two above: bodies already in quoted-printable (what encodeQuotedPrintable()
    // gives; a null array for a part that is not there), for a renderer that encodes the lines
    // many messages share once (InvitationRenderer).
    void setEncodedBodies(const QByteArray &textQp, const QByteArray &htmlQp)
    {
        m_textQp = textQp;
        m_htmlQp = htmlQp;
        m_encoded = true;
    }
    // An extra header such as Auto-Submitted; the headers render() writes itself are refused.
    void addHeader(const QByteArray &name, const QString &value);

    // The pieces of render(), for a renderer of many messages that makes the fields that do not
    // change between them once (InvitationRenderer): each gives the folded field with its CRLF,
    // or empty and *error set to what render() says of the same input.
    static QByteArray fromField(const MailAddress &from, QString *error);
    static QByteArray toField(const QList<MailAddress> &to, QString *error);
    static QByteArray subjectField(const QString &subject, QString *error);
    static QByteArray extraField(const QByteArray &name, const QString &value, QString *error);
    static QByteArray messageIdField(const QByteArray &idWithoutBrackets, QString *error);
    // The multipart boundary render() uses for this Message-ID.
    static QByteArray boundaryFor(const QByteArray &idWithoutBrackets);

    const MailAddress &from() const { return m_from; }
    const QList<MailAddress> &to() const { return m_to; }
    QByteArray messageId() const { return m_messageId; }

    // The RFC 5322 message: CRLF line ends, no line over 998 octets, headers folded at 78 where
    // possible, bodies quoted-printable UTF-8, MIME-Version, Date (RFC 5322 English format with
    // a numeric zone), Message-ID. Returns empty and sets *error (one translated line) when a
    // header value or an address is unacceptable. The same inputs give the same bytes: the
    // multipart boundary derives from the Message-ID.
    QByteArray render(QString *error) const;

private:
    MailAddress m_from;
    QList<MailAddress> m_to;
    QString m_subject;
    QByteArray m_messageId;
    QDateTime m_date;
    QString m_text;
    QString m_html;
    QByteArray m_textQp;
    QByteArray m_htmlQp;
    bool m_encoded = false;
    QList<QPair<QByteArray, QString>> m_headers;
};

// The RFC 5322 date-time: "Mon, 08 Jan 2024 14:30:00 +0100" (English names, numeric zone).
QByteArray rfc5322Date(const QDateTime &dateTime);

// Quoted-printable (RFC 2045) of UTF-8 text: line breaks of any kind become CRLF, encoded
// lines stay within 76 characters.
QByteArray encodeQuotedPrintable(const QString &text);

// Quoted-printable of a piece of one line (UTF-8, no CR or LF in it) whose encoded form starts
// at *column: appended to `out`, *column moved on. `endsLine`: the piece's last octet is the
// line's (whitespace there is encoded, and it may reach the 76th column). `escapeFirst`: its first
// octet is encoded (the "F" of a line starting with "From "). A line encoded piece by piece is
// byte for byte the line encoded whole.
// A text part's header and its quoted-printable body, appended to `out` (subtype "plain" or
// "html"), as render() writes it.
void appendTextPart(QByteArray &out, const char *subtype, const QByteArray &quotedPrintable);

void appendQuotedPrintable(const char *begin, const char *end, bool endsLine, bool escapeFirst,
                           qsizetype *column, QByteArray &out);

} // namespace roster
