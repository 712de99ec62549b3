//! The sandbox around the verification database: what a migration may do, how long it may
//! run and how much memory SQLite may take, and which schema objects each statement touches.
//!
//! Invariants:
//! - Only statements of the migrations are judged: the authorizer allows everything while
//!   [`Tracker::enabled`] is false, which is how the verifier's own schema reads run.
//! - Nothing reaches outside the database: `ATTACH`/`DETACH` are denied, and so is the
//!   `ATTACH` of its output file that `VACUUM INTO` runs (only `VACUUM`'s own scratch
//!   database, in memory, may be attached: the attached-database limit is 1),
//!   `load_extension` is denied on top of rusqlite keeping extension loading off, and only an
//!   allow-list of pragmas runs.
//! - The time budget is checked by a progress handler on the verification connection itself:
//!   no thread, and no interrupt that could land on the next statement after a race.
//! - The process-wide `hard_heap_limit` is set while at least one verification runs and the
//!   previous value is restored when the last one ends.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use rusqlite::hooks::{AuthAction, AuthContext, Authorization};
use rusqlite::limits::Limit;
use rusqlite::{Connection, Error};

use super::VerifyError;

/// rusqlite 0.32 returns `()`/`i32` from the hook and limit setters where 0.43 returns
/// `Result`: this brings both to `Result`, so one source compiles against the whole range.
trait IntoResult<T> {
    fn into_result(self) -> rusqlite::Result<T>;
}

impl IntoResult<()> for () {
    fn into_result(self) -> rusqlite::Result<()> {
        Ok(())
    }
}

impl IntoResult<i32> for i32 {
    fn into_result(self) -> rusqlite::Result<i32> {
        Ok(self)
    }
}

impl<T> IntoResult<T> for rusqlite::Result<T> {
    fn into_result(self) -> rusqlite::Result<T> {
        self
    }
}

/// What the authorizer learned while the migrations' statements were prepared.
#[derive(Debug, Default)]
pub(crate) struct Tracker {
    /// The authorizer judges and records only while this is set.
    pub enabled: bool,
    /// 0-based index of the statement being run, for [`Touched`].
    pub statement: usize,
    /// What was touched since the last [`Tracker::take_touched`].
    pub touched: Touched,
    /// The first operation refused while running the current statement.
    pub denied: Option<String>,
    /// The current statement is prepared and runs: an `ATTACH` now comes from `VACUUM`.
    pub stepping: bool,
}

/// The schema objects a script touched, by lower-case name (SQLite's names are ASCII
/// case-insensitive), with the index of the last statement that touched each.
#[derive(Debug, Default, Clone)]
pub(crate) struct Touched {
    /// Tables created, dropped or altered: each with its indexes and triggers.
    pub tables: BTreeMap<String, usize>,
    /// Indexes, views and triggers created or dropped.
    pub names: BTreeMap<String, usize>,
    /// Tables altered (`ALTER TABLE`): a rename rewrites other objects' SQL.
    pub altered: BTreeMap<String, usize>,
    /// A `VACUUM` ran (its scratch database was attached): it renumbers the rows of the
    /// schema table, which the schema cache finds its rows by.
    pub vacuumed: bool,
}

/// The pragmas a migration may run: none of them reads or writes a file, changes the memory
/// cap, or writes the schema table directly.
const ALLOWED_PRAGMAS: &[&str] = &[
    "analysis_limit",
    "application_id",
    "auto_vacuum",
    "automatic_index",
    "busy_timeout",
    "cache_size",
    "cache_spill",
    "case_sensitive_like",
    "cell_size_check",
    "collation_list",
    "compile_options",
    "data_version",
    "defer_foreign_keys",
    "database_list",
    "encoding",
    "foreign_key_check",
    "foreign_key_list",
    "foreign_keys",
    "freelist_count",
    "function_list",
    "ignore_check_constraints",
    "incremental_vacuum",
    "index_info",
    "index_list",
    "index_xinfo",
    "integrity_check",
    "journal_mode",
    "journal_size_limit",
    "legacy_alter_table",
    "max_page_count",
    "module_list",
    "optimize",
    "page_count",
    "page_size",
    "pragma_list",
    "query_only",
    "quick_check",
    "recursive_triggers",
    "reverse_unordered_selects",
    "secure_delete",
    "shrink_memory",
    "synchronous",
    "table_info",
    "table_list",
    "table_xinfo",
    "trusted_schema",
    "user_version",
    "wal_autocheckpoint",
    "wal_checkpoint",
];

/// Pragmas allowed to read but not to set.
const READ_ONLY_PRAGMAS: &[&str] = &["schema_version"];

/// The shared tracker, locked even after a panic elsewhere (the data stays meaningful).
pub(crate) fn lock(tracker: &Mutex<Tracker>) -> MutexGuard<'_, Tracker> {
    tracker.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The authorizer's decision for one action, recording touched objects on the way.
fn authorize(tracker: &Mutex<Tracker>, context: &AuthContext<'_>) -> Authorization {
    let mut tracker = lock(tracker);
    if !tracker.enabled {
        return Authorization::Allow;
    }
    let statement = tracker.statement;
    let refused = match context.action {
        // `VACUUM` attaches a scratch database named '' while it runs (kept in memory by
        // `temp_store`); `VACUUM INTO` attaches its output file.
        AuthAction::Attach { filename } if tracker.stepping => {
            if filename.is_empty() {
                tracker.touched.vacuumed = true;
                None
            } else {
                Some("`VACUUM INTO`".to_owned())
            }
        }
        AuthAction::Attach { .. } => Some("`ATTACH`".to_owned()),
        AuthAction::Detach { .. } => Some("`DETACH`".to_owned()),
        AuthAction::Function { function_name }
            if function_name.eq_ignore_ascii_case("load_extension") =>
        {
            Some("`load_extension`".to_owned())
        }
        AuthAction::Pragma {
            pragma_name,
            pragma_value,
        } => {
            let name = pragma_name.to_ascii_lowercase();
            let allowed = ALLOWED_PRAGMAS.contains(&name.as_str())
                || (pragma_value.is_none() && READ_ONLY_PRAGMAS.contains(&name.as_str()));
            (!allowed).then(|| format!("`PRAGMA {name}`"))
        }
        _ => {
            record(&mut tracker.touched, context, statement);
            None
        }
    };
    match refused {
        Some(operation) => {
            tracker.denied.get_or_insert(operation);
            Authorization::Deny
        }
        None => Authorization::Allow,
    }
}

/// Records the object an action creates, drops or alters in the main database.
fn record(touched: &mut Touched, context: &AuthContext<'_>, statement: usize) {
    // Temporary objects are not part of the schema the set builds. `ALTER TABLE` names its
    // database in the action (the context's slot holds the column of `DROP COLUMN`).
    let database = match context.action {
        AuthAction::AlterTable { database_name, .. } => Some(database_name),
        _ => context.database_name,
    };
    if database.is_some_and(|db| db != "main") {
        return;
    }
    let mut table = |name: &str| touched.tables.insert(name.to_ascii_lowercase(), statement);
    match context.action {
        AuthAction::CreateTable { table_name }
        | AuthAction::DropTable { table_name }
        | AuthAction::CreateVtable { table_name, .. }
        | AuthAction::DropVtable { table_name, .. } => {
            table(table_name);
        }
        AuthAction::AlterTable { table_name, .. } => {
            table(table_name);
            touched
                .altered
                .insert(table_name.to_ascii_lowercase(), statement);
        }
        AuthAction::CreateIndex {
            index_name: name, ..
        }
        | AuthAction::DropIndex {
            index_name: name, ..
        }
        | AuthAction::CreateTrigger {
            trigger_name: name, ..
        }
        | AuthAction::DropTrigger {
            trigger_name: name, ..
        }
        | AuthAction::CreateView { view_name: name }
        | AuthAction::DropView { view_name: name } => {
            touched.names.insert(name.to_ascii_lowercase(), statement);
        }
        _ => {}
    }
}

/// The time budget, shared with the progress handler.
#[derive(Debug)]
struct Budget {
    origin: Instant,
    /// Nanoseconds after `origin` when the budget runs out; 0 while no budget runs.
    deadline: AtomicU64,
    expired: AtomicBool,
}

impl Budget {
    fn exceeded(&self) -> bool {
        let deadline = self.deadline.load(Ordering::Relaxed);
        if deadline == 0 {
            return false;
        }
        let now = u64::try_from(self.origin.elapsed().as_nanos()).unwrap_or(u64::MAX);
        if now >= deadline {
            self.expired.store(true, Ordering::Relaxed);
            return true;
        }
        false
    }
}

/// How often, in virtual-machine instructions, the progress handler checks the clock.
const PROGRESS_STEPS: i32 = 10_000;

/// The verification connection with its sandbox installed.
pub(crate) struct Sandbox {
    pub conn: Connection,
    pub tracker: Arc<Mutex<Tracker>>,
    budget: Arc<Budget>,
    timeout: Duration,
}

impl Sandbox {
    /// Opens the in-memory database and installs the authorizer, limits, memory cap and
    /// progress handler.
    // `mut` for rusqlite 0.43's `&mut self` hook setters; with 0.32 they return `()`, which
    // `into_result` takes.
    #[allow(unused_mut, clippy::unit_arg)]
    pub(crate) fn open(timeout: Duration, memory_limit: u64) -> Result<Sandbox, VerifyError> {
        let setup = |e: Error| VerifyError(e.to_string());
        let mut conn = Connection::open_in_memory().map_err(setup)?;
        // One attached database: the scratch copy `VACUUM` makes; the authorizer refuses
        // every other. In memory, so that `VACUUM` writes no temporary file.
        conn.set_limit(Limit::SQLITE_LIMIT_ATTACHED, 1)
            .into_result()
            .map_err(setup)?;
        conn.execute_batch("PRAGMA foreign_keys = ON; PRAGMA temp_store = MEMORY")
            .map_err(setup)?;

        let tracker = Arc::new(Mutex::new(Tracker::default()));
        let hook_tracker = Arc::clone(&tracker);
        conn.authorizer(Some(move |context: AuthContext<'_>| {
            authorize(&hook_tracker, &context)
        }))
        .into_result()
        .map_err(setup)?;

        let budget = Arc::new(Budget {
            origin: Instant::now(),
            deadline: AtomicU64::new(0),
            expired: AtomicBool::new(false),
        });
        let hook_budget = Arc::clone(&budget);
        conn.progress_handler(PROGRESS_STEPS, Some(move || hook_budget.exceeded()))
            .into_result()
            .map_err(setup)?;
        // Last: from here on, dropping the sandbox gives the cap back.
        HeapCap::set(&conn, memory_limit).map_err(setup)?;
        Ok(Sandbox {
            conn,
            tracker,
            budget,
            timeout,
        })
    }

    /// The time budget per script.
    pub(crate) fn timeout(&self) -> Duration {
        self.timeout
    }

    /// Starts the time budget of one script.
    pub(crate) fn start_budget(&self) {
        let now = self.budget.origin.elapsed() + self.timeout;
        let deadline = u64::try_from(now.as_nanos()).unwrap_or(u64::MAX).max(1);
        self.budget.expired.store(false, Ordering::Relaxed);
        self.budget.deadline.store(deadline, Ordering::Relaxed);
    }

    /// Stops the budget: the verifier's own reads are not limited.
    pub(crate) fn stop_budget(&self) {
        self.budget.deadline.store(0, Ordering::Relaxed);
    }

    /// True when the running budget has run out.
    pub(crate) fn budget_expired(&self) -> bool {
        self.budget.expired.load(Ordering::Relaxed)
    }

    /// Starts judging and recording the migrations' statements.
    pub(crate) fn track(&self, statement: usize) {
        let mut tracker = lock(&self.tracker);
        tracker.enabled = true;
        tracker.statement = statement;
        tracker.denied = None;
        tracker.stepping = false;
    }

    /// The current statement is prepared and starts running.
    pub(crate) fn stepping(&self) {
        lock(&self.tracker).stepping = true;
    }

    /// Stops judging (for the verifier's own statements); returns what was refused.
    pub(crate) fn untrack(&self) -> Option<String> {
        let mut tracker = lock(&self.tracker);
        tracker.enabled = false;
        tracker.denied.take()
    }

    /// What was touched since the last call.
    pub(crate) fn take_touched(&self) -> Touched {
        std::mem::take(&mut lock(&self.tracker).touched)
    }
}

/// How many verifications hold the heap cap, and the limit to restore after the last.
static HEAP: Mutex<(usize, i64)> = Mutex::new((0, 0));

/// The process-wide SQLite heap cap while a verification runs.
struct HeapCap;

impl HeapCap {
    fn set(conn: &Connection, limit: u64) -> rusqlite::Result<()> {
        let mut heap = HEAP.lock().unwrap_or_else(PoisonError::into_inner);
        if heap.0 == 0 {
            let previous: i64 = conn.query_row("PRAGMA hard_heap_limit", [], |row| row.get(0))?;
            let limit = i64::try_from(limit).unwrap_or(i64::MAX);
            conn.query_row(&format!("PRAGMA hard_heap_limit = {limit}"), [], |_| Ok(()))?;
            heap.1 = previous;
        }
        heap.0 += 1;
        Ok(())
    }
}

impl HeapCap {
    /// Gives the cap back; after the last verification, the previous limit is restored.
    fn release(conn: &Connection) {
        let mut heap = HEAP.lock().unwrap_or_else(PoisonError::into_inner);
        heap.0 = heap.0.saturating_sub(1);
        if heap.0 == 0 {
            // The limit is process-wide: any connection restores it. Nothing to report to
            // when it fails: the verification's result is what the caller wants.
            let sql = format!("PRAGMA hard_heap_limit = {}", heap.1);
            let _ = conn.query_row(&sql, [], |_| Ok(()));
        }
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        lock(&self.tracker).enabled = false;
        HeapCap::release(&self.conn);
    }
}
