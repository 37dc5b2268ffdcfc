#include "app/mail/mimemessage.h"

#include "app/mail/emailaddress.h"

#include <QHash>
#include <QLocale>
#include <QRandomGenerator>

#include <cstring>

namespace roster {

namespace {

constexpr qsizetype FoldAt = 78;         // RFC 5322 2.1.1: SHOULD
constexpr qsizetype EncodedWordMax = 75; // RFC 2047 2
constexpr qsizetype QpLineMax = 76;      // RFC 2045 6.7
constexpr qsizetype MaxMessageId = 250;  // keeps "Message-ID: <...>" far below 998
const QByteArray EncodedWordPrefix = QByteArrayLiteral("=?UTF-8?B?");
const QByteArray EncodedWordSuffix = QByteArrayLiteral("?=");

class Mime
{
    Q_DECLARE_TR_FUNCTIONS(MimeMessage)
};

bool isPrintableAscii(QStringView text)
{
    for (QChar c : text) {
        if (c.unicode() < 0x20 || c.unicode() > 0x7e)
            return false;
    }
    return true;
}

bool isAText(char c)
{
    return roster::isAText(char16_t(static_cast<unsigned char>(c)));
}

// Printable ASCII may go into a header as it is, unless a reader could take part of it for an
// encoded-word, or a word is too long to fold within 78 characters ("<SP>word" on its own line).
bool needsEncoding(const QString &text)
{
    if (!isPrintableAscii(text) || text.contains(u"=?"))
        return true;
    const auto words = QStringView(text).split(u' ');
    for (QStringView word : words) {
        if (word.size() > FoldAt - 1)
            return true;
    }
    return false;
}

// UTF-8 "B" encoded-words; the first is at most firstBudget characters long (so it can share
// the first line with the header name), the others EncodedWordMax. Words end on code point
// boundaries, as RFC 2047 5 requires.
QList<QByteArray> encodedWords(const QString &text, qsizetype firstBudget)
{
    const qsizetype overhead = EncodedWordPrefix.size() + EncodedWordSuffix.size();
    auto capacity = [overhead](qsizetype budget) { return (budget - overhead) / 4 * 3; };
    qsizetype budget =
        firstBudget < overhead + 12 ? EncodedWordMax : std::min(firstBudget, EncodedWordMax);
    QList<QByteArray> words;
    QByteArray chunk;
    auto flush = [&] {
        words.append(EncodedWordPrefix + chunk.toBase64() + EncodedWordSuffix);
        chunk.clear();
        budget = EncodedWordMax;
    };
    for (qsizetype i = 0; i < text.size(); ++i) {
        qsizetype length = 1;
        if (text.at(i).isHighSurrogate() && i + 1 < text.size() && text.at(i + 1).isLowSurrogate())
            length = 2;
        const QByteArray codePoint = QStringView(text).mid(i, length).toUtf8();
        i += length - 1;
        if (!chunk.isEmpty() && chunk.size() + codePoint.size() > capacity(budget))
            flush();
        chunk += codePoint;
    }
    if (!chunk.isEmpty() || words.isEmpty())
        flush();
    return words;
}

// Unstructured text (Subject, extra headers) as words to be joined by single spaces.
QList<QByteArray> unstructuredWords(const QString &text, qsizetype firstBudget)
{
    if (needsEncoding(text))
        return encodedWords(text, firstBudget);
    return text.toLatin1().split(' ');
}

// A display name as RFC 5322 phrase words: atoms as they are, a quoted-string when it holds
// specials, encoded-words when neither fits.
QList<QByteArray> phraseWords(const QString &name, qsizetype firstBudget)
{
    const QString simple = name.simplified();
    if (!needsEncoding(simple)) {
        const QByteArray latin = simple.toLatin1();
        bool atoms = true;
        for (char c : latin)
            atoms = atoms && (c == ' ' || isAText(c));
        if (atoms)
            return latin.split(' ');
        QByteArray quoted = latin;
        quoted.replace('\\', QByteArrayLiteral("\\\\")).replace('"', QByteArrayLiteral("\\\""));
        quoted = '"' + quoted + '"';
        if (quoted.size() <= FoldAt - 1)
            return {quoted};
    }
    return encodedWords(simple, firstBudget);
}

QList<QByteArray> mailboxWords(const MailAddress &mailbox, qsizetype firstBudget)
{
    const QByteArray address = mailbox.address.toLatin1();
    if (mailbox.name.trimmed().isEmpty())
        return {address};
    QList<QByteArray> words = phraseWords(mailbox.name, firstBudget);
    words.append('<' + address + '>');
    return words;
}

// One header field, folded before a word whenever the line would pass 78 characters. The
// first word always stays on the header's line, and no fold goes before an empty word, so no
// continuation line is all whitespace.
QByteArray foldedHeader(const QByteArray &name, const QList<QByteArray> &words)
{
    QByteArray out = name + ':';
    qsizetype lineLength = out.size();
    bool first = true;
    for (const QByteArray &word : words) {
        if (!first && !word.isEmpty() && lineLength + 1 + word.size() > FoldAt) {
            out += QByteArrayLiteral("\r\n");
            lineLength = 0;
        }
        out += ' ' + word;
        lineLength += 1 + word.size();
        first = false;
    }
    return out + QByteArrayLiteral("\r\n");
}

qsizetype firstBudget(const QByteArray &name)
{
    return FoldAt - name.size() - 2; // "Name: "
}

QString messageIdProblem(const QByteArray &id)
{
    const qsizetype at = id.indexOf('@');
    bool ok =
        id.size() <= MaxMessageId && at > 0 && at < id.size() - 1 && id.indexOf('@', at + 1) < 0;
    for (char c : id)
        ok = ok && (c == '@' || c == '.' || isAText(c));
    ok = ok && !id.startsWith('.') && !id.endsWith('.') && !id.contains("..") &&
         !id.contains(".@") && !id.contains("@.");
    if (ok)
        return {};
    return Mime::tr("The Message-ID is not valid: it must look like random@example.com, "
                    "without angle brackets or spaces.");
}

const QList<QByteArray> &ownHeaders()
{
    static const QList<QByteArray> names = {"date",
                                            "from",
                                            "to",
                                            "cc",
                                            "bcc",
                                            "subject",
                                            "message-id",
                                            "mime-version",
                                            "sender",
                                            "content-type",
                                            "content-transfer-encoding"};
    return names;
}

QByteArray failWith(QString *error, const QString &message)
{
    if (error)
        *error = message;
    return {};
}

} // namespace

QString headerValueProblem(const QString &value)
{
    for (QChar c : value) {
        if (c == u'\r' || c == u'\n' || c.category() == QChar::Separator_Line ||
            c.category() == QChar::Separator_Paragraph || c.unicode() == 0x85)
            return Mime::tr("It contains a line break, which would start a new mail header: "
                            "enter it on one line.");
    }
    for (QChar c : value) {
        if (c.category() == QChar::Other_Control)
            return Mime::tr("It contains an invisible control character (U+%1): retype it "
                            "instead of pasting it.")
                .arg(QString::number(c.unicode(), 16).toUpper().rightJustified(4, u'0'));
    }
    return {};
}

QByteArray encodeHeaderText(const QString &text)
{
    if (!needsEncoding(text))
        return text.toLatin1();
    return encodedWords(text, EncodedWordMax).join(' ');
}

QByteArray newMessageId(const QString &domain)
{
    QByteArray host = domain.toLower().toLatin1();
    if (!isPrintableAscii(domain) || domain.isEmpty() ||
        !emailAddressProblem(QStringLiteral("x@") + domain).isEmpty())
        host = QByteArrayLiteral("roster.invalid");
    quint32 random[4];
    QRandomGenerator::system()->fillRange(random);
    const QByteArray left = QByteArray(reinterpret_cast<const char *>(random), sizeof random);
    return QByteArrayLiteral("roster.") + left.toHex() + '@' + host;
}

QByteArray rfc5322Date(const QDateTime &dateTime)
{
    const qint64 offset = dateTime.offsetFromUtc();
    const qint64 minutes = qAbs(offset) / 60;
    return QLocale::c().toString(dateTime, u"ddd, dd MMM yyyy HH:mm:ss").toLatin1() + ' ' +
           (offset < 0 ? '-' : '+') + QByteArray::number(minutes / 60).rightJustified(2, '0') +
           QByteArray::number(minutes % 60).rightJustified(2, '0');
}

namespace {

// One line (no CR or LF in it) of UTF-8, appended to `out` in quoted-printable. Literal: printable
// ASCII but '='; inner spaces and tabs. Encoded: the rest, the whitespace that ends a line (RFC
// 2045 rule 3), and the "F" of a line starting with "From " so that mbox tools do not mangle it.
void encodeQpLine(const char *begin, const char *end, QByteArray &out)
{
    const bool from = end - begin >= 5 && std::memcmp(begin, "From ", 5) == 0;
    qsizetype column = 0;
    appendQuotedPrintable(begin, end, true, from, &column, out);
}

} // namespace

// Written through a pointer into room made beforehand: this runs for every byte of every message.
void appendQuotedPrintable(const char *begin, const char *end, bool endsLine, bool escapeFirst,
                           qsizetype *columnInOut, QByteArray &out)
{
    static constexpr char hex[] = "0123456789ABCDEF";
    // At most 3 octets per input octet, and a soft break ("=\r\n") per 25 input octets.
    const qsizetype start = out.size();
    const qsizetype length = end - begin;
    if (length <= 0)
        return;
    out.resize(start + length * 3 + (length / 25 + 1) * 3);
    char *w = out.data() + start;
    qsizetype column = *columnInOut;
    for (const char *p = begin; p < end; ++p) {
        const char c = *p;
        const auto u = static_cast<unsigned char>(c);
        const bool last = endsLine && p + 1 == end;
        const bool literal =
            ((u >= 33 && u <= 126 && c != '=') || ((c == ' ' || c == '\t') && !last)) &&
            !(p == begin && escapeFirst);
        const qsizetype width = literal ? 1 : 3;
        const qsizetype room = last ? QpLineMax : QpLineMax - 1; // keep room for "="
        if (column + width > room) {
            *w++ = '=';
            *w++ = '\r';
            *w++ = '\n';
            column = 0;
        }
        if (literal) {
            *w++ = c;
        } else {
            *w++ = '=';
            *w++ = hex[u >> 4];
            *w++ = hex[u & 15];
        }
        column += width;
    }
    out.truncate(w - out.constData());
    *columnInOut = column;
}

QByteArray encodeQuotedPrintable(const QString &text)
{
    // Line breaks of any kind (CRLF, CR, LF) become CRLF; no UTF-8 sequence holds a CR or an LF
    // byte, so the lines are found in the UTF-8 form.
    const QByteArray utf8 = text.toUtf8();
    QByteArray out;
    out.reserve(utf8.size() + utf8.size() / 4 + 16);
    const char *p = utf8.constData();
    const char *const end = p + utf8.size();
    for (;;) {
        const char *eol = p;
        while (eol < end && *eol != '\n' && *eol != '\r')
            ++eol;
        encodeQpLine(p, eol, out);
        if (eol == end)
            break;
        out.append("\r\n", 2);
        p = (*eol == '\r' && eol + 1 < end && eol[1] == '\n') ? eol + 2 : eol + 1;
    }
    return out;
}

void MimeMessage::addHeader(const QByteArray &name, const QString &value)
{
    m_headers.append({name, value});
}

QByteArray MimeMessage::fromField(const MailAddress &from, QString *error)
{
    if (from.address.isEmpty())
        return failWith(
            error, tr("The message has no sender address: set the sender in the mail settings."));
    if (const QString problem = emailAddressProblem(from.address); !problem.isEmpty())
        return failWith(error, tr("Sender address: %1").arg(problem));
    if (const QString problem = headerValueProblem(from.name); !problem.isEmpty())
        return failWith(error, tr("Sender name: %1").arg(problem));
    return foldedHeader("From", mailboxWords(from, firstBudget("From")));
}

QByteArray MimeMessage::toField(const QList<MailAddress> &to, QString *error)
{
    if (to.isEmpty())
        return failWith(error, tr("The message has no recipient."));
    for (const MailAddress &mailbox : to) {
        if (const QString problem = emailAddressProblem(mailbox.address); !problem.isEmpty())
            return failWith(error, tr("Recipient address: %1").arg(problem));
        if (const QString problem = headerValueProblem(mailbox.name); !problem.isEmpty())
            return failWith(error, tr("Recipient name: %1").arg(problem));
    }
    QList<QByteArray> toWords;
    for (qsizetype i = 0; i < to.size(); ++i) {
        QList<QByteArray> words = mailboxWords(to.at(i), i == 0 ? firstBudget("To") : 0);
        if (i + 1 < to.size())
            words.last() += ',';
        toWords += words;
    }
    return foldedHeader("To", toWords);
}

QByteArray MimeMessage::subjectField(const QString &subject, QString *error)
{
    if (const QString problem = headerValueProblem(subject); !problem.isEmpty())
        return failWith(error, tr("Subject: %1").arg(problem));
    return foldedHeader("Subject", unstructuredWords(subject, firstBudget("Subject")));
}

QByteArray MimeMessage::extraField(const QByteArray &name, const QString &value, QString *error)
{
    bool nameOk = !name.isEmpty() && name.size() <= 76;
    for (char c : name)
        nameOk = nameOk && c >= 33 && c <= 126 && c != ':';
    if (!nameOk)
        return failWith(error,
                        tr("A mail header name is not valid: use letters, digits and hyphens."));
    if (ownHeaders().contains(name.toLower()))
        return failWith(error,
                        tr("The header %1 is written by the message itself and cannot be added.")
                            .arg(QString::fromLatin1(name)));
    if (const QString problem = headerValueProblem(value); !problem.isEmpty())
        return failWith(error, tr("Header %1: %2").arg(QString::fromLatin1(name), problem));
    return foldedHeader(name, unstructuredWords(value, firstBudget(name)));
}

QByteArray MimeMessage::messageIdField(const QByteArray &id, QString *error)
{
    if (const QString problem = messageIdProblem(id); !problem.isEmpty())
        return failWith(error, problem);
    return QByteArrayLiteral("Message-ID: <") + id + QByteArrayLiteral(">\r\n");
}

QByteArray MimeMessage::boundaryFor(const QByteArray &id)
{
    // "=_" cannot occur in quoted-printable text, so this boundary never meets the body; what
    // follows only tells one message's boundary from another's, and needs no cryptography (a
    // SHA-256 of the id was 11,500 instructions a message, 3 % of the outbox path's).
    QByteArray boundary = "=_";
    boundary += QByteArray::number(quint64(qHash(id, size_t(0x9e3779b97f4a7c15ULL))), 16)
                    .rightJustified(16, '0');
    boundary += QByteArray::number(quint64(qHash(id, size_t(0x3c6ef372fe94f82bULL))), 16)
                    .rightJustified(16, '0');
    return boundary;
}

QByteArray MimeMessage::render(QString *error) const
{
    const QByteArray from = fromField(m_from, error);
    if (from.isEmpty())
        return {};
    const QByteArray to = toField(m_to, error);
    if (to.isEmpty())
        return {};
    const QByteArray subject = subjectField(m_subject, error);
    if (subject.isEmpty())
        return {};
    QList<QByteArray> extra;
    for (const auto &[name, value] : m_headers) {
        extra.append(extraField(name, value, error));
        if (extra.last().isEmpty())
            return {};
    }
    QByteArray messageId = m_messageId;
    if (messageId.isEmpty())
        messageId = newMessageId(m_from.address.section(u'@', 1));
    const QByteArray idField = messageIdField(messageId, error);
    if (idField.isEmpty())
        return {};
    const QDateTime date = m_date.isValid() ? m_date : QDateTime::currentDateTime();

    const bool hasText = m_encoded ? !m_textQp.isNull() : !m_text.isNull();
    const bool hasHtml = m_encoded ? !m_htmlQp.isNull() : !m_html.isNull();
    const QByteArray text = m_encoded ? m_textQp : encodeQuotedPrintable(m_text);
    const QByteArray html = m_encoded ? m_htmlQp : encodeQuotedPrintable(m_html);

    QByteArray out;
    out.reserve(1024 + text.size() + html.size());
    out += QByteArrayLiteral("Date: ") + rfc5322Date(date) + QByteArrayLiteral("\r\n");
    out += from;
    out += to;
    out += subject;
    out += idField;
    for (const QByteArray &field : std::as_const(extra))
        out += field;
    out += QByteArrayLiteral("MIME-Version: 1.0\r\n");
    if (hasText && hasHtml) {
        const QByteArray boundary = boundaryFor(messageId);
        out += QByteArrayLiteral("Content-Type: multipart/alternative;\r\n boundary=\"") +
               boundary + QByteArrayLiteral("\"\r\n\r\n");
        out += QByteArrayLiteral("This is a message in MIME format.\r\n");
        out += QByteArrayLiteral("\r\n--") + boundary + QByteArrayLiteral("\r\n");
        appendTextPart(out, "plain", text);
        out += QByteArrayLiteral("\r\n--") + boundary + QByteArrayLiteral("\r\n");
        appendTextPart(out, "html", html);
        out += QByteArrayLiteral("\r\n--") + boundary + QByteArrayLiteral("--\r\n");
    } else {
        appendTextPart(out, hasHtml ? "html" : "plain", hasHtml ? html : text);
        out += QByteArrayLiteral("\r\n");
    }
    return out;
}

void appendTextPart(QByteArray &out, const char *subtype, const QByteArray &quotedPrintable)
{
    out += QByteArrayLiteral("Content-Type: text/");
    out += subtype;
    out += QByteArrayLiteral("; charset=UTF-8\r\n"
                             "Content-Transfer-Encoding: quoted-printable\r\n"
                             "\r\n");
    out += quotedPrintable;
}

} // namespace roster
