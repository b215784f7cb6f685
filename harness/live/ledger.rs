//! The ledger: every group and person a run may have created, written to a
//! file *before* the create is sent, so that a run killed at any point can
//! still be cleaned up (by its own cleanup, or by `sweep`).

use std::collections::BTreeSet;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use super::policy::Kind;

/// One line of the ledger file.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
pub struct Entry {
    /// A person or a group.
    pub kind: Kind,
    /// Its ID.
    pub id: String,
}

/// The IDs a run created, in memory and in an append-only JSON-lines file.
#[derive(Debug)]
pub struct Ledger {
    path: PathBuf,
    entries: Mutex<BTreeSet<Entry>>,
}

#[derive(Debug, thiserror::Error)]
#[error("cannot write the ledger {}: {source}", path.display())]
pub struct LedgerError {
    path: PathBuf,
    source: std::io::Error,
}

impl Ledger {
    /// The folder ledgers are kept in: `$IAI_LEDGER_DIR`, else
    /// `<temp dir>/iai-conformance`.
    pub fn default_dir() -> PathBuf {
        std::env::var_os("IAI_LEDGER_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| std::env::temp_dir().join("iai-conformance"))
    }

    /// A ledger for `run_id` in `dir`; the file appears with the first entry.
    pub fn new(dir: &Path, run_id: &str) -> Self {
        Self {
            path: dir.join(format!("ledger-{run_id}.jsonl")),
            entries: Mutex::new(BTreeSet::new()),
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Records IDs about to be created; the file is flushed and synced
    /// before this returns.
    pub fn record(&self, created: &[(Kind, String)]) -> Result<(), LedgerError> {
        let fail = |source| LedgerError {
            path: self.path.clone(),
            source,
        };
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        let fresh: Vec<Entry> = created
            .iter()
            .map(|(kind, id)| Entry {
                kind: *kind,
                id: id.clone(),
            })
            .filter(|e| !entries.contains(e))
            .collect();
        if fresh.is_empty() {
            return Ok(());
        }
        if let Some(dir) = self.path.parent() {
            std::fs::create_dir_all(dir).map_err(fail)?;
        }
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.path)
            .map_err(fail)?;
        let mut text = String::new();
        for e in &fresh {
            text.push_str(&serde_json::to_string(e).expect("entries serialize"));
            text.push('\n');
        }
        file.write_all(text.as_bytes()).map_err(fail)?;
        file.sync_data().map_err(fail)?;
        entries.extend(fresh);
        Ok(())
    }

    pub fn contains(&self, kind: Kind, id: &str) -> bool {
        self.entries
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .contains(&Entry {
                kind,
                id: id.to_string(),
            })
    }

    /// Everything recorded: persons first, then groups (the order cleanup
    /// deletes them in).
    pub fn entries(&self) -> Vec<Entry> {
        let entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        let mut out: Vec<Entry> = entries.iter().cloned().collect();
        out.sort_by_key(|e| (e.kind == Kind::Group, e.id.clone()));
        out
    }

    /// Forgets what cleanup deleted; removes the file when nothing is left.
    pub fn settle(&self, deleted: &[Entry]) -> std::io::Result<()> {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        for e in deleted {
            entries.remove(e);
        }
        if entries.is_empty() {
            match std::fs::remove_file(&self.path) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e),
                _ => {}
            }
        } else {
            let mut text = String::new();
            for e in entries.iter() {
                text.push_str(&serde_json::to_string(e).expect("entries serialize"));
                text.push('\n');
            }
            std::fs::write(&self.path, text)?;
        }
        Ok(())
    }

    /// Reads a ledger file left by another run.
    pub fn read(path: &Path) -> std::io::Result<Vec<Entry>> {
        let text = std::fs::read_to_string(path)?;
        Ok(text
            .lines()
            .filter_map(|l| serde_json::from_str(l).ok())
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn is_on_disk_before_the_create_and_gone_after_cleanup() {
        let dir = std::env::temp_dir().join(format!("iai-ledger-test-{}", std::process::id()));
        let ledger = Ledger::new(&dir, "r1");
        ledger
            .record(&[
                (Kind::Group, "ct-a-b-g".into()),
                (Kind::Person, "ct-a-b-p".into()),
            ])
            .unwrap();
        ledger.record(&[(Kind::Group, "ct-a-b-g".into())]).unwrap();
        let on_disk = Ledger::read(ledger.path()).unwrap();
        assert_eq!(on_disk.len(), 2);
        assert_eq!(ledger.entries()[0].kind, Kind::Person, "persons first");
        ledger.settle(&ledger.entries()[..1]).unwrap();
        assert_eq!(Ledger::read(ledger.path()).unwrap().len(), 1);
        ledger.settle(&ledger.entries()).unwrap();
        assert!(!ledger.path().exists());
        let _ = std::fs::remove_dir(&dir);
    }
}
