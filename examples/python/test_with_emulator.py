"""A pytest fixture that gives each test an official IaiClient pointed at a fresh emulator."""
import json, os, subprocess, urllib.request

import pytest
from tencentcloud.common import credential
from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException
from tencentcloud.common.profile.client_profile import ClientProfile
from tencentcloud.common.profile.http_profile import HttpProfile
from tencentcloud.iai.v20200303 import iai_client, models


@pytest.fixture
def iai():
    # iai-conformance on PATH, or the binary IAI_CONFORMANCE names
    serve = subprocess.Popen([os.environ.get("IAI_CONFORMANCE", "iai-conformance"), "serve"],
                             stdout=subprocess.PIPE, text=True)
    # "iai-conformance emulator listening on http://127.0.0.1:PORT secret-id=ID secret-key=KEY"
    words = serve.stdout.readline().split()
    url = next(w for w in words if w.startswith("http://"))
    keys = dict(w.split("=", 1) for w in words if "=" in w)
    profile = ClientProfile(httpProfile=HttpProfile(protocol="http", endpoint=url[len("http://"):]))
    client = iai_client.IaiClient(credential.Credential(keys["secret-id"], keys["secret-key"]),
                                  "ap-guangzhou", profile)
    client.control = lambda path, body: json.load(urllib.request.urlopen(urllib.request.Request(
        f"{url}/__emulator/{path}", json.dumps(body).encode(), {"Content-Type": "application/json"})))
    yield client
    serve.terminate()
    serve.wait()


def test_a_deleted_person_is_gone(iai):
    iai.control("seed", {"group_id": "staff", "prefix": "emp-", "count": 1})  # person emp-0
    req = models.DeletePersonRequest()
    req.PersonId = "emp-0"
    iai.DeletePerson(req)
    with pytest.raises(TencentCloudSDKException) as e:
        iai.DeletePerson(req)
    assert e.value.get_code() == "InvalidParameterValue.PersonIdNotExist"


def test_an_injected_fault_reaches_the_caller(iai):
    iai.control("faults", {"code": "FailedOperation.RequestTimeout", "action": "DeletePerson", "count": 1})
    req = models.DeletePersonRequest()
    req.PersonId = "anyone"
    with pytest.raises(TencentCloudSDKException) as e:
        iai.DeletePerson(req)
    assert e.value.get_code() == "FailedOperation.RequestTimeout"
