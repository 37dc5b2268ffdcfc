// libFuzzer: encodeHeaderText + headerValueProblem (app/mail/mimemessage.h), and a whole message
// rendered with the text as Subject and display names. Invariants: the encoding is ASCII without
// CR/LF (before folding) and its encoded words are at most 75 characters with no whitespace
// inside; whatever render() produces has no bare CR or LF, no header line over 998 octets, and
// no header that was not asked for (injection).
#include "app/mail/mimemessage.h"

#include <QTimeZone>

#include <cstdint>
#include <cstdlib>

using namespace roster;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 8192)
        return 0;
    const QString text = QString::fromUtf8(reinterpret_cast<const char *>(data), qsizetype(size));

    const QByteArray encoded = encodeHeaderText(text);
    for (char c : encoded)
        if (c == '\r' || c == '\n' || static_cast<unsigned char>(c) >= 0x80 || c == '\0')
            abort();
    qsizetype from = 0;
    while ((from = encoded.indexOf("=?", from)) >= 0) {
        const qsizetype end = encoded.indexOf("?=", from + 2);
        // "=?" inside plain text is legal only when the text was left as it is.
        if (end < 0)
            break;
        const QByteArray word = encoded.mid(from, end + 2 - from);
        if (word.startsWith("=?UTF-8?B?") &&
            (word.size() > 75 || word.contains(' ') || word.contains('\t')))
            abort();
        from = end + 2;
    }

    const QString problem = headerValueProblem(text);
    if (problem.isEmpty() && (text.contains(u'\r') || text.contains(u'\n')))
        abort();

    MimeMessage m;
    m.setFrom(MailAddress{text, QStringLiteral("from@example.com")});
    m.addTo(MailAddress{text, QStringLiteral("to@example.com")});
    m.setSubject(text);
    m.setMessageId("fuzz@example.com");
    m.setDate(QDateTime::fromSecsSinceEpoch(1700000000, QTimeZone::utc()));
    m.setTextBody(text);
    QString error;
    const QByteArray rendered = m.render(&error);
    if (rendered.isEmpty()) {
        if (error.isEmpty())
            abort();
        return 0;
    }
    const qsizetype headerEnd = rendered.indexOf("\r\n\r\n");
    if (headerEnd < 0)
        abort();
    for (qsizetype i = 0; i < rendered.size(); ++i) {
        if (rendered[i] == '\n' && (i == 0 || rendered[i - 1] != '\r'))
            abort();
        if (rendered[i] == '\r' && (i + 1 >= rendered.size() || rendered[i + 1] != '\n'))
            abort();
    }
    const QList<QByteArray> lines = rendered.left(headerEnd).split('\n');
    for (QByteArray line : lines) {
        if (line.endsWith('\r'))
            line.chop(1);
        if (line.size() > 998)
            abort();
        // A header line starts with a field name or is a continuation (folded with a space).
        if (line.isEmpty() || line.startsWith(' ') || line.startsWith('\t'))
            continue;
        const qsizetype colon = line.indexOf(':');
        if (colon <= 0)
            abort();
        static const QList<QByteArray> known{"From",           "To",
                                             "Subject",        "Message-ID",
                                             "Date",           "MIME-Version",
                                             "Content-Type",   "Content-Transfer-Encoding",
                                             "Auto-Submitted", "X-Auto-Response-Suppress",
                                             "Reply-To"};
        if (!known.contains(line.left(colon)))
            abort();
    }
    return 0;
}
