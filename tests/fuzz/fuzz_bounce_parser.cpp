// libFuzzer: parseBounce, the bounce mailbox's report parser (app/mail/bounce/bounceparser.h).
// Invariants: any bytes give a report; at most 100 recipients; every text that reaches the
// database (diagnostic, addresses, ids) is one line of printable characters, bounded; a VERP tag
// is in the tag alphabet; CRLF and LF line ends give the same report.
#include "app/mail/bounce/bounceparser.h"

#include <cstdint>
#include <cstdlib>

using namespace roster;

namespace {

void checkLine(const QString &s, qsizetype max)
{
    if (s.size() > max)
        abort();
    for (QChar c : s)
        if (c.unicode() < 0x20 || c.unicode() == 0x7f)
            abort();
}

void check(const BounceReport &r)
{
    if (r.recipients.size() > 100)
        abort();
    if (!r.verpTag.isEmpty() && !isPlausibleVerpTag(r.verpTag))
        abort();
    if (r.kind == BounceReport::Kind::AutoReply && !r.recipients.isEmpty())
        abort();
    checkLine(r.diagnostic(), 1000);
    checkLine(r.envelopeId, 1000);
    checkLine(r.returnedMessageId, 1000);
    for (const BounceRecipient &rc : r.recipients) {
        checkLine(rc.finalRecipient, 1000);
        checkLine(rc.diagnostic, 1000);
        checkLine(rc.action, 1000);
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 1 << 20)
        return 0;
    const QByteArray bytes(reinterpret_cast<const char *>(data), qsizetype(size));
    const BounceReport lf = parseBounce(bytes, QStringLiteral("bounces@roster.test"));
    check(lf);
    if (!bytes.contains('\r')) {
        QByteArray crlf = bytes;
        crlf.replace("\n", "\r\n");
        const BounceReport other = parseBounce(crlf, QStringLiteral("bounces@roster.test"));
        check(other);
        if (other.kind != lf.kind || other.verpTag != lf.verpTag ||
            other.recipients.size() != lf.recipients.size())
            abort();
    }
    return 0;
}
