"""A deliberately wrong IAI client, to prove the client target's power.

A small, correct TC3-HMAC-SHA256 client written with the standard library
only, and, with `--defect NAME`, wrong in exactly one realistic way. It
speaks the adapter protocol of README.md ("Testing your own client"):

    iai-conformance run --target "client:command:python3 adapters/wrong_client.py"
    iai-conformance run --target "client:command:python3 adapters/wrong_client.py --defect utc-date"

tests/suite/wrong_client.rs runs the client suite against every defect and
fails if one of them passes its named case. Without `--defect` the client
must pass every case a correct client passes.
"""
import argparse
import datetime
import hashlib
import hmac
import json
import sys
import time
import urllib.error
import urllib.request
from urllib.parse import urlsplit

DEFECTS = {
    "local-date": "signs with the day after the timestamp's UTC date (a local-date clock)",
    "extra-param": "sends a parameter the caller never gave",
    "drops-request-id": "loses the RequestId of an error",
    "empty-message": "loses the Message of an error",
    "integers-as-strings": "returns integer fields as strings",
    "invents-a-code": "turns an answer that is no envelope into a Tencent error code",
    "no-retry": "never retries, whatever max_attempts allows",
    "retries-everything": "retries every error, a wrong request included",
    "retries-past-max": "makes one attempt more than max_attempts allows",
    "retries-writes": "retries a write after a 502 or a reset, when it may have landed",
    "new-body-on-retry": "re-serializes the parameters differently on a retry",
    # Accepted as the cloud accepts them, but named in the client report:
    "host-without-port": "signs Host without the port it sends (a finding, not a failure)",
    "unsigned-payload": "always sends X-TC-Content-SHA256: UNSIGNED-PAYLOAD (a finding, not a failure)",
}

# Which failures may be retried, by the action's idempotency class
# (harness/client_target/retry.rs): a throttle always, a gateway's 5xx or no
# answer only for a read, an API error never.
WRITE_PREFIXES = ("Create", "Delete", "Modify", "Copy", "Upgrade", "Revert")


def is_write(action):
    return action.startswith(WRITE_PREFIXES)


def sign(secret_id, secret_key, host, action, payload, timestamp, date, unsigned=False):
    canonical_headers = "content-type:application/json\nhost:%s\nx-tc-action:%s\n" % (host, action.lower())
    signed_headers = "content-type;host;x-tc-action"
    hashed = hashlib.sha256(b"UNSIGNED-PAYLOAD" if unsigned else payload).hexdigest()
    canonical = "\n".join(["POST", "/", "", canonical_headers, signed_headers, hashed])
    scope = "%s/iai/tc3_request" % date
    to_sign = "\n".join(["TC3-HMAC-SHA256", str(timestamp), scope,
                         hashlib.sha256(canonical.encode()).hexdigest()])

    def mac(key, msg):
        return hmac.new(key, msg.encode(), hashlib.sha256).digest()

    key = mac(mac(mac(("TC3" + secret_key).encode(), date), "iai"), "tc3_request")
    signature = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
    return "TC3-HMAC-SHA256 Credential=%s/%s, SignedHeaders=%s, Signature=%s" % (
        secret_id, scope, signed_headers, signature)


def stringify(value):
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return str(value)
    if isinstance(value, list):
        return [stringify(v) for v in value]
    if isinstance(value, dict):
        return {k: stringify(v) for k, v in value.items()}
    return value


def call(req, defect, attempt):
    url = urlsplit(req["endpoint"])
    params = dict(req.get("params", {}))
    if defect == "extra-param":
        params["Debug"] = "1"
    if defect == "new-body-on-retry" and attempt > 0:
        payload = json.dumps(params, sort_keys=True, separators=(",", ":")).encode()
    else:
        payload = json.dumps(params).encode()
    timestamp = int(time.time())
    day = datetime.datetime.fromtimestamp(timestamp, datetime.timezone.utc).date()
    if defect == "local-date":
        day += datetime.timedelta(days=1)
    creds = req["credentials"]
    headers = {
        "Content-Type": "application/json",
        "Host": url.netloc,
        "X-TC-Action": req["action"],
        "X-TC-Version": req["version"],
        "X-TC-Timestamp": str(timestamp),
        "Authorization": sign(creds["secret_id"], creds["secret_key"],
                              url.hostname if defect == "host-without-port" else url.netloc,
                              req["action"], payload, timestamp, day.isoformat(),
                              unsigned=defect == "unsigned-payload"),
    }
    if defect == "unsigned-payload":
        headers["X-TC-Content-SHA256"] = "UNSIGNED-PAYLOAD"
    if req.get("region"):
        headers["X-TC-Region"] = req["region"]
    request = urllib.request.Request(req["endpoint"] + "/", data=payload, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=req.get("timeout", 60)) as answer:
            status, body = answer.status, answer.read()
    except urllib.error.HTTPError as e:
        status, body = e.code, e.read()
    except OSError as e:
        # No answer (reset, timeout): the call may have run.
        return {"error": {"code": "ClientNetworkError", "message": str(e), "kind": "transport"}}, "no-answer"
    try:
        response = json.loads(body)["Response"]
    except (ValueError, KeyError, TypeError) as e:
        if defect == "invents-a-code":
            return {"error": {"code": "InternalError", "message": "internal error", "kind": "api"}}, True
        kind = "http" if status != 200 else "parse"
        return {"error": {"code": "ParseError", "message": str(e), "kind": kind}}, \
            "gateway" if status >= 500 else None
    error = response.get("Error")
    if error is None:
        if status != 200:
            return {"error": {"code": "HTTPError", "message": str(status), "kind": "http"}}, \
                "gateway" if status >= 500 else None
        ok = stringify(response) if defect == "integers-as-strings" else response
        return {"ok": ok}, None
    out = {"code": error.get("Code"), "message": error.get("Message"),
           "request_id": response.get("RequestId"), "kind": "api"}
    if defect == "drops-request-id":
        out["request_id"] = None
    if defect == "empty-message":
        out["message"] = ""
    code = error.get("Code") or ""
    return {"error": out}, "throttled" if code.startswith("RequestLimitExceeded") else "refused"


def may_retry(failure, action, defect):
    if failure is None:
        return False
    if defect == "retries-everything":
        return True
    if failure == "throttled":
        return True
    if failure in ("gateway", "no-answer"):
        return not is_write(action) or defect == "retries-writes"
    return False


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--defect", choices=sorted(DEFECTS), help="the one way to be wrong")
    defect = parser.parse_args().defect
    req = json.load(sys.stdin)
    attempts = 1 if defect == "no-retry" else max(1, int(req.get("max_attempts", 1)))
    if defect == "retries-past-max" and attempts > 1:
        attempts += 1
    for attempt in range(attempts):
        out, failure = call(req, defect, attempt)
        if not may_retry(failure, req["action"], defect) or attempt + 1 == attempts:
            break
    print(json.dumps(out))


if __name__ == "__main__":
    main()
