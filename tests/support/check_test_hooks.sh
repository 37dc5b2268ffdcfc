#!/bin/sh
# check_test_hooks.sh SOURCE_DIR: the test hooks' environment variables are read in
# models/testhooks.cpp only, where ROSTER_TEST_HOOKS compiles them in (issue 13 point 13). Fails,
# naming the line, when another product source reads one of them.
set -eu
cd "$1"
found=$(grep -rnE '(qEnvironmentVariable[A-Za-z]*|qgetenv|getenv|environment\(\)\.value)[^;]*"ROSTER_((CLOCK_OFFSET|SMTP_TIMEOUT|BUSY_TIMEOUT)_MS|IMAP_MAX_MESSAGES)"' \
  app models ui | grep -v '^models/testhooks\.cpp:' || true)
if [ -n "$found" ]; then
  echo "read outside models/testhooks.cpp (compiled into every build):" >&2
  echo "$found" >&2
  exit 1
fi
echo "the test hooks are read in models/testhooks.cpp only"
