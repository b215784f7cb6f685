// The official Node SDK against a fresh emulator, with node's own test runner.
import { spawn } from "node:child_process";
import { once } from "node:events";
import http from "node:http";
import { createInterface } from "node:readline";
import { test } from "node:test";
import assert from "node:assert/strict";
import tencentcloud from "tencentcloud-sdk-nodejs-common";

test("DeletePerson against the emulator", async (t) => {
  // iai-conformance on PATH, or the binary IAI_CONFORMANCE names
  const serve = spawn(process.env.IAI_CONFORMANCE ?? "iai-conformance", ["serve"], { stdio: ["ignore", "pipe", "inherit"] });
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

  await control("seed", { group_id: "staff", prefix: "emp-", count: 1 }); // person emp-0
  await client.request("DeletePerson", { PersonId: "emp-0" });
  await assert.rejects(client.request("DeletePerson", { PersonId: "emp-0" }), { code: "InvalidParameterValue.PersonIdNotExist" });

  await control("faults", { code: "FailedOperation.RequestTimeout", action: "DeletePerson", count: 1 });
  await assert.rejects(client.request("DeletePerson", { PersonId: "anyone" }), { code: "FailedOperation.RequestTimeout" });
});
