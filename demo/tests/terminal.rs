//! Behaviour that depends on a terminal, with a real pseudo-terminal: the confirmation
//! prompts and colors.
#![cfg(unix)]

use std::fs::File;
use std::io::{Read, Write};
use std::os::fd::{FromRawFd, OwnedFd};
use std::path::Path;
use std::process::{Command, Output, Stdio};

/// A pseudo-terminal: (controller, device).
fn pty() -> (File, OwnedFd) {
    let (mut controller, mut device) = (0, 0);
    // SAFETY: openpty writes two new file descriptors, which are then owned here.
    let rc = unsafe {
        libc::openpty(
            &mut controller,
            &mut device,
            std::ptr::null_mut(),
            std::ptr::null(),
            std::ptr::null(),
        )
    };
    assert_eq!(rc, 0, "openpty: {}", std::io::Error::last_os_error());
    // SAFETY: both descriptors were just created and nothing else owns them.
    unsafe { (File::from_raw_fd(controller), OwnedFd::from_raw_fd(device)) }
}

fn demo(dir: &Path, args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_demo"));
    command
        .current_dir(dir)
        .env_remove("MIGRATE_DB")
        .env_remove("NO_COLOR")
        .arg("migrate")
        .args(args)
        .arg("--db")
        .arg(dir.join("shop.db"));
    command
}

/// Runs with standard input on a terminal that receives `answer`; output is captured.
fn answering(mut command: Command, answer: &str) -> Output {
    let (mut controller, device) = pty();
    command
        .stdin(Stdio::from(device))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let child = command.spawn().unwrap();
    drop(command);
    controller.write_all(answer.as_bytes()).unwrap();
    child.wait_with_output().unwrap()
}

/// Runs with standard output on a terminal; returns what the terminal showed, after checking
/// that the command succeeded and wrote nothing on standard error.
fn on_terminal(mut command: Command) -> String {
    let (mut controller, device) = pty();
    command
        .stdin(Stdio::null())
        .stdout(Stdio::from(device))
        .stderr(Stdio::piped());
    let child = command.spawn().unwrap();
    drop(command);
    let mut shown = Vec::new();
    let mut buffer = [0u8; 4096];
    loop {
        match controller.read(&mut buffer) {
            Ok(0) => break,
            Ok(n) => shown.extend_from_slice(&buffer[..n]),
            // EIO once the last holder of the device is gone.
            Err(_) => break,
        }
    }
    let output = child.wait_with_output().unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(stderr(&output), "");
    String::from_utf8(shown).unwrap()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// Runs `command` without a terminal (standard input closed) and asserts that it succeeded
/// with nothing on standard error; returns its standard output.
#[track_caller]
fn succeeds(mut command: Command) -> String {
    let output = command.stdin(Stdio::null()).output().unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(stderr(&output), "");
    stdout(&output)
}

/// The answer of `version`, checked to be a lone number.
fn version(dir: &Path) -> String {
    let out = succeeds(demo(dir, &["version"]));
    let version = out.strip_suffix('\n').unwrap_or_else(|| panic!("{out:?}"));
    assert!(version.parse::<i64>().is_ok(), "{out:?}");
    version.to_owned()
}

/// The last line of `out`, the summary of `apply` and `rollback`.
fn summary(out: &str) -> &str {
    out.lines().last().unwrap_or_default()
}

#[test]
fn apply_asks_for_confirmation_on_a_terminal() {
    let dir = tempfile::tempdir().unwrap();
    let out = succeeds(demo(dir.path(), &["apply", "--target", "3"]));
    assert_eq!(
        summary(&out),
        "applied 3 migrations; the database is at version 3 of 7",
        "{out}"
    );
    let before = std::fs::read(dir.path().join("shop.db")).unwrap();

    let output = answering(demo(dir.path(), &["apply"]), "n\n");
    assert_eq!(output.status.code(), Some(1));
    let err = stderr(&output);
    assert!(err.contains("apply 4 migrations to"), "{err}");
    assert!(err.contains("[y/N]") && err.contains("aborted"), "{err}");
    assert_eq!(stdout(&output), "", "nothing applied, nothing reported");
    assert_eq!(std::fs::read(dir.path().join("shop.db")).unwrap(), before);

    let output = answering(demo(dir.path(), &["apply", "--target", "5"]), "y\n");
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let err = stderr(&output);
    assert!(
        err.contains("apply 2 migrations to") && err.contains("[y/N]") && !err.contains("aborted"),
        "{err}"
    );
    let out = stdout(&output);
    assert_eq!(
        summary(&out),
        "applied 2 migrations; the database is at version 5 of 7",
        "{out}"
    );
    assert_eq!(version(dir.path()), "5");

    // --yes skips the question.
    let output = answering(demo(dir.path(), &["apply", "--yes"]), "");
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(stderr(&output), "", "no question");
    let out = stdout(&output);
    assert_eq!(
        summary(&out),
        "applied 2 migrations; the database is at version 7 of 7",
        "{out}"
    );
    assert_eq!(version(dir.path()), "7");
}

#[test]
fn rollback_asks_on_a_terminal() {
    let dir = tempfile::tempdir().unwrap();
    let out = succeeds(demo(dir.path(), &["apply"]));
    assert_eq!(
        summary(&out),
        "applied 7 migrations; the database is at version 7 of 7",
        "{out}"
    );
    let output = answering(demo(dir.path(), &["rollback", "--to", "4"]), "no\n");
    assert_eq!(output.status.code(), Some(1));
    let err = stderr(&output);
    assert!(
        err.contains("roll back") && err.contains("aborted"),
        "{err}"
    );
    assert_eq!(stdout(&output), "");
    assert_eq!(version(dir.path()), "7");
    let output = answering(demo(dir.path(), &["rollback", "--to", "4"]), "yes\n");
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let err = stderr(&output);
    assert!(
        err.contains("roll back") && !err.contains("aborted"),
        "{err}"
    );
    let out = stdout(&output);
    assert_eq!(
        summary(&out),
        "rolled back 3 migrations; the database is at version 4",
        "{out}"
    );
    assert_eq!(version(dir.path()), "4");
}

#[test]
fn colors_only_on_a_terminal_and_never_with_no_color() {
    let dir = tempfile::tempdir().unwrap();
    let out = succeeds(demo(dir.path(), &["apply", "--target", "2"]));
    assert_eq!(
        summary(&out),
        "applied 2 migrations; the database is at version 2 of 7",
        "{out}"
    );
    let shown = on_terminal(demo(dir.path(), &["status"]));
    assert!(shown.contains("\x1b[32mapplied"), "{shown:?}");
    assert!(shown.contains("\x1b[33mpending"), "{shown:?}");

    let mut command = demo(dir.path(), &["status"]);
    command.env("NO_COLOR", "1");
    let shown = on_terminal(command);
    assert!(
        shown.contains("applied") && !shown.contains('\x1b'),
        "{shown:?}"
    );

    let piped = succeeds(demo(dir.path(), &["status"]));
    assert!(
        piped.contains("version 2 of 7 (2 applied, 5 pending)") && !piped.contains('\x1b'),
        "{piped:?}"
    );
}

#[test]
fn a_fleet_draws_a_progress_bar_on_a_terminal_and_plain_lines_otherwise() {
    let dir = tempfile::tempdir().unwrap();
    let fleet = dir.path().join("fleet");
    std::fs::create_dir(&fleet).unwrap();
    for i in 0..5 {
        std::fs::write(fleet.join(format!("t{i}.db")), b"").unwrap();
    }
    std::fs::write(fleet.join("bad.db"), b"not a database at all ".repeat(100)).unwrap();
    let pattern = format!("{}/*.db", fleet.display());

    let (mut controller, device) = pty();
    let mut command = demo(dir.path(), &["apply", "--each", &pattern, "--yes"]);
    command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::from(device));
    let child = command.spawn().unwrap();
    drop(command);
    let reader = std::thread::spawn(move || {
        let mut shown = Vec::new();
        let mut buffer = [0u8; 4096];
        // EIO once the last holder of the device is gone.
        while let Ok(n @ 1..) = controller.read(&mut buffer) {
            shown.extend_from_slice(&buffer[..n]);
        }
        String::from_utf8_lossy(&shown).into_owned()
    });
    let output = child.wait_with_output().unwrap();
    let bar = reader.join().unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(
        bar.contains("databases") && bar.contains("1 failed"),
        "{bar:?}"
    );
    assert!(bar.contains("bad.db"), "{bar:?}");
    let out = String::from_utf8(output.stdout).unwrap();
    assert!(out.contains("6 databases"), "{out}");
    assert!(!out.contains("    applied "), "{out}");

    // Not a terminal: one plain line per database.
    for i in 0..5 {
        std::fs::write(fleet.join(format!("u{i}.db")), b"").unwrap();
    }
    let output = demo(dir.path(), &["apply", "--each", &pattern])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    // bad.db still fails.
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let out = stdout(&output);
    assert_eq!(out.matches("    applied ").count(), 5, "{out}");
    assert_eq!(out.matches(" up to date ").count(), 5, "{out}");
    assert!(
        out.contains("11 databases") && out.contains("1 failed"),
        "{out}"
    );
    assert!(out.contains("bad.db` is not an SQLite database"), "{out}");
    // Without a terminal the lines are the whole report: no progress bar on stderr.
    assert_eq!(stderr(&output), "");
}
