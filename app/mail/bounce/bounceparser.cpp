#include "app/mail/bounce/bounceparser.h"

#include "app/mail/bounce/mimeentity.h"

#include <QRegularExpression>

#include <utility>

namespace roster {

namespace {

// Bounds: what a bounce mailbox can hold is written by strangers.
constexpr int kMaxParts = 64;
constexpr int kMaxRecipients = 100;
constexpr qsizetype kMaxScan = 256 * 1024; // text scanned by the heuristics
constexpr qsizetype kMaxDiagnostic = 1000;

QString oneLine(QByteArrayView bytes)
{
    QString s =
        QString::fromUtf8(bytes.first(std::min<qsizetype>(bytes.size(), 4 * kMaxDiagnostic)));
    QString out;
    out.reserve(s.size());
    bool space = false;
    for (QChar c : std::as_const(s)) {
        if (c.isSpace() || c.unicode() < 0x20 || c.unicode() == 0x7f) {
            space = true;
            continue;
        }
        if (space && !out.isEmpty())
            out += u' ';
        space = false;
        out += c;
    }
    return out.left(kMaxDiagnostic);
}

// An address captured from text: printable, no spaces, bounded.
QString cleanAddress(const QString &captured)
{
    return oneLine(captured.toUtf8()).remove(u' ').left(254);
}

QString stripAngles(QString s)
{
    s = s.trimmed();
    const qsizetype lt = s.indexOf(u'<');
    const qsizetype gt = s.indexOf(u'>', lt + 1);
    if (lt >= 0 && gt > lt)
        return s.mid(lt + 1, gt - lt - 1).trimmed();
    return s;
}

// "rfc822; user@example.com" -> "user@example.com"
QString addressOfTyped(const QByteArray &value)
{
    const qsizetype semi = value.indexOf(';');
    return stripAngles(oneLine(semi >= 0 ? value.mid(semi + 1) : value));
}

// "smtp; 550 5.1.1 ..." -> "550 5.1.1 ..."; "X-Postfix; User unknown" -> "User unknown"
QString diagnosticText(const QByteArray &value)
{
    const qsizetype semi = value.indexOf(';');
    QByteArray v = value;
    if (semi > 0 && semi < 20 && !value.left(semi).contains(' '))
        v = value.mid(semi + 1);
    return oneLine(v);
}

QString statusCode(const QByteArray &value)
{
    static const QRegularExpression re(QStringLiteral("\\b([245])\\.(\\d{1,3})\\.(\\d{1,3})\\b"));
    const QRegularExpressionMatch m = re.match(QString::fromLatin1(value.left(200)));
    return m.hasMatch() ? m.captured(0) : QString();
}

void collect(const MimeEntity &e, QList<const MimeEntity *> *out)
{
    out->append(&e);
    for (const MimeEntity &c : e.children)
        collect(c, out);
}

// The Message-ID inside a returned message or its headers.
QString returnedMessageId(const MimeEntity &e)
{
    QList<const MimeEntity *> all;
    collect(e, &all);
    for (const MimeEntity *p : std::as_const(all)) {
        if (p->type == "message/rfc822" || p->type == "message/global" ||
            p->type == "text/rfc822-headers" || p->type == "message/global-headers") {
            if (p->children.isEmpty())
                continue;
            const QByteArray id = p->children.first().header("message-id");
            if (!id.isEmpty())
                return stripAngles(oneLine(id));
        }
    }
    return {};
}

// Message-ID: after a "copy of the message" marker, in a text body.
QString inlineReturnedMessageId(const QByteArray &text, qsizetype from)
{
    static const QRegularExpression re(QStringLiteral("^message-id:\\s*<([^>\\s]{1,250})>"),
                                       QRegularExpression::CaseInsensitiveOption |
                                           QRegularExpression::MultilineOption);
    const QRegularExpressionMatch m = re.match(QString::fromUtf8(text.mid(from, kMaxScan)), 0);
    return m.hasMatch() ? oneLine(m.captured(1).toUtf8()).remove(u' ') : QString();
}

bool parseDeliveryStatus(const QByteArray &body, BounceReport *r)
{
    // Groups of fields separated by blank lines: the per-message group first.
    QByteArray rest = body.trimmed();
    bool first = true;
    while (!rest.isEmpty() && r->recipients.size() < kMaxRecipients) {
        auto [fields, after] = splitMimeHeaders(rest);
        const QByteArray next = after.trimmed();
        if (fields.isEmpty()) {
            if (next.size() >= rest.size())
                break; // no progress: not a field
            rest = next;
            continue;
        }
        MimeEntity g;
        g.headers = fields;
        if (first &&
            (!g.header("reporting-mta").isEmpty() || !g.header("original-envelope-id").isEmpty() ||
             g.header("final-recipient").isEmpty())) {
            r->envelopeId = oneLine(g.header("original-envelope-id"));
            first = false;
        } else {
            first = false;
            BounceRecipient rc;
            rc.finalRecipient = addressOfTyped(g.header("final-recipient"));
            rc.originalRecipient = addressOfTyped(g.header("original-recipient"));
            rc.action = oneLine(g.header("action")).toLower();
            rc.status = statusCode(g.header("status"));
            rc.diagnostic = diagnosticText(g.header("diagnostic-code"));
            if (!rc.finalRecipient.isEmpty() || !rc.action.isEmpty())
                r->recipients.append(rc);
        }
        if (next.size() >= rest.size())
            break;
        rest = next;
    }
    return !r->recipients.isEmpty();
}

QString headerText(const MimeEntity &e, QByteArrayView name)
{
    return oneLine(e.header(name));
}

bool isAutoReply(const MimeEntity &top)
{
    const QByteArray autoSubmitted = top.header("auto-submitted").trimmed().toLower();
    if (autoSubmitted.startsWith("auto-replied"))
        return true;
    if (!top.header("x-autoreply").isEmpty() || !top.header("x-autorespond").isEmpty())
        return true;
    const QByteArray precedence = top.header("precedence").trimmed().toLower();
    if (precedence == "auto_reply")
        return true;
    static const QRegularExpression subject(
        QStringLiteral("^\\s*(out of (the )?office|automatic reply|auto(matic)?[- ]?(reply|"
                       "response)|autoreply|abwesenheit|absence|r[ée]ponse automatique|auto:)"),
        QRegularExpression::CaseInsensitiveOption);
    return subject.match(headerText(top, "subject")).hasMatch();
}

bool fromMailerDaemon(const MimeEntity &top)
{
    const QString from = headerText(top, "from").toLower();
    const QString returnPath = headerText(top, "return-path");
    return from.contains(u"mailer-daemon") || from.contains(u"postmaster") ||
           from.contains(u"mail delivery") || returnPath == u"<>";
}

// The first text/plain part, else the top body.
QByteArray firstText(const MimeEntity &top)
{
    QList<const MimeEntity *> all;
    collect(top, &all);
    for (const MimeEntity *p : std::as_const(all))
        if (p->type == "text/plain" && p != &top)
            return p->body.left(kMaxScan);
    return top.body.left(kMaxScan);
}

void finishKind(BounceReport *r)
{
    bool failed = false;
    bool delayed = false;
    bool other = false;
    for (BounceRecipient &rc : r->recipients) {
        if (rc.action.isEmpty())
            rc.action = rc.status.startsWith(u'4')   ? QStringLiteral("delayed")
                        : rc.status.startsWith(u'2') ? QStringLiteral("delivered")
                                                     : QStringLiteral("failed");
        if (rc.action == u"failed")
            failed = true;
        else if (rc.action == u"delayed")
            delayed = true;
        else
            other = true;
    }
    r->kind = failed    ? BounceReport::Kind::Failure
              : delayed ? BounceReport::Kind::Delay
              : other   ? BounceReport::Kind::Other
                        : BounceReport::Kind::Failure;
}

// Exchange / Outlook: "Delivery has failed to these recipients or groups:" and, for the
// administrator, "Remote Server returned '550 5.1.1 RESOLVER.ADR.RecipNotFound; not found'".
bool parseExchange(const QByteArray &text, BounceReport *r)
{
    if (!text.contains("Delivery has failed to these recipients") &&
        !text.contains("Your message couldn't be delivered") &&
        !text.contains("Remote Server returned") && !text.contains("Remote server returned"))
        return false;
    static const QRegularExpression returned(
        QStringLiteral("Remote Server returned '([^'\\n]{1,900})'"),
        QRegularExpression::CaseInsensitiveOption);
    static const QRegularExpression addr(
        QStringLiteral(
            "(?:^|[\\s<(])([A-Za-z0-9._%+=-]{1,64}@[A-Za-z0-9.-]{1,253}\\.[A-Za-z]{2,63})"
            "(?:[\\s>)]|$)"),
        QRegularExpression::MultilineOption);
    const QString s = QString::fromUtf8(text);
    qsizetype from = s.indexOf(QStringLiteral("Diagnostic information for administrators"));
    if (from < 0)
        from = 0;
    const QRegularExpressionMatch d = returned.match(s, from);
    const QRegularExpressionMatch a = addr.match(s, from);
    BounceRecipient rc;
    rc.finalRecipient = a.hasMatch() ? cleanAddress(a.captured(1)) : QString();
    rc.diagnostic = d.hasMatch() ? oneLine(d.captured(1).toUtf8()) : QString();
    rc.status = statusCode(rc.diagnostic.toLatin1());
    if (rc.diagnostic.isEmpty() && rc.finalRecipient.isEmpty())
        return false;
    r->recipients.append(rc);
    r->format = BounceReport::Format::Exchange;
    return true;
}

// qmail: "Hi. This is the qmail-send program at host." then "<addr>:" paragraphs.
bool parseQmail(const QByteArray &text, BounceReport *r)
{
    const qsizetype start = text.indexOf("This is the qmail-send program");
    if (start < 0)
        return false;
    const bool permanent = text.contains("permanent error");
    qsizetype end = text.indexOf("--- Below this line is a copy of the message.");
    const QString s = QString::fromUtf8(text.mid(start, end < 0 ? -1 : end - start));
    static const QRegularExpression para(
        QStringLiteral("^<([^<>\\s]{1,254}@[^<>\\s]{1,254})>:[ \\t]*\\n((?:[^\\n]+\\n?){0,20})"),
        QRegularExpression::MultilineOption);
    static const QRegularExpression remote(QStringLiteral("Remote host said:\\s*(.+)"));
    QRegularExpressionMatchIterator it = para.globalMatch(s);
    while (it.hasNext() && r->recipients.size() < kMaxRecipients) {
        const QRegularExpressionMatch m = it.next();
        BounceRecipient rc;
        rc.finalRecipient = cleanAddress(m.captured(1));
        const QString detail = m.captured(2);
        const QRegularExpressionMatch said = remote.match(detail);
        rc.diagnostic = oneLine((said.hasMatch() ? said.captured(1) : detail).toUtf8());
        rc.status = statusCode(rc.diagnostic.toLatin1());
        rc.action = permanent || rc.status.startsWith(u'5') ? QStringLiteral("failed")
                                                            : QStringLiteral("delayed");
        r->recipients.append(rc);
    }
    if (r->recipients.isEmpty())
        return false;
    r->format = BounceReport::Format::Qmail;
    if (end >= 0 && r->returnedMessageId.isEmpty())
        r->returnedMessageId = inlineReturnedMessageId(text, end);
    return true;
}

// Postfix's (or any MTA's) plain text: "<addr>: host h said: 550 5.1.1 ..." lines, with the
// returned headers after the text or in an attached part.
bool parsePlain(const MimeEntity &top, const QByteArray &text, BounceReport *r)
{
    const QString subject = headerText(top, "subject");
    static const QRegularExpression subjects(
        QStringLiteral("undeliver|returned mail|delivery (status notification|failure|failed)|"
                       "failure notice|mail delivery failed|delivery has failed|"
                       "could not be delivered|non remis|unzustellbar"),
        QRegularExpression::CaseInsensitiveOption);
    if (!fromMailerDaemon(top) && !subjects.match(subject).hasMatch())
        return false;
    if (!subjects.match(subject).hasMatch() && !text.contains("could not be delivered") &&
        !text.contains("couldn't be delivered") && !text.contains("undeliverable"))
        return false;
    const QString s = QString::fromUtf8(text);
    static const QRegularExpression line(
        QStringLiteral("^\\s*<?([A-Za-z0-9._%+=-]{1,64}@[A-Za-z0-9.-]{1,253})>?:\\s*(.+(?:\\n[ "
                       "\\t]+.+){0,10})"),
        QRegularExpression::MultilineOption);
    QRegularExpressionMatchIterator it = line.globalMatch(s);
    while (it.hasNext() && r->recipients.size() < kMaxRecipients) {
        const QRegularExpressionMatch m = it.next();
        BounceRecipient rc;
        rc.finalRecipient = cleanAddress(m.captured(1));
        rc.diagnostic = oneLine(m.captured(2).toUtf8());
        rc.status = statusCode(rc.diagnostic.toLatin1());
        if (rc.status.isEmpty() &&
            !rc.diagnostic.contains(QRegularExpression(QStringLiteral("\\b[45]\\d\\d\\b"))))
            continue; // "From: x@y" in a quoted copy, not a reason
        // "... said: 550 5.1.1 <x@y>: ..." -> from the reply code on.
        static const QRegularExpression code(QStringLiteral("\\b([45]\\d\\d[ -].*)$"));
        const QRegularExpressionMatch c = code.match(rc.diagnostic);
        if (c.hasMatch())
            rc.diagnostic = c.captured(1);
        r->recipients.append(rc);
    }
    if (r->recipients.isEmpty())
        return false;
    r->format = BounceReport::Format::Plain;
    if (r->returnedMessageId.isEmpty()) {
        qsizetype marker = text.indexOf("copy of the message");
        if (marker < 0)
            marker = text.indexOf("original message");
        if (marker >= 0)
            r->returnedMessageId = inlineReturnedMessageId(text, marker);
    }
    return true;
}

QString verpTagOf(const MimeEntity &top, const QString &bounceAddress)
{
    const QString want = bounceAddress.trimmed().toLower();
    const QString wantLocal = want.section(u'@', 0, 0);
    const QString wantDomain = want.section(u'@', 1);
    static const QRegularExpression addr(
        QStringLiteral("([A-Za-z0-9._%=-]{1,64})\\+([A-Za-z0-9]{1,64})@([A-Za-z0-9.-]{1,253})"));
    for (const char *name :
         {"x-original-to", "delivered-to", "envelope-to", "x-envelope-to", "to"}) {
        for (const QByteArray &value : top.headersNamed(name)) {
            QRegularExpressionMatchIterator it =
                addr.globalMatch(QString::fromLatin1(value.left(4096)));
            while (it.hasNext()) {
                const QRegularExpressionMatch m = it.next();
                if (!want.isEmpty() &&
                    (m.captured(1).toLower() != wantLocal || m.captured(3).toLower() != wantDomain))
                    continue;
                const QString tag = m.captured(2).toLower();
                if (isPlausibleVerpTag(tag))
                    return tag;
            }
        }
    }
    return {};
}

} // namespace

bool isPlausibleVerpTag(const QString &tag)
{
    if (tag.isEmpty() || tag.size() > 64)
        return false;
    for (QChar c : tag)
        if (!((c >= u'a' && c <= u'z') || (c >= u'2' && c <= u'7')))
            return false;
    return true;
}

QString BounceReport::diagnostic() const
{
    const BounceRecipient *pick = nullptr;
    for (const BounceRecipient &rc : recipients)
        if (rc.action == u"failed") {
            pick = &rc;
            break;
        }
    if (!pick)
        for (const BounceRecipient &rc : recipients)
            if (rc.action == u"delayed") {
                pick = &rc;
                break;
            }
    if (!pick && !recipients.isEmpty())
        pick = &recipients.first();
    if (!pick)
        return {};
    QString d = pick->diagnostic;
    if (!pick->status.isEmpty() && !d.contains(pick->status))
        d = d.isEmpty() ? pick->status : pick->status + u' ' + d;
    return d.left(kMaxDiagnostic);
}

BounceReport parseBounce(const QByteArray &message, const QString &bounceAddress)
{
    QByteArray text = message;
    if (text.contains('\r'))
        text.replace("\r\n", "\n");
    const MimeEntity top = parseMimeEntity(text, kMaxParts);
    BounceReport r;
    r.verpTag = verpTagOf(top, bounceAddress);

    // 1. The structured report, whatever else the message says (Postfix's DSN carries
    //    Auto-Submitted: auto-replied too).
    if (top.type == "multipart/report") {
        for (const MimeEntity &c : top.children) {
            if (c.type == "message/delivery-status" || c.type == "message/global-delivery-status") {
                if (parseDeliveryStatus(c.body, &r)) {
                    r.format = BounceReport::Format::Dsn;
                    r.returnedMessageId = returnedMessageId(top);
                    finishKind(&r);
                    return r;
                }
            }
        }
    }
    // 2. Out of office and friends: never bounces.
    if (isAutoReply(top)) {
        r = BounceReport{};
        r.kind = BounceReport::Kind::AutoReply;
        return r;
    }
    // 3. The usual non-standard bounces.
    r.returnedMessageId = returnedMessageId(top);
    const QByteArray body = firstText(top);
    const bool daemon = fromMailerDaemon(top);
    if ((daemon || headerText(top, "subject").startsWith(u"Undeliverable", Qt::CaseInsensitive)) &&
        parseExchange(body, &r)) {
        finishKind(&r);
        return r;
    }
    if (parseQmail(body, &r)) {
        finishKind(&r);
        return r;
    }
    if (parsePlain(top, body, &r)) {
        finishKind(&r);
        return r;
    }
    const QString tag = r.verpTag;
    r = BounceReport{};
    r.verpTag = tag;
    return r;
}

} // namespace roster
