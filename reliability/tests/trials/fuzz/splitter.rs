//! The splitter against SQLite: `sqlite3_complete()` says where a statement ends (the rule the
//! splitter claims to follow), and SQLite's parser (`sqlite3_prepare_v2`) says whether the text
//! between statements holds anything but whitespace, comments and empty `;`s.

use std::ffi::{c_char, c_int};

use migrate_rules::split::{Split, split};
use migrate_runtime::rusqlite::{Connection, ffi};

use super::{Verdict, hash_of, sql};
use crate::common::Rng;

/// SQLite, asked the questions the oracle needs.
pub struct Oracle {
    conn: Connection,
    /// A NUL-terminated copy of the text being asked about.
    buffer: Vec<u8>,
}

impl Oracle {
    pub fn new() -> Oracle {
        Oracle {
            conn: Connection::open_in_memory().expect("an in-memory database"),
            buffer: Vec::new(),
        }
    }

    /// `sqlite3_complete(text)`: true when `text` ends with a complete statement.
    fn complete(&mut self, text: &str) -> bool {
        self.buffer.clear();
        self.buffer.extend_from_slice(text.as_bytes());
        self.buffer.push(0);
        // SAFETY: the buffer is NUL-terminated and holds no other NUL (see `trial`).
        unsafe { ffi::sqlite3_complete(self.buffer.as_ptr().cast::<c_char>()) != 0 }
    }

    /// True when SQLite's parser finds no statement in `text`, and no error: only whitespace,
    /// comments and empty statements.
    fn empty(&mut self, text: &str) -> bool {
        let mut rest = text.as_bytes();
        while !rest.is_empty() {
            let mut statement = std::ptr::null_mut();
            let mut tail: *const c_char = std::ptr::null();
            let Ok(len) = c_int::try_from(rest.len()) else {
                return false;
            };
            // SAFETY: the handle stays valid while `self.conn` lives; `rest` outlives the call
            // and SQLite reads at most `len` bytes of it; a prepared statement is finalized.
            let rc = unsafe {
                let rc = ffi::sqlite3_prepare_v2(
                    self.conn.handle(),
                    rest.as_ptr().cast::<c_char>(),
                    len,
                    &mut statement,
                    &mut tail,
                );
                if !statement.is_null() {
                    ffi::sqlite3_finalize(statement);
                    return false;
                }
                rc
            };
            if rc != ffi::SQLITE_OK || tail.is_null() {
                return false;
            }
            let used = (tail as usize).saturating_sub(rest.as_ptr() as usize);
            if used == 0 || used > rest.len() {
                return false;
            }
            rest = &rest[used..];
        }
        true
    }

    /// The length of the shortest prefix of `text` that SQLite says is complete.
    fn first_complete(&mut self, text: &str) -> Option<usize> {
        (1..=text.len())
            .filter(|&end| text.is_char_boundary(end))
            .find(|&end| self.complete(&text[..end]))
    }
}

/// One script, valid or mutated, split and checked.
pub fn trial(rng: &mut Rng, oracle: &mut Oracle) -> (u64, String, Option<Verdict>) {
    let (mut text, _) = sql::script(rng);
    if rng.chance(60) {
        sql::mutate(rng, &mut text);
    }
    let shown = format!("{text:?}");
    // `sqlite3_complete` reads a C string: a NUL would end the text early (the rules refuse
    // NUL bytes before splitting; the generator makes none).
    if text.contains('\0') {
        return (hash_of(&text), shown, None);
    }
    let result = split(&text);
    let accepted = result.unterminated.is_none() && !result.statements.is_empty();
    let verdict = check(oracle, &text, &result);
    (hash_of(&text), shown, Verdict::new(accepted, verdict))
}

fn check(oracle: &mut Oracle, input: &str, result: &Split) -> Result<(), String> {
    let statements = &result.statements;
    if statements.is_empty() {
        return if oracle.empty(input) {
            Ok(())
        } else {
            Err("no statement, but SQLite's parser finds one (or an error)".to_owned())
        };
    }
    let mut at = 0;
    for (i, st) in statements.iter().enumerate() {
        let last = i + 1 == statements.len();
        if st.span.start != at || !(st.span.start <= st.start && st.start < st.end) {
            return Err(format!("statement {i}: span {st:?} does not follow {at}"));
        }
        if last && st.span.end != input.len() || !last && st.span.end != st.end {
            return Err(format!(
                "statement {i}: span {st:?}, input of {}",
                input.len()
            ));
        }
        let gap = &input[st.span.start..st.start];
        if !oracle.empty(gap) {
            return Err(format!(
                "statement {i}: the text before it, {gap:?}, is not empty to SQLite"
            ));
        }
        let text = &input[st.start..];
        if text.starts_with([' ', '\t', '\n', '\r', '\x0c', ';'])
            || text.starts_with("--")
            // (A `/*` that ends the input is `/` and `*` to SQLite, two tokens.)
            || text.starts_with("/*") && text.len() > 2
        {
            return Err(format!("statement {i} does not start at a token: {text:?}"));
        }
        let line = 1 + input[..st.start].matches('\n').count() as u32;
        if st.line != line {
            return Err(format!("statement {i}: line {}, expected {line}", st.line));
        }
        let claimed = st.end - st.start;
        match oracle.first_complete(text) {
            Some(end) if end == claimed => {}
            Some(end) => {
                return Err(format!(
                    "statement {i} ends after {claimed} bytes ({:?}), but sqlite3_complete says it is complete after {end} ({:?})",
                    &text[..claimed],
                    &text[..end]
                ));
            }
            None if last => {}
            None => {
                return Err(format!(
                    "statement {i} ends after {claimed} bytes ({:?}), but sqlite3_complete never says it is complete",
                    &text[..claimed]
                ));
            }
        }
        if last && !oracle.empty(&input[st.end..]) {
            return Err(format!(
                "the text after the last statement, {:?}, is not empty to SQLite",
                &input[st.end..]
            ));
        }
        at = st.span.end;
    }
    Ok(())
}
