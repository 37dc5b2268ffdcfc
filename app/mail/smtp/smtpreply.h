#pragma once

#include <QByteArray>
#include <QByteArrayView>
#include <QList>
#include <QString>

namespace roster {

// One SMTP reply: a three-digit code and its text lines (without the code and separator).
struct SmtpReply
{
    int code = 0;
    QList<QByteArray> lines;

    // No isPositive(): a 2xx or 3xx is success only when it is the code the command expects
    // (RFC 5321 §4.3.2), so each command names its own (SmtpClient).
    bool isTransient() const { return code >= 400 && code < 500; }
    bool isPermanent() const { return code >= 500; }
    bool isRefusal() const { return code >= 400; } // 4xx or 5xx
    // "550 5.1.1 no such user" on one line (multi-line texts joined by spaces).
    QString toString() const;
};

// For texts that end up in one-line user messages and logs: control characters become '?'.
QString smtpPrintable(QByteArrayView bytes);

// Assembles replies from what the server sent (RFC 5321 §4.2): "NNN-text" lines continue a reply,
// "NNN text" (or a bare "NNN") ends it; NNN is 200..599 and the same on every line. A line may be
// at most maxLine octets (lenient: the RFC says 512) and a reply at most maxLines lines.
// Pure and incremental, apart from SmtpClient's socket, so that it can be fuzzed (tests/fuzz).
class SmtpReplyReader
{
public:
    static constexpr qsizetype maxLine = 8192;
    static constexpr int maxLines = 100;
    enum class Status { NeedMore, Reply, Error };

    // Reads lines of `in` from *pos (advanced past what was consumed). Reply: *reply holds a whole
    // reply. NeedMore: everything complete was consumed and no reply ended. Error: *error says
    // why, in one line; the session cannot go on.
    Status next(const QByteArray &in, qsizetype *pos, SmtpReply *reply, QString *error);

private:
    SmtpReply m_partial;
};

} // namespace roster
