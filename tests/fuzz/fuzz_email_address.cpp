// libFuzzer: emailAddressProblem (app/mail/emailaddress.h), the gate for every address stored.
// Invariants: an accepted address is plain printable ASCII without spaces, quotes, brackets or
// CR/LF, with exactly one '@', a local part of 1..64 and a domain of 1..255 characters with a dot,
// at most 254 in all; a refusal is one line.
#include "app/mail/emailaddress.h"

#include <cstdint>
#include <cstdlib>

using namespace roster;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 4096)
        return 0;
    const QString email = QString::fromUtf8(reinterpret_cast<const char *>(data), qsizetype(size));
    const QString problem = emailAddressProblem(email);
    if (!problem.isEmpty()) {
        if (problem.contains(u'\n') || problem.contains(u'\r'))
            abort();
        return 0;
    }
    if (email.size() > 254 || email.count(u'@') != 1)
        abort();
    for (QChar c : email)
        if (c.unicode() <= 0x20 || c.unicode() >= 0x7f || c == u'"' || c == u'<' || c == u'>' ||
            c == u'(' || c == u')' || c == u',' || c == u';' || c == u'[' || c == u']' ||
            c == u'\\')
            abort();
    const qsizetype at = email.indexOf(u'@');
    const QStringView local = QStringView(email).left(at);
    const QStringView domain = QStringView(email).mid(at + 1);
    if (local.isEmpty() || local.size() > 64 || domain.isEmpty() || domain.size() > 255 ||
        !domain.contains(u'.') || domain.startsWith(u'.') || domain.endsWith(u'.') ||
        domain.contains(u".."))
        abort();
    return 0;
}
