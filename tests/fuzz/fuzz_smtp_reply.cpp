// libFuzzer: SmtpReplyReader, the SMTP client's reply parser (app/mail/smtp/smtpreply.h).
// Invariants: replies have a code of 200..599 and 1..maxLines lines of at most maxLine octets;
// their one-line form has no control characters; the reader always makes progress; and feeding
// the same bytes in two pieces gives the same replies as feeding them at once.
#include "app/mail/smtp/smtpreply.h"

#include <cstdint>
#include <cstdlib>

using namespace roster;

namespace {

struct Outcome
{
    QList<SmtpReply> replies;
    bool error = false;
};

Outcome readAll(const QByteArray &data, qsizetype split)
{
    Outcome out;
    SmtpReplyReader reader;
    QByteArray in = data.left(split);
    qsizetype pos = 0;
    for (int round = 0; round < 2; ++round) {
        for (;;) {
            const qsizetype before = pos;
            SmtpReply reply;
            QString error;
            const auto status = reader.next(in, &pos, &reply, &error);
            if (pos < before || pos > in.size())
                abort();
            if (status == SmtpReplyReader::Status::Error) {
                if (error.isEmpty() || error.contains(u'\n') || error.contains(u'\r'))
                    abort();
                out.error = true;
                return out;
            }
            if (status == SmtpReplyReader::Status::NeedMore)
                break;
            if (reply.code < 200 || reply.code > 599 || reply.lines.isEmpty() ||
                reply.lines.size() > SmtpReplyReader::maxLines)
                abort();
            for (const QByteArray &l : reply.lines)
                if (l.size() > SmtpReplyReader::maxLine || l.contains('\n'))
                    abort();
            for (QChar c : reply.toString())
                if (c.unicode() < 0x20 || c.unicode() == 0x7f)
                    abort();
            out.replies.append(reply);
        }
        in = data; // the rest arrives
    }
    return out;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 1 << 20)
        return 0;
    const QByteArray bytes(reinterpret_cast<const char *>(data), qsizetype(size));
    const Outcome whole = readAll(bytes, bytes.size());
    const Outcome pieces = readAll(bytes, size ? qsizetype(data[0]) % (bytes.size() + 1) : 0);
    if (whole.error != pieces.error || whole.replies.size() != pieces.replies.size())
        abort();
    for (qsizetype i = 0; i < whole.replies.size(); ++i)
        if (whole.replies.at(i).code != pieces.replies.at(i).code ||
            whole.replies.at(i).lines != pieces.replies.at(i).lines)
            abort();
    return 0;
}
