#include "app/validation.h"

#include <QCoreApplication>
#include <QUrl>

namespace roster {

namespace {
QString tr(const char *s)
{
    return QCoreApplication::translate("Validation", s);
}

bool hasControl(const QString &v)
{
    for (QChar c : v)
        if (c.category() == QChar::Other_Control || c == QChar::LineSeparator ||
            c == QChar::ParagraphSeparator || c.category() == QChar::Other_Format)
            return true;
    return false;
}
} // namespace

QString userNameProblem(const QString &name)
{
    const QString n = name.trimmed();
    if (n.isEmpty())
        return tr("The name is empty: give the user's full name.");
    if (n.size() > 200)
        return tr("The name is %1 characters long: use at most 200.").arg(n.size());
    if (hasControl(n))
        return tr("The name holds a control character (such as a line break): remove it.");
    return {};
}

QString textFieldProblem(const QString &label, const QString &value, int maxLength)
{
    if (value.size() > maxLength)
        return tr("%1 is %2 characters long: use at most %3.")
            .arg(label)
            .arg(value.size())
            .arg(maxLength);
    if (hasControl(value))
        return tr("%1 holds a control character (such as a line break): remove it.").arg(label);
    return {};
}

QString acceptUrlProblem(const QString &url)
{
    const QUrl u(url, QUrl::StrictMode);
    if (!u.isValid() || (u.scheme() != u"https" && u.scheme() != u"http") || u.host().isEmpty() ||
        hasControl(url) || url.contains(u' '))
        return tr("\"%1\" is not a usable accept URL: give an http(s) address such as "
                  "https://crm.example.com/accept.")
            .arg(url.left(200));
    return {};
}

} // namespace roster
