#include "models/csvwriter.h"

namespace roster {

QString csvCell(const QString &value)
{
    QString v = value;
    if (!v.isEmpty()) {
        const QChar c = v.front();
        if (c == u'=' || c == u'+' || c == u'-' || c == u'@' || c == u'\t' || c == u'\r')
            v.prepend(u'\'');
    }
    if (v.contains(u',') || v.contains(u'"') || v.contains(u'\n') || v.contains(u'\r') ||
        v.contains(u';')) {
        v.replace(u"\""_qs, u"\"\""_qs);
        v = u'"' + v + u'"';
    }
    return v;
}

} // namespace roster
