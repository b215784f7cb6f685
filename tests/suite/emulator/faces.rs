//! Synthetic faces through signed calls: search ranks the right person
//! first, verification matches its own face only, comparisons and the
//! documented parameters behave, a deleted person is never found again,
//! and group upgrades are jobs. Every success is type-checked against the
//! catalog by [`super::call_style`].

use base64::Engine as _;
use iai_conformance::emulator::faces;
use serde_json::{Value, json};

use super::{call, code, field, start};

/// A small PNG showing `identity` with `n` faces, Base64.
fn png(identity: &str, n: usize) -> String {
    base64::engine::general_purpose::STANDARD.encode(faces::make_png(identity, n, 8, 8).unwrap())
}

async fn ok(c: &iai_conformance::Client, action: &str, params: Value) -> super::Envelope {
    let e = call(c, action, params).await;
    assert_eq!(code(&e), "", "{action}");
    e
}

async fn library(c: &iai_conformance::Client) {
    ok(
        c,
        "CreateGroup",
        json!({"GroupId": "g1", "GroupName": "G1"}),
    )
    .await;
    ok(
        c,
        "CreateGroup",
        json!({"GroupId": "g2", "GroupName": "G2"}),
    )
    .await;
    for (p, who, g) in [
        ("pa", "alice", "g1"),
        ("pb", "bob", "g1"),
        ("pc", "carol", "g2"),
    ] {
        ok(
            c,
            "CreatePerson",
            json!({"GroupId": g, "PersonId": p, "PersonName": who, "Image": png(who, 1)}),
        )
        .await;
    }
}

fn candidates(e: &super::Envelope, face: usize) -> Vec<(String, f64)> {
    field(e, "Results")[face]["Candidates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["PersonId"].as_str().unwrap().to_string(),
                c["Score"].as_f64().unwrap(),
            )
        })
        .collect()
}

#[tokio::test]
async fn search_persons_ranks_the_right_person_first_and_forgets_the_deleted() {
    let (emu, c) = start().await;
    library(&c).await;
    let found = ok(
        &c,
        "SearchPersons",
        json!({"GroupIds": ["g1", "g2"], "Image": png("bob", 1)}),
    )
    .await;
    let got = candidates(&found, 0);
    assert_eq!(got[0], ("pb".to_string(), 100.0));
    assert!(got[1..].iter().all(|(_, s)| *s < 30.0), "{got:?}");
    assert_eq!(field(&found, "PersonNum"), 3);
    assert_eq!(field(&found, "Results")[0]["RetCode"], 0);
    // Without NeedPersonInfo the person's details are null; with it, there.
    assert!(field(&found, "Results")[0]["Candidates"][0]["PersonName"].is_null());
    let info = ok(
        &c,
        "SearchPersons",
        json!({"GroupIds": ["g1"], "Image": png("bob", 1), "NeedPersonInfo": 1}),
    )
    .await;
    let top = &field(&info, "Results")[0]["Candidates"][0];
    assert_eq!(
        (&top["PersonName"], &top["PersonGroupInfos"][0]["GroupId"]),
        (&json!("bob"), &json!("g1"))
    );
    // FaceMatchThreshold leaves only the match; MaxPersonNum caps the list.
    let strict = ok(
        &c,
        "SearchPersons",
        json!({"GroupIds": ["g1", "g2"], "Image": png("bob", 1), "FaceMatchThreshold": 50.0}),
    )
    .await;
    assert_eq!(candidates(&strict, 0), vec![("pb".to_string(), 100.0)]);
    let one = ok(
        &c,
        "SearchPersons",
        json!({"GroupIds": ["g1", "g2"], "Image": png("bob", 1), "MaxPersonNum": 1}),
    )
    .await;
    assert_eq!(candidates(&one, 0).len(), 1);
    // A stranger at a threshold: nobody, RetCode -1604.
    let nobody = ok(
        &c,
        "SearchPersons",
        json!({"GroupIds": ["g1"], "Image": png("zed", 1), "FaceMatchThreshold": 60.0}),
    )
    .await;
    assert!(candidates(&nobody, 0).is_empty());
    assert_eq!(field(&nobody, "Results")[0]["RetCode"], -1604);
    // Deleted: never found again.
    ok(&c, "DeletePerson", json!({"PersonId": "pb"})).await;
    let after = ok(
        &c,
        "SearchPersons",
        json!({"GroupIds": ["g1", "g2"], "Image": png("bob", 1)}),
    )
    .await;
    assert!(
        candidates(&after, 0)
            .iter()
            .all(|(p, s)| p != "pb" && *s < 30.0)
    );
    emu.shutdown().await;
}

#[tokio::test]
async fn max_face_num_and_quality_control_behave_as_documented() {
    let (emu, c) = start().await;
    library(&c).await;
    // Two faces: alice and alice#1; MaxFaceNum picks how many are searched.
    let two = png("alice", 2);
    let once = ok(
        &c,
        "SearchPersons",
        json!({"GroupIds": ["g1"], "Image": two}),
    )
    .await;
    assert_eq!(field(&once, "Results").as_array().unwrap().len(), 1);
    let both = ok(
        &c,
        "SearchPersons",
        json!({"GroupIds": ["g1"], "Image": two, "MaxFaceNum": 2}),
    )
    .await;
    assert_eq!(field(&both, "Results").as_array().unwrap().len(), 2);
    assert_eq!(candidates(&both, 0)[0].0, "pa");
    assert!(candidates(&both, 1).iter().all(|(_, s)| *s < 30.0));
    let e = call(
        &c,
        "SearchPersons",
        json!({"GroupIds": ["g1"], "Image": two, "MaxFaceNum": 11}),
    )
    .await;
    // as the official SearchFaces example answers MaxFaceNum 11
    assert_eq!(code(&e), "FailedOperation.SearchFacesExceed");
    // No face at all.
    for (action, extra) in [
        ("SearchPersons", json!({"GroupIds": ["g1"]})),
        ("SearchFaces", json!({"GroupIds": ["g1"]})),
        ("VerifyPerson", json!({"PersonId": "pa"})),
        ("VerifyFace", json!({"PersonId": "pa"})),
    ] {
        let mut params = extra;
        params["Image"] = json!(png("nobody", 0));
        assert_eq!(
            code(&call(&c, action, params).await),
            "InvalidParameterValue.NoFaceInPhoto",
            "{action}"
        );
    }
    assert_eq!(
        code(
            &call(
                &c,
                "CreatePerson",
                json!({"GroupId": "g1", "PersonId": "px", "PersonName": "X", "Image": png("x", 0)})
            )
            .await
        ),
        "InvalidParameterValue.NoFaceInPhoto"
    );
    // A low-quality face (JPEG comment quality=30): -1601 at level 1, fine at 0.
    let mut jpeg = vec![0xFF, 0xD8, 0xFF, 0xFE, 0, 0];
    let body = b"iai-face identity=alice;quality=30";
    jpeg[4..6].copy_from_slice(&u16::try_from(body.len() + 2).unwrap().to_be_bytes());
    jpeg.extend(body);
    jpeg.extend([0xFF, 0xD9]);
    let low = base64::engine::general_purpose::STANDARD.encode(&jpeg);
    let strict = ok(
        &c,
        "SearchPersons",
        json!({"GroupIds": ["g1"], "Image": low, "QualityControl": 1}),
    )
    .await;
    assert_eq!(field(&strict, "Results")[0]["RetCode"], -1601);
    assert!(candidates(&strict, 0).is_empty());
    let lax = ok(
        &c,
        "SearchPersons",
        json!({"GroupIds": ["g1"], "Image": low}),
    )
    .await;
    assert_eq!(candidates(&lax, 0)[0], ("pa".to_string(), 100.0));
    assert_eq!(
        code(
            &call(
                &c,
                "VerifyPerson",
                json!({"PersonId": "pa", "Image": low, "QualityControl": 2})
            )
            .await
        ),
        "FailedOperation.FaceQualityNotQualified"
    );
    assert_eq!(
        code(
            &call(
                &c,
                "SearchPersons",
                json!({"GroupIds": ["g1"], "Image": low, "QualityControl": 5})
            )
            .await
        ),
        "InvalidParameterValue.QualityControlIllegal"
    );
    emu.shutdown().await;
}

#[tokio::test]
async fn verify_matches_its_own_face_and_not_a_strangers() {
    let (emu, c) = start().await;
    library(&c).await;
    for action in ["VerifyPerson", "VerifyFace"] {
        let own = ok(
            &c,
            action,
            json!({"PersonId": "pa", "Image": png("alice", 1)}),
        )
        .await;
        assert_eq!(
            (field(&own, "IsMatch"), field(&own, "Score")),
            (&json!(true), &json!(100.0)),
            "{action}"
        );
        let other = ok(
            &c,
            action,
            json!({"PersonId": "pa", "Image": png("bob", 1)}),
        )
        .await;
        assert_eq!(field(&other, "IsMatch"), &json!(false), "{action}");
        assert!(field(&other, "Score").as_f64().unwrap() < 30.0);
        assert_eq!(
            code(
                &call(
                    &c,
                    action,
                    json!({"PersonId": "nobody", "Image": png("alice", 1)})
                )
                .await
            ),
            "InvalidParameterValue.PersonIdNotExist"
        );
    }
    // A second face of alice (other bytes, same identity) still matches;
    // the same bytes are the same person without any told identity.
    ok(
        &c,
        "CreateFace",
        json!({"PersonId": "pb", "Urls": ["http://img.example/b2.jpg"]}),
    )
    .await;
    let by_url = ok(
        &c,
        "VerifyFace",
        json!({"PersonId": "pb", "Url": "http://img.example/b2.jpg"}),
    )
    .await;
    assert_eq!(field(&by_url, "IsMatch"), &json!(true));
    emu.shutdown().await;
}

#[tokio::test]
async fn search_faces_and_by_group_answers() {
    let (emu, c) = start().await;
    library(&c).await;
    ok(
        &c,
        "CreateFace",
        json!({"PersonId": "pa", "Images": [png("alice", 1), png("alice-other", 1)]}),
    )
    .await;
    let faces = ok(
        &c,
        "SearchFaces",
        json!({"GroupIds": ["g1"], "Image": png("alice", 1), "MaxPersonNum": 10}),
    )
    .await;
    let c0 = &field(&faces, "Results")[0]["Candidates"];
    // Both alice faces score 100 and carry their FaceIds; alice-other is a stranger.
    let hundreds: Vec<&Value> = c0
        .as_array()
        .unwrap()
        .iter()
        .filter(|x| x["Score"] == 100.0)
        .collect();
    assert_eq!(hundreds.len(), 2);
    assert!(
        hundreds
            .iter()
            .all(|h| h["PersonId"] == "pa" && h["FaceId"].as_str().is_some_and(|f| !f.is_empty()))
    );
    assert_eq!(field(&faces, "FaceNum"), 4);
    let by_group = ok(
        &c,
        "SearchPersonsReturnsByGroup",
        json!({"GroupIds": ["g1", "g2"], "Image": png("carol", 1)}),
    )
    .await;
    let groups = &field(&by_group, "ResultsReturnsByGroup")[0]["GroupCandidates"];
    assert_eq!(groups[1]["GroupId"], "g2");
    assert_eq!(groups[1]["Candidates"][0]["PersonId"], "pc");
    assert!(
        groups[0]["Candidates"]
            .as_array()
            .unwrap()
            .iter()
            .all(|x| x["Score"].as_f64().unwrap() < 30.0)
    );
    let fbg = ok(
        &c,
        "SearchFacesReturnsByGroup",
        json!({"GroupIds": ["g2"], "Image": png("carol", 1), "MaxPersonNumPerGroup": 1}),
    )
    .await;
    assert_eq!(
        field(&fbg, "ResultsReturnsByGroup")[0]["GroupCandidates"][0]["Candidates"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        code(
            &call(
                &c,
                "SearchFacesReturnsByGroup",
                json!({"GroupIds": ["g2"], "Image": png("carol", 1), "FaceMatchThreshold": 100.0})
            )
            .await
        ),
        "InvalidParameterValue.FaceMatchThresholdIllegal"
    );
    assert_eq!(
        code(
            &call(
                &c,
                "SearchPersons",
                json!({"GroupIds": ["nope"], "Image": png("carol", 1)})
            )
            .await
        ),
        "InvalidParameterValue.GroupIdNotExist"
    );
    ok(
        &c,
        "CreateGroup",
        json!({"GroupId": "empty", "GroupName": "E"}),
    )
    .await;
    assert_eq!(
        code(
            &call(
                &c,
                "SearchPersons",
                json!({"GroupIds": ["empty"], "Image": png("carol", 1)})
            )
            .await
        ),
        "InvalidParameterValue.NoFaceInGroups"
    );
    assert_eq!(
        code(
            &call(
                &c,
                "SearchPersons",
                json!({"GroupIds": ["g1"], "Image": "R0lGODlhAQABAAAAACw="})
            )
            .await
        ),
        "FailedOperation.ImageDecodeFailed"
    );
    emu.shutdown().await;
}

#[tokio::test]
async fn a_group_upgrade_is_a_job_with_states_revertible_once() {
    let (emu, c) = start().await;
    ok(
        &c,
        "CreateGroup",
        json!({"GroupId": "old", "GroupName": "Old", "FaceModelVersion": "2.0"}),
    )
    .await;
    ok(
        &c,
        "CreatePerson",
        json!({"GroupId": "old", "PersonId": "p", "PersonName": "Dan", "Image": png("dan", 1)}),
    )
    .await;
    // 2.0 groups: SearchPersons and VerifyPerson are 3.0 only, SearchFaces works.
    assert_eq!(
        code(
            &call(
                &c,
                "SearchPersons",
                json!({"GroupIds": ["old"], "Image": png("dan", 1)})
            )
            .await
        ),
        "InvalidParameterValue.UnsupportedGroupFaceModelVersion"
    );
    let sf = ok(
        &c,
        "SearchFaces",
        json!({"GroupIds": ["old"], "Image": png("dan", 1)}),
    )
    .await;
    assert_eq!(field(&sf, "FaceModelVersion"), "2.0");
    let job = ok(
        &c,
        "UpgradeGroupFaceModelVersion",
        json!({"GroupId": "old", "FaceModelVersion": "3.0"}),
    )
    .await;
    let id = field(&job, "JobId").as_str().unwrap().to_string();
    let running = ok(
        &c,
        "GetUpgradeGroupFaceModelVersionResult",
        json!({"JobId": id}),
    )
    .await;
    assert_eq!(field(&running, "Status"), 0);
    assert_eq!(
        code(&call(&c, "RevertGroupFaceModelVersion", json!({"JobId": id})).await),
        "FailedOperation.JobCannnotRollback"
    );
    assert_eq!(
        code(
            &call(
                &c,
                "UpgradeGroupFaceModelVersion",
                json!({"GroupId": "old", "FaceModelVersion": "3.0"})
            )
            .await
        ),
        "FailedOperation.GroupCannotUpgrade"
    );
    tokio::time::sleep(std::time::Duration::from_millis(600)).await;
    let done = ok(
        &c,
        "GetUpgradeGroupFaceModelVersionResult",
        json!({"JobId": id}),
    )
    .await;
    assert_eq!(
        (field(&done, "Status"), field(&done, "Progress")),
        (&json!(1), &json!(100.0))
    );
    let info = ok(&c, "GetGroupInfo", json!({"GroupId": "old"})).await;
    assert_eq!(field(&info, "FaceModelVersion"), "3.0");
    ok(
        &c,
        "SearchPersons",
        json!({"GroupIds": ["old"], "Image": png("dan", 1)}),
    )
    .await;
    let list = ok(&c, "GetUpgradeGroupFaceModelVersionJobList", json!({})).await;
    assert_eq!(field(&list, "JobNum"), 1);
    assert_eq!(field(&list, "JobInfos")[0]["Status"], 1);
    ok(&c, "RevertGroupFaceModelVersion", json!({"JobId": id})).await;
    let back = ok(&c, "GetGroupInfo", json!({"GroupId": "old"})).await;
    assert_eq!(field(&back, "FaceModelVersion"), "2.0");
    let reverted = ok(
        &c,
        "GetUpgradeGroupFaceModelVersionResult",
        json!({"JobId": id}),
    )
    .await;
    assert_eq!(field(&reverted, "Status"), 2);
    assert_eq!(
        code(&call(&c, "RevertGroupFaceModelVersion", json!({"JobId": id})).await),
        "FailedOperation.JobCannnotRollback"
    );
    assert_eq!(
        code(
            &call(
                &c,
                "GetUpgradeGroupFaceModelVersionResult",
                json!({"JobId": "nope"})
            )
            .await
        ),
        "FailedOperation.UpgradeJobIdNotExist"
    );
    ok(
        &c,
        "CreateGroup",
        json!({"GroupId": "new", "GroupName": "New"}),
    )
    .await;
    assert_eq!(
        code(
            &call(
                &c,
                "UpgradeGroupFaceModelVersion",
                json!({"GroupId": "new", "FaceModelVersion": "3.0"})
            )
            .await
        ),
        "FailedOperation.GroupCannotUpgrade"
    );
    emu.shutdown().await;
}

#[tokio::test]
async fn compare_face_scores_the_same_person_above_a_stranger() {
    let (emu, c) = start().await;
    let (a, a2, b) = (
        png("alice", 1),
        faces::make_png("alice", 1, 16, 16).unwrap(),
        png("bob", 1),
    );
    let a2 = base64::engine::general_purpose::STANDARD.encode(a2);
    let same = ok(&c, "CompareFace", json!({"ImageA": a, "ImageB": a2})).await;
    let other = ok(&c, "CompareFace", json!({"ImageA": a, "ImageB": b})).await;
    let (s, o) = (
        field(&same, "Score").as_f64().unwrap(),
        field(&other, "Score").as_f64().unwrap(),
    );
    assert_eq!(s, 100.0);
    assert!(o < 30.0 && o < s, "{o}");
    assert_eq!(field(&same, "FaceModelVersion"), "3.0");
    let urls = ok(&c, "CompareFace", json!({"UrlA": "http://x.example/a.jpg", "UrlB": "http://x.example/a.jpg", "FaceModelVersion": "2.0"})).await;
    assert_eq!(
        (field(&urls, "Score"), field(&urls, "FaceModelVersion")),
        (&json!(100.0), &json!("2.0"))
    );
    for (params, want) in [
        (
            json!({"ImageA": a, "ImageB": png("x", 0)}),
            "InvalidParameterValue.NoFaceInPhoto",
        ),
        (json!({"ImageA": a}), "InvalidParameterValue.ImageEmpty"),
        (
            json!({"ImageA": a, "ImageB": b, "FaceModelVersion": "4.0"}),
            "InvalidParameterValue.FaceModelVersionIllegal",
        ),
        (
            json!({"ImageA": a, "ImageB": b, "QualityControl": 9}),
            "InvalidParameterValue.QualityControlIllegal",
        ),
        (
            json!({"ImageA": a, "UrlB": "ftp://x/b.jpg"}),
            "InvalidParameterValue.UrlIllegal",
        ),
    ] {
        assert_eq!(
            code(&call(&c, "CompareFace", params.clone()).await),
            want,
            "{params}"
        );
    }
    emu.shutdown().await;
}
