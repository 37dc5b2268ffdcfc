#include "app/mail/invitationmail.h"

#include <QCoreApplication>
#include <QFile>
#include <QLocale>
#include <QTimeZone>
#include <QUrl>

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

QString linkProblem(const QString &link)
{
    if (link.isEmpty())
        return Invitation::tr("The invitation has no accept link: set the accept URL in the "
                              "organisation settings.");
    const QUrl url(link, QUrl::StrictMode);
    const QString scheme = url.scheme().toLower();
    if (!url.isValid() || (scheme != u"https" && scheme != u"http") || url.host().isEmpty())
        return Invitation::tr("The accept link is not a valid http(s) address: check the accept "
                              "URL in the organisation settings.");
    return {};
}

} // namespace

bool fillTemplate(const QString &text, const QList<QPair<QString, QString>> &values,
                  QString *result, QString *error)
{
    QString out;
    out.reserve(text.size() * 2);
    qsizetype position = 0;
    while (true) {
        const qsizetype open = text.indexOf(u"{{", position);
        if (open < 0)
            break;
        const qsizetype close = text.indexOf(u"}}", open + 2);
        if (close < 0)
            break;
        const QString key = text.mid(open + 2, close - open - 2).trimmed();
        auto it = std::find_if(values.cbegin(), values.cend(),
                               [&key](const auto &pair) { return pair.first == key; });
        if (it == values.cend()) {
            if (error)
                *error = Invitation::tr("The mail template uses an unknown placeholder {{%1}}.")
                             .arg(key);
            return false;
        }
        out += QStringView(text).mid(position, open - position);
        out += it->second;
        position = close + 2;
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
        qsizetype position = 0;
        for (;;) {
            const qsizetype open = line.indexOf(u"{{", position);
            if (open < 0)
                break;
            const qsizetype close = line.indexOf(u"}}", open + 2);
            if (close < 0)
                return false;
            position = close + 2;
        }
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

QByteArray fillLines(const QList<InvitationRenderer::Line> &lines,
                     const QList<QPair<QString, QString>> &values, bool *ok, QString *error)
{
    QByteArray out;
    out.reserve(4096); // never null: a part that is there
    for (qsizetype i = 0; i < lines.size(); ++i) {
        if (i)
            out.append("\r\n", 2);
        const auto &line = lines.at(i);
        if (!line.filled) {
            out += line.encoded;
            continue;
        }
        QString text;
        if (!fillTemplate(line.text, values, &text, error)) {
            *ok = false;
            return {};
        }
        out += encodeQuotedPrintable(text);
    }
    *ok = true;
    return out;
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

    const QString base =
        mail.portal ? QStringLiteral("portal-invitation") : QStringLiteral("invitation");
    QString textTemplate;
    QString htmlTemplate;
    return readTemplate(base + QStringLiteral(".txt"), &textTemplate, error) &&
           readTemplate(base + QStringLiteral(".html"), &htmlTemplate, error) &&
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

const InvitationRenderer::Compiled &InvitationRenderer::compiled(bool portal)
{
    Compiled &c = m_compiled[portal ? 1 : 0];
    if (c.ready)
        return c;
    c.ready = true;
    const QString base =
        portal ? QStringLiteral("portal-invitation") : QStringLiteral("invitation");
    if (!readTemplate(base + QStringLiteral(".txt"), &c.text, &c.error) ||
        !readTemplate(base + QStringLiteral(".html"), &c.html, &c.error))
        return c;
    const QStringList textLines = templateLines(c.text);
    const QStringList htmlLines = templateLines(c.html);
    c.wholeText = !placeholdersWithinLines(textLines) || !placeholdersWithinLines(htmlLines);
    const auto compile = [](const QStringList &lines, QList<Line> *out) {
        for (const QString &text : lines) {
            Line line;
            line.filled = text.contains(u"{{");
            if (line.filled)
                line.text = text;
            else
                line.encoded = encodeQuotedPrintable(text);
            out->append(line);
        }
    };
    compile(textLines, &c.textLines);
    compile(htmlLines, &c.htmlLines);
    return c;
}

QByteArray InvitationRenderer::render(const InvitationMail &mail, QString *error)
{
    QString ignored;
    if (!error)
        error = &ignored;
    QString expires;
    if (mail.expiresAt.isValid()) {
        const qint64 ms = mail.expiresAt.toMSecsSinceEpoch();
        const int offset = mail.expiresAt.offsetFromUtc();
        if (m_expiryText.isNull() || ms != m_expiryMs || offset != m_expiryOffset) {
            m_expiryText = expiryText(mail.expiresAt);
            m_expiryMs = ms;
            m_expiryOffset = offset;
        }
        expires = m_expiryText;
    }
    QList<QPair<QString, QString>> values;
    if (!bodyValues(mail, expires, &values, error))
        return {};
    const Compiled &c = compiled(mail.portal);
    if (!c.error.isEmpty()) {
        *error = c.error;
        return {};
    }
    const QList<QPair<QString, QString>> escaped = htmlEscaped(values);
    MimeMessage message = invitationMessage(mail);
    if (c.wholeText) {
        QString text, html;
        if (!fillTemplate(c.text, values, &text, error) ||
            !fillTemplate(c.html, escaped, &html, error))
            return {};
        message.setTextBody(text);
        message.setHtmlBody(html);
        return message.render(error);
    }
    bool ok = false;
    const QByteArray text = fillLines(c.textLines, values, &ok, error);
    if (!ok)
        return {};
    const QByteArray html = fillLines(c.htmlLines, escaped, &ok, error);
    if (!ok)
        return {};
    message.setEncodedBodies(text, html);
    return message.render(error);
}

} // namespace roster
