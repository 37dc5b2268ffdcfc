#pragma once

#include "models/csvwriter.h"
#include "models/database.h"
#include "models/userfilter.h"

#include <QList>
#include <QString>

#include <functional>

namespace roster {

// Export the current view to CSV (issue 8): what the table shows, in the order it shows it —
// the given columns (UsersTableModel::Column, in visual order) of every row of `filter`, read
// page by page through the repository (a million rows are never held at once), with the
// table's own texts. The file is written atomically (QSaveFile: a cancelled or failed export
// leaves any earlier file as it was), UTF-8 with a BOM and CRLF line ends for spreadsheet apps,
// and every cell a spreadsheet would take for a formula (= + - @ TAB CR first) is defused with a
// leading apostrophe. progress(done, total) returning false cancels. Returns the rows written.
Result<qint64> exportUsersCsv(Database &db, const UserFilter &filter, const QList<int> &columns,
                              const std::function<qint64()> &now, const QString &path,
                              const std::function<bool(qint64, qint64)> &progress = {});

} // namespace roster
