#include "ui/csvexport.h"

#include "models/userstablemodel.h"

#include <QCoreApplication>
#include <QSaveFile>

namespace roster {

namespace {
QString tr(const char *s)
{
    return QCoreApplication::translate("CsvExport", s);
}
} // namespace

Result<qint64> exportUsersCsv(Database &db, const UserFilter &filter, const QList<int> &columns,
                              const std::function<qint64()> &now, const QString &path,
                              const std::function<bool(qint64, qint64)> &progress)
{
    // A model of its own, with big pages and the model's bounded page cache: the rows come from
    // the repository a page at a time, and the texts are the table's.
    UsersTableModel model(db, now);
    model.setPageSize(2000);
    model.setFilter(filter);
    const qint64 total = model.rowCount();

    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly))
        return makeError(ErrorKind::Invalid,
                         tr("Cannot write %1: %2").arg(path, file.errorString()));
    QString chunk;
    const auto flush = [&]() -> bool {
        const QByteArray bytes = chunk.toUtf8();
        chunk.clear();
        return file.write(bytes) == bytes.size();
    };
    file.write("\xEF\xBB\xBF"); // the BOM: spreadsheet apps then read UTF-8, not Latin-1
    QStringList cells;
    for (int c : columns)
        cells << csvCell(model.headerData(c, Qt::Horizontal, Qt::DisplayRole).toString());
    chunk += cells.join(u',') + QStringLiteral("\r\n");
    for (qint64 row = 0; row < total; ++row) {
        cells.clear();
        for (int c : columns) {
            const QModelIndex i = model.index(int(row), c);
            cells << csvCell(model.data(i, Qt::DisplayRole).toString());
        }
        if (!model.userAt(int(row)).isValid()) {
            file.cancelWriting();
            return makeError(ErrorKind::Database,
                             tr("The export stopped at row %1: the database could not be read. "
                                "Nothing was written.")
                                 .arg(row + 1));
        }
        chunk += cells.join(u',') + QStringLiteral("\r\n");
        if ((row + 1) % 2000 == 0) {
            if (!flush()) {
                file.cancelWriting();
                return makeError(ErrorKind::Invalid,
                                 tr("Cannot write %1: %2").arg(path, file.errorString()));
            }
            if (progress && !progress(row + 1, total)) {
                file.cancelWriting();
                return makeError(ErrorKind::Refused, tr("Export cancelled: nothing was written."));
            }
        }
    }
    if (!flush() || !file.commit())
        return makeError(ErrorKind::Invalid,
                         tr("Cannot write %1: %2").arg(path, file.errorString()));
    if (progress)
        progress(total, total);
    return total;
}

} // namespace roster
