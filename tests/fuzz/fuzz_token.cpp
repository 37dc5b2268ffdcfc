// libFuzzer: decodeToken (app/tokens.h), what the accept page does with a link's token.
// Invariants: a decoded token is 32 bytes and re-encodes (base64url, no padding) to exactly the
// input; decoding never accepts anything but 43 characters of [A-Za-z0-9_-].
#include "app/tokens.h"

#include <cstdint>
#include <cstdlib>

using namespace roster;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const QByteArrayView text(reinterpret_cast<const char *>(data), qsizetype(size));
    const auto decoded = decodeToken(text);
    if (!decoded)
        return 0;
    if (decoded->size() != 32 || text.size() != 43)
        abort();
    if (decoded->toBase64(QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals) != text)
        abort();
    // And the hash the database is searched by is well-formed.
    if (tokenHash(text.toByteArray()).size() != 64)
        abort();
    return 0;
}
