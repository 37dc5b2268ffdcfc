#pragma once

class QLabel;
class QString;
class QWidget;

namespace roster {

// The heading of a page (Users, Email settings, Profiles, …): the font one and a half sizes up,
// bold.
QLabel *makePageTitle(const QString &text, QWidget *parent);

} // namespace roster
