#pragma once

#include <QString>

namespace roster {

// Empty when `email` is acceptable as a user's address; otherwise ONE translated line saying
// what is wrong and what to do. Only a plain ASCII addr-spec is accepted: a dot-atom local part
// of RFC 5322 atext, a domain of LDH labels with at least one dot, no leading, trailing or
// doubled dots; local part <= 64, domain <= 255, whole address <= 254 characters (RFC 5321).
// Whitespace, CR/LF, control characters, quotes, comments and non-ASCII letters (look-alikes
// such as a Cyrillic "а") are refused: an address that cannot be typed on every keyboard or
// read without doubt is not worth the support calls it would cost.
QString emailAddressProblem(const QString &email);

// The key emails are compared by (case-insensitive): the value of the UNIQUE index.
// The address itself is stored as typed.
QString emailKey(const QString &email);

} // namespace roster
