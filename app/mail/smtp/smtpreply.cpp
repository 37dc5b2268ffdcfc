#include "app/mail/smtp/smtpreply.h"

#include <QCoreApplication>

#include <cstring>

namespace roster {

namespace {
// The client's translation context: these texts were SmtpClient's before they moved here.
QString tr(const char *s)
{
    return QCoreApplication::translate("roster::SmtpClient", s);
}
} // namespace

QString smtpPrintable(QByteArrayView bytes)
{
    QString s = QString::fromUtf8(bytes);
    for (QChar &c : s) {
        if (c.unicode() < 0x20 || c.unicode() == 0x7f)
            c = u'?';
    }
    return s;
}

QString SmtpReply::toString() const
{
    QByteArray text = QByteArray::number(code);
    for (const QByteArray &l : lines) {
        const QByteArray t = l.trimmed();
        if (!t.isEmpty())
            text += ' ' + t;
    }
    return smtpPrintable(text);
}

SmtpReplyReader::Status SmtpReplyReader::next(const QByteArray &in, qsizetype *pos,
                                              SmtpReply *reply, QString *error)
{
    while (*pos < in.size()) {
        const char *start = in.constData() + *pos;
        const qsizetype avail = in.size() - *pos;
        const char *nl = static_cast<const char *>(std::memchr(start, '\n', size_t(avail)));
        if (!nl) {
            if (avail > maxLine) {
                *error = tr("a reply line longer than %1 octets").arg(maxLine);
                return Status::Error;
            }
            return Status::NeedMore;
        }
        qsizetype len = nl - start;
        *pos += len + 1;
        if (len > maxLine) {
            *error = tr("a reply line longer than %1 octets").arg(maxLine);
            return Status::Error;
        }
        if (len > 0 && start[len - 1] == '\r')
            --len;
        const QByteArrayView line(start, len);
        const bool digits = len >= 3 && line[0] >= '2' && line[0] <= '5' && line[1] >= '0' &&
                            line[1] <= '9' && line[2] >= '0' && line[2] <= '9';
        const char sep = len > 3 ? line[3] : ' ';
        if (!digits || (sep != ' ' && sep != '-')) {
            *error = u'"' + smtpPrintable(line.first(std::min<qsizetype>(len, 80))) + u'"';
            return Status::Error;
        }
        const int code = (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
        if (!m_partial.lines.isEmpty() && code != m_partial.code) {
            *error =
                tr("reply lines with different codes (%1, then %2)").arg(m_partial.code).arg(code);
            return Status::Error;
        }
        m_partial.code = code;
        m_partial.lines.append(len > 4 ? line.sliced(4).toByteArray() : QByteArray());
        if (m_partial.lines.size() > maxLines) {
            *error = tr("a reply of more than %1 lines").arg(maxLines);
            return Status::Error;
        }
        if (sep == ' ') {
            *reply = std::move(m_partial);
            m_partial = SmtpReply();
            return Status::Reply;
        }
    }
    return Status::NeedMore;
}

} // namespace roster
