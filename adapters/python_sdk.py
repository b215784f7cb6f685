"""The official Python SDK (tencentcloud-sdk-python-iai) as a client adapter.

Reads one JSON request on stdin, makes the call with the SDK, and prints one
JSON object on stdout: {"ok": {...}} or {"error": {"code", "message",
"request_id", "kind"}}. The protocol is in README.md, "Testing your own
client". iai-conformance embeds this file (`client:python-sdk`); run it by
hand with `python adapters/python_sdk.py < request.json`.
"""
import json
import sys
from urllib.parse import urlsplit

from tencentcloud.common import credential
from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException
from tencentcloud.common.profile.client_profile import ClientProfile
from tencentcloud.common.profile.http_profile import HttpProfile
from tencentcloud.common.retry import StandardRetryer
from tencentcloud.iai.v20200303 import iai_client, models

# How the SDK's error codes map to the protocol's kinds.
KINDS = {
    "ClientNetworkError": "transport",
    "ServerNetworkError": "http",
    "JSONDecodeError": "parse",
    "KeyError": "parse",
    "TypeError": "parse",
}


def text(value):
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return None if value is None else str(value)


def main():
    req = json.load(sys.stdin)
    url = urlsplit(req["endpoint"])
    # protocol must be exactly "http" and the endpoint host:port without a scheme.
    hp = HttpProfile(protocol=url.scheme, endpoint=url.netloc, reqMethod="POST",
                     reqTimeout=req.get("timeout", 60))
    cp = ClientProfile(httpProfile=hp, language="en-US")
    attempts = int(req.get("max_attempts", 1))
    if attempts > 1:
        cp.retryer = StandardRetryer(max_attempts=attempts, backoff_fn=lambda n: 0)
    creds = credential.Credential(req["credentials"]["secret_id"], req["credentials"]["secret_key"])
    client = iai_client.IaiClient(creds, req.get("region") or "", cp)
    action, params = req["action"], req.get("params", {})
    try:
        method = getattr(client, action, None)
        model = getattr(models, action + "Request", None)
        if method is not None and model is not None:
            request = model()
            request.from_json_string(json.dumps(params))
            out = {"ok": json.loads(method(request).to_json_string())}
        else:
            # An action the SDK does not know: its generic call.
            out = {"ok": json.loads(client.call_json(action, params))["Response"]}
    except TencentCloudSDKException as e:
        code = text(e.get_code())
        out = {"error": {"code": code, "message": text(e.get_message()),
                         "request_id": text(e.get_request_id()),
                         "kind": KINDS.get(code, "api")}}
    print(json.dumps(out))


if __name__ == "__main__":
    main()
