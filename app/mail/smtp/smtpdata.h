#pragma once

#include <QByteArray>

namespace roster {

// A message body as it goes on the wire after DATA: CRLF line ends (bare LF and bare CR become
// CRLF), every line that starts with '.' gets one more '.', the last line ends with CRLF, and
// the terminating ".\r\n" is NOT included (the client appends it to the same write).
struct SmtpWireData
{
    QByteArray bytes;
    bool eightBit = false;     // some byte >= 0x80: needs 8BITMIME / SMTPUTF8
    qsizetype longestLine = 0; // octets, without CRLF and without the stuffed dot
};

// One pass over the data; shares the input (no copy) when nothing needs to change, which is
// the normal case for what the MIME builder produces.
SmtpWireData prepareSmtpData(const QByteArray &data);

// True when an envelope address may be put inside "MAIL FROM:<...>" / "RCPT TO:<...>":
// no control characters (CR, LF, NUL...), no '<' '>' or spaces, at most 254 octets. An empty
// sender is the null reverse-path and is allowed for MAIL only (allowEmpty).
bool isSafeEnvelopeAddress(const QByteArray &address, bool allowEmpty);
bool isAscii(const QByteArray &bytes);

// RFC 3461 §4 xtext, for the DSN parameters ENVID and ORCPT: '+', '=' and every octet outside
// 33..126 become "+XX" (upper-case hex); the result never holds a space, CR, LF or NUL.
QByteArray xtextEncode(const QByteArray &bytes);

} // namespace roster
