#include "app/formsecret.h"

#include <QCoreApplication>
#include <QRandomGenerator>
#include <QSqlQuery>

#include <array>

namespace roster {

namespace {
const QString key = QStringLiteral("web.form_secret");

Result<QByteArray> readSecret(const Database &db)
{
    QSqlQuery q = db.prepare(QStringLiteral("SELECT value FROM settings WHERE key = ?"));
    q.addBindValue(key);
    if (Status s = db.exec(q); !s)
        return s.error();
    if (!q.next())
        return QByteArray();
    return QByteArray::fromHex(q.value(0).toString().toLatin1());
}
} // namespace

Result<QByteArray> formSecret(Database &db)
{
    auto existing = readSecret(db);
    if (!existing || existing->size() == 32)
        return existing;
    std::array<quint32, 8> words{};
    QRandomGenerator::system()->fillRange(words.data(), words.size());
    const QByteArray fresh(reinterpret_cast<const char *>(words.data()), 32);
    // Two processes starting at once: the first insert wins and both read it back.
    QSqlQuery q = db.prepare(QStringLiteral(
        "INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO NOTHING"));
    q.addBindValue(key);
    q.addBindValue(QString::fromLatin1(fresh.toHex()));
    if (Status s = db.exec(q); !s)
        return s.error();
    q.finish();
    auto stored = readSecret(db);
    if (stored && stored->size() != 32)
        return makeError(ErrorKind::Database,
                         QCoreApplication::translate(
                             "FormSecret", "The database holds a damaged web.form_secret setting: "
                                           "delete that row and start roster-web again."));
    return stored;
}

} // namespace roster
