#pragma once

#include "models/database.h"

#include <QByteArray>

namespace roster {

// The organisation's key for roster-web's CSRF values: 32 random bytes made by the first
// roster-web that starts and kept in the settings table, so that a form one process rendered
// posts fine to another process serving the same database. It only signs forms: whoever reads
// the database can do far more than forge one.
Result<QByteArray> formSecret(Database &db);

} // namespace roster
