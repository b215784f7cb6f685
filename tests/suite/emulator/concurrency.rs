//! Many writers on overlapping PersonIds: the final state is exactly what
//! the successful answers imply.

use std::collections::HashMap;
use std::sync::Arc;

use serde_json::json;

use super::{PNG, call, code, field, start};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn overlapping_creates_and_deletes_leave_a_consistent_library() {
    let (emu, c) = start().await;
    call(&c, "CreateGroup", json!({"GroupId": "g", "GroupName": "G"})).await;
    let c = Arc::new(c);
    let ids: Vec<String> = (0..8).map(|i| format!("p{i}")).collect();
    let mut tasks = Vec::new();
    for t in 0..16 {
        let c = Arc::clone(&c);
        let ids = ids.clone();
        tasks.push(tokio::spawn(async move {
            let mut log = Vec::new();
            for round in 0..40 {
                let id = &ids[(t * 7 + round * 3) % ids.len()];
                let (action, params) = if (t + round) % 2 == 0 {
                    (
                        "CreatePerson",
                        json!({"GroupId": "g", "PersonId": id, "PersonName": "P", "Image": PNG}),
                    )
                } else {
                    ("DeletePerson", json!({"PersonId": id}))
                };
                let e = call(&c, action, params).await;
                let allowed = [
                    "",
                    "FailedOperation.ConflictOperation",
                    "InvalidParameterValue.PersonIdAlreadyExist",
                    "InvalidParameterValue.PersonIdNotExist",
                ];
                assert!(allowed.contains(&code(&e)), "{action} {id}: {}", code(&e));
                if code(&e).is_empty() {
                    log.push((id.clone(), action == "CreatePerson"));
                }
            }
            log
        }));
    }
    let mut balance: HashMap<String, i64> = HashMap::new();
    for t in tasks {
        for (id, created) in t.await.unwrap() {
            *balance.entry(id).or_default() += if created { 1 } else { -1 };
        }
    }
    let mut expected = 0;
    for id in &ids {
        let b = balance.get(id).copied().unwrap_or(0);
        assert!(
            b == 0 || b == 1,
            "{id}: successful creates minus deletes = {b}"
        );
        let exists = code(&call(&c, "GetPersonBaseInfo", json!({"PersonId": id})).await).is_empty();
        assert_eq!(exists, b == 1, "{id}");
        expected += b;
    }
    let n = call(&c, "GetPersonListNum", json!({"GroupId": "g"})).await;
    assert_eq!(field(&n, "PersonNum"), expected);
    assert_eq!(field(&n, "FaceNum"), expected);
    emu.shutdown().await;
}
