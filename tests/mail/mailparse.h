#pragma once

#include <QByteArray>
#include <QList>
#include <QString>

// A deliberately independent, minimal reader of what MimeMessage writes, so the tests check
// the bytes against the RFCs rather than against the builder's own helpers.
namespace mailparse {

struct Part
{
    QList<QPair<QByteArray, QByteArray>> headers; // raw, unfolded (CRLF SP -> SP)
    QByteArray body;                              // raw, as on the wire
    QByteArray header(const QByteArray &name) const;
};

// Splits at the first empty line; unfolds header lines.
Part parse(const QByteArray &message);
// The parts of a multipart body, by the boundary parameter of the Content-Type.
QList<Part> multipartParts(const Part &part);
// RFC 2047 (B and Q, any case) back to text; text outside encoded-words kept, whitespace
// between adjacent encoded-words dropped.
QString decodeHeader(const QByteArray &value);
// RFC 2045 quoted-printable back to bytes (soft breaks removed, CRLF kept).
QByteArray decodeQuotedPrintable(const QByteArray &text);
// Every encoded-word in the value, as written.
QList<QByteArray> encodedWords(const QByteArray &value);

} // namespace mailparse
