#pragma once

#include <QString>

namespace roster {

// The one CSV writer of Roster (the console's export and `rosterctl user list --format csv`):
// one field, defused against formula injection (OWASP "CSV injection": a cell that starts with
// = + - @ TAB or CR gets a leading apostrophe, so a spreadsheet shows it as text), then quoted
// when it holds a comma, a semicolon, a quote or a line break. Rows end with CRLF.
QString csvCell(const QString &value);

} // namespace roster
