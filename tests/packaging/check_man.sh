#!/bin/sh
# check_man.sh PAGE [PROGRAM]: the man page renders without a groff warning and, when PROGRAM is
# given, documents every long option that "PROGRAM --help" prints (so the page cannot fall
# behind the program's help).
set -eu
page=$1
program=${2:-}
command -v groff >/dev/null || { echo "groff is missing (Debian: groff-base)" >&2; exit 1; }

warnings=$(groff -man -Tutf8 -ww -z "$page" 2>&1) || { echo "$warnings"; exit 1; }
if [ -n "$warnings" ]; then
  echo "groff warns about $page:"; echo "$warnings"; exit 1
fi
for section in NAME SYNOPSIS DESCRIPTION "EXIT STATUS" ENVIRONMENT FILES EXAMPLES; do
  grep -q "^\.SH \"\{0,1\}$section\"\{0,1\}\$" "$page" || { echo "$page has no $section section"; exit 1; }
done
for var in ROSTER_DB ROSTER_AS ROSTER_PASSWORD PGPASSWORD; do
  grep -q "^\.B $var\$" "$page" || { echo "$page does not describe $var"; exit 1; }
done

if [ -n "$program" ]; then
  help=$(QT_QPA_PLATFORM=offscreen "$program" --help) || { echo "$program --help failed"; exit 1; }
  # Rendered text of the page (roff escapes resolved; no hyphenation, no line breaks inside a
  # paragraph), to look the options up in.
  text=$(groff -man -Tascii -P-cbou -rHY=0 -rLL=2000n "$page" 2>/dev/null)
  missing=""
  for opt in $(printf '%s\n' "$help" | grep -o -- '--[a-z][a-z-]*' | sort -u); do
    printf '%s\n' "$text" | grep -q -- "$opt\([^a-z-]\|\$\)" || missing="$missing $opt"
  done
  if [ -n "$missing" ]; then
    echo "$page does not document these options of $(basename "$program") --help:$missing"; exit 1
  fi
fi
echo "$page: no groff warning, sections and options complete"
