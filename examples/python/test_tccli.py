"""Every action of iai 2020-03-03 through Tencent's command-line tool (tccli), against serve.

tccli is large (it pulls the whole Python SDK), so it lives in its own virtual
environment: `TCCLI` names its executable (CI: `.venv-tccli/bin/tccli`, from
examples/tccli/requirements.txt). Without it the test is skipped, visibly.
"""
import json, os, subprocess, tempfile

import pytest

from test_all_actions import ALL_ACTIONS, face

TCCLI = os.environ.get("TCCLI")


@pytest.fixture
def tccli():
    if not TCCLI:
        pytest.skip("TCCLI is not set (CI installs tccli into .venv-tccli; see examples/tccli/requirements.txt)")
    serve = subprocess.Popen([os.environ.get("IAI_CONFORMANCE", "iai-conformance"), "serve"],
                             stdout=subprocess.PIPE, text=True)
    words = serve.stdout.readline().split()
    url = next(w for w in words if w.startswith("http://"))
    keys = dict(w.split("=", 1) for w in words if "=" in w)
    env = dict(os.environ, TENCENTCLOUD_SECRET_ID=keys["secret-id"], TENCENTCLOUD_SECRET_KEY=keys["secret-key"])

    def call(action, params):
        # tccli has no protocol option: an endpoint with a scheme is its only way to plain HTTP.
        with tempfile.NamedTemporaryFile("w", suffix=".json") as f:
            json.dump(params, f)
            f.flush()
            out = subprocess.run([TCCLI, "iai", action, "--cli-input-json", f"file://{f.name}",
                                  "--endpoint", url, "--region", "ap-guangzhou"],
                                 env=env, capture_output=True, text=True)
        assert out.returncode == 0, f"{action}: rc {out.returncode}: {out.stdout}{out.stderr}"
        return json.loads(out.stdout)

    yield call
    serve.terminate()
    serve.wait()


def test_every_action_answers_through_tccli(tccli):
    tccli("CreateGroup", {"GroupId": "visitors", "GroupName": "Visitors"})
    tccli("CreateGroup", {"GroupId": "old", "GroupName": "Old", "FaceModelVersion": "2.0"})
    tccli("CreatePerson", {"GroupId": "old", "PersonId": "dan", "PersonName": "dan", "Image": face("dan")})
    ctx = {}
    for action, params, check in ALL_ACTIONS:
        answer = tccli(action, params(ctx) if callable(params) else params)
        assert answer["RequestId"], action
        assert check(answer, ctx), f"{action}: {answer}"
