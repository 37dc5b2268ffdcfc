#pragma once

#include <QIcon>
#include <QString>

namespace roster {

// An icon from one of Roster's own SVG files (resources/icons), drawn by Qt's SVG module
// (QSvgRenderer) at whatever size and device pixel ratio it is asked for, so it stays sharp on
// high-DPI screens. "currentColor" in the file is the palette's text colour (the highlighted text
// colour when selected, half transparent when disabled), so the icons follow light and dark
// palettes. Where the desktop's icon theme has an icon for the same purpose (refresh.svg:
// view-refresh, search.svg: edit-find, plus.svg: list-add, mail.svg: mail-send), that one is used
// and ours is the fallback (QIcon::fromTheme).
QIcon vectorIcon(const QString &resourcePath);

// The theme icon name used for one of our files, empty when there is none (tests).
QString themeIconName(const QString &resourcePath);

} // namespace roster
