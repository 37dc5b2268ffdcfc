#include "app/cli/output.h"

#include <QCoreApplication>
#include <QDateTime>
#include <QTimeZone>

#include <cstdio>

namespace roster::cli {

QString tr(const char *s, int n)
{
    return QCoreApplication::translate("rosterctl", s, nullptr, n);
}

QTextStream &out()
{
    static QTextStream s(stdout);
    return s;
}

void errorLine(const QString &message)
{
    QString m = message;
    m.replace(u'\n', u' ');
    out().flush(); // what was printed before the error stays before it
    QTextStream e(stderr);
    e << "rosterctl: " << m << Qt::endl;
}

int exitFor(ErrorKind kind)
{
    switch (kind) {
    case ErrorKind::Invalid:
        return Usage;
    case ErrorKind::Refused:
        return Refused;
    case ErrorKind::NotFound:
        return NotFound;
    case ErrorKind::Database:
    case ErrorKind::Cancelled:
        return DatabaseError;
    case ErrorKind::Mail:
        return MailError;
    }
    return DatabaseError;
}

int fail(const Error &e)
{
    errorLine(e.message);
    return exitFor(e.kind);
}

int usage(const QString &message)
{
    errorLine(message + u' ' + tr("(see \"rosterctl --help\")"));
    return Usage;
}

int failOrUsage(const Error &e)
{
    return e.kind == ErrorKind::Invalid ? usage(e.message) : fail(e);
}

std::optional<QString> readStdinLine()
{
    static QTextStream in(stdin);
    if (in.atEnd())
        return std::nullopt;
    QString line = in.readLine();
    if (line.isNull())
        return std::nullopt;
    if (line.endsWith(u'\r'))
        line.chop(1);
    return line;
}

QString isoTime(qint64 ms)
{
    return QDateTime::fromMSecsSinceEpoch(ms, QTimeZone::utc()).toString(Qt::ISODate);
}

QJsonValue jsonTime(const std::optional<qint64> &ms)
{
    return ms ? QJsonValue(isoTime(*ms)) : QJsonValue();
}

QJsonValue jsonText(const QString &text)
{
    return text.isEmpty() ? QJsonValue() : QJsonValue(text);
}

} // namespace roster::cli
