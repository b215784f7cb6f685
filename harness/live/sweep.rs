//! The sweeper: deletes what runs left behind (a run killed before its
//! cleanup), and nothing else.
//!
//! It lists every group (GetGroupList, paged), keeps only those whose ID
//! has a run's shape (`ct-<base36 seconds>-<random>-...`) and a run time
//! older than the limit, lists their persons (GetPersonList, paged) and
//! deletes the persons with a run's ID, then the group. A run group that
//! holds a person without a run's ID is left alone (DeleteGroup would take
//! that person with it). Every delete also passes the sweep policy
//! ([`super::Ownership::Sweep`]) on its final request.

use serde_json::{Value, json};

use super::{Guard, Limits, SendError, error_code, is_gone, policy};
use crate::client::Client;

/// What the sweeper did or, in a dry run, would do.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct Swept {
    /// `(kind, id)` deleted (or to delete, in a dry run).
    pub deleted: Vec<(policy::Kind, String)>,
    /// Run groups and persons left, with the reason.
    pub kept: Vec<(String, String)>,
    /// Deletes that failed, with the code or error.
    pub failed: Vec<(String, String)>,
}

#[derive(Debug, thiserror::Error)]
/// Why a sweep stopped.
pub enum SweepError {
    #[error("{action} failed: {message}")]
    /// Listing the groups or persons failed.
    List {
        /// The listing action.
        action: String,
        /// Why it failed.
        message: String,
    },
}

async fn page(
    guard: &Guard,
    client: &Client,
    action: &str,
    mut params: Value,
    list: &str,
) -> Result<Vec<Value>, SweepError> {
    const LIMIT: u64 = 1000;
    let mut out = Vec::new();
    let mut offset = 0u64;
    loop {
        params["Offset"] = json!(offset);
        params["Limit"] = json!(LIMIT);
        let fail = |message: String| SweepError::List {
            action: action.to_string(),
            message,
        };
        let x = guard
            .call(client, action, params.clone(), false)
            .await
            .map_err(|e| fail(e.to_string()))?;
        if let Some(code) = error_code(&x) {
            return Err(fail(code));
        }
        let body: Value = serde_json::from_slice(&x.body).map_err(|e| fail(e.to_string()))?;
        let items = body
            .pointer(&format!("/Response/{list}"))
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        let n = items.len() as u64;
        out.extend(items);
        if n < LIMIT {
            return Ok(out);
        }
        offset += n;
    }
}

/// Sweeps the account `client` signs for. `older_than` in seconds.
pub async fn sweep(
    client: &Client,
    now: i64,
    older_than: i64,
    dry_run: bool,
    limits: Limits,
) -> Result<Swept, SweepError> {
    let guard = Guard::for_sweep(now, older_than, limits);
    let mut swept = Swept::default();
    let groups = page(&guard, client, "GetGroupList", json!({}), "GroupInfos").await?;
    for group in groups {
        let Some(group_id) = group["GroupId"].as_str() else {
            continue;
        };
        if crate::scope::created_at(group_id).is_none() {
            continue; // not a run's: not even mentioned
        }
        if let Err(reason) = policy::sweepable(group_id, now, older_than) {
            swept.kept.push((group_id.to_string(), reason));
            continue;
        }
        let persons = page(
            &guard,
            client,
            "GetPersonList",
            json!({ "GroupId": group_id }),
            "PersonInfos",
        )
        .await?;
        let mut foreign = Vec::new();
        for person in persons {
            let Some(person_id) = person["PersonId"].as_str() else {
                continue;
            };
            if let Err(reason) = policy::sweepable(person_id, now, older_than) {
                if crate::scope::created_at(person_id).is_none() {
                    foreign.push(person_id.to_string());
                }
                swept.kept.push((person_id.to_string(), reason));
                continue;
            }
            delete(
                &guard,
                client,
                policy::Kind::Person,
                person_id,
                dry_run,
                &mut swept,
            )
            .await;
        }
        if foreign.is_empty() {
            delete(
                &guard,
                client,
                policy::Kind::Group,
                group_id,
                dry_run,
                &mut swept,
            )
            .await;
        } else {
            swept.kept.push((
                group_id.to_string(),
                format!(
                    "holds persons no run created ({}); DeleteGroup would delete them too",
                    foreign.join(", ")
                ),
            ));
        }
    }
    Ok(swept)
}

async fn delete(
    guard: &Guard,
    client: &Client,
    kind: policy::Kind,
    id: &str,
    dry_run: bool,
    swept: &mut Swept,
) {
    if dry_run {
        swept.deleted.push((kind, id.to_string()));
        return;
    }
    let (action, key) = match kind {
        policy::Kind::Person => ("DeletePerson", "PersonId"),
        policy::Kind::Group => ("DeleteGroup", "GroupId"),
    };
    match guard.call(client, action, json!({ key: id }), false).await {
        Ok(x) => match error_code(&x) {
            Some(code) if !is_gone(&code) => swept.failed.push((id.to_string(), code)),
            _ => swept.deleted.push((kind, id.to_string())),
        },
        Err(SendError::Refused(r)) => swept.kept.push((id.to_string(), r.to_string())),
        Err(e) => swept.failed.push((id.to_string(), e.to_string())),
    }
}
