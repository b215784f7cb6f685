#!/usr/bin/env python3
"""Produce the DeletePerson signing vectors in cases/signing/ with the official
Python SDK (tencentcloud-sdk-python-iai from PyPI).

The SDK's own IaiClient makes each call through an HTTP proxy that is really a
capture server on 127.0.0.1, so the request carries the production Host header
(iai.tencentcloudapi.com) byte for byte. The clock and the v1 nonce are pinned
so the output is reproducible. The intermediate stages are recomputed here
from the captured bytes with the documented algorithm (hashlib/hmac only), and
the script refuses to write a vector whose recomputed signature differs from
the one the SDK sent.

Usage: .venv-sdk/bin/python tests/python/make_signing_vectors.py [OUT_DIR]
"""
import base64
import hashlib
import hmac
import http.server
import json
import sys
import threading
import types
import urllib.parse
from datetime import datetime, timezone

import tencentcloud
from tencentcloud.common import abstract_client, credential
from tencentcloud.common.profile.client_profile import ClientProfile
from tencentcloud.common.profile.http_profile import HttpProfile
from tencentcloud.iai.v20200303 import iai_client, models

SECRET_ID = "AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE"
SECRET_KEY = "Gu5t9xGARNpq86cd98joQYCN3EXAMPLE"
TIMESTAMP = 1551113065
NONCE = 11886
REGION = "ap-guangzhou"
HOST = "iai.tencentcloudapi.com"

captured = []


class Capture(http.server.BaseHTTPRequestHandler):
    def _answer(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        captured.append({"method": self.command, "target": self.path,
                         "headers": dict(self.headers.items()), "body": body})
        out = b'{"Response": {"RequestId": "4b609b7c-7a9a-4ea0-be8b-1fb638c2ceca"}}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(out)))
        self.end_headers()
        self.wfile.write(out)

    do_GET = do_POST = _answer

    def log_message(self, *args):
        pass


def sha(data):
    return hashlib.sha256(data).hexdigest()


def hm(key, msg):
    return hmac.new(key, msg.encode(), hashlib.sha256).digest()


def call(port, method, sign_method, person_id):
    captured.clear()
    hp = HttpProfile(protocol="http", reqMethod=method, proxy="http://127.0.0.1:%d" % port)
    cp = ClientProfile(httpProfile=hp, signMethod=sign_method, language="en-US")
    client = iai_client.IaiClient(credential.Credential(SECRET_ID, SECRET_KEY), REGION, cp)
    req = models.DeletePersonRequest()
    req.PersonId = person_id
    client.DeletePerson(req)
    assert len(captured) == 1, captured
    return captured[0]


def toml_str(s):
    return json.dumps(s, ensure_ascii=False)


def tc3_vector(name, description, cap):
    h = cap["headers"]
    target = urllib.parse.urlsplit(cap["target"])
    query = target.query
    payload = cap["body"] if cap["method"] == "POST" else b""
    ct, host = h["Content-Type"], h["Host"]
    canonical = "%s\n/\n%s\ncontent-type:%s\nhost:%s\n\ncontent-type;host\n%s" % (
        cap["method"], query, ct.lower(), host.lower(), sha(payload))
    date = datetime.fromtimestamp(TIMESTAMP, timezone.utc).strftime("%Y-%m-%d")
    scope = "%s/iai/tc3_request" % date
    sts = "TC3-HMAC-SHA256\n%d\n%s\n%s" % (TIMESTAMP, scope, sha(canonical.encode()))
    k_date = hm(("TC3" + SECRET_KEY).encode(), date)
    k_service = hm(k_date, "iai")
    k_signing = hm(k_service, "tc3_request")
    sig = hmac.new(k_signing, sts.encode(), hashlib.sha256).hexdigest()
    auth = h["Authorization"]
    if not auth.endswith("Signature=" + sig):
        sys.exit("%s: recomputed signature %s differs from the SDK's %s" % (name, sig, auth))
    return "\n".join([
        "# Produced by tests/python/make_signing_vectors.py with the official Python SDK",
        "# (tencentcloud-sdk-python-iai %s): its IaiClient.DeletePerson sent this request" % tencentcloud.__version__,
        "# to a capture server; the stages were recomputed from the captured bytes.",
        "description = %s" % toml_str(description),
        "source = %s" % toml_str("official Python SDK, tencentcloud-sdk-python-iai %s (computed, not published by Tencent)" % tencentcloud.__version__),
        'algorithm = "tc3"',
        "",
        "[input]",
        "secret_id = %s" % toml_str(SECRET_ID),
        "secret_key = %s" % toml_str(SECRET_KEY),
        "timestamp = %d" % TIMESTAMP,
        'service = "iai"',
        "method = %s" % toml_str(cap["method"]),
        "query = %s" % toml_str(query),
        "payload = %s" % toml_str(payload.decode()),
        "headers = [[\"content-type\", %s], [\"host\", %s]]" % (toml_str(ct), toml_str(host)),
        "",
        "[expected]",
        "hashed_payload = %s" % toml_str(sha(payload)),
        "canonical_request = %s" % toml_str(canonical),
        "hashed_canonical_request = %s" % toml_str(sha(canonical.encode())),
        "string_to_sign = %s" % toml_str(sts),
        "secret_date = %s" % toml_str(k_date.hex()),
        "secret_service = %s" % toml_str(k_service.hex()),
        "secret_signing = %s" % toml_str(k_signing.hex()),
        "signature = %s" % toml_str(sig),
        "authorization = %s" % toml_str(auth),
        "",
    ])


def v1_vector(name, description, cap):
    params = urllib.parse.parse_qsl(cap["body"].decode(), keep_blank_values=True)
    sent = dict(params)
    signature = sent.pop("Signature")
    request_string = "&".join("%s=%s" % (k, sent[k]) for k in sorted(sent))
    sts = "%s%s/?%s" % (cap["method"], HOST, request_string)
    mine = base64.b64encode(hmac.new(SECRET_KEY.encode(), sts.encode(), hashlib.sha256).digest()).decode()
    if mine != signature:
        sys.exit("%s: recomputed signature %s differs from the SDK's %s" % (name, mine, signature))
    lines = [
        "# Produced by tests/python/make_signing_vectors.py with the official Python SDK",
        "# (tencentcloud-sdk-python-iai %s): its IaiClient.DeletePerson, with" % tencentcloud.__version__,
        "# signMethod=HmacSHA256, sent this form body to a capture server.",
        "description = %s" % toml_str(description),
        "source = %s" % toml_str("official Python SDK, tencentcloud-sdk-python-iai %s (computed, not published by Tencent)" % tencentcloud.__version__),
        'algorithm = "hmac-sha256"',
        "",
        "[input]",
        "secret_id = %s" % toml_str(SECRET_ID),
        "secret_key = %s" % toml_str(SECRET_KEY),
        "timestamp = %d" % TIMESTAMP,
        "method = %s" % toml_str(cap["method"]),
        "host = %s" % toml_str(HOST),
        "path = \"/\"",
        "params = [",
    ]
    lines += ["  [%s, %s]," % (toml_str(k), toml_str(v)) for k, v in params if k != "Signature"]
    lines += [
        "]",
        "",
        "[expected]",
        "request_string = %s" % toml_str(request_string),
        "string_to_sign = %s" % toml_str(sts),
        "signature = %s" % toml_str(signature),
        "",
    ]
    return "\n".join(lines)


def main():
    out_dir = sys.argv[1] if len(sys.argv) > 1 else "cases/signing"
    abstract_client.time = types.SimpleNamespace(time=lambda: TIMESTAMP, sleep=lambda s: None)
    abstract_client.random = types.SimpleNamespace(randint=lambda a, b: NONCE)
    server = http.server.HTTPServer(("127.0.0.1", 0), Capture)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    port = server.server_address[1]
    vectors = {
        "sdk_delete_person_tc3_post.toml": tc3_vector(
            "post", "DeletePerson, TC3 POST JSON, as the official Python SDK signs it (content-type;host)",
            call(port, "POST", "TC3-HMAC-SHA256", "2001")),
        "sdk_delete_person_tc3_get.toml": tc3_vector(
            "get", "DeletePerson, TC3 GET with every special PersonId character (-%@#&_), as the official Python SDK signs it",
            call(port, "GET", "TC3-HMAC-SHA256", "p-%@#&_1")),
        "sdk_delete_person_v1_hmac_sha256.toml": v1_vector(
            "v1", "DeletePerson, signature v1 HmacSHA256 form POST, as the official Python SDK signs it",
            call(port, "POST", "HmacSHA256", "2001")),
    }
    for name, text in vectors.items():
        with open("%s/%s" % (out_dir, name), "w") as f:
            f.write(text)
        print("wrote", name)


if __name__ == "__main__":
    main()
