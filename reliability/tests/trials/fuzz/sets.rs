//! Set validation against a reference model of the rules (migrate-rules/src/set.rs), written
//! here from the rules as stated, on listings generated with known defects.
//!
//! The model: hidden entries and files not ending in `.sql` are ignored; a visible
//! subdirectory is an error; a `.sql` name outside the grammar is an error (the file names
//! model of [`super::names`]), but an up file whose name starts with a valid version and `_`
//! still holds its version; up (and down) files sharing a version value are all in error; the
//! versions of up files must run 1, 2, 3, ... (the file after each hole is in error); the
//! first down file of a version pairs with the up file of the same description, else it is in
//! error, as is a down file whose version has no up file; the contents of each paired up and
//! down file must be usable. The set is valid if and only if nothing is in error and there is
//! at least one up file, and then each migration has the expected up file, down file,
//! statement count and mode.
//!
//! Contents come from [`super::sql`] with a known statement count; a defect is injected on
//! purpose (not UTF-8, a NUL byte, a stray control character, a byte-order mark in the middle,
//! an unclosed quote, no statement, transaction control in a transactional migration), so
//! whether contents are usable is known without asking the splitter.

use std::collections::{BTreeMap, BTreeSet};

use migrate_rules::{Entry, FileKind, MigrationSet, Problem};

use super::names::{self, Expected};
use super::{Verdict, hash_of, sql};
use crate::common::Rng;

const NO_TRANSACTION: &str = "-- migrate:no-transaction\n";

/// One entry of a generated listing, with what the generator knows of its contents.
#[derive(Debug, Clone, Hash)]
struct Item {
    name: String,
    directory: bool,
    contents: Vec<u8>,
    /// False when a defect was injected.
    usable: bool,
    statements: usize,
    no_transaction: bool,
}

impl Item {
    fn file(name: String, contents: Contents) -> Item {
        Item {
            name,
            directory: false,
            contents: contents.bytes,
            usable: contents.usable,
            statements: contents.statements,
            no_transaction: contents.no_transaction,
        }
    }

    fn ignored(name: &str) -> Item {
        Item::file(
            name.to_owned(),
            Contents {
                bytes: b"not a migration\0".to_vec(),
                usable: false,
                statements: 0,
                no_transaction: false,
            },
        )
    }
}

struct Contents {
    bytes: Vec<u8>,
    usable: bool,
    statements: usize,
    no_transaction: bool,
}

/// Usable contents, sometimes with a defect injected.
fn contents(rng: &mut Rng, defect: bool) -> Contents {
    let (mut body, mut statements) = sql::script(rng);
    let no_transaction = rng.chance(15);
    if no_transaction && rng.chance(50) {
        body = format!("VACUUM;\n{body}");
        statements += 1;
    }
    let mut bytes = None;
    if defect {
        let kinds = if no_transaction { 6 } else { 8 };
        match rng.below(kinds) {
            0 => {
                let mut raw = body.clone().into_bytes();
                raw.insert(rng.below(raw.len() as u64 + 1) as usize, 0xff);
                bytes = Some(raw);
            }
            1 => {
                let mut raw = body.clone().into_bytes();
                raw.insert(rng.below(raw.len() as u64 + 1) as usize, 0);
                bytes = Some(raw);
            }
            2 => body.push_str(&format!(
                ";\nSELECT{} 1;\n",
                char::from(*rng.pick(&[1u8, 8, 0x0b, 0x1b, 0x7f]))
            )),
            3 => body.push_str(";\n\u{feff}SELECT 1;\n"),
            4 => body.push_str(rng.pick::<&str>(&["\nSELECT 'abc", "\nSELECT \"abc", ";\n[x"])),
            5 => {
                body = rng
                    .pick::<&str>(&["", "-- nothing yet\n", ";\n", "/* todo */"])
                    .to_string()
            }
            6 => body = format!("BEGIN;\n{body}"),
            _ => body
                .push_str(rng.pick::<&str>(&[";\nVACUUM;\n", ";\nPRAGMA journal_mode = WAL;\n"])),
        }
    }
    let mut bytes = bytes.unwrap_or_else(|| body.into_bytes());
    if no_transaction {
        bytes.splice(0..0, NO_TRANSACTION.bytes());
    }
    if rng.chance(10) {
        bytes.splice(0..0, *b"\xEF\xBB\xBF");
    }
    if rng.chance(10) {
        // CRLF line ends, which the rules turn into LF.
        let mut crlf = Vec::with_capacity(bytes.len() + 16);
        for b in bytes {
            if b == b'\n' {
                crlf.push(b'\r');
            }
            crlf.push(b);
        }
        bytes = crlf;
    }
    Contents {
        bytes,
        usable: !defect,
        statements,
        no_transaction,
    }
}

/// A listing of 1 to 5 migrations, some with down files and ignored neighbours, then with
/// probability one half one or two defects.
fn generate(rng: &mut Rng) -> Vec<Item> {
    let n = rng.range(1, 5);
    let mut items = Vec::new();
    for version in 1..=n {
        let digits = names::digits(rng, version);
        let description = names::description(rng);
        items.push(Item::file(
            format!("{digits}_{description}.sql"),
            contents(rng, false),
        ));
        if rng.chance(30) {
            items.push(Item::file(
                format!("{digits}_{description}.down.sql"),
                contents(rng, false),
            ));
        }
    }
    if rng.chance(20) {
        items.push(Item::ignored(rng.pick::<&str>(&[
            "README.md",
            ".0009_hidden.sql",
            "0002_backup.sql.bak",
            "0003_upper.SQL",
            "notes.txt",
        ])));
    }
    if rng.chance(5) {
        items.push(Item {
            directory: true,
            ..Item::ignored(".git")
        });
    }
    if rng.chance(50) {
        for _ in 0..rng.range(1, 2) {
            defect(rng, &mut items, n);
        }
    }
    items
}

fn defect(rng: &mut Rng, items: &mut Vec<Item>, n: u64) {
    if items.is_empty() {
        return;
    }
    match rng.below(7) {
        // A hole, or a set that starts after 1, or nothing left.
        0 => {
            let ups: Vec<usize> = (0..items.len())
                .filter(|&i| !items[i].name.ends_with(".down.sql"))
                .collect();
            if !ups.is_empty() {
                items.remove(*rng.pick(&ups));
            }
        }
        // Two up files with the same version.
        1 => {
            let version = rng.range(1, n);
            let name = format!(
                "{}_{}.sql",
                names::digits(rng, version),
                names::description(rng)
            );
            items.push(Item::file(name, contents(rng, false)));
        }
        // A down file without its up file.
        2 => {
            let version = if rng.chance(50) {
                n + 1
            } else {
                rng.range(1, n)
            };
            let name = format!(
                "{}_{}.down.sql",
                names::digits(rng, version),
                names::description(rng)
            );
            items.push(Item::file(name, contents(rng, false)));
        }
        // A misspelt name.
        3 => {
            let i = rng.below(items.len() as u64) as usize;
            names::mutate(rng, &mut items[i].name);
        }
        // Unusable contents.
        4 | 5 => {
            let i = rng.below(items.len() as u64) as usize;
            let name = items[i].name.clone();
            items[i] = Item::file(name, contents(rng, true));
        }
        _ => items.push(Item {
            directory: true,
            ..Item::ignored("nested")
        }),
    }
}

/// What the model expects: the migrations of a valid set, or the files in error.
#[derive(Debug, PartialEq)]
enum Outcome {
    /// (version, description, up file, down file, statements, no-transaction) per migration.
    Valid(Vec<(i64, String, String, Option<String>, usize, bool)>),
    Invalid(BTreeSet<String>),
}

/// Names the model gives the error of a set with no migration at all.
const NO_MIGRATIONS: &str = "(no migrations)";

struct Parsed<'a> {
    item: &'a Item,
    description: &'a str,
}

fn model(items: &[Item]) -> Outcome {
    let mut sorted: Vec<&Item> = items.iter().collect();
    sorted.sort_by(|a, b| a.name.cmp(&b.name));
    let mut named = BTreeSet::new();
    let mut ups: BTreeMap<i64, Vec<Parsed>> = BTreeMap::new();
    let mut downs: BTreeMap<i64, Vec<Parsed>> = BTreeMap::new();
    let mut misnamed: BTreeMap<i64, &str> = BTreeMap::new();
    for item in sorted {
        let name = item.name.as_str();
        if name.starts_with('.') {
            continue;
        }
        if item.directory {
            named.insert(name.to_owned());
            continue;
        }
        if !name.ends_with(".sql") {
            continue;
        }
        match names::expected(name) {
            Expected::Accepted {
                version,
                description,
                kind,
                ..
            } => {
                let parsed = Parsed { item, description };
                match kind {
                    FileKind::Up => ups.entry(version).or_default().push(parsed),
                    _ => downs.entry(version).or_default().push(parsed),
                }
            }
            Expected::Rejected(_) => {
                named.insert(name.to_owned());
                if !name.ends_with(".down.sql")
                    && let Some((digits, _)) = name.split_once('_')
                    && let Expected::Accepted { version, .. } =
                        names::expected(&format!("{digits}_x.sql"))
                {
                    misnamed.entry(version).or_insert(name);
                }
            }
        }
    }
    for files in ups.values().chain(downs.values()) {
        if files.len() > 1 {
            named.extend(files.iter().map(|p| p.item.name.clone()));
        }
    }
    let mut versions: BTreeMap<i64, &str> = misnamed.clone();
    for (&version, files) in &ups {
        versions.insert(version, &files[0].item.name);
    }
    let mut next = 1;
    for (&version, &file) in &versions {
        if version != next {
            named.insert(file.to_owned());
        }
        next = version.saturating_add(1);
    }
    let mut migrations = Vec::new();
    for (&version, files) in &ups {
        let down = downs.get(&version).map(|downs| &downs[0]);
        let up = down
            .and_then(|down| files.iter().find(|up| up.description == down.description))
            .unwrap_or(&files[0]);
        if let Some(down) = down {
            if down.description != up.description {
                named.insert(down.item.name.clone());
            }
            if !down.item.usable {
                named.insert(down.item.name.clone());
            }
        }
        if !up.item.usable {
            named.insert(up.item.name.clone());
        }
        migrations.push((
            version,
            up.description.to_owned(),
            up.item.name.clone(),
            down.map(|d| d.item.name.clone()),
            up.item.statements,
            up.item.no_transaction,
        ));
    }
    for (version, files) in &downs {
        if !ups.contains_key(version) {
            named.extend(files.iter().map(|p| p.item.name.clone()));
        }
    }
    if named.is_empty() && migrations.is_empty() {
        named.insert(NO_MIGRATIONS.to_owned());
    }
    if named.is_empty() {
        Outcome::Valid(migrations)
    } else {
        Outcome::Invalid(named)
    }
}

/// The files a problem names as in error (for a hole, the file after it).
fn files_named(problem: &Problem) -> Vec<String> {
    match problem {
        Problem::InvalidFileName { file, .. }
        | Problem::DownWithoutUp { file, .. }
        | Problem::NotUtf8 { file, .. }
        | Problem::StrayCharacter { file, .. }
        | Problem::NoStatements { file }
        | Problem::Unterminated { file, .. }
        | Problem::NotInTransaction { file, .. } => vec![file.clone()],
        Problem::DuplicateVersion { files, .. } => files.clone(),
        Problem::Gap { after, .. } => vec![after.clone()],
        Problem::Subdirectory { name } => vec![name.clone()],
        Problem::NoMigrations { .. } => vec![NO_MIGRATIONS.to_owned()],
        other => vec![format!("(unexpected problem: {other})")],
    }
}

pub fn trial(rng: &mut Rng, _: &mut super::splitter::Oracle) -> (u64, String, Option<Verdict>) {
    let items = generate(rng);
    let entries = items.iter().map(|item| {
        if item.directory {
            Entry::directory(item.name.clone())
        } else {
            Entry::file(item.name.clone(), item.contents.clone())
        }
    });
    let result = MigrationSet::from_entries(entries);
    let actual = match &result {
        Ok(set) => Outcome::Valid(
            set.migrations()
                .iter()
                .map(|m| {
                    (
                        m.version,
                        m.description.clone(),
                        m.up.file_name.clone(),
                        m.down.as_ref().map(|d| d.file_name.clone()),
                        m.up.statements.len(),
                        m.up.no_transaction,
                    )
                })
                .collect(),
        ),
        Err(problems) => Outcome::Invalid(problems.iter().flat_map(files_named).collect()),
    };
    let expected = model(&items);
    let problem = if actual == expected {
        Ok(())
    } else {
        Err(format!(
            "the rules say {actual:?} ({}), the model {expected:?}",
            result
                .as_ref()
                .err()
                .map_or(String::new(), ToString::to_string)
        ))
    };
    let shown = format!(
        "{:?}",
        items
            .iter()
            .map(|i| (&i.name, String::from_utf8_lossy(&i.contents)))
            .collect::<Vec<_>>()
    );
    (
        hash_of(&items),
        shown,
        Verdict::new(result.is_ok(), problem),
    )
}
