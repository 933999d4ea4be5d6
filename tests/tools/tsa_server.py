#!/usr/bin/env python3
"""A local RFC 3161 time-stamping authority over HTTP, for tests only.

Each POSTed TimeStampReq (application/timestamp-query) is answered by
`openssl ts -reply` with the given TSA certificate and key. Listens on
127.0.0.1 on a free port and prints that port on the first line of stdout.

    tsa_server.py --cert tsa.pem --key tsa.key --chain root.pem --work DIR
"""

import argparse
import http.server
import os
import subprocess
import sys
import tempfile
import threading

CONFIG = """\
[ tsa ]
default_tsa = tsa_config1

[ tsa_config1 ]
dir = {work}
serial = {work}/tsaserial
crypto_device = builtin
signer_cert = {cert}
certs = {chain}
signer_key = {key}
signer_digest = sha256
default_policy = 1.2.3.4.1
other_policies = 1.2.3.4.5.6
digests = sha256, sha384, sha512
accuracy = secs:1
clock_precision_digits = 0
ordering = yes
tsa_name = yes
ess_cert_id_chain = no
ess_cert_id_alg = sha256
"""


def main():
    p = argparse.ArgumentParser()
    for arg in ("--cert", "--key", "--chain", "--work"):
        p.add_argument(arg, required=True)
    a = p.parse_args()
    os.makedirs(a.work, exist_ok=True)
    config = os.path.join(a.work, "tsa.cnf")
    with open(config, "w") as f:
        f.write(CONFIG.format(work=a.work, cert=a.cert, key=a.key, chain=a.chain))
    with open(os.path.join(a.work, "tsaserial"), "w") as f:
        f.write("01\n")
    lock = threading.Lock()  # openssl updates the serial file

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("content-length", 0)))
            with lock, tempfile.TemporaryDirectory(dir=a.work) as tmp:
                req, resp = os.path.join(tmp, "req.tsq"), os.path.join(tmp, "resp.tsr")
                with open(req, "wb") as f:
                    f.write(body)
                run = subprocess.run(
                    ["openssl", "ts", "-reply", "-config", config, "-queryfile", req, "-out", resp],
                    capture_output=True,
                )
                if run.returncode != 0:
                    self.send_error(500, run.stderr.decode(errors="replace")[:200])
                    return
                with open(resp, "rb") as f:
                    data = f.read()
            self.send_response(200)
            self.send_header("content-type", "application/timestamp-reply")
            self.send_header("content-length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args):
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    print(server.server_address[1], flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        sys.exit(0)


if __name__ == "__main__":
    main()
