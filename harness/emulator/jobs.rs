//! Group face-model upgrade jobs (the deprecated `*GroupFaceModelVersion`
//! actions): a job upgrades one group from 2.0 to 3.0 and is revertible
//! once.
//!
//! States, as documented (`UpgradeJobInfo.Status`): 0 upgrading, 1 done,
//! 2 reverted, 3 failed. A job is upgrading for [`UPGRADE_MS`] after it
//! starts; the first action after that finds it done and the group (and
//! its members) at the new version. The emulator never fails a job.

use serde_json::{Value, json};

/// How long an upgrade runs, milliseconds.
pub(crate) const UPGRADE_MS: u64 = 500;

pub(crate) const UPGRADING: u64 = 0;
pub(crate) const DONE: u64 = 1;
pub(crate) const REVERTED: u64 = 2;

#[derive(Debug, Clone)]
pub(crate) struct Job {
    pub(crate) id: String,
    pub(crate) group: Box<str>,
    pub(crate) from: &'static str,
    pub(crate) to: &'static str,
    pub(crate) start_ms: u64,
    pub(crate) end_ms: u64,
    pub(crate) status: u64,
}

#[derive(Debug, Default)]
pub(crate) struct Jobs {
    pub(crate) list: Vec<Job>,
    pub(crate) pending: usize,
    next: u64,
}

impl Jobs {
    /// A new job ID in Tencent's form: `APPID_upgrade_group_GROUP_SECS_N`.
    pub(crate) fn start(
        &mut self,
        group: &str,
        from: &'static str,
        to: &'static str,
        now_ms: u64,
    ) -> String {
        self.next += 1;
        let id = format!(
            "1253657503_upgrade_group_{group}_{}_{:08}",
            now_ms / 1000,
            self.next
        );
        self.list.push(Job {
            id: id.clone(),
            group: group.into(),
            from,
            to,
            start_ms: now_ms,
            end_ms: 0,
            status: UPGRADING,
        });
        self.pending += 1;
        id
    }

    pub(crate) fn get(&self, id: &str) -> Option<&Job> {
        self.list.iter().find(|j| j.id == id)
    }

    pub(crate) fn get_mut(&mut self, id: &str) -> Option<&mut Job> {
        self.list.iter_mut().find(|j| j.id == id)
    }

    /// Whether `group` has a job still upgrading.
    pub(crate) fn upgrading(&self, group: &str) -> bool {
        self.list
            .iter()
            .any(|j| j.status == UPGRADING && &*j.group == group)
    }

    /// Whether `group` was ever reverted (once per group, as documented).
    pub(crate) fn reverted(&self, group: &str) -> bool {
        self.list
            .iter()
            .any(|j| j.status == REVERTED && &*j.group == group)
    }

    /// Finishes every job whose time is up; the (group, version) pairs to apply.
    pub(crate) fn finish_due(&mut self, now_ms: u64) -> Vec<(Box<str>, &'static str)> {
        let mut done = Vec::new();
        for j in &mut self.list {
            if j.status == UPGRADING && now_ms >= j.start_ms + UPGRADE_MS {
                j.status = DONE;
                j.end_ms = j.start_ms + UPGRADE_MS;
                done.push((j.group.clone(), j.to));
            }
        }
        self.pending -= done.len().min(self.pending);
        done
    }

    /// A job as `UpgradeJobInfo`.
    pub(crate) fn info(j: &Job) -> Value {
        json!({
            "JobId": j.id,
            "GroupId": &*j.group,
            "FromFaceModelVersion": j.from,
            "ToFaceModelVersion": j.to,
            "StartTime": j.start_ms,
            "Status": j.status,
        })
    }

    /// GetUpgradeGroupFaceModelVersionResult's fields.
    pub(crate) fn result(j: &Job, now_ms: u64) -> Value {
        let progress = if j.status == UPGRADING {
            let elapsed = now_ms.saturating_sub(j.start_ms).min(UPGRADE_MS);
            (elapsed as f64 * 100.0 / UPGRADE_MS as f64).min(99.0)
        } else {
            100.0
        };
        json!({
            "EndTimestamp": j.end_ms,
            "Progress": progress,
            "Status": j.status,
            "StartTime": j.start_ms,
            "FromFaceModelVersion": j.from,
            "ToFaceModelVersion": j.to,
            "GroupId": &*j.group,
            "FailedFacesUrl": "",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_job_upgrades_then_finishes() {
        let mut jobs = Jobs::default();
        let id = jobs.start("g", "2.0", "3.0", 1_000);
        assert!(jobs.upgrading("g"));
        assert!(jobs.finish_due(1_000 + UPGRADE_MS - 1).is_empty());
        assert_eq!(
            Jobs::result(jobs.get(&id).unwrap(), 1_250)["Progress"],
            50.0
        );
        assert_eq!(
            jobs.finish_due(1_000 + UPGRADE_MS),
            vec![("g".into(), "3.0")]
        );
        let j = jobs.get(&id).unwrap();
        assert_eq!((j.status, j.end_ms), (DONE, 1_000 + UPGRADE_MS));
        assert_eq!(jobs.pending, 0);
        assert!(id.starts_with("1253657503_upgrade_group_g_1_"));
    }
}
