#!/bin/bash
# Benches every client profile against every server start.sh started; one line per pair:
# exit code, requests, errors, statuses, error kinds, protocol, requests with connect/tls/first_body.
# Usage: bench/real_servers/matrix.sh ["name=url ..."]   (N=60 requests each by default)
REPO=$(cd "$(dirname "$0")/../.." && pwd)
T="${TAILGATE:-deno run --allow-net=127.0.0.2 --allow-read --allow-write=/tmp/rs $REPO/main.ts}"
URLS="nginx-h1=http://127.0.0.2:18080/api nginx-h2tls=https://127.0.0.2:18443/api python=http://127.0.0.2:18001/index.json nodehttp=http://127.0.0.2:18002/x nodeh2=https://127.0.0.2:18003/x caddy-tls=https://127.0.0.2:18444/api caddy-http=http://127.0.0.2:18084/api lighttpd=http://127.0.0.2:18083/index.json h2o-tls=https://127.0.0.2:18446/index.json h2o-h2c=http://127.0.0.2:18082/index.json apache-h2c=http://127.0.0.2:18085/index.json apache-tls=https://127.0.0.2:18445/index.json"
for pair in ${1:-$URLS}; do
  name=${pair%%=*}; url=${pair#*=}
  for c in fast fast-h2 h1 baseline optimized fresh; do
    out=/tmp/rs/out/m_${name}_${c}
    timeout 60 $T bench "$url" -n ${N:-60} -c 4 --client $c --ca-cert /tmp/rs/ca.pem --out $out.csv --json $out.json > $out.txt 2>&1
    rc=$?
    python3 - "$out.json" "$rc" "$name" "$c" "$out.txt" <<'PY'
import json,sys
f,rc,name,c,txt=sys.argv[1:]
try:
  j=json.load(open(f)); s=j["summary"]
  proto=j.get("protocol") or j["config"].get("protocol")
  if isinstance(proto,dict): proto=proto.get("spoke") or proto.get("protocol") or proto
  ph=s.get("phases",{})
  print(f"{name:12} {c:9} rc={rc} n={s['count']} err={s['errors']} {s['status_codes']} kinds={s['error_kinds']} proto={proto} conn={ph.get('connect',{}).get('count')} tls={ph.get('tls',{}).get('count')} fb={ph.get('first_body',{}).get('count')}")
except Exception as e:
  print(f"{name:12} {c:9} rc={rc} NOJSON {e}: "+open(txt).read()[-300:].replace("\n"," | "))
PY
  done
done
