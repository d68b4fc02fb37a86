#!/bin/sh
# tailgate inside the container: the network is open (the target is usually
# remote), reads are limited to the app and the results volume, writes to the
# results volume only.
exec deno run --cached-only --allow-net --allow-read=/app,/results \
  --allow-write=/results --allow-env=NO_COLOR /app/main.ts "$@"
