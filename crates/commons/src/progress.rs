//! Progress for long runs (verify, import, export, rebuild): a bar on a terminal, plain
//! lines otherwise, always on standard error so standard output stays clean for data.

use commons_node::audit::Progress;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

/// Lines printed when not on a terminal: one per this many percent.
const PLAIN_LINE_PERCENT_STEP: u64 = 10;

pub enum CliProgress {
    Bar(Mutex<Option<ProgressBar>>),
    Plain {
        what: Mutex<String>,
        total: AtomicU64,
        done: AtomicU64,
        last_percent: AtomicU64,
    },
}

impl Default for CliProgress {
    fn default() -> Self {
        CliProgress::new()
    }
}

impl CliProgress {
    pub fn new() -> CliProgress {
        if std::io::stderr().is_terminal() {
            CliProgress::Bar(Mutex::new(None))
        } else {
            CliProgress::Plain {
                what: Mutex::new(String::new()),
                total: AtomicU64::new(0),
                done: AtomicU64::new(0),
                last_percent: AtomicU64::new(0),
            }
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl Progress for CliProgress {
    fn start(&self, what: &str, total: u64) {
        match self {
            CliProgress::Bar(slot) => {
                let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
                if let Ok(style) = ProgressStyle::with_template(
                    "{msg:>12} [{bar:40}] {pos}/{len} {per_sec} eta {eta}",
                ) {
                    bar.set_style(style.progress_chars("=> "));
                }
                bar.set_message(what.to_owned());
                *lock(slot) = Some(bar);
            }
            CliProgress::Plain {
                what: w,
                total: t,
                done,
                last_percent,
            } => {
                *lock(w) = what.to_owned();
                t.store(total, Ordering::Relaxed);
                done.store(0, Ordering::Relaxed);
                last_percent.store(0, Ordering::Relaxed);
                eprintln!("{what}: 0/{total}");
            }
        }
    }

    fn advance(&self, n: u64) {
        match self {
            CliProgress::Bar(slot) => {
                if let Some(bar) = lock(slot).as_ref() {
                    bar.inc(n);
                }
            }
            CliProgress::Plain {
                what,
                total,
                done,
                last_percent,
            } => {
                let done = done.fetch_add(n, Ordering::Relaxed) + n;
                let total = total.load(Ordering::Relaxed).max(1);
                let percent = done.saturating_mul(100) / total;
                let step = percent / PLAIN_LINE_PERCENT_STEP * PLAIN_LINE_PERCENT_STEP;
                if step > last_percent.load(Ordering::Relaxed) {
                    last_percent.store(step, Ordering::Relaxed);
                    eprintln!("{}: {done}/{total} ({step}%)", lock(what));
                }
            }
        }
    }

    fn finish(&self) {
        match self {
            CliProgress::Bar(slot) => {
                if let Some(bar) = lock(slot).take() {
                    bar.finish_and_clear();
                }
            }
            CliProgress::Plain { what, total, .. } => {
                eprintln!(
                    "{}: done ({} items)",
                    lock(what),
                    total.load(Ordering::Relaxed)
                );
            }
        }
    }
}
