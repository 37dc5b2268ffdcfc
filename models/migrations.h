#pragma once

#include "models/database.h"

#include <QStringList>

namespace roster {

int latestSchemaVersion();
// The statements that take a database from version-1 to version, spelled for the dialect.
QStringList migrationStatements(int version, Dialect dialect);

} // namespace roster
