#pragma once

#include <QByteArray>
#include <QByteArrayView>
#include <QList>

#include <utility>

namespace roster {

using MimeHeader = std::pair<QByteArray, QByteArray>; // lower-case name, unfolded value

// One entity of a MIME message and the entities inside it: a multipart's parts, a returned
// message/rfc822 or text/rfc822-headers. Read by parseMimeEntity(), bounded in depth, parts and
// headers, and total: any bytes give a tree.
struct MimeEntity
{
    QList<MimeHeader> headers;
    QByteArray type; // "text/plain", lower case
    QByteArray boundary;
    QByteArray reportType;
    QByteArray body; // decoded (base64, quoted-printable)
    QList<MimeEntity> children;

    // The first header of that (lower-case) name, or empty; every one of them.
    QByteArray header(QByteArrayView name) const;
    QList<QByteArray> headersNamed(QByteArrayView name) const;
};

// Splits at the first empty line into the headers and the rest. `text` has LF line ends only.
std::pair<QList<MimeHeader>, QByteArray> splitMimeHeaders(const QByteArray &text);

// The tree of `text` (LF line ends), with at most `maxParts` entities below the top.
MimeEntity parseMimeEntity(const QByteArray &text, int maxParts);

} // namespace roster
