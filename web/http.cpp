#include "web/http.h"

namespace roster::web {

namespace {
QByteArray find(const HeaderList &list, QByteArrayView name, Qt::CaseSensitivity cs)
{
    for (const auto &[key, value] : list)
        if (QByteArrayView(key).compare(name, cs) == 0)
            return value.isNull() ? QByteArray("") : value;
    return {};
}

QByteArray formDecode(QByteArrayView part)
{
    QByteArray s = part.toByteArray();
    s.replace('+', ' ');
    return QByteArray::fromPercentEncoding(s);
}
} // namespace

QByteArray Request::header(QByteArrayView name) const
{
    return find(headers, name, Qt::CaseInsensitive);
}

QByteArray Request::queryValue(QByteArrayView name) const
{
    return find(query, name, Qt::CaseSensitive);
}

QByteArray Request::cookie(QByteArrayView name) const
{
    return find(cookies, name, Qt::CaseSensitive);
}

QByteArray valueOf(const HeaderList &list, QByteArrayView name)
{
    return find(list, name, Qt::CaseSensitive);
}

HeaderList parseFormBody(QByteArrayView body)
{
    HeaderList out;
    qsizetype start = 0;
    while (start <= body.size()) {
        qsizetype end = body.indexOf('&', start);
        if (end < 0)
            end = body.size();
        const QByteArrayView pair = body.sliced(start, end - start);
        if (!pair.isEmpty()) {
            const qsizetype eq = pair.indexOf('=');
            if (eq < 0)
                out.append({formDecode(pair), QByteArray("")});
            else
                out.append({formDecode(pair.first(eq)), formDecode(pair.sliced(eq + 1))});
        }
        start = end + 1;
    }
    return out;
}

} // namespace roster::web
