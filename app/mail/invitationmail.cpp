#include "app/mail/invitationmail.h"

#include <QCoreApplication>
#include <QFile>
#include <QLocale>
#include <QTimeZone>
#include <QUrl>

#include <cstring>
#include <iterator>

namespace roster {

namespace {

class Invitation
{
    Q_DECLARE_TR_FUNCTIONS(InvitationMail)
};

QString organisationName(const InvitationMail &mail)
{
    const QString name = mail.organisation.simplified();
    return name.isEmpty() ? Invitation::tr("your organisation") : name;
}

QString inviterName(const InvitationMail &mail)
{
    const QString name = mail.inviterName.simplified();
    return name.isEmpty() ? Invitation::tr("An administrator") : name;
}

bool readTemplate(const QString &name, QString *text, QString *error)
{
    QFile file(QStringLiteral(":/templates/") + name);
    if (!file.open(QIODevice::ReadOnly)) {
        *error = Invitation::tr("The mail template %1 is missing from this build: %2")
                     .arg(name, file.errorString());
        return false;
    }
    *text = QString::fromUtf8(file.readAll());
    return true;
}

// The text and HTML templates of a CRM or a portal invitation.
bool readTemplates(bool portal, QString *text, QString *html, QString *error)
{
    const QString base =
        portal ? QStringLiteral("portal-invitation") : QStringLiteral("invitation");
    return readTemplate(base + QStringLiteral(".txt"), text, error) &&
           readTemplate(base + QStringLiteral(".html"), html, error);
}

// "Monday, 15 January 2024 at 14:30 (UTC+01:00)": spelled out so that nobody reads
// 01/02 the wrong way round, with the zone because recipients live elsewhere.
QString expiryText(const QDateTime &expiresAt)
{
    const QLocale locale;
    const int offset = expiresAt.offsetFromUtc();
    const QString zone = QStringLiteral("UTC%1%2:%3")
                             .arg(offset < 0 ? QChar(u'-') : QChar(u'+'))
                             .arg(qAbs(offset) / 3600, 2, 10, QLatin1Char('0'))
                             .arg(qAbs(offset) % 3600 / 60, 2, 10, QLatin1Char('0'));
    // Hours and minutes only (some locales' short format carries seconds), 12 or 24 hours
    // as the locale has it.
    const bool twelveHours =
        locale.timeFormat(QLocale::ShortFormat).contains(u"ap", Qt::CaseInsensitive);
    const QString time = locale.toString(expiresAt.time(), twelveHours ? u"h:mm AP" : u"HH:mm");
    return Invitation::tr("%1 at %2 (%3)")
        .arg(locale.toString(expiresAt.date(), QLocale::LongFormat), time, zone);
}

// `encoded` (when given) gets the link as it goes into the mail: a link valid in strict mode
// reads the same in the default (tolerant) mode, so one parse serves both.
QString linkProblem(const QString &link, QByteArray *encoded = nullptr)
{
    if (link.isEmpty())
        return Invitation::tr("The invitation has no accept link: set the accept URL in the "
                              "organisation settings.");
    const QUrl url(link, QUrl::StrictMode);
    const QString scheme = url.scheme().toLower();
    if (!url.isValid() || (scheme != u"https" && scheme != u"http") || url.host().isEmpty())
        return Invitation::tr("The accept link is not a valid http(s) address: check the accept "
                              "URL in the organisation settings.");
    if (encoded)
        *encoded = url.toEncoded();
    return {};
}

// A template's next "{{key}}" from `from` on, as fillTemplate(), cutLine() and
// placeholdersWithinLines() read them.
struct Placeholder
{
    qsizetype open = -1;   // where its "{{" is; -1: none (the rest is literal)
    qsizetype end = 0;     // just after its "}}"
    bool unclosed = false; // with open -1: a "{{" that no "}}" closes
    QString key;           // trimmed
};

Placeholder nextPlaceholder(const QString &text, qsizetype from)
{
    Placeholder p;
    const qsizetype open = text.indexOf(u"{{", from);
    if (open < 0)
        return p;
    const qsizetype close = text.indexOf(u"}}", open + 2);
    if (close < 0) {
        p.unclosed = true;
        return p;
    }
    p.open = open;
    p.end = close + 2;
    p.key = text.mid(open + 2, close - open - 2).trimmed();
    return p;
}

} // namespace

bool fillTemplate(const QString &text, const QList<QPair<QString, QString>> &values,
                  QString *result, QString *error)
{
    QString out;
    out.reserve(text.size() * 2);
    qsizetype position = 0;
    for (Placeholder p; (p = nextPlaceholder(text, position)).open >= 0; position = p.end) {
        auto it = std::find_if(values.cbegin(), values.cend(),
                               [&p](const auto &pair) { return pair.first == p.key; });
        if (it == values.cend()) {
            if (error)
                *error = Invitation::tr("The mail template uses an unknown placeholder {{%1}}.")
                             .arg(p.key);
            return false;
        }
        out += QStringView(text).mid(position, p.open - position);
        out += it->second;
    }
    out += QStringView(text).mid(position);
    *result = out;
    return true;
}

QString invitationSubject(const InvitationMail &mail)
{
    const QString organisation = organisationName(mail);
    const QString inviter = mail.inviterName.simplified();
    if (mail.portal) {
        return inviter.isEmpty()
                   ? Invitation::tr("You're invited to %1's customer portal").arg(organisation)
                   : Invitation::tr("%1 invited you to %2's customer portal")
                         .arg(inviter, organisation);
    }
    return inviter.isEmpty()
               ? Invitation::tr("You're invited to %1 on Roster").arg(organisation)
               : Invitation::tr("%1 invited you to %2 on Roster").arg(inviter, organisation);
}

namespace {

// What a message's bodies need besides the templates: checked input and the placeholders'
// values (as they go into the text part; the HTML part gets them escaped).
bool bodyValues(const InvitationMail &mail, const QString &expires,
                QList<QPair<QString, QString>> *values, QString *error)
{
    const QList<QPair<QString, QString>> fields = {
        {Invitation::tr("Organisation name"), mail.organisation},
        {Invitation::tr("Inviter name"), mail.inviterName},
    };
    for (const auto &[field, value] : fields) {
        if (const QString problem = headerValueProblem(value); !problem.isEmpty()) {
            *error = Invitation::tr("%1: %2").arg(field, problem);
            return false;
        }
    }
    if (const QString problem = headerValueProblem(mail.to.name); !problem.isEmpty()) {
        *error = Invitation::tr("Recipient name: %1").arg(problem);
        return false;
    }
    if (const QString problem = linkProblem(mail.acceptLink); !problem.isEmpty()) {
        *error = problem;
        return false;
    }
    if (!mail.expiresAt.isValid()) {
        *error = Invitation::tr("The invitation has no expiry date.");
        return false;
    }

    const QString recipient = mail.to.name.simplified();
    const QString greeting =
        recipient.isEmpty() ? Invitation::tr("Hello,") : Invitation::tr("Hello %1,").arg(recipient);
    const QString link = QString::fromLatin1(QUrl(mail.acceptLink).toEncoded());
    *values = {
        {QStringLiteral("subject"), invitationSubject(mail)},
        {QStringLiteral("greeting"), greeting},
        {QStringLiteral("organisation"), organisationName(mail)},
        {QStringLiteral("inviter"), inviterName(mail)},
        {QStringLiteral("recipient_name"), recipient},
        {QStringLiteral("recipient_email"), mail.to.address},
        {QStringLiteral("link"), link},
        {QStringLiteral("expires"), expires.isNull() ? expiryText(mail.expiresAt) : expires},
    };
    return true;
}

QList<QPair<QString, QString>> htmlEscaped(QList<QPair<QString, QString>> values)
{
    for (auto &pair : values)
        pair.second = pair.second.toHtmlEscaped();
    return values;
}

// Each "{{" closed by "}}" on its own line: then filling line by line is filling the whole.
bool placeholdersWithinLines(const QStringList &lines)
{
    for (const QString &line : lines) {
        Placeholder p;
        for (qsizetype position = 0; (p = nextPlaceholder(line, position)).open >= 0;)
            position = p.end;
        if (p.unclosed)
            return false;
    }
    return true;
}

// The template's lines as the quoted-printable encoder sees them (CRLF, CR and LF all break).
QStringList templateLines(const QString &text)
{
    QString normalized = text;
    normalized.replace(QStringLiteral("\r\n"), QStringLiteral("\n")).replace(u'\r', u'\n');
    return normalized.split(u'\n');
}

} // namespace

bool invitationBodies(const InvitationMail &mail, QString *text, QString *html, QString *error)
{
    QString ignored;
    if (!error)
        error = &ignored;
    QList<QPair<QString, QString>> values;
    if (!bodyValues(mail, QString(), &values, error))
        return false;
    const QList<QPair<QString, QString>> escaped = htmlEscaped(values);

    QString textTemplate;
    QString htmlTemplate;
    return readTemplates(mail.portal, &textTemplate, &htmlTemplate, error) &&
           fillTemplate(textTemplate, values, text, error) &&
           fillTemplate(htmlTemplate, escaped, html, error);
}

namespace {

MimeMessage invitationMessage(const InvitationMail &mail)
{
    MimeMessage message;
    message.setFrom(mail.from);
    message.addTo(mail.to);
    message.setSubject(invitationSubject(mail));
    message.setMessageId(mail.messageId);
    message.setDate(mail.date);
    // RFC 3834: tells auto-responders not to answer.
    message.addHeader(QByteArrayLiteral("Auto-Submitted"), QStringLiteral("auto-generated"));
    return message;
}

} // namespace

QByteArray renderInvitationMail(const InvitationMail &mail, QString *error)
{
    QString text;
    QString html;
    if (!invitationBodies(mail, &text, &html, error))
        return {};
    MimeMessage message = invitationMessage(mail);
    message.setTextBody(text);
    message.setHtmlBody(html);
    return message.render(error);
}

namespace {

int slotOf(const QString &key)
{
    static const char *const names[InvitationRenderer::SlotCount] = {
        "subject",        "greeting",        "organisation", "inviter",
        "recipient_name", "recipient_email", "link",         "expires"};
    for (int i = 0; i < InvitationRenderer::SlotCount; ++i)
        if (key == QLatin1StringView(names[i]))
            return i;
    return -1;
}

// A line as fillTemplate() reads it: literal pieces and placeholders. False when it names an
// unknown placeholder (*unknown set to the first), or two placeholders touch (their values are
// then not encoded apart: the renderer fills the whole text instead).
bool cutLine(const QString &text, QList<InvitationRenderer::Piece> *pieces, QString *unknown,
             bool *touching)
{
    qsizetype position = 0;
    bool previousSlot = false;
    const auto literal = [&](QStringView part) {
        if (part.isEmpty())
            return;
        InvitationRenderer::Piece piece;
        piece.literal = part.toUtf8();
        piece.coded = QList<QByteArray>(2 * 76);
        piece.endColumn = QList<qint8>(2 * 76, 0);
        pieces->append(piece);
        previousSlot = false;
    };
    for (Placeholder p; (p = nextPlaceholder(text, position)).open >= 0; position = p.end) {
        const int slot = slotOf(p.key);
        if (slot < 0) {
            if (unknown->isNull())
                *unknown = p.key;
            return false;
        }
        literal(QStringView(text).mid(position, p.open - position));
        if (previousSlot)
            *touching = true;
        InvitationRenderer::Piece piece;
        piece.slot = slot;
        pieces->append(piece);
        previousSlot = true;
    }
    literal(QStringView(text).mid(position));
    return true;
}

} // namespace

const InvitationRenderer::Compiled &InvitationRenderer::compiled(bool portal)
{
    Compiled &c = m_compiled[portal ? 1 : 0];
    if (c.ready)
        return c;
    c.ready = true;
    if (!readTemplates(portal, &c.text, &c.html, &c.error))
        return c;
    const QStringList textLines = templateLines(c.text);
    const QStringList htmlLines = templateLines(c.html);
    c.wholeText = !placeholdersWithinLines(textLines) || !placeholdersWithinLines(htmlLines);
    QString unknown;
    const auto compile = [&](const QStringList &lines, QList<Line> *out) {
        for (const QString &text : lines) {
            Line line;
            line.filled = text.contains(u"{{");
            if (line.filled) {
                line.text = text;
                bool touching = false;
                if (!cutLine(text, &line.pieces, &unknown, &touching) && c.fillError.isNull())
                    c.fillError = Invitation::tr("The mail template uses an unknown placeholder "
                                                 "{{%1}}.")
                                      .arg(unknown);
                c.wholeText = c.wholeText || touching;
            } else {
                line.encoded = encodeQuotedPrintable(text);
            }
            out->append(line);
        }
    };
    compile(textLines, &c.textLines);
    compile(htmlLines, &c.htmlLines);
    return c;
}

namespace {

// QByteArray::append() costs more than the copy for the short runs a message is made of; `out`
// has its room reserved.
void appendRaw(QByteArray &out, const char *bytes, qsizetype n)
{
    const qsizetype at = out.size();
    out.resize(at + n);
    std::memcpy(out.data() + at, bytes, size_t(n));
}

} // namespace

void InvitationRenderer::encodeLines(QList<Line> &lines, bool html, QByteArray &out)
{
    struct Part
    {
        const char *begin;
        const char *end;
        Piece *literal; // null for a value
    };
    Part parts[32];
    QByteArray whole;
    for (qsizetype i = 0; i < lines.size(); ++i) {
        if (i)
            appendRaw(out, "\r\n", 2);
        Line &line = lines[i];
        if (!line.filled) {
            appendRaw(out, line.encoded.constData(), line.encoded.size());
            continue;
        }
        qsizetype n = 0;
        bool many = line.pieces.size() > qsizetype(std::size(parts));
        for (Piece &piece : line.pieces) {
            if (many)
                break;
            const QByteArray &bytes =
                piece.slot < 0 ? piece.literal
                               : (html ? m_values[piece.slot].html : m_values[piece.slot].text);
            if (!bytes.isEmpty())
                parts[n++] = {bytes.constData(), bytes.constData() + bytes.size(),
                              piece.slot < 0 ? &piece : nullptr};
        }
        // The line's first five octets: a line starting with "From " has its "F" encoded.
        char head[5];
        qsizetype have = 0;
        for (qsizetype k = 0; k < n && have < 5; ++k)
            for (const char *p = parts[k].begin; p < parts[k].end && have < 5; ++p)
                head[have++] = *p;
        const bool from = have == 5 && std::memcmp(head, "From ", 5) == 0;
        if (from || many) { // rare: the line as one
            whole.clear();
            for (const Piece &piece : line.pieces)
                whole += piece.slot < 0
                             ? piece.literal
                             : (html ? m_values[piece.slot].html : m_values[piece.slot].text);
            qsizetype column = 0;
            appendQuotedPrintable(whole.constData(), whole.constData() + whole.size(), true, from,
                                  &column, out);
            continue;
        }
        qsizetype column = 0;
        for (qsizetype k = 0; k < n; ++k) {
            const Part &part = parts[k];
            const bool endsLine = k + 1 == n;
            if (!part.literal) {
                appendQuotedPrintable(part.begin, part.end, endsLine, false, &column, out);
                continue;
            }
            // A literal piece encodes the same wherever it starts at the same column.
            const qsizetype at = column * 2 + (endsLine ? 1 : 0);
            QByteArray &coded = part.literal->coded[at];
            if (coded.isNull()) {
                qsizetype end = column;
                coded.reserve(part.literal->literal.size() * 3 / 2 + 8);
                appendQuotedPrintable(part.begin, part.end, endsLine, false, &end, coded);
                part.literal->endColumn[at] = qint8(end);
            }
            appendRaw(out, coded.constData(), coded.size());
            column = part.literal->endColumn[at];
        }
    }
}

namespace {

void setValue(InvitationRenderer::Value &v, const QString &value)
{
    v.key = value;
    v.set = true;
    v.text = value.toUtf8();
    // Most values have nothing to escape: the same bytes then (toHtmlEscaped() copies anyway).
    bool plain = true;
    for (char c : std::as_const(v.text))
        plain = plain && c != '<' && c != '>' && c != '&' && c != '"';
    v.html = plain ? v.text : value.toHtmlEscaped().toUtf8();
}

} // namespace

// linkProblem(), asked once for a run's links: each differs from the one before only in its
// token. A link of the same length and the same text up to its query, whose other differences
// are unreserved characters on both sides (RFC 3986 §2.3), parses the same way and encodes to
// itself when the one before did.
QString InvitationRenderer::checkedLink(const QString &link, QByteArray *encoded)
{
    const qsizetype query = link.indexOf(u'?');
    if (query > 0 && link.size() == m_linkChecked.size() &&
        QStringView(link).first(query + 1) == QStringView(m_linkChecked).first(query + 1)) {
        bool same = true;
        for (qsizetype i = query + 1; i < link.size() && same; ++i)
            same = link.at(i) == m_linkChecked.at(i) ||
                   (isUrlUnreserved(link.at(i).unicode()) &&
                    isUrlUnreserved(m_linkChecked.at(i).unicode()));
        if (same) {
            *encoded = link.toLatin1();
            return {};
        }
    }
    QString problem = linkProblem(link, encoded);
    const bool encodesToItself =
        problem.isEmpty() && link.size() == encoded->size() && QLatin1StringView(*encoded) == link;
    m_linkChecked = encodesToItself ? link : QString();
    return problem;
}

QByteArray InvitationRenderer::render(const InvitationMail &mail, QString *error)
{
    QString ignored;
    if (!error)
        error = &ignored;
    // The checks of bodyValues(), in its order; the values that stay the same from message to
    // message are made (and checked) when they change.
    Value &organisation = m_values[Organisation];
    Value &inviter = m_values[Inviter];
    if (const QString problem = headerValueProblem(mail.organisation); !problem.isEmpty()) {
        *error = Invitation::tr("%1: %2").arg(Invitation::tr("Organisation name"), problem);
        return {};
    }
    if (const QString problem = headerValueProblem(mail.inviterName); !problem.isEmpty()) {
        *error = Invitation::tr("%1: %2").arg(Invitation::tr("Inviter name"), problem);
        return {};
    }
    if (const QString problem = headerValueProblem(mail.to.name); !problem.isEmpty()) {
        *error = Invitation::tr("Recipient name: %1").arg(problem);
        return {};
    }
    QByteArray link;
    if (const QString problem = checkedLink(mail.acceptLink, &link); !problem.isEmpty()) {
        *error = problem;
        return {};
    }
    if (!mail.expiresAt.isValid()) {
        *error = Invitation::tr("The invitation has no expiry date.");
        return {};
    }
    const Compiled &c = compiled(mail.portal);
    if (!c.error.isEmpty()) {
        *error = c.error;
        return {};
    }
    const qint64 ms = mail.expiresAt.toMSecsSinceEpoch();
    const int offset = mail.expiresAt.offsetFromUtc();
    if (m_expiryText.isNull() || ms != m_expiryMs || offset != m_expiryOffset) {
        m_expiryText = expiryText(mail.expiresAt);
        m_expiryMs = ms;
        m_expiryOffset = offset;
    }
    if (c.wholeText) {
        QList<QPair<QString, QString>> values;
        if (!bodyValues(mail, m_expiryText, &values, error))
            return {};
        const QList<QPair<QString, QString>> escaped = htmlEscaped(values);
        QString text, html;
        if (!fillTemplate(c.text, values, &text, error) ||
            !fillTemplate(c.html, escaped, &html, error))
            return {};
        MimeMessage message = invitationMessage(mail);
        message.setTextBody(text);
        message.setHtmlBody(html);
        return message.render(error);
    }
    if (!c.fillError.isEmpty()) {
        *error = c.fillError;
        return {};
    }

    if (!organisation.set || organisation.key != mail.organisation) {
        setValue(organisation, organisationName(mail));
        organisation.key = mail.organisation;
    }
    if (!inviter.set || inviter.key != mail.inviterName) {
        setValue(inviter, inviterName(mail));
        inviter.key = mail.inviterName;
    }
    Value &expires = m_values[Expires];
    if (!expires.set || expires.key != m_expiryText)
        setValue(expires, m_expiryText);
    const QString subject = invitationSubject(mail);
    Value &subjectValue = m_values[Subject];
    if (!subjectValue.set || subjectValue.key != subject)
        setValue(subjectValue, subject);
    const QString recipient = mail.to.name.simplified();
    setValue(m_values[Greeting], recipient.isEmpty() ? Invitation::tr("Hello,")
                                                     : Invitation::tr("Hello %1,").arg(recipient));
    setValue(m_values[RecipientName], recipient);
    setValue(m_values[RecipientEmail], mail.to.address);
    setValue(m_values[Link], QString::fromLatin1(link));

    // The fields, in MimeMessage::render()'s order of checks.
    if (!m_fromSet || m_fromKey.name != mail.from.name || m_fromKey.address != mail.from.address) {
        m_fromKey = mail.from;
        m_fromError.clear();
        m_fromField = MimeMessage::fromField(mail.from, &m_fromError);
        m_fromSet = true;
    }
    if (m_fromField.isEmpty()) {
        *error = m_fromError;
        return {};
    }
    const QByteArray to = MimeMessage::toField({mail.to}, error);
    if (to.isEmpty())
        return {};
    if (!m_subjectSet || m_subjectKey != subject) {
        m_subjectKey = subject;
        m_subjectError.clear();
        m_subjectField = MimeMessage::subjectField(subject, &m_subjectError);
        m_subjectSet = true;
    }
    if (m_subjectField.isEmpty()) {
        *error = m_subjectError;
        return {};
    }
    if (m_autoSubmitted.isNull())
        m_autoSubmitted = MimeMessage::extraField(QByteArrayLiteral("Auto-Submitted"),
                                                  QStringLiteral("auto-generated"), nullptr);
    QByteArray messageId = mail.messageId;
    if (messageId.isEmpty())
        messageId = newMessageId(mail.from.address.section(u'@', 1));
    const QByteArray idField = MimeMessage::messageIdField(messageId, error);
    if (idField.isEmpty())
        return {};
    const QDateTime date = mail.date.isValid() ? mail.date : QDateTime::currentDateTime();
    const qint64 second = date.toSecsSinceEpoch();
    const int dateOffset = date.offsetFromUtc();
    if (m_dateField.isNull() || second != m_dateSecond || dateOffset != m_dateOffset) {
        m_dateField = QByteArrayLiteral("Date: ") + rfc5322Date(date) + QByteArrayLiteral("\r\n");
        m_dateSecond = second;
        m_dateOffset = dateOffset;
    }
    const QByteArray boundary = MimeMessage::boundaryFor(messageId);

    QByteArray out;
    out.reserve(std::max<qsizetype>(m_lastSize + 1024, 8192));
    out += m_dateField;
    out += m_fromField;
    out += to;
    out += m_subjectField;
    out += idField;
    out += m_autoSubmitted;
    out += QByteArrayLiteral("MIME-Version: 1.0\r\n"
                             "Content-Type: multipart/alternative;\r\n boundary=\"");
    out += boundary;
    out += QByteArrayLiteral("\"\r\n\r\nThis is a message in MIME format.\r\n\r\n--");
    out += boundary;
    out += QByteArrayLiteral("\r\n");
    appendTextPart(out, "plain", QByteArray());
    encodeLines(m_compiled[mail.portal ? 1 : 0].textLines, false, out);
    out += QByteArrayLiteral("\r\n--");
    out += boundary;
    out += QByteArrayLiteral("\r\n");
    appendTextPart(out, "html", QByteArray());
    encodeLines(m_compiled[mail.portal ? 1 : 0].htmlLines, true, out);
    out += QByteArrayLiteral("\r\n--");
    out += boundary;
    out += QByteArrayLiteral("--\r\n");
    m_lastSize = out.size();
    return out;
}

} // namespace roster
