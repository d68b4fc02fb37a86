#!/bin/sh
# Makes the broken server certificates of tests/cli/causes_cli_test.ts in the directory $1
# (a fresh temporary one: nothing here is kept). Every certificate is for IP 127.0.0.2 and
# uses key.pem unless said otherwise:
#   ca.pem           a throwaway CA (trust it with --ca-cert)
#   good.pem         signed by the CA, SAN IP:127.0.0.2
#   wrong-san.pem    signed by the CA, SAN DNS:example.com only (a SAN mismatch)
#   self-signed.pem  self-signed leaf
#   expired.pem      signed by the CA, valid 2020-01-01 to 2020-01-02 only
#   ca-leaf.pem      a CA certificate (CA:TRUE) served as the server's own (rustls: CaUsedAsEndEntity)
set -eu
cd "$1"
C="-newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes"
openssl req -x509 $C -days 2 -subj "/CN=causes test CA" -keyout ca-key.pem -out ca.pem \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
openssl req $C -subj "/CN=leaf" -keyout key.pem -out leaf.csr 2>/dev/null
leaf() { # name subjectAltName
  printf 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\nsubjectAltName=%s\n' "$2" > "$1.ext"
}
leaf good "IP:127.0.0.2"
leaf wrong "DNS:example.com"
openssl x509 -req -in leaf.csr -CA ca.pem -CAkey ca-key.pem -CAcreateserial -days 2 \
  -extfile good.ext -out good.pem 2>/dev/null
openssl x509 -req -in leaf.csr -CA ca.pem -CAkey ca-key.pem -CAcreateserial -days 2 \
  -extfile wrong.ext -out wrong-san.pem 2>/dev/null
openssl req -x509 -key key.pem -days 2 -subj "/CN=self" -out self-signed.pem \
  -addext "basicConstraints=CA:FALSE" -addext "subjectAltName=IP:127.0.0.2" 2>/dev/null
# openssl x509 takes no start date: openssl ca does.
mkdir db
: > db/index.txt
echo 01 > db/serial
printf '[ca]\ndefault_ca=d\n[d]\ndatabase=db/index.txt\nserial=db/serial\nnew_certs_dir=db\ndefault_md=sha256\npolicy=p\n[p]\nCN=supplied\n' > ca.cnf
openssl ca -batch -config ca.cnf -cert ca.pem -keyfile ca-key.pem -in leaf.csr -out expired.pem \
  -startdate 20200101000000Z -enddate 20200102000000Z -extfile good.ext -notext 2>/dev/null
openssl req -x509 -key key.pem -days 2 -subj "/CN=CA as leaf" -out ca-leaf.pem \
  -addext "basicConstraints=critical,CA:TRUE" -addext "subjectAltName=IP:127.0.0.2" 2>/dev/null
