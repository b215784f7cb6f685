"""Drives a running emulator with the official Python SDK.

usage: sdk_flow.py HOST:PORT SECRET_ID SECRET_KEY

CreateGroup -> CreatePerson (with an image) -> GetPersonBaseInfo ->
DeletePerson -> DeletePerson again (must raise PersonIdNotExist), then a
call signed with a wrong secret key (must raise AuthFailure.SignatureFailure).
Prints one line per step; exits 1 on the first unexpected answer.
"""
import sys
import uuid

from tencentcloud.common import credential
from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException
from tencentcloud.common.profile.client_profile import ClientProfile
from tencentcloud.common.profile.http_profile import HttpProfile
from tencentcloud.iai.v20200303 import iai_client, models

# A 1x1 PNG.
PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="


def client(endpoint, secret_id, secret_key):
    hp = HttpProfile(protocol="http", endpoint=endpoint, reqMethod="POST", reqTimeout=30)
    cp = ClientProfile(httpProfile=hp, language="en-US")
    return iai_client.IaiClient(credential.Credential(secret_id, secret_key), "ap-guangzhou", cp)


def fail(step, why):
    print(f"FAIL {step}: {why}")
    sys.exit(1)


def expect_error(step, code, call):
    try:
        resp = call()
    except TencentCloudSDKException as e:
        if e.get_code() != code:
            fail(step, f"expected {code}, got {e.get_code()}: {e.get_message()}")
        if not e.get_request_id():
            fail(step, "the error carries no RequestId")
        print(f"ok {step}: {code}")
        return
    fail(step, f"expected {code}, got success {resp.to_json_string()}")


def main():
    endpoint, secret_id, secret_key = sys.argv[1:4]
    c = client(endpoint, secret_id, secret_key)
    suffix = uuid.uuid4().hex[:8]
    group_id, person_id = f"sdk-g-{suffix}", f"sdk-p-{suffix}"

    req = models.CreateGroupRequest()
    req.GroupId, req.GroupName = group_id, f"sdkgroup{suffix}"
    print("ok CreateGroup:", c.CreateGroup(req).FaceModelVersion)

    req = models.CreatePersonRequest()
    req.GroupId, req.PersonId, req.PersonName, req.Gender, req.Image = group_id, person_id, "SdkPerson", 1, PNG
    resp = c.CreatePerson(req)
    if not resp.FaceId:
        fail("CreatePerson", "no FaceId")
    print("ok CreatePerson:", resp.FaceId)

    req = models.GetPersonBaseInfoRequest()
    req.PersonId = person_id
    resp = c.GetPersonBaseInfo(req)
    if resp.PersonName != "SdkPerson" or resp.Gender != 1 or len(resp.FaceIds) != 1:
        fail("GetPersonBaseInfo", resp.to_json_string())
    print("ok GetPersonBaseInfo:", resp.PersonName)

    req = models.DeletePersonRequest()
    req.PersonId = person_id
    print("ok DeletePerson:", c.DeletePerson(req).RequestId)
    expect_error("DeletePerson again", "InvalidParameterValue.PersonIdNotExist", lambda: c.DeletePerson(req))

    wrong = client(endpoint, secret_id, secret_key + "x")
    expect_error("wrong secret key", "AuthFailure.SignatureFailure", lambda: wrong.DeletePerson(req))
    print("PASS")


if __name__ == "__main__":
    main()
