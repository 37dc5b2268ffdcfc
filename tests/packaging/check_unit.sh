#!/bin/sh
# check_unit.sh UNIT: systemd-analyze finds nothing wrong with the unit (a missing /usr/bin
# executable and man page are expected outside an installed system and ignored), and the unit
# keeps its hardening: a dynamic user, no capabilities, a read-only system.
set -eu
unit=$1
command -v systemd-analyze >/dev/null || { echo "systemd-analyze is missing (Debian: systemd)"; exit 77; }
out=$(systemd-analyze verify "$unit" 2>&1 | grep -v -e 'is not executable' -e "Command 'man " || true)
if [ -n "$out" ]; then
  echo "$out"; exit 1
fi
for line in DynamicUser=yes ProtectSystem=strict ProtectHome=yes PrivateTmp=yes NoNewPrivileges=yes \
            'CapabilityBoundingSet=$' 'SystemCallFilter=@system-service' 'RestrictAddressFamilies='; do
  grep -q "^$line" "$unit" || { echo "$unit lost $line"; exit 1; }
done
systemd-analyze security --offline=yes "$unit" 2>/dev/null | tail -1 || true
echo "PASS: $unit"
