#include "app/mail/bounce/bounceparser.h"

#include <QRegularExpression>

#include <utility>

namespace roster {

namespace {

// Bounds: what a bounce mailbox can hold is written by strangers.
constexpr int kMaxDepth = 4;
constexpr int kMaxParts = 64;
constexpr int kMaxHeaders = 500;
constexpr int kMaxRecipients = 100;
constexpr qsizetype kMaxScan = 256 * 1024; // text scanned by the heuristics
constexpr qsizetype kMaxDiagnostic = 1000;

using Header = std::pair<QByteArray, QByteArray>; // lower-case name, unfolded value

struct Entity
{
    QList<Header> headers;
    QByteArray type; // "text/plain", lower case
    QByteArray boundary;
    QByteArray reportType;
    QByteArray body; // decoded (base64, quoted-printable)
    QList<Entity> children;

    QByteArray header(QByteArrayView name) const
    {
        for (const Header &h : headers)
            if (h.first == name)
                return h.second;
        return {};
    }
    QList<QByteArray> headersNamed(QByteArrayView name) const
    {
        QList<QByteArray> out;
        for (const Header &h : headers)
            if (h.first == name)
                out.append(h.second);
        return out;
    }
};

// Splits at the first empty line. `text` has LF line ends only.
std::pair<QList<Header>, QByteArray> splitHeaders(const QByteArray &text)
{
    QList<Header> headers;
    qsizetype pos = 0;
    const qsizetype n = text.size();
    while (pos < n) {
        qsizetype eol = text.indexOf('\n', pos);
        if (eol < 0)
            eol = n;
        const QByteArray line = text.mid(pos, eol - pos);
        pos = eol + 1;
        if (line.isEmpty())
            break;
        if ((line.front() == ' ' || line.front() == '\t')) {
            if (!headers.isEmpty())
                headers.last().second += ' ' + line.trimmed();
            continue;
        }
        const qsizetype colon = line.indexOf(':');
        if (colon <= 0) {
            // Not a header: the headers ended without their blank line (a truncated copy).
            pos -= line.size() + 1;
            break;
        }
        if (headers.size() < kMaxHeaders)
            headers.append({line.left(colon).trimmed().toLower(), line.mid(colon + 1).trimmed()});
    }
    return {headers, pos < n ? text.mid(pos) : QByteArray()};
}

QByteArray paramValue(const QByteArray &contentType, QByteArrayView name)
{
    // ; name="value" or ; name=value (case-insensitive name)
    const QList<QByteArray> parts = contentType.split(';');
    for (qsizetype i = 1; i < parts.size(); ++i) {
        const QByteArray p = parts.at(i).trimmed();
        const qsizetype eq = p.indexOf('=');
        if (eq <= 0 || p.left(eq).trimmed().toLower() != name)
            continue;
        QByteArray v = p.mid(eq + 1).trimmed();
        if (v.size() >= 2 && v.front() == '"' && v.back() == '"')
            v = v.mid(1, v.size() - 2);
        return v;
    }
    return {};
}

QByteArray decodeQuotedPrintable(const QByteArray &in)
{
    QByteArray out;
    out.reserve(in.size());
    auto hex = [](char c) -> int {
        if (c >= '0' && c <= '9')
            return c - '0';
        if (c >= 'A' && c <= 'F')
            return c - 'A' + 10;
        if (c >= 'a' && c <= 'f')
            return c - 'a' + 10;
        return -1;
    };
    for (qsizetype i = 0; i < in.size(); ++i) {
        const char c = in.at(i);
        if (c != '=') {
            out += c;
            continue;
        }
        if (i + 1 < in.size() && in.at(i + 1) == '\n') { // soft break
            ++i;
            continue;
        }
        if (i + 2 < in.size() && hex(in.at(i + 1)) >= 0 && hex(in.at(i + 2)) >= 0) {
            out += char(hex(in.at(i + 1)) * 16 + hex(in.at(i + 2)));
            i += 2;
            continue;
        }
        out += c;
    }
    return out;
}

Entity parseEntity(const QByteArray &text, int depth, int *budget);

void parseChildren(Entity &e, int depth, int *budget)
{
    if (depth >= kMaxDepth)
        return;
    if (e.type.startsWith("multipart/") && !e.boundary.isEmpty()) {
        const QByteArray delim = "--" + e.boundary;
        qsizetype pos = 0;
        qsizetype start = -1;
        const QByteArray &b = e.body;
        while (pos <= b.size()) {
            qsizetype eol = b.indexOf('\n', pos);
            if (eol < 0)
                eol = b.size();
            const QByteArrayView line = QByteArrayView(b).sliced(pos, eol - pos);
            if (line.startsWith(delim)) {
                const QByteArrayView rest = line.sliced(delim.size()).trimmed();
                if (rest.isEmpty() || rest == "--") {
                    if (start >= 0) {
                        if (--*budget < 0)
                            return;
                        // The line break before the delimiter belongs to it (RFC 2046 §5.1.1).
                        const qsizetype end = std::max(start, pos - 1);
                        e.children.append(
                            parseEntity(b.mid(start, end - start), depth + 1, budget));
                    }
                    if (rest == "--")
                        return;
                    start = eol + 1;
                }
            }
            pos = eol + 1;
        }
        if (start >= 0 && start < b.size() && --*budget >= 0) // no closing delimiter
            e.children.append(parseEntity(b.mid(start), depth + 1, budget));
    } else if (e.type == "message/rfc822" || e.type == "message/global" ||
               e.type == "text/rfc822-headers" || e.type == "message/global-headers") {
        if (--*budget >= 0)
            e.children.append(parseEntity(e.body, depth + 1, budget));
    }
}

Entity parseEntity(const QByteArray &text, int depth, int *budget)
{
    Entity e;
    auto [headers, body] = splitHeaders(text);
    e.headers = std::move(headers);
    const QByteArray ct = e.header("content-type");
    const qsizetype semi = ct.indexOf(';');
    e.type = (semi < 0 ? ct : ct.left(semi)).trimmed().toLower();
    if (e.type.isEmpty())
        e.type = "text/plain";
    e.boundary = paramValue(ct, "boundary");
    e.reportType = paramValue(ct, "report-type").toLower();
    const QByteArray cte = e.header("content-transfer-encoding").trimmed().toLower();
    if (!e.type.startsWith("multipart/") && cte == "base64")
        e.body = QByteArray::fromBase64(body);
    else if (!e.type.startsWith("multipart/") && cte == "quoted-printable")
        e.body = decodeQuotedPrintable(body);
    else
        e.body = std::move(body);
    if (e.body.contains('\r'))
        e.body.replace("\r\n", "\n");
    parseChildren(e, depth, budget);
    return e;
}

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

void collect(const Entity &e, QList<const Entity *> *out)
{
    out->append(&e);
    for (const Entity &c : e.children)
        collect(c, out);
}

// The Message-ID inside a returned message or its headers.
QString returnedMessageId(const Entity &e)
{
    QList<const Entity *> all;
    collect(e, &all);
    for (const Entity *p : std::as_const(all)) {
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
        auto [fields, after] = splitHeaders(rest);
        const QByteArray next = after.trimmed();
        if (fields.isEmpty()) {
            if (next.size() >= rest.size())
                break; // no progress: not a field
            rest = next;
            continue;
        }
        Entity g;
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

QString headerText(const Entity &e, QByteArrayView name)
{
    return oneLine(e.header(name));
}

bool isAutoReply(const Entity &top)
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

bool fromMailerDaemon(const Entity &top)
{
    const QString from = headerText(top, "from").toLower();
    const QString returnPath = headerText(top, "return-path");
    return from.contains(u"mailer-daemon") || from.contains(u"postmaster") ||
           from.contains(u"mail delivery") || returnPath == u"<>";
}

// The first text/plain part, else the top body.
QByteArray firstText(const Entity &top)
{
    QList<const Entity *> all;
    collect(top, &all);
    for (const Entity *p : std::as_const(all))
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
bool parsePlain(const Entity &top, const QByteArray &text, BounceReport *r)
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

QString verpTagOf(const Entity &top, const QString &bounceAddress)
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
    int budget = kMaxParts;
    const Entity top = parseEntity(text, 0, &budget);
    BounceReport r;
    r.verpTag = verpTagOf(top, bounceAddress);

    // 1. The structured report, whatever else the message says (Postfix's DSN carries
    //    Auto-Submitted: auto-replied too).
    if (top.type == "multipart/report") {
        for (const Entity &c : top.children) {
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
