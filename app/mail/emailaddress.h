#pragma once

#include <QString>

#include <optional>

namespace roster {

// Empty when `email` is acceptable as a user's address; otherwise ONE translated line saying
// what is wrong and what to do. Only a plain ASCII addr-spec is accepted: a dot-atom local part
// of RFC 5322 atext, a domain of LDH labels with at least one dot, no leading, trailing or
// doubled dots; local part <= 64, domain <= 255, whole address <= 254 characters (RFC 5321).
// Whitespace, CR/LF, control characters, quotes, comments and non-ASCII letters (look-alikes
// such as a Cyrillic "а") are refused: an address that cannot be typed on every keyboard or
// read without doubt is not worth the support calls it would cost.
QString emailAddressProblem(const QString &email);

// RFC 5322 atext: ASCII letters, digits and !#$%&'*+-/=?^_`{|}~. The one copy of that rule.
bool isAText(char16_t c);

// A sender as an administrator types it: "noreply@acme.example", "<noreply@acme.example>",
// "Acme CRM <noreply@acme.example>" or "\"Acme, Inc.\" <noreply@acme.example>" (a quoted name
// may hold \" and \\). The address passes emailAddressProblem(); the name is unquoted, trimmed,
// and empty when none was given. Nothing with `problem` set to ONE translated line that names
// what is wrong (a missing ">", no "@", a line break...).
struct Mailbox
{
    QString name;
    QString address;
};
std::optional<Mailbox> parseMailbox(const QString &text, QString *problem);

} // namespace roster
