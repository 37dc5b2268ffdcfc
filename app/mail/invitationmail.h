#pragma once

#include "app/mail/mimemessage.h"

#include <QByteArray>
#include <QDateTime>
#include <QString>

namespace roster {

// RFC 3986 §2.3: a character a URL carries as it is, never percent-encoded.
inline bool isUrlUnreserved(char16_t c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_' || c == '.' || c == '~';
}

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

// renderInvitationMail() for a run of many messages (the outbox's delivery), byte for byte the
// same (tst_invitationmail compares them). Set up once per run: the templates read and cut into
// lines, each line into literal pieces and placeholders; a line without a placeholder encoded
// once; a literal piece's quoted-printable form kept per column it starts at (its encoding
// depends on nothing else); the fields and values that are the same for every message (From,
// Subject, organisation, inviter, expiry) made and checked once. Each message then encodes only
// its own values, straight into one buffer sized from the message before. One instance per
// thread.
class InvitationRenderer
{
public:
    QByteArray render(const InvitationMail &mail, QString *error);

    enum Slot : int {
        Subject,
        Greeting,
        Organisation,
        Inviter,
        RecipientName,
        RecipientEmail,
        Link,
        Expires,
        SlotCount
    };
    struct Piece
    {
        int slot = -1;           // a placeholder; -1: the literal below
        QByteArray literal;      // UTF-8
        QList<QByteArray> coded; // its encoding by start column * 2 + ends line; null: not yet
        QList<qint8> endColumn;
    };
    struct Line
    {
        QString text;       // the template's line, placeholders in it
        QByteArray encoded; // its quoted-printable form, when it holds no placeholder
        bool filled = false;
        QList<Piece> pieces;
    };
    struct Compiled
    {
        bool ready = false;
        QString error;          // the template could not be read
        QString fillError;      // it names an unknown placeholder
        bool wholeText = false; // a placeholder spans lines: filled as one text (rare)
        QString text, html;
        QList<Line> textLines, htmlLines;
    };
    struct Value
    {
        QString key; // what it was made from
        bool set = false;
        QByteArray text, html; // UTF-8, as it goes into each part
    };

private:
    const Compiled &compiled(bool portal);
    void encodeLines(QList<Line> &lines, bool html, QByteArray &out);
    QString checkedLink(const QString &link, QByteArray *encoded);
    Compiled m_compiled[2];
    QString m_linkChecked; // the last link found valid, already in its encoded form
    qint64 m_expiryMs = 0;
    int m_expiryOffset = 0;
    QString m_expiryText;
    Value m_values[SlotCount];
    MailAddress m_fromKey;
    QByteArray m_fromField;
    QString m_fromError;
    bool m_fromSet = false;
    QString m_subjectKey;
    QByteArray m_subjectField;
    QString m_subjectError;
    bool m_subjectSet = false;
    QByteArray m_autoSubmitted;
    qint64 m_dateSecond = 0;
    int m_dateOffset = 0;
    QByteArray m_dateField;
    qsizetype m_lastSize = 0;
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
