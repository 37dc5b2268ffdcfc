#pragma once

#include <QByteArray>
#include <QList>
#include <QString>

namespace roster {

// One recipient of a delivery report: RFC 3464's per-recipient fields, or what a non-standard
// bounce says about one address.
struct BounceRecipient
{
    QString finalRecipient;    // addr-spec, without the "rfc822;" type
    QString originalRecipient; // addr-spec, may be empty
    QString action;            // failed | delayed | delivered | relayed | expanded (lower case)
    QString status;            // "5.1.1", may be empty
    QString diagnostic;        // "550 5.1.1 <x@y>: User unknown": one printable line
};

// What one message in the bounce mailbox is.
struct BounceReport
{
    enum class Kind {
        NotABounce, // ordinary mail: left alone
        AutoReply,  // out of office and friends: not a bounce, left alone
        Failure,    // the message will not be delivered
        Delay,      // still trying
        Other,      // a report of success (delivered, relayed, expanded): nothing to do
    };
    enum class Format { None, Dsn, Exchange, Qmail, Plain };

    Kind kind = Kind::NotABounce;
    Format format = Format::None;
    QString verpTag;           // from local+TAG@domain in To / Delivered-To / X-Original-To
    QString envelopeId;        // Original-Envelope-Id (the ENVID we sent)
    QString returnedMessageId; // Message-ID of the returned message, without angle brackets
    QList<BounceRecipient> recipients;

    bool isReport() const { return kind == Kind::Failure || kind == Kind::Delay; }
    // The first failed (else delayed) recipient's diagnostic, with its status when the text
    // lacks one ("5.1.1 User unknown"); one line, at most 1000 characters.
    QString diagnostic() const;
};

// Recognises RFC 3464 delivery-status reports (multipart/report; report-type=delivery-status)
// and the usual non-standard bounces (Exchange/Outlook NDRs, qmail, a plain "Undelivered Mail
// Returned to Sender" with the original headers), and tells auto-replies apart. Pure (no I/O),
// bounded (nesting, parts, sizes) and total: any bytes give a report, so that it can be fuzzed.
//
// bounceAddress (e.g. "bounces@example.com"), when set, limits the VERP tag to addresses
// "bounces+TAG@example.com"; otherwise any "local+TAG@domain" of those headers counts.
BounceReport parseBounce(const QByteArray &message, const QString &bounceAddress = {});

// The tag alphabet: lower-case RFC 4648 base32 letters and digits, 1..64 characters.
bool isPlausibleVerpTag(const QString &tag);

} // namespace roster
