#include "app/mail/smtp/smtpdata.h"

#include <cstring>

namespace roster {

namespace {

// Slow path: rebuilds the buffer once, with the final size reserved up front.
SmtpWireData rebuild(const QByteArray &data)
{
    SmtpWireData out;
    QByteArray &b = out.bytes;
    b.reserve(data.size() + data.size() / 64 + 8);
    const char *p = data.constData();
    const char *end = p + data.size();
    qsizetype lineLen = 0;
    bool atLineStart = true;
    while (p < end) {
        const char c = *p++;
        if (c == '\r' || c == '\n') {
            if (c == '\r' && p < end && *p == '\n')
                ++p;
            b.append("\r\n", 2);
            out.longestLine = std::max(out.longestLine, lineLen);
            lineLen = 0;
            atLineStart = true;
            continue;
        }
        if (atLineStart && c == '.')
            b.append('.');
        atLineStart = false;
        if (static_cast<unsigned char>(c) >= 0x80)
            out.eightBit = true;
        b.append(c);
        ++lineLen;
    }
    out.longestLine = std::max(out.longestLine, lineLen);
    if (!b.isEmpty() && !b.endsWith("\r\n"))
        b.append("\r\n", 2);
    return out;
}

} // namespace

namespace {

// Any octet >= 0x80, eight at a time.
bool hasEightBit(const char *p, const char *end)
{
    constexpr quint64 high = 0x8080808080808080ULL;
    for (; end - p >= 8; p += 8) {
        quint64 word;
        std::memcpy(&word, p, 8);
        if (word & high)
            return true;
    }
    for (; p < end; ++p)
        if (static_cast<unsigned char>(*p) >= 0x80)
            return true;
    return false;
}

} // namespace

SmtpWireData prepareSmtpData(const QByteArray &data)
{
    // Fast path: walk the lines with memchr; a bare CR or LF, or no CRLF at the end, sends us to
    // rebuild(), which is rare (the MIME builder already writes CRLF and QP/base64 bodies). Lines
    // that start with '.' (a quoted-printable soft break can put one there) are stuffed by
    // copying the lines between them whole.
    SmtpWireData out;
    const char *begin = data.constData();
    const char *p = begin;
    const char *end = begin + data.size();
    qsizetype dots = 0;
    while (p < end) {
        const char *nl = static_cast<const char *>(std::memchr(p, '\n', size_t(end - p)));
        if (!nl)
            return rebuild(data); // no CRLF at the end
        if (nl == p || nl[-1] != '\r')
            return rebuild(data); // bare LF
        const char *contentEnd = nl - 1;
        if (std::memchr(p, '\r', size_t(contentEnd - p)))
            return rebuild(data); // bare CR
        if (*p == '.')
            ++dots;
        out.longestLine = std::max(out.longestLine, qsizetype(contentEnd - p));
        p = nl + 1;
    }
    out.eightBit = hasEightBit(begin, end);
    if (dots == 0) {
        out.bytes = data;
        return out;
    }
    out.bytes.reserve(data.size() + dots);
    const char *from = begin;
    p = begin;
    while (p < end) {
        const char *nl = static_cast<const char *>(std::memchr(p, '\n', size_t(end - p)));
        if (*p == '.') {
            out.bytes.append(from, p - from);
            out.bytes.append('.');
            from = p;
        }
        p = nl + 1;
    }
    out.bytes.append(from, end - from);
    return out;
}

bool isSafeEnvelopeAddress(const QByteArray &address, bool allowEmpty)
{
    if (address.isEmpty())
        return allowEmpty;
    if (address.size() > 254)
        return false;
    for (const char ch : address) {
        const auto c = static_cast<unsigned char>(ch);
        if (c < 0x21 || c == 0x7f || c == '<' || c == '>')
            return false;
    }
    return true;
}

bool isAscii(const QByteArray &bytes)
{
    for (const char ch : bytes) {
        if (static_cast<unsigned char>(ch) >= 0x80)
            return false;
    }
    return true;
}

QByteArray xtextEncode(const QByteArray &bytes)
{
    QByteArray out;
    out.reserve(bytes.size());
    static const char hex[] = "0123456789ABCDEF";
    for (char c : bytes) {
        const auto u = quint8(c);
        if (u < 33 || u > 126 || c == '+' || c == '=') {
            out += '+';
            out += hex[u >> 4];
            out += hex[u & 15];
        } else {
            out += c;
        }
    }
    return out;
}

} // namespace roster
