// A MIME message read back into its tree, for the bounce parser (mimemessage.cpp writes them).
#include "app/mail/bounce/mimeentity.h"

#include <utility>

namespace roster {

namespace {

// Bounds: what a bounce mailbox can hold is written by strangers.
constexpr int kMaxDepth = 4;
constexpr int kMaxHeaders = 500;

} // namespace

QByteArray MimeEntity::header(QByteArrayView name) const
{
    for (const MimeHeader &h : headers)
        if (h.first == name)
            return h.second;
    return {};
}

QList<QByteArray> MimeEntity::headersNamed(QByteArrayView name) const
{
    QList<QByteArray> out;
    for (const MimeHeader &h : headers)
        if (h.first == name)
            out.append(h.second);
    return out;
}

std::pair<QList<MimeHeader>, QByteArray> splitMimeHeaders(const QByteArray &text)
{
    QList<MimeHeader> headers;
    qsizetype pos = 0;
    const qsizetype n = text.size();
    while (pos < n) {
        qsizetype eol = text.indexOf('\n', pos);
        if (eol < 0)
            eol = n;
        const QByteArray line = text.mid(pos, eol - pos);
        pos = eol + 1;
        if (line.isEmpty())
            break;
        if ((line.front() == ' ' || line.front() == '\t')) {
            if (!headers.isEmpty())
                headers.last().second += ' ' + line.trimmed();
            continue;
        }
        const qsizetype colon = line.indexOf(':');
        if (colon <= 0) {
            // Not a header: the headers ended without their blank line (a truncated copy).
            pos -= line.size() + 1;
            break;
        }
        if (headers.size() < kMaxHeaders)
            headers.append({line.left(colon).trimmed().toLower(), line.mid(colon + 1).trimmed()});
    }
    return {headers, pos < n ? text.mid(pos) : QByteArray()};
}

namespace {

QByteArray paramValue(const QByteArray &contentType, QByteArrayView name)
{
    // ; name="value" or ; name=value (case-insensitive name)
    const QList<QByteArray> parts = contentType.split(';');
    for (qsizetype i = 1; i < parts.size(); ++i) {
        const QByteArray p = parts.at(i).trimmed();
        const qsizetype eq = p.indexOf('=');
        if (eq <= 0 || p.left(eq).trimmed().toLower() != name)
            continue;
        QByteArray v = p.mid(eq + 1).trimmed();
        if (v.size() >= 2 && v.front() == '"' && v.back() == '"')
            v = v.mid(1, v.size() - 2);
        return v;
    }
    return {};
}

QByteArray decodeQuotedPrintable(const QByteArray &in)
{
    QByteArray out;
    out.reserve(in.size());
    auto hex = [](char c) -> int {
        if (c >= '0' && c <= '9')
            return c - '0';
        if (c >= 'A' && c <= 'F')
            return c - 'A' + 10;
        if (c >= 'a' && c <= 'f')
            return c - 'a' + 10;
        return -1;
    };
    for (qsizetype i = 0; i < in.size(); ++i) {
        const char c = in.at(i);
        if (c != '=') {
            out += c;
            continue;
        }
        if (i + 1 < in.size() && in.at(i + 1) == '\n') { // soft break
            ++i;
            continue;
        }
        if (i + 2 < in.size() && hex(in.at(i + 1)) >= 0 && hex(in.at(i + 2)) >= 0) {
            out += char(hex(in.at(i + 1)) * 16 + hex(in.at(i + 2)));
            i += 2;
            continue;
        }
        out += c;
    }
    return out;
}

MimeEntity parseEntity(const QByteArray &text, int depth, int *budget);

void parseChildren(MimeEntity &e, int depth, int *budget)
{
    if (depth >= kMaxDepth)
        return;
    if (e.type.startsWith("multipart/") && !e.boundary.isEmpty()) {
        const QByteArray delim = "--" + e.boundary;
        qsizetype pos = 0;
        qsizetype start = -1;
        const QByteArray &b = e.body;
        while (pos <= b.size()) {
            qsizetype eol = b.indexOf('\n', pos);
            if (eol < 0)
                eol = b.size();
            const QByteArrayView line = QByteArrayView(b).sliced(pos, eol - pos);
            if (line.startsWith(delim)) {
                const QByteArrayView rest = line.sliced(delim.size()).trimmed();
                if (rest.isEmpty() || rest == "--") {
                    if (start >= 0) {
                        if (--*budget < 0)
                            return;
                        // The line break before the delimiter belongs to it (RFC 2046 §5.1.1).
                        const qsizetype end = std::max(start, pos - 1);
                        e.children.append(
                            parseEntity(b.mid(start, end - start), depth + 1, budget));
                    }
                    if (rest == "--")
                        return;
                    start = eol + 1;
                }
            }
            pos = eol + 1;
        }
        if (start >= 0 && start < b.size() && --*budget >= 0) // no closing delimiter
            e.children.append(parseEntity(b.mid(start), depth + 1, budget));
    } else if (e.type == "message/rfc822" || e.type == "message/global" ||
               e.type == "text/rfc822-headers" || e.type == "message/global-headers") {
        if (--*budget >= 0)
            e.children.append(parseEntity(e.body, depth + 1, budget));
    }
}

MimeEntity parseEntity(const QByteArray &text, int depth, int *budget)
{
    MimeEntity e;
    auto [headers, body] = splitMimeHeaders(text);
    e.headers = std::move(headers);
    const QByteArray ct = e.header("content-type");
    const qsizetype semi = ct.indexOf(';');
    e.type = (semi < 0 ? ct : ct.left(semi)).trimmed().toLower();
    if (e.type.isEmpty())
        e.type = "text/plain";
    e.boundary = paramValue(ct, "boundary");
    e.reportType = paramValue(ct, "report-type").toLower();
    const QByteArray cte = e.header("content-transfer-encoding").trimmed().toLower();
    if (!e.type.startsWith("multipart/") && cte == "base64")
        e.body = QByteArray::fromBase64(body);
    else if (!e.type.startsWith("multipart/") && cte == "quoted-printable")
        e.body = decodeQuotedPrintable(body);
    else
        e.body = std::move(body);
    if (e.body.contains('\r'))
        e.body.replace("\r\n", "\n");
    parseChildren(e, depth, budget);
    return e;
}

} // namespace

MimeEntity parseMimeEntity(const QByteArray &text, int maxParts)
{
    int budget = maxParts;
    return parseEntity(text, 0, &budget);
}

} // namespace roster
