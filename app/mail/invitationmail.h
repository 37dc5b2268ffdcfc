#pragma once

#include "app/mail/mimemessage.h"

#include <QByteArray>
#include <QDateTime>
#include <QString>

namespace roster {

// What an invitation mail says; renderInvitationMail() turns it into an RFC 5322 message.
struct InvitationMail
{
    bool portal = false;  // a Customer Portal user: the portal-invitation templates
    QString organisation; // empty: "your organisation"
    QString inviterName;  // empty: "An administrator"
    MailAddress from;
    MailAddress to;
    QString acceptLink; // http(s) URL with the token
    QDateTime expiresAt;
    QByteArray messageId; // without angle brackets
    QDateTime date;
};

// Fills the templates (resources/templates, text + HTML, values HTML-escaped in the HTML part)
// with the link, the expiry date and time, the organisation, the inviter and the recipient's
// name, and renders the message through MimeMessage with "Auto-Submitted: auto-generated".
// Returns empty and sets *error (one translated line) on bad input.
QByteArray renderInvitationMail(const InvitationMail &mail, QString *error);

// "<Inviter> invited you to <Organisation> on Roster", or the portal variant.
QString invitationSubject(const InvitationMail &mail);

// The filled text and HTML bodies, for previews and tests. False + *error on bad input.
bool invitationBodies(const InvitationMail &mail, QString *text, QString *html, QString *error);

// Replaces every {{key}} of `text` by values[key] in one pass (values are not scanned again).
// An unknown key is an error: a misspelt placeholder must not reach a recipient.
bool fillTemplate(const QString &text, const QList<QPair<QString, QString>> &values,
                  QString *result, QString *error);

} // namespace roster
