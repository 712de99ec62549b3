//! The admin page driven by a real headless Chromium over the DevTools protocol: enter the
//! token, see the migrations and the history, run a dry run and an apply, roll back through the
//! confirmation dialog. Screenshots are written to `<target dir>/admin-page*.png`.
//!
//! Needs Debian's `chromium`. When it is missing and the test runs as root with `apt-get` (as
//! in CI, and on a fresh machine), the test installs it; otherwise it fails, naming the
//! command: it never skips.

mod support;

use std::error::Error;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use headless_chrome::protocol::cdp::Page::CaptureScreenshotFormatOption;
use headless_chrome::{Browser, LaunchOptions, Tab};
use support::{DEMO, Server, TOKEN, TempDb, assert_same, leak};

type Result<T> = std::result::Result<T, Box<dyn Error + Send + Sync>>;

/// Debian's Chromium (installed first when missing, if this runs as root with `apt-get`), or
/// the browser `CHROME` names.
fn chromium() -> PathBuf {
    if let Ok(path) = headless_chrome::browser::default_executable() {
        return path;
    }
    install_chromium();
    match headless_chrome::browser::default_executable() {
        Ok(path) => path,
        Err(e) => panic!(
            "no Chromium to drive the admin page ({e}): install it with `apt-get install -y chromium`, or set CHROME to a Chrome or Chromium binary"
        ),
    }
}

/// `apt-get install -y chromium`, when this process is root and has `apt-get`: what the test
/// needs is installed by the project's own files, so `cargo test --workspace` works on a fresh
/// machine and in CI. Otherwise nothing happens and the caller fails with the command to run.
fn install_chromium() {
    let run = |args: &[&str]| {
        std::process::Command::new(args[0])
            .args(&args[1..])
            .env("DEBIAN_FRONTEND", "noninteractive")
            .status()
            .is_ok_and(|status| status.success())
    };
    let root = std::process::Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|out| out.stdout.trim_ascii() == b"0");
    if !root || !run(&["apt-get", "--version"]) {
        return;
    }
    eprintln!("installing Debian's chromium for the admin page's browser test");
    if !(run(&["apt-get", "update"]) && run(&["apt-get", "install", "-y", "chromium"])) {
        eprintln!("apt-get could not install chromium");
    }
}

/// Where the screenshots go: the target directory of this build.
fn screenshot_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| migrate_test_kit::workspace_root().join("target"))
}

/// Evaluates `expression` in the page.
fn eval(tab: &Tab, expression: &str) -> Result<serde_json::Value> {
    Ok(tab
        .evaluate(expression, false)?
        .value
        .unwrap_or(serde_json::Value::Null))
}

/// Waits until `expression` is true in the page.
fn wait_until(tab: &Tab, expression: &str) -> Result<()> {
    let started = Instant::now();
    loop {
        if eval(tab, expression)? == serde_json::Value::Bool(true) {
            return Ok(());
        }
        if started.elapsed() > Duration::from_secs(15) {
            let message = eval(tab, "document.getElementById('message').textContent")?;
            return Err(
                format!("timed out waiting for `{expression}` (message: {message})").into(),
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn text(tab: &Tab, selector: &str) -> Result<String> {
    Ok(tab.wait_for_element(selector)?.get_inner_text()?)
}

fn screenshot(tab: &Tab, name: &str) -> Result<PathBuf> {
    let png = tab.capture_screenshot(CaptureScreenshotFormatOption::Png, None, None, true)?;
    let dir = screenshot_dir();
    std::fs::create_dir_all(&dir)?;
    let path = dir.join(name);
    std::fs::write(&path, png)?;
    Ok(path)
}

#[test]
fn the_admin_page_in_a_real_browser() -> Result<()> {
    let chromium = chromium();
    let db = TempDb::new();
    db.at(&DEMO, 3);
    let server = Server::start(&DEMO, db.config());

    let browser = Browser::new(
        LaunchOptions::default_builder()
            .path(Some(chromium))
            .headless(true)
            .sandbox(false)
            .window_size(Some((1280, 1100)))
            // Containers have a small /dev/shm and no GPU.
            .args(vec![
                std::ffi::OsStr::new("--disable-dev-shm-usage"),
                std::ffi::OsStr::new("--disable-gpu"),
            ])
            .idle_browser_timeout(Duration::from_secs(60))
            .build()?,
    )?;
    let tab = browser.new_tab()?;
    tab.set_default_timeout(Duration::from_secs(15));
    tab.navigate_to(&server.url(""))?.wait_until_navigated()?;

    // Nothing is shown before the token is entered.
    assert_eq!(eval(&tab, "document.getElementById('admin').hidden")?, true);
    assert_eq!(
        eval(
            &tab,
            "document.querySelectorAll('#migrations tbody tr').length"
        )?,
        0
    );

    // A wrong token: refused, still nothing shown, and not kept.
    tab.wait_for_element("#token")?.click()?;
    // As pasting it: one input event.
    tab.send_character("wrong-token-of-enough-length")?;
    tab.press_key("Enter")?;
    wait_until(
        &tab,
        "document.getElementById('message').textContent.includes('wrong admin token')",
    )?;
    assert_eq!(eval(&tab, "document.getElementById('admin').hidden")?, true);
    assert_eq!(eval(&tab, "sessionStorage.length")?, 0);

    // The token: the migrations and the history appear.
    tab.wait_for_element("#token")?.click()?;
    // As pasting it: one input event.
    tab.send_character(TOKEN)?;
    tab.press_key("Enter")?;
    wait_until(
        &tab,
        "document.querySelectorAll('#migrations tbody tr').length === 7",
    )?;
    let first = text(&tab, "#migrations tbody tr:nth-child(1)")?;
    assert!(first.contains("create_authors_and_books"), "{first}");
    assert!(first.contains("applied"), "{first}");
    let checksum = DEMO.get(1).unwrap().checksum().to_string();
    assert!(
        first.contains(&checksum["sha256:".len()..][..12]),
        "{first}"
    );
    assert!(
        !first.contains(&checksum["sha256:".len()..][..13]),
        "{first}"
    );
    let fifth = text(&tab, "#migrations tbody tr:nth-child(5)")?;
    assert!(fifth.contains("pending"), "{fifth}");
    assert_eq!(
        eval(
            &tab,
            "document.querySelectorAll('#history tbody tr').length"
        )?,
        3
    );
    assert!(text(&tab, "#summary")?.contains("Version 3 of 7"));
    // Kept for the tab only, sent as a header: no cookie, nothing in localStorage.
    assert_eq!(eval(&tab, "sessionStorage.length")?, 1);
    assert_eq!(eval(&tab, "localStorage.length")?, 0);
    assert_eq!(eval(&tab, "document.cookie")?, "");

    // Dry run: what would be applied, the database unchanged.
    let before = db.dump();
    tab.wait_for_element("#dry-run")?.click()?;
    wait_until(
        &tab,
        "document.getElementById('message').textContent.startsWith('Dry run: would apply')",
    )?;
    let message = text(&tab, "#message")?;
    assert!(
        message.contains("0004_books_price_in_cents.sql"),
        "{message}"
    );
    assert_same("dry run from the page", &db.dump(), &before);

    // Apply, through the confirmation: cancelled first, then confirmed.
    tab.wait_for_element("#apply")?.click()?;
    wait_until(&tab, "document.getElementById('confirm').open")?;
    screenshot(&tab, "admin-page-confirm.png")?;
    tab.wait_for_element("#confirm-no")?.click()?;
    wait_until(&tab, "!document.getElementById('confirm').open")?;
    std::thread::sleep(Duration::from_millis(200));
    assert_same("cancelled apply", &db.dump(), &before);
    tab.wait_for_element("#apply")?.click()?;
    wait_until(&tab, "document.getElementById('confirm').open")?;
    tab.wait_for_element("#confirm-yes")?.click()?;
    wait_until(
        &tab,
        "document.getElementById('message').textContent.startsWith('Applied')",
    )?;
    assert_eq!(db.version(&DEMO), 7);
    wait_until(
        &tab,
        "document.getElementById('summary').textContent.startsWith('Version 7 of 7')",
    )?;

    // Roll back migration 6 (and 7 above it) with the confirmation.
    tab.wait_for_element("button.rollback[data-version='6']")?
        .click()?;
    wait_until(&tab, "document.getElementById('confirm').open")?;
    let question = text(&tab, "#confirm-text")?;
    assert!(question.contains("Roll back migration 6"), "{question}");
    assert!(question.contains("version 5"), "{question}");
    tab.wait_for_element("#confirm-yes")?.click()?;
    wait_until(
        &tab,
        "document.getElementById('message').textContent.startsWith('Rolled back')",
    )?;
    let message = text(&tab, "#message")?;
    assert!(message.contains("Backup: "), "{message}");
    assert_eq!(db.version(&DEMO), 5);
    assert_eq!(db.other_files().len(), 1, "one backup");
    wait_until(
        &tab,
        "document.getElementById('summary').textContent.startsWith('Version 5 of 7')",
    )?;
    wait_until(
        &tab,
        "[...document.querySelectorAll('#history tbody tr')].some(r => r.textContent.includes('rolled_back'))",
    )?;
    let path = screenshot(&tab, "admin-page.png")?;
    eprintln!("screenshot: {}", path.display());

    // Forgetting the token hides everything again.
    tab.wait_for_element("#sign-out")?.click()?;
    wait_until(&tab, "document.getElementById('admin').hidden")?;
    assert_eq!(eval(&tab, "sessionStorage.length")?, 0);
    assert_eq!(
        eval(
            &tab,
            "document.querySelectorAll('#migrations tbody tr').length"
        )?,
        0
    );

    // A migration without a down file: its button and those below it are disabled, saying
    // why, as the server would refuse them (409); the one above it is not.
    let set = leak(&[
        ("0001_a.sql", "CREATE TABLE a (x);"),
        ("0001_a.down.sql", "DROP TABLE a;"),
        ("0002_b.sql", "CREATE TABLE b (x);"),
        ("0003_c.sql", "CREATE TABLE c (x);"),
        ("0003_c.down.sql", "DROP TABLE c;"),
    ]);
    let db = TempDb::new();
    db.at(set, 3);
    let server = Server::start(set, db.config());
    tab.navigate_to(&server.url(""))?.wait_until_navigated()?;
    tab.wait_for_element("#token")?.click()?;
    tab.send_character(TOKEN)?;
    tab.press_key("Enter")?;
    wait_until(
        &tab,
        "document.querySelectorAll('#migrations button.rollback').length === 3",
    )?;
    // [disabled, tooltip] of a migration's rollback button.
    let button = |version: i64| -> Result<serde_json::Value> {
        let json = eval(
            &tab,
            &format!(
                "(b => JSON.stringify([b.disabled, b.title]))(document.querySelector(\"button.rollback[data-version='{version}']\"))"
            ),
        )?;
        Ok(serde_json::from_str(json.as_str().unwrap_or("null"))?)
    };
    assert_eq!(button(3)?, serde_json::json!([false, ""]));
    assert_eq!(
        button(2)?,
        serde_json::json!([true, "Cannot roll back: this migration has no down file"])
    );
    assert_eq!(
        button(1)?,
        serde_json::json!([
            true,
            "Cannot roll back: migration 2 (0002_b.sql) has no down file"
        ])
    );
    // And they stay disabled after an action re-enables the page's buttons.
    tab.wait_for_element("button.rollback[data-version='3']")?
        .click()?;
    wait_until(&tab, "document.getElementById('confirm').open")?;
    tab.wait_for_element("#confirm-yes")?.click()?;
    wait_until(
        &tab,
        "document.getElementById('summary').textContent.startsWith('Version 2 of 3')",
    )?;
    assert_eq!(
        button(1)?,
        serde_json::json!([
            true,
            "Cannot roll back: migration 2 (0002_b.sql) has no down file"
        ])
    );
    assert_eq!(
        eval(&tab, "document.getElementById('apply').disabled")?,
        false
    );
    screenshot(&tab, "admin-page-no-down.png")?;
    Ok(())
}
