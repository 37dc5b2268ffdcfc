#include "mailparse.h"

#include <QRegularExpression>

namespace mailparse {

QByteArray Part::header(const QByteArray &name) const
{
    for (const auto &[key, value] : headers) {
        if (key.compare(name, Qt::CaseInsensitive) == 0)
            return value;
    }
    return {};
}

Part parse(const QByteArray &message)
{
    Part part;
    qsizetype end = message.indexOf("\r\n\r\n");
    const QByteArray head = end < 0 ? message : message.left(end);
    part.body = end < 0 ? QByteArray() : message.mid(end + 4);
    QByteArray unfolded = head;
    unfolded.replace("\r\n ", " ").replace("\r\n\t", "\t");
    for (const QByteArray &line : unfolded.split('\n')) {
        QByteArray l = line;
        if (l.endsWith('\r'))
            l.chop(1);
        const qsizetype colon = l.indexOf(':');
        if (colon <= 0)
            continue;
        part.headers.append({l.left(colon), l.mid(colon + 1).trimmed()});
    }
    return part;
}

QList<Part> multipartParts(const Part &part)
{
    const QByteArray type = part.header("Content-Type");
    const qsizetype at = type.indexOf("boundary=");
    if (at < 0)
        return {};
    QByteArray boundary = type.mid(at + 9);
    if (boundary.startsWith('"'))
        boundary = boundary.mid(1, boundary.indexOf('"', 1) - 1);
    const QByteArray delimiter = "\r\n--" + boundary;
    const QByteArray body = "\r\n" + part.body;
    QList<Part> parts;
    qsizetype position = body.indexOf(delimiter);
    while (position >= 0) {
        const qsizetype start = position + delimiter.size();
        if (body.mid(start, 2) == "--")
            break;
        const qsizetype next = body.indexOf(delimiter, start);
        if (next < 0)
            break;
        parts.append(parse(body.mid(start + 2, next - start - 2)));
        position = next;
    }
    return parts;
}

QList<QByteArray> encodedWords(const QByteArray &value)
{
    static const QRegularExpression word(QStringLiteral("=\\?[^?\\s]+\\?[BbQq]\\?[^?\\s]*\\?="));
    QList<QByteArray> words;
    auto it = word.globalMatch(QString::fromLatin1(value));
    while (it.hasNext())
        words.append(it.next().captured().toLatin1());
    return words;
}

QString decodeHeader(const QByteArray &value)
{
    static const QRegularExpression word(
        QStringLiteral("=\\?([^?\\s]+)\\?([BbQq])\\?([^?\\s]*)\\?="));
    const QString text = QString::fromLatin1(value);
    QByteArray out;
    qsizetype position = 0;
    bool previousWasEncoded = false;
    auto it = word.globalMatch(text);
    while (it.hasNext()) {
        const auto match = it.next();
        const QString between = text.mid(position, match.capturedStart() - position);
        if (!(previousWasEncoded && between.trimmed().isEmpty()))
            out += between.toLatin1();
        QByteArray data = match.captured(3).toLatin1();
        if (match.captured(2).compare(u"B", Qt::CaseInsensitive) == 0) {
            data = QByteArray::fromBase64(data);
        } else {
            data.replace('_', ' ');
            data = decodeQuotedPrintable(data);
        }
        out += data;
        position = match.capturedEnd();
        previousWasEncoded = true;
    }
    out += text.mid(position).toLatin1();
    return QString::fromUtf8(out);
}

QByteArray decodeQuotedPrintable(const QByteArray &text)
{
    QByteArray out;
    for (qsizetype i = 0; i < text.size(); ++i) {
        const char c = text.at(i);
        if (c != '=') {
            out += c;
        } else if (text.mid(i + 1, 2) == "\r\n") {
            i += 2;
        } else {
            out += QByteArray::fromHex(text.mid(i + 1, 2));
            i += 2;
        }
    }
    return out;
}

} // namespace mailparse
