//! Progress of a run while it goes: on a terminal one line redrawn in place
//! (a bar, the count, failures so far and an estimate of the time left);
//! elsewhere a plain line now and then, so a fast run prints none and a
//! long live run shows it is alive.

use std::io::{IsTerminal as _, Write as _};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::results::{CaseResult, Verdict};

/// Progress on standard error, shared by the case tasks.
#[derive(Debug)]
pub struct Stderr {
    progress: Mutex<Progress>,
    echo_failures: bool,
}

impl Stderr {
    /// A bar when standard error is a terminal, plain lines otherwise;
    /// `echo_failures` also writes each failure as it happens (when the
    /// report itself goes elsewhere).
    pub fn new(total: usize, echo_failures: bool) -> Self {
        Self {
            progress: Mutex::new(Progress::new(total, std::io::stderr().is_terminal())),
            echo_failures,
        }
    }

    /// Counts a finished case and writes what is due.
    pub fn case_done(&self, result: &CaseResult) {
        let mut progress = self.progress.lock().unwrap_or_else(|e| e.into_inner());
        let mut text = String::new();
        if self.echo_failures && result.verdict.is_failure() {
            text.push_str(&progress.finish().unwrap_or_default());
            text.push_str(&result.progress_line());
            text.push('\n');
        }
        text.push_str(&progress.record(result).unwrap_or_default());
        if !text.is_empty() {
            let mut err = std::io::stderr().lock();
            let _ = err.write_all(text.as_bytes());
            let _ = err.flush();
        }
    }

    /// Erases the bar before the report is written.
    pub fn finish(&self) {
        let mut progress = self.progress.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(text) = progress.finish() {
            let _ = std::io::stderr().lock().write_all(text.as_bytes());
        }
    }
}

/// How often a plain (not a terminal) progress line is written.
const PLAIN_EVERY: Duration = Duration::from_secs(10);
/// How often the terminal line is redrawn at most.
const REDRAW_EVERY: Duration = Duration::from_millis(100);
/// The bar's width in characters.
const BAR: usize = 24;

/// Where progress goes and how it looks.
#[derive(Debug)]
pub(crate) struct Progress {
    total: usize,
    done: usize,
    /// Finished cases that made calls (not skipped, not unreachable): the
    /// ones whose time says how long the rest will take.
    ran: usize,
    failed: usize,
    terminal: bool,
    started: Instant,
    last: Option<Instant>,
    drawn: bool,
}

impl Progress {
    /// `terminal`: whether the output is a terminal (redrawn line) or not
    /// (plain lines).
    pub(crate) fn new(total: usize, terminal: bool) -> Self {
        Self::starting_at(total, terminal, Instant::now())
    }

    fn starting_at(total: usize, terminal: bool, started: Instant) -> Self {
        Self {
            total,
            done: 0,
            ran: 0,
            failed: 0,
            terminal,
            started,
            last: None,
            drawn: false,
        }
    }

    /// Counts a finished case; returns the text to write (nothing when it
    /// is not yet time to).
    pub(crate) fn record(&mut self, result: &CaseResult) -> Option<String> {
        let instant = matches!(
            result.verdict,
            Verdict::Skipped(_) | Verdict::Unreachable(_)
        );
        self.record_at(result.verdict.is_failure(), !instant, Instant::now())
    }

    fn record_at(&mut self, failed: bool, ran: bool, now: Instant) -> Option<String> {
        self.done += 1;
        self.ran += usize::from(ran);
        self.failed += usize::from(failed);
        let every = if self.terminal {
            REDRAW_EVERY
        } else {
            PLAIN_EVERY
        };
        let since = now.duration_since(self.last.unwrap_or(self.started));
        if since < every || self.done >= self.total {
            return None;
        }
        self.last = Some(now);
        let line = self.line(now);
        Some(if self.terminal {
            self.drawn = true;
            format!("\r\x1b[2K{line}")
        } else {
            format!("{line}\n")
        })
    }

    /// What to write when the run is over: on a terminal, the line erased.
    pub(crate) fn finish(&mut self) -> Option<String> {
        std::mem::take(&mut self.drawn).then(|| "\r\x1b[2K".to_string())
    }

    /// `[=====>      ]  57/183  31%  2 failed  ~1m12s left`.
    fn line(&self, now: Instant) -> String {
        let elapsed = now.duration_since(self.started);
        let left = estimate(elapsed, self.ran, self.total - self.done);
        let failed = match self.failed {
            0 => String::new(),
            n => format!("  {n} failed"),
        };
        let counts = format!(
            "{:>w$}/{}  {:>3}%{failed}  ~{} left",
            self.done,
            self.total,
            self.done * 100 / self.total.max(1),
            clock(left),
            w = self.total.to_string().len()
        );
        if self.terminal {
            let filled = BAR * self.done / self.total.max(1);
            format!(
                "[{}{}] {counts}",
                "=".repeat(filled),
                " ".repeat(BAR - filled)
            )
        } else {
            format!("progress: {counts}")
        }
    }
}

/// The time left if each remaining case takes as long, on average, as
/// each case that ran did (wall time, so concurrency and pacing are in it;
/// skipped cases take none, so the estimate errs long).
fn estimate(elapsed: Duration, ran: usize, remaining: usize) -> Duration {
    if ran == 0 {
        return Duration::ZERO;
    }
    elapsed / ran as u32 * remaining as u32
}

/// `45s`, `1m12s`, `1h03m`.
fn clock(d: Duration) -> String {
    let s = d.as_secs();
    match s {
        0..60 => format!("{s}s"),
        60..3600 => format!("{}m{:02}s", s / 60, s % 60),
        _ => format!("{}h{:02}m", s / 3600, s / 60 % 60),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_estimate_scales_the_mean_time_per_case() {
        assert_eq!(
            estimate(Duration::from_secs(10), 10, 30),
            Duration::from_secs(30)
        );
        assert_eq!(estimate(Duration::from_secs(10), 0, 40), Duration::ZERO);
        assert_eq!(estimate(Duration::from_secs(10), 40, 0), Duration::ZERO);
        assert_eq!(clock(Duration::from_secs(45)), "45s");
        assert_eq!(clock(Duration::from_secs(72)), "1m12s");
        assert_eq!(clock(Duration::from_secs(3780)), "1h03m");
    }

    #[test]
    fn a_plain_output_gets_a_line_every_ten_seconds_and_none_for_a_fast_run() {
        let t0 = Instant::now();
        let mut p = Progress::starting_at(100, false, t0);
        // a fast run: everything within the first interval prints nothing
        for i in 1..=5 {
            assert_eq!(p.record_at(false, true, t0 + Duration::from_secs(i)), None);
        }
        let line = p
            .record_at(true, true, t0 + Duration::from_secs(12))
            .expect("a line after 10 s");
        // 6 done in 12 s: 94 more take 188 s
        assert_eq!(line, "progress:   6/100    6%  1 failed  ~3m08s left\n");
        assert_eq!(p.record_at(false, true, t0 + Duration::from_secs(13)), None);
        assert_eq!(p.finish(), None, "nothing to erase on plain output");
    }

    #[test]
    fn skipped_cases_do_not_shorten_the_estimate() {
        let t0 = Instant::now();
        let mut p = Progress::starting_at(12, false, t0);
        for _ in 0..6 {
            p.record_at(false, false, t0); // skipped at once
        }
        // one case that ran took 12 s; 5 remain
        let line = p
            .record_at(false, true, t0 + Duration::from_secs(12))
            .unwrap();
        assert!(line.ends_with("~1m00s left\n"), "{line}");
    }

    #[test]
    fn a_terminal_gets_a_bar_redrawn_in_place_then_erased() {
        let t0 = Instant::now();
        let mut p = Progress::starting_at(4, true, t0);
        let line = p
            .record_at(false, true, t0 + Duration::from_secs(2))
            .unwrap();
        assert_eq!(
            line,
            format!(
                "\r\x1b[2K[{}{}] 1/4   25%  ~6s left",
                "=".repeat(6),
                " ".repeat(18)
            )
        );
        // the last case draws nothing: the report follows
        p.record_at(false, true, t0 + Duration::from_secs(3));
        p.record_at(false, true, t0 + Duration::from_secs(4));
        assert_eq!(p.record_at(false, true, t0 + Duration::from_secs(5)), None);
        assert_eq!(p.finish().as_deref(), Some("\r\x1b[2K"));
        assert_eq!(p.finish(), None);
    }
}
