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

bool invitationBodies(const InvitationMail &mail, QString *text, QString *html, QString *error)
{
    QString ignored;
    if (!error)
        error = &ignored;
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
    const QList<QPair<QString, QString>> values = {
        {QStringLiteral("subject"), invitationSubject(mail)},
        {QStringLiteral("greeting"), greeting},
        {QStringLiteral("organisation"), organisationName(mail)},
        {QStringLiteral("inviter"), inviterName(mail)},
        {QStringLiteral("recipient_name"), recipient},
        {QStringLiteral("recipient_email"), mail.to.address},
        {QStringLiteral("link"), link},
        {QStringLiteral("expires"), expiryText(mail.expiresAt)},
    };
    QList<QPair<QString, QString>> escaped = values;
    for (auto &pair : escaped)
        pair.second = pair.second.toHtmlEscaped();

    const QString base =
        mail.portal ? QStringLiteral("portal-invitation") : QStringLiteral("invitation");
    QString textTemplate;
    QString htmlTemplate;
    return readTemplate(base + QStringLiteral(".txt"), &textTemplate, error) &&
           readTemplate(base + QStringLiteral(".html"), &htmlTemplate, error) &&
           fillTemplate(textTemplate, values, text, error) &&
           fillTemplate(htmlTemplate, escaped, html, error);
}

QByteArray renderInvitationMail(const InvitationMail &mail, QString *error)
{
    QString text;
    QString html;
    if (!invitationBodies(mail, &text, &html, error))
        return {};
    MimeMessage message;
    message.setFrom(mail.from);
    message.addTo(mail.to);
    message.setSubject(invitationSubject(mail));
    message.setMessageId(mail.messageId);
    message.setDate(mail.date);
    // RFC 3834: tells auto-responders not to answer.
    message.addHeader(QByteArrayLiteral("Auto-Submitted"), QStringLiteral("auto-generated"));
    message.setTextBody(text);
    message.setHtmlBody(html);
    return message.render(error);
}

} // namespace roster
