#pragma once

#include <QIcon>
#include <QString>

namespace roster {

// An icon drawn from one of Roster's own SVG files at whatever size and device pixel ratio it is
// asked for, so it stays sharp on high-DPI screens. Qt's SVG module is not part of this build:
// this understands the subset our icons use (path with M L H V C Q A Z, circle; fill, stroke,
// stroke-width, fill-rule, line caps and joins). "currentColor" is the palette's text colour, so
// the icons follow light and dark palettes.
QIcon vectorIcon(const QString &resourcePath);

} // namespace roster
