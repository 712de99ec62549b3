//! Helpers of the engine tests: migration sets and a log capture. Databases and dumps come
//! from `migrate-test-kit`, shared with the other test packages.

#![allow(dead_code)]

use std::path::Path;
use std::sync::{Mutex, OnceLock};
use std::thread::ThreadId;

use migrate_runtime::Migrations;

/// A set from in-memory files, panicking on an invalid set (the fixtures are valid).
pub fn set(files: &[(&str, &str)]) -> Migrations {
    Migrations::from_files(files.iter().copied()).expect("valid migration set")
}

/// A set from a fixture directory under `tests/sets`.
pub fn set_dir(name: &str) -> Migrations {
    Migrations::from_dir(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/sets")
            .join(name),
    )
    .expect("valid migration set")
}

/// One captured log record.
#[derive(Debug, Clone)]
pub struct Record {
    pub level: log::Level,
    pub target: String,
    pub message: String,
}

struct Capture {
    records: Mutex<Vec<(ThreadId, Record)>>,
}

impl log::Log for Capture {
    fn enabled(&self, _: &log::Metadata<'_>) -> bool {
        true
    }

    fn log(&self, record: &log::Record<'_>) {
        let entry = Record {
            level: record.level(),
            target: record.target().to_owned(),
            message: record.args().to_string(),
        };
        self.records
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push((std::thread::current().id(), entry));
    }

    fn flush(&self) {}
}

static CAPTURE: OnceLock<&'static Capture> = OnceLock::new();

fn capture() -> &'static Capture {
    CAPTURE.get_or_init(|| {
        let capture: &'static Capture = Box::leak(Box::new(Capture {
            records: Mutex::new(Vec::new()),
        }));
        log::set_logger(capture).expect("no other logger in the test binary");
        log::set_max_level(log::LevelFilter::Trace);
        capture
    })
}

/// Runs `f` and returns what it logged on this thread (tests run on parallel threads; each
/// sees only its own records).
pub fn logs_of<T>(f: impl FnOnce() -> T) -> (T, Vec<Record>) {
    let capture = capture();
    let me = std::thread::current().id();
    let before = capture
        .records
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .len();
    let value = f();
    let records = capture
        .records
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .iter()
        .skip(before)
        .filter(|(thread, _)| *thread == me)
        .map(|(_, record)| record.clone())
        .collect();
    (value, records)
}

/// Every record logged so far by any thread of the test binary, for code that logs from
/// threads it spawns; callers filter by what identifies their own records.
pub fn all_logs() -> Vec<Record> {
    capture()
        .records
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .iter()
        .map(|(_, record)| record.clone())
        .collect()
}
