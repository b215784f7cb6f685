"""Every action of iai 2020-03-03 through the official SDK's typed models, against serve."""
import base64, json, os, subprocess, tempfile, time

import pytest
from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException
from tencentcloud.iai.v20200303 import iai_client, models

from test_with_emulator import iai  # noqa: F401 (the fixture)

# Every action of iai 2020-03-03 through the official SDK's typed models, in
# an order that sets up what each needs. Images are the harness's synthetic
# faces (`iai-conformance face`): the same identity is the same person.

def face(identity, faces=1, width=300, height=400):
    with tempfile.TemporaryDirectory() as d:
        out = f"{d}/face.png"
        subprocess.run([os.environ.get("IAI_CONFORMANCE", "iai-conformance"), "face", "--identity", identity,
                        "--faces", str(faces), "--width", str(width), "--height", str(height), "--out", out],
                       check=True)
        return base64.b64encode(open(out, "rb").read()).decode()


ALICE, ALICE_AGAIN, BOB = face("alice"), face("alice", width=320), face("bob")
SEARCH = {"GroupIds": ["staff"], "Image": ALICE}
PAIR = {"ImageA": ALICE, "ImageB": ALICE_AGAIN}

# (action, request, check of the answer); `ctx` carries what a step learned.
ALL_ACTIONS = [
    ("CreateGroup", {"GroupId": "staff", "GroupName": "Staff", "GroupExDescriptions": ["dept"]},
     lambda r, ctx: r["FaceModelVersion"] == "3.0"),
    ("GetGroupInfo", {"GroupId": "staff"}, lambda r, ctx: r["GroupName"] == "Staff"),
    ("GetGroupList", {}, lambda r, ctx: r["GroupNum"] == 3 and "staff" in {g["GroupId"] for g in r["GroupInfos"]}),
    ("ModifyGroup", {"GroupId": "staff", "Tag": "team"}, lambda r, ctx: True),
    ("CreatePerson", {"GroupId": "staff", "PersonId": "p1", "PersonName": "alice", "Image": ALICE},
     lambda r, ctx: r["FaceId"] and r["FaceRect"]["Width"] > 0),
    ("GetPersonBaseInfo", {"PersonId": "p1"}, lambda r, ctx: r["PersonName"] == "alice" and len(r["FaceIds"]) == 1),
    ("GetPersonList", {"GroupId": "staff"}, lambda r, ctx: r["PersonInfos"][0]["PersonId"] == "p1"),
    ("GetPersonListNum", {"GroupId": "staff"}, lambda r, ctx: r["PersonNum"] == 1 and r["FaceNum"] == 1),
    ("GetPersonGroupInfo", {"PersonId": "p1"}, lambda r, ctx: r["PersonGroupInfos"][0]["GroupId"] == "staff"),
    ("ModifyPersonBaseInfo", {"PersonId": "p1", "PersonName": "alice2"}, lambda r, ctx: True),
    ("ModifyPersonGroupInfo", {"GroupId": "staff", "PersonId": "p1",
                               "PersonExDescriptionInfos": [{"PersonExDescriptionIndex": 0, "PersonExDescription": "eng"}]},
     lambda r, ctx: True),
    ("CreateFace", {"PersonId": "p1", "Images": [ALICE_AGAIN]},
     lambda r, ctx: r["SucFaceNum"] == 1 and ctx.update(face_id=r["SucFaceIds"][0]) is None),
    ("DeleteFace", lambda ctx: {"PersonId": "p1", "FaceIds": [ctx["face_id"]]}, lambda r, ctx: r["SucDeletedNum"] == 1),
    ("CopyPerson", {"PersonId": "p1", "GroupIds": ["visitors"]}, lambda r, ctx: r["SucGroupNum"] == 1),
    ("SearchFaces", SEARCH, lambda r, ctx: r["Results"][0]["Candidates"][0]["PersonId"] == "p1"),
    ("SearchFacesReturnsByGroup", SEARCH,
     lambda r, ctx: r["ResultsReturnsByGroup"][0]["GroupCandidates"][0]["Candidates"][0]["Score"] == 100),
    ("SearchPersons", SEARCH, lambda r, ctx: r["Results"][0]["Candidates"][0]["PersonId"] == "p1" and r["PersonNum"] == 1),
    ("SearchPersonsReturnsByGroup", SEARCH, lambda r, ctx: r["ResultsReturnsByGroup"][0]["RetCode"] == 0),
    ("VerifyFace", {"PersonId": "p1", "Image": ALICE_AGAIN}, lambda r, ctx: r["IsMatch"] and r["Score"] == 100),
    ("VerifyPerson", {"PersonId": "p1", "Image": BOB}, lambda r, ctx: not r["IsMatch"] and r["Score"] < 30),
    ("CompareFace", PAIR, lambda r, ctx: r["Score"] == 100),
    ("CompareMaskFace", {"ImageA": ALICE, "ImageB": BOB}, lambda r, ctx: r["Score"] < 30 and r["FaceModelVersion"] == "3.0"),
    ("DetectFaceSimilarity", PAIR, lambda r, ctx: r["Score"] == 100),
    ("DetectFace", {"Image": ALICE, "NeedFaceAttributes": 1, "NeedQualityDetection": 1},
     lambda r, ctx: r["ImageWidth"] == 300 and r["FaceInfos"][0]["FaceQualityInfo"]["Score"] >= 90
     and r["FaceInfos"][0]["FaceAttributesInfo"]["Age"] > 0),
    ("DetectFaceAttributes", {"Image": face("carol", faces=2), "MaxFaceNum": 2, "FaceAttributesType": "Age,Gender,Headpose"},
     lambda r, ctx: len(r["FaceDetailInfos"]) == 2 and r["FaceDetailInfos"][0]["FaceDetailAttributesInfo"]["Age"] > 0),
    ("AnalyzeFace", {"Image": ALICE}, lambda r, ctx: len(r["FaceShapeSet"][0]["FaceProfile"]) == 21),
    ("AnalyzeDenseLandmarks", {"Image": ALICE}, lambda r, ctx: r["DenseFaceShapeSet"][0]["Width"] > 0),
    ("DetectLiveFaceAccurate", {"Image": ALICE}, lambda r, ctx: r["Score"] >= 40),
    ("UpgradeGroupFaceModelVersion", {"GroupId": "old", "FaceModelVersion": "3.0"},
     lambda r, ctx: ctx.update(job=r["JobId"]) is None and r["JobId"]),
    ("GetUpgradeGroupFaceModelVersionJobList", {}, lambda r, ctx: r["JobNum"] == 1 and r["JobInfos"][0]["JobId"] == ctx["job"]),
    # the emulator's upgrade takes half a second
    ("GetUpgradeGroupFaceModelVersionResult", lambda ctx: time.sleep(0.7) or {"JobId": ctx["job"]},
     lambda r, ctx: r["Status"] == 1 and r["ToFaceModelVersion"] == "3.0"),
    ("RevertGroupFaceModelVersion", lambda ctx: {"JobId": ctx["job"]}, lambda r, ctx: True),
    ("DeletePersonFromGroup", {"PersonId": "p1", "GroupId": "visitors"}, lambda r, ctx: True),
    ("DeletePerson", {"PersonId": "p1"}, lambda r, ctx: True),
    ("DeleteGroup", {"GroupId": "staff"}, lambda r, ctx: True),
]


def call(client, action, params):
    req = getattr(models, f"{action}Request")()
    req.from_json_string(json.dumps(params))
    return json.loads(getattr(client, action)(req).to_json_string())


def test_every_action_answers_through_the_sdk(iai):
    sdk_actions = {n for n in dir(iai_client.IaiClient) if n[0].isupper() and not n.isupper()}
    assert {a for a, _, _ in ALL_ACTIONS} == sdk_actions and len(sdk_actions) == 35
    call(iai, "CreateGroup", {"GroupId": "visitors", "GroupName": "Visitors"})
    call(iai, "CreateGroup", {"GroupId": "old", "GroupName": "Old", "FaceModelVersion": "2.0"})
    call(iai, "CreatePerson", {"GroupId": "old", "PersonId": "dan", "PersonName": "dan", "Image": face("dan")})
    ctx = {}
    for action, params, check in ALL_ACTIONS:
        answer = call(iai, action, params(ctx) if callable(params) else params)
        assert answer["RequestId"], action
        assert check(answer, ctx), f"{action}: {answer}"


def test_no_face_is_the_documented_code(iai):
    with pytest.raises(TencentCloudSDKException) as e:
        call(iai, "DetectFace", {"Image": face("nobody", faces=0)})
    assert e.value.get_code() == "InvalidParameterValue.NoFaceInPhoto"
