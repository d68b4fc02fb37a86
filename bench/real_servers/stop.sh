#!/bin/sh
# Stops the servers start.sh started: exactly the PIDs it wrote, nothing by name.
[ -f /tmp/rs/pids.txt ] || exit 0
while read -r name pid; do kill "$pid" 2>/dev/null && echo "stopped $name ($pid)"; done < /tmp/rs/pids.txt
: > /tmp/rs/pids.txt
