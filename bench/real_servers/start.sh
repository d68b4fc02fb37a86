#!/bin/sh
# Starts real HTTP servers on 127.0.0.2 for trying tailgate against software it did not write
# (docs/real-servers.md). Everything lives in /tmp/rs (the configs name it); PIDs go to
# /tmp/rs/pids.txt, and stop.sh kills exactly those. Each Node server exits after an hour.
# Needs: openssl, nginx, caddy, apache2 (mod_http2, mod_ssl), h2o, lighttpd, python3, node, deno.
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
RS=/tmp/rs
mkdir -p $RS/logs $RS/tmp $RS/www/dir $RS/out
cp "$HERE"/*.conf "$HERE"/Caddyfile "$HERE"/*.js "$HERE"/targets.jsonl $RS/
cd $RS
echo '{"ok":true,"msg":"hello from static"}' > www/index.json
echo hello > www/index.html
echo x > www/dir/index.html
head -c 5000000 /dev/urandom > www/big.bin
# A CA and a server certificate signed by it (rustls refuses a CA certificate served as the
# server's own), naming 127.0.0.2; then a wrong-name and a CA-as-server certificate (node_bad.js).
openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 30 -subj "/CN=rs test CA" \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
openssl req -newkey rsa:2048 -nodes -keyout srv.key -out srv.csr -subj "/CN=127.0.0.2" 2>/dev/null
printf "subjectAltName=IP:127.0.0.2,DNS:localhost\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n" > ext.cnf
openssl x509 -req -in srv.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out srv.pem -days 30 -extfile ext.cnf 2>/dev/null
cat srv.pem ca.pem > chain.pem
openssl req -newkey rsa:2048 -nodes -keyout bad.key -out bad.csr -subj "/CN=example.test" 2>/dev/null
printf "subjectAltName=DNS:example.test\n" > bad.cnf
openssl x509 -req -in bad.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out bad.pem -days 30 -extfile bad.cnf 2>/dev/null
openssl req -x509 -newkey rsa:2048 -nodes -keyout caself.key -out caself.pem -days 30 -subj "/CN=127.0.0.2" \
  -addext "subjectAltName=IP:127.0.0.2" -addext "basicConstraints=critical,CA:TRUE" 2>/dev/null
: > pids.txt
start() { name=$1; shift; "$@" > "logs/$name.out" 2>&1 & echo "$name $!" >> pids.txt; }
start nginx nginx -c $RS/nginx.conf -p $RS                    # 18080 http/1.1, 18443 h2+TLS
start python python3 -m http.server 18001 --bind 127.0.0.2 --directory $RS/www   # HTTP/1.0
start nodehttp node node_http.js                              # 18002 http/1.1
start nodeh2 node node_h2.js                                  # 18003 h2+TLS (allowHTTP1)
start caddy env HOME=$RS XDG_DATA_HOME=$RS/caddydata caddy run --config $RS/Caddyfile --adapter caddyfile  # 18444 TLS, 18084 http
start lighttpd lighttpd -D -f $RS/lighttpd.conf               # 18083 http/1.1 + h2c
echo "user: $(whoami)" >> h2o.conf
start h2o h2o -c $RS/h2o.conf                                 # 18446 TLS, 18082 http/1.1 + h2c
start apache apache2 -f $RS/apache.conf -DFOREGROUND          # 18085 h2c, 18445 h2+TLS
start nodeodd node node_odd.js                                # 18007 slow, hang, reset, half body
start nodemore node node_more.js                              # 18009 1xx hints, trailers, 204, 304
start nodeh2odd node node_h2odd.js                            # 18008 RST_STREAM, GOAWAY, hang (h2+TLS)
start nodebad node node_bad.js                                # 18005 wrong name, 18006 CA as server cert
start sse deno run --allow-net=127.0.0.2 "$REPO/tests/_sse_server.ts" 18004 7   # SSE, 10 min
sleep 2
cat pids.txt
