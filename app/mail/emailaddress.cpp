#include "app/mail/emailaddress.h"

#include <QCoreApplication>

namespace roster {

namespace {

constexpr qsizetype MaxAddress = 254; // RFC 5321 path 256 minus the angle brackets
constexpr qsizetype MaxLocalPart = 64;
constexpr qsizetype MaxDomain = 255;
constexpr qsizetype MaxLabel = 63;

// Gives lupdate a context for the messages of these free functions.
class EmailAddress
{
    Q_DECLARE_TR_FUNCTIONS(EmailAddress)
};

} // namespace

bool isAText(char16_t c)
{
    if ((c >= u'a' && c <= u'z') || (c >= u'A' && c <= u'Z') || (c >= u'0' && c <= u'9'))
        return true;
    switch (c) {
    case u'!':
    case u'#':
    case u'$':
    case u'%':
    case u'&':
    case u'\'':
    case u'*':
    case u'+':
    case u'-':
    case u'/':
    case u'=':
    case u'?':
    case u'^':
    case u'_':
    case u'`':
    case u'{':
    case u'|':
    case u'}':
    case u'~':
        return true;
    default:
        return false;
    }
}

namespace {

bool isLdh(char16_t c)
{
    return (c >= u'a' && c <= u'z') || (c >= u'A' && c <= u'Z') || (c >= u'0' && c <= u'9') ||
           c == u'-';
}

QString describe(QChar c)
{
    return QStringLiteral("U+%1").arg(c.unicode(), 4, 16, QLatin1Char('0')).toUpper();
}

} // namespace

QString emailAddressProblem(const QString &email)
{
    if (email.isEmpty())
        return EmailAddress::tr(
            "The email address is empty: enter an address such as name@example.com.");

    // Characters first: a stray line break or space is the most likely mistake, and the
    // length messages below would only confuse when the cause is a pasted newline.
    for (QChar c : email) {
        if (c == u'\r' || c == u'\n')
            return EmailAddress::tr(
                "The email address contains a line break: enter it on one line.");
    }
    for (QChar c : email) {
        if (c.unicode() < 0x20 || c.unicode() == 0x7f ||
            (c.unicode() >= 0x80 && c.unicode() <= 0x9f))
            return EmailAddress::tr(
                       "The email address contains an invisible control character (%1): "
                       "retype it instead of pasting it.")
                .arg(describe(c));
    }
    for (QChar c : email) {
        if (c.isSpace())
            return EmailAddress::tr("The email address contains a space: remove it.");
    }
    for (QChar c : email) {
        if (c.unicode() > 0x7e)
            return EmailAddress::tr(
                       "The email address contains \u201c%1\u201d, which is not a plain ASCII "
                       "character (it may only look like one): only plain ASCII addresses are "
                       "accepted, so retype it on an English keyboard layout.")
                .arg(c.isSurrogate() ? describe(c) : QString(c));
    }
    for (QChar c : email) {
        if (c == u'"')
            return EmailAddress::tr(
                "The email address contains a quotation mark: quoted addresses are not "
                "accepted, enter the plain address.");
        if (c == u'<' || c == u'>')
            return EmailAddress::tr(
                "Enter only the address itself, without angle brackets or a name.");
        if (c == u'(' || c == u')')
            return EmailAddress::tr(
                "The email address contains a parenthesis: remove the comment.");
    }

    const qsizetype at = email.indexOf(u'@');
    if (at < 0)
        return EmailAddress::tr(
            "The email address has no \u201c@\u201d: enter it as name@example.com.");
    if (email.indexOf(u'@', at + 1) >= 0)
        return EmailAddress::tr(
            "The email address has more than one \u201c@\u201d: keep only one.");
    const QStringView local = QStringView(email).left(at);
    const QStringView domain = QStringView(email).mid(at + 1);
    if (local.isEmpty())
        return EmailAddress::tr(
            "The email address has nothing before the \u201c@\u201d: enter it as "
            "name@example.com.");
    if (domain.isEmpty())
        return EmailAddress::tr(
            "The email address has no domain after the \u201c@\u201d: enter it as "
            "name@example.com.");

    if (local.size() > MaxLocalPart)
        return EmailAddress::tr("The part before the \u201c@\u201d is %1 characters "
                                "long; at most %2 are allowed.")
            .arg(local.size())
            .arg(MaxLocalPart);
    if (domain.size() > MaxDomain)
        return EmailAddress::tr("The domain is %1 characters long; at most %2 are "
                                "allowed.")
            .arg(domain.size())
            .arg(MaxDomain);
    if (email.size() > MaxAddress)
        return EmailAddress::tr("The email address is %1 characters long; at most "
                                "%2 are allowed.")
            .arg(email.size())
            .arg(MaxAddress);

    if (local.startsWith(u'.') || local.endsWith(u'.'))
        return EmailAddress::tr(
            "The part before the \u201c@\u201d may not start or end with a dot.");
    if (local.contains(u".."))
        return EmailAddress::tr(
            "The part before the \u201c@\u201d contains two dots in a row: remove one.");
    for (QChar c : local) {
        if (c != u'.' && !isAText(c.unicode()))
            return EmailAddress::tr("The part before the \u201c@\u201d contains "
                                    "\u201c%1\u201d, which is not allowed there.")
                .arg(c);
    }

    if (domain.startsWith(u'[')) // an address literal: legal, but never a user's address
        return EmailAddress::tr("Enter a domain name after the \u201c@\u201d, not an IP address.");
    if (domain.startsWith(u'.') || domain.endsWith(u'.'))
        return EmailAddress::tr("The domain may not start or end with a dot.");
    if (domain.contains(u".."))
        return EmailAddress::tr("The domain contains two dots in a row: remove one.");
    if (!domain.contains(u'.'))
        return EmailAddress::tr("The domain has no dot: enter a full domain such as example.com.");
    const auto labels = domain.split(u'.');
    for (QStringView label : labels) {
        if (label.size() > MaxLabel)
            return EmailAddress::tr("A part of the domain is %1 characters long; "
                                    "at most %2 are allowed between dots.")
                .arg(label.size())
                .arg(MaxLabel);
        for (QChar c : label) {
            if (!isLdh(c.unicode()))
                return EmailAddress::tr("The domain contains \u201c%1\u201d: only "
                                        "letters, digits, hyphens and dots are "
                                        "allowed there.")
                    .arg(c);
        }
        if (label.startsWith(u'-') || label.endsWith(u'-'))
            return EmailAddress::tr(
                "A part of the domain starts or ends with a hyphen: check the domain.");
    }
    bool numeric = true;
    for (QChar c : labels.last())
        numeric = numeric && c.isDigit();
    if (numeric)
        return EmailAddress::tr("Enter a domain name after the \u201c@\u201d, not an IP address.");
    return {};
}

std::optional<Mailbox> parseMailbox(const QString &text, QString *problem)
{
    const auto refuse = [problem](const QString &why) -> std::optional<Mailbox> {
        *problem = why;
        return std::nullopt;
    };
    problem->clear();
    for (QChar c : text) {
        if (c == u'\r' || c == u'\n' || c == QChar::LineSeparator || c == QChar::ParagraphSeparator)
            return refuse(
                EmailAddress::tr("The sender contains a line break: enter it on one line."));
    }
    const QString t = text.trimmed();
    if (t.isEmpty())
        return refuse(EmailAddress::tr("The sender is empty: enter an address such as "
                                       "noreply@example.com, or Name <noreply@example.com>."));
    const qsizetype open = t.indexOf(u'<');
    const qsizetype close = t.indexOf(u'>');
    if (open < 0 && close < 0) {
        // A bare address; "Acme CRM noreply@acme.example" is a name without brackets.
        const qsizetype space = t.lastIndexOf(u' ');
        if (space > 0 && t.indexOf(u'@') > space && emailAddressProblem(t.mid(space + 1)).isEmpty())
            return refuse(EmailAddress::tr("Put the address in angle brackets after the name: "
                                           "Name <noreply@example.com>."));
        if (const QString p = emailAddressProblem(t); !p.isEmpty())
            return refuse(p);
        return Mailbox{QString(), t};
    }
    if (open < 0)
        return refuse(EmailAddress::tr("The sender has a \u201c>\u201d without a \u201c<\u201d: "
                                       "write it as Name <noreply@example.com>."));
    if (close < 0)
        return refuse(EmailAddress::tr("The sender has no \u201c>\u201d after the address: "
                                       "write it as Name <noreply@example.com>."));
    if (t.indexOf(u'<', open + 1) >= 0 || t.indexOf(u'>', close + 1) >= 0 || close < open)
        return refuse(EmailAddress::tr("The sender holds more than one address in angle "
                                       "brackets: give one, as Name <noreply@example.com>."));
    if (close != t.size() - 1)
        return refuse(EmailAddress::tr("The sender has text after the \u201c>\u201d: remove "
                                       "it, or move it into the name before the \u201c<\u201d."));
    const QString address = t.mid(open + 1, close - open - 1).trimmed();
    if (address.isEmpty())
        return refuse(EmailAddress::tr("The address between \u201c<\u201d and \u201c>\u201d is "
                                       "empty: enter it as Name <noreply@example.com>."));
    if (const QString p = emailAddressProblem(address); !p.isEmpty())
        return refuse(p);

    const QString raw = t.left(open).trimmed();
    QString name;
    if (raw.startsWith(u'"')) {
        qsizetype i = 1;
        bool closed = false;
        for (; i < raw.size(); ++i) {
            const QChar c = raw.at(i);
            if (c == u'\\' && i + 1 < raw.size()) {
                name += raw.at(++i);
            } else if (c == u'"') {
                closed = true;
                break;
            } else {
                name += c;
            }
        }
        if (!closed || i != raw.size() - 1)
            return refuse(EmailAddress::tr("The sender's name has an unmatched quotation mark: "
                                           "quote the whole name, as \"Acme, Inc.\" "
                                           "<noreply@example.com>."));
    } else {
        if (raw.contains(u'"'))
            return refuse(EmailAddress::tr("The sender's name has an unmatched quotation mark: "
                                           "quote the whole name, as \"Acme, Inc.\" "
                                           "<noreply@example.com>."));
        name = raw;
    }
    return Mailbox{name.trimmed(), address};
}

} // namespace roster
