// Every action of iai 2020-03-03 through the official Node SDK against a fresh emulator.
import { spawn } from "node:child_process";
import { once } from "node:events";
import http from "node:http";
import { createInterface } from "node:readline";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import assert from "node:assert/strict";
import tencentcloud from "tencentcloud-sdk-nodejs-common";

// iai-conformance on PATH, or the binary IAI_CONFORMANCE names
const BIN = process.env.IAI_CONFORMANCE ?? "iai-conformance";

async function emulator(t) {
  const serve = spawn(BIN, ["serve"], { stdio: ["ignore", "pipe", "inherit"] });
  t.after(() => serve.kill("SIGTERM"));
  // "iai-conformance emulator listening on http://127.0.0.1:PORT secret-id=ID secret-key=KEY"
  const [line] = await once(createInterface({ input: serve.stdout }), "line");
  const url = new URL(line.split(" ").find((w) => w.startsWith("http://")));
  const key = (name) => line.split(" ").find((w) => w.startsWith(`${name}=`)).slice(name.length + 1);
  // The SDK takes the signing service from the endpoint's first label, so the
  // endpoint keeps the iai. name and an agent connects it to the emulator.
  const agent = new http.Agent({
    lookup: (_host, opts, cb) => (opts.all ? cb(null, [{ address: url.hostname, family: 4 }]) : cb(null, url.hostname, 4)),
  });
  const client = new tencentcloud.CommonClient("iai.tencentcloudapi.com", "2020-03-03", {
    credential: { secretId: key("secret-id"), secretKey: key("secret-key") },
    region: "ap-guangzhou",
    profile: { httpProfile: { protocol: "http://", endpoint: `iai.tencentcloudapi.com:${url.port}`, agent } },
  });
  const control = (path, body) =>
    fetch(new URL(`/__emulator/${path}`, url), { method: "POST", body: JSON.stringify(body), headers: { "Content-Type": "application/json" } });
  return { client, control };
}

// A synthetic face from `iai-conformance face`, Base64: the same identity is the same person.
function face(identity, faces = 1, width = 300, height = 400) {
  const out = join(mkdtempSync(join(tmpdir(), "iai-face-")), "face.png");
  execFileSync(BIN, ["face", "--identity", identity, "--faces", `${faces}`, "--width", `${width}`, "--height", `${height}`, "--out", out]);
  return readFileSync(out).toString("base64");
}

test("every action of iai 2020-03-03 answers through the Node SDK", async (t) => {
  const { client } = await emulator(t);
  const [alice, aliceAgain, bob] = [face("alice"), face("alice", 1, 320), face("bob")];
  const search = { GroupIds: ["staff"], Image: alice };
  const pair = { ImageA: alice, ImageB: aliceAgain };
  const ctx = {};
  // [action, request (or a function of what earlier steps learned), check of the answer]
  const table = [
    ["CreateGroup", { GroupId: "staff", GroupName: "Staff", GroupExDescriptions: ["dept"] }, (r) => r.FaceModelVersion === "3.0"],
    ["GetGroupInfo", { GroupId: "staff" }, (r) => r.GroupName === "Staff"],
    ["GetGroupList", {}, (r) => r.GroupNum === 3 && r.GroupInfos.some((g) => g.GroupId === "staff")],
    ["ModifyGroup", { GroupId: "staff", Tag: "team" }, () => true],
    ["CreatePerson", { GroupId: "staff", PersonId: "p1", PersonName: "alice", Image: alice }, (r) => r.FaceId && r.FaceRect.Width > 0],
    ["GetPersonBaseInfo", { PersonId: "p1" }, (r) => r.PersonName === "alice" && r.FaceIds.length === 1],
    ["GetPersonList", { GroupId: "staff" }, (r) => r.PersonInfos[0].PersonId === "p1"],
    ["GetPersonListNum", { GroupId: "staff" }, (r) => r.PersonNum === 1 && r.FaceNum === 1],
    ["GetPersonGroupInfo", { PersonId: "p1" }, (r) => r.PersonGroupInfos[0].GroupId === "staff"],
    ["ModifyPersonBaseInfo", { PersonId: "p1", PersonName: "alice2" }, () => true],
    ["ModifyPersonGroupInfo", { GroupId: "staff", PersonId: "p1", PersonExDescriptionInfos: [{ PersonExDescriptionIndex: 0, PersonExDescription: "eng" }] }, () => true],
    ["CreateFace", { PersonId: "p1", Images: [aliceAgain] }, (r) => r.SucFaceNum === 1 && (ctx.faceId = r.SucFaceIds[0])],
    ["DeleteFace", () => ({ PersonId: "p1", FaceIds: [ctx.faceId] }), (r) => r.SucDeletedNum === 1],
    ["CopyPerson", { PersonId: "p1", GroupIds: ["visitors"] }, (r) => r.SucGroupNum === 1],
    ["SearchFaces", search, (r) => r.Results[0].Candidates[0].PersonId === "p1"],
    ["SearchFacesReturnsByGroup", search, (r) => r.ResultsReturnsByGroup[0].GroupCandidates[0].Candidates[0].Score === 100],
    ["SearchPersons", search, (r) => r.Results[0].Candidates[0].PersonId === "p1" && r.PersonNum === 1],
    ["SearchPersonsReturnsByGroup", search, (r) => r.ResultsReturnsByGroup[0].RetCode === 0],
    ["VerifyFace", { PersonId: "p1", Image: aliceAgain }, (r) => r.IsMatch && r.Score === 100],
    ["VerifyPerson", { PersonId: "p1", Image: bob }, (r) => !r.IsMatch && r.Score < 30],
    ["CompareFace", pair, (r) => r.Score === 100],
    ["CompareMaskFace", { ImageA: alice, ImageB: bob }, (r) => r.Score < 30 && r.FaceModelVersion === "3.0"],
    ["DetectFaceSimilarity", pair, (r) => r.Score === 100],
    ["DetectFace", { Image: alice, NeedFaceAttributes: 1, NeedQualityDetection: 1 },
      (r) => r.ImageWidth === 300 && r.FaceInfos[0].FaceQualityInfo.Score >= 90 && r.FaceInfos[0].FaceAttributesInfo.Age > 0],
    ["DetectFaceAttributes", { Image: face("carol", 2), MaxFaceNum: 2, FaceAttributesType: "Age,Gender,Headpose" },
      (r) => r.FaceDetailInfos.length === 2 && r.FaceDetailInfos[0].FaceDetailAttributesInfo.Age > 0],
    ["AnalyzeFace", { Image: alice }, (r) => r.FaceShapeSet[0].FaceProfile.length === 21],
    ["AnalyzeDenseLandmarks", { Image: alice }, (r) => r.DenseFaceShapeSet[0].Width > 0],
    ["DetectLiveFaceAccurate", { Image: alice }, (r) => r.Score >= 40],
    ["UpgradeGroupFaceModelVersion", { GroupId: "old", FaceModelVersion: "3.0" }, (r) => (ctx.job = r.JobId)],
    ["GetUpgradeGroupFaceModelVersionJobList", {}, (r) => r.JobNum === 1 && r.JobInfos[0].JobId === ctx.job],
    // the emulator's upgrade takes half a second
    ["GetUpgradeGroupFaceModelVersionResult", async () => (await new Promise((ok) => setTimeout(ok, 700)), { JobId: ctx.job }),
      (r) => r.Status === 1 && r.ToFaceModelVersion === "3.0"],
    ["RevertGroupFaceModelVersion", () => ({ JobId: ctx.job }), () => true],
    ["DeletePersonFromGroup", { PersonId: "p1", GroupId: "visitors" }, () => true],
    ["DeletePerson", { PersonId: "p1" }, () => true],
    ["DeleteGroup", { GroupId: "staff" }, () => true],
  ];
  assert.equal(new Set(table.map(([a]) => a)).size, 35);
  await client.request("CreateGroup", { GroupId: "visitors", GroupName: "Visitors" });
  await client.request("CreateGroup", { GroupId: "old", GroupName: "Old", FaceModelVersion: "2.0" });
  await client.request("CreatePerson", { GroupId: "old", PersonId: "dan", PersonName: "dan", Image: face("dan") });
  for (const [action, params, check] of table) {
    const answer = await client.request(action, typeof params === "function" ? await params() : params);
    assert.ok(answer.RequestId, action);
    assert.ok(check(answer), `${action}: ${JSON.stringify(answer).slice(0, 300)}`);
  }
  await assert.rejects(client.request("DetectFace", { Image: face("nobody", 0) }), { code: "InvalidParameterValue.NoFaceInPhoto" });
});
