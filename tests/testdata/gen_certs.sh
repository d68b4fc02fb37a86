#!/bin/sh
# Regenerates the TLS test data for the mock's HTTPS tests (run from anywhere):
#   ca.pem          self-signed test CA (trust it with Deno.createHttpClient({ caCerts: [ca] }))
#   server.pem      server certificate for localhost, 127.0.0.1 and ::1, signed by the CA
#   server-key.pem  the server's private key (test-only; never use outside tests)
# Valid for 20 years (7300 days). The CA key is thrown away: nothing new can be signed.
set -eu
cd "$(dirname "$0")"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 7300 \
  -subj "/CN=tailgate test CA" -keyout "$tmp/ca-key.pem" -out ca.pem \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign"
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
  -subj "/CN=localhost" -keyout server-key.pem -out "$tmp/server.csr"
cat > "$tmp/ext.cnf" <<'EXT'
basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=serverAuth
subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1
EXT
openssl x509 -req -in "$tmp/server.csr" -CA ca.pem -CAkey "$tmp/ca-key.pem" -CAcreateserial \
  -days 7300 -extfile "$tmp/ext.cnf" -out server.pem
rm -f ca.srl
