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

// renderInvitationMail() for a run of many messages (the outbox's delivery): the templates are
// read and compiled once, into lines; the lines without a placeholder are quoted-printable
// encoded once, and each message fills in and encodes only the lines that hold one. The expiry
// text is formatted once per expiry time. The bytes are those of renderInvitationMail() for the
// same input (tst_invitationmail compares them). One instance per thread.
class InvitationRenderer
{
public:
    QByteArray render(const InvitationMail &mail, QString *error);

    struct Line
    {
        QString text;       // the template's line, placeholders in it
        QByteArray encoded; // its quoted-printable form, when it holds no placeholder
        bool filled = false;
    };
    struct Compiled
    {
        bool ready = false;
        QString error;          // the template could not be read
        bool wholeText = false; // a placeholder spans lines: filled as one text (rare)
        QString text, html;
        QList<Line> textLines, htmlLines;
    };

private:
    const Compiled &compiled(bool portal);
    Compiled m_compiled[2];
    qint64 m_expiryMs = 0;
    int m_expiryOffset = 0;
    QString m_expiryText;
};

// "<Inviter> invited you to <Organisation> on Roster", or the portal variant.
QString invitationSubject(const InvitationMail &mail);

// The filled text and HTML bodies, for previews and tests. False + *error on bad input.
bool invitationBodies(const InvitationMail &mail, QString *text, QString *html, QString *error);

// Replaces every {{key}} of `text` by values[key] in one pass (values are not scanned again).
// An unknown key is an error: a misspelt placeholder must not reach a recipient.
bool fillTemplate(const QString &text, const QList<QPair<QString, QString>> &values,
                  QString *result, QString *error);

} // namespace roster
