//! A migrator child that reports its phases (`--events`), and a kill that counts only when it
//! struck a live process: checked with `try_wait` before the kill and by the exit status
//! (killed by SIGKILL) after it.

use std::io::{BufRead, BufReader};
use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::time::{Duration, Instant};

use crate::common::{Ctx, s};

/// Rows per slow statement: enough for each migration to take measurable time.
pub const ROWS: u32 = 40_000;

/// The child's pause after opening the database and after each migration (`--pause-ms`): the
/// moments before the first migration and between two are otherwise a few microseconds.
pub const PAUSE_MS: u64 = 4;

/// A small page cache (`--cache-pages`), so that in WAL mode a transaction spills its pages
/// to the WAL early and an interrupted one shows in the file.
const CACHE_PAGES: &str = "10";

/// A running child and the event lines it printed, as they arrive.
pub struct Running {
    pub child: Child,
    pub spawned: Instant,
    events: Receiver<String>,
}

pub fn spawn(ctx: &Ctx, set_name: &str, path: &Path, wait_stdin: bool) -> Result<Running, String> {
    let mut command = Command::new(ctx.migrator);
    command
        .args([set_name, &ROWS.to_string()])
        .arg(path)
        .args(["--events", "--pause-ms", &PAUSE_MS.to_string()])
        .args(["--cache-pages", CACHE_PAGES])
        .stdin(if wait_stdin {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if wait_stdin {
        command.arg("--wait-stdin");
    }
    let mut child = command.spawn().map_err(s)?;
    let spawned = Instant::now();
    let stdout = child.stdout.take().ok_or("no stdout")?;
    let (send, events) = channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if send.send(line).is_err() {
                break;
            }
        }
    });
    Ok(Running {
        child,
        spawned,
        events,
    })
}

impl Running {
    /// Waits for the event line `wanted`; false when the child ended first (or `limit` passed).
    pub fn wait_for(&mut self, wanted: &str, limit: Duration) -> bool {
        let deadline = Instant::now() + limit;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.events.recv_timeout(left) {
                Ok(line) if line == wanted => return true,
                Ok(_) => {}
                Err(RecvTimeoutError::Timeout | RecvTimeoutError::Disconnected) => return false,
            }
        }
    }

    /// Every event line with the time it arrived since the spawn, until the child's stdout
    /// closes.
    pub fn drain_timed(&mut self) -> Vec<(Duration, String)> {
        let mut lines = Vec::new();
        while let Ok(line) = self.events.recv() {
            lines.push((self.spawned.elapsed(), line));
        }
        lines
    }

    /// SIGKILLs the child if it is still running. `Ok(true)` when the kill struck a live
    /// process; `Ok(false)` when it had exited on its own, successfully. An exit on its own
    /// with a failure is an error.
    pub fn kill(&mut self) -> Result<bool, String> {
        if let Some(status) = self.child.try_wait().map_err(s)? {
            return self.exited(status).map(|()| false);
        }
        self.child.kill().map_err(s)?;
        let status = self.child.wait().map_err(s)?;
        // Between `try_wait` and the kill the child may still have exited by itself.
        if status.signal() == Some(9) {
            Ok(true)
        } else {
            self.exited(status).map(|()| false)
        }
    }

    fn exited(&mut self, status: ExitStatus) -> Result<(), String> {
        if status.success() {
            return Ok(());
        }
        let mut err = String::new();
        use std::io::Read;
        let _ = self
            .child
            .stderr
            .take()
            .map(|mut e| e.read_to_string(&mut err));
        Err(format!("the child failed on its own ({status}): {err}"))
    }
}

/// How long a child takes to apply the whole set when nobody kills it, from spawn to exit,
/// and when each `started`/`finished` event came.
pub fn timed_run(
    ctx: &Ctx,
    set_name: &str,
    path: &Path,
) -> Result<(Duration, Vec<(Duration, String)>), String> {
    let mut running = spawn(ctx, set_name, path, false)?;
    let events = running.drain_timed();
    let status = running.child.wait().map_err(s)?;
    let took = running.spawned.elapsed();
    running.exited(status)?;
    Ok((took, events))
}
