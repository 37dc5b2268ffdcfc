#pragma once

#include <QString>

namespace roster {

// Empty when acceptable, else one translated line that says what is wrong and what to do.
QString userNameProblem(const QString &name);
// Free-text fields (portal account, organisation name): no control characters, bounded length.
QString textFieldProblem(const QString &label, const QString &value, int maxLength);
QString acceptUrlProblem(const QString &url);

} // namespace roster
