//! `embed_migrations!("migrations", verify, schema = "...")` (feature `verify`): the validated
//! set is applied to a private in-memory database by [`crate::verify::verify`], the code the
//! runtime calls too. This module only turns the result into the compiler's words: every
//! failure an error at the path literal (all combined), every lint a warning, and the final
//! schema compared with the committed snapshot (rewritten with `MIGRATE_BLESS=1`).

use std::path::Path;

use crate::MigrationSet;
use crate::verify::{self, Lint, LintWarning, Options};

use super::{MacroInput, Warning};

/// The environment variable that makes the macro rewrite the snapshot.
const BLESS: &str = "MIGRATE_BLESS";
/// The command the messages tell people to run.
const BLESS_COMMAND: &str = "MIGRATE_BLESS=1 cargo build";

/// Verifies `set`; `snapshot` is the resolved path of `schema = "..."`.
pub(super) fn check(
    set: &MigrationSet,
    input: &MacroInput,
    snapshot: Option<&Path>,
) -> syn::Result<Vec<Warning>> {
    let span = input.path.span();
    let mut errors = unknown_allowed_lints(set);
    let verification = match verify::verify(set, &Options::from_env()) {
        Ok(verification) => verification,
        Err(error) => {
            errors.push(error.to_string());
            return Err(combine(span, errors));
        }
    };
    errors.extend(verification.failures.iter().map(ToString::to_string));
    let mut warnings: Vec<Warning> = verification.lints.iter().map(lint_warning).collect();
    // The snapshot is meaningful only when every migration applied.
    if let (true, Some(path), Some(file)) = (
        verification.failures.is_empty(),
        snapshot,
        input.schema.as_ref(),
    ) {
        match compare_snapshot(path, &file.value(), &verification.snapshot, bless()) {
            Ok(written) => warnings.extend(written),
            Err(message) => errors.push(message),
        }
    }
    if errors.is_empty() {
        Ok(warnings)
    } else {
        Err(combine(span, errors))
    }
}

/// Every message as an error at `span`, combined into one.
fn combine(span: proc_macro2::Span, messages: Vec<String>) -> syn::Error {
    messages
        .into_iter()
        .map(|message| syn::Error::new(span, message))
        .reduce(|mut all, next| {
            all.combine(next);
            all
        })
        .unwrap_or_else(|| syn::Error::new(span, "verification failed"))
}

/// `MIGRATE_BLESS` is set to something other than empty or `0`.
fn bless() -> bool {
    std::env::var_os(BLESS).is_some_and(|value| !value.is_empty() && value != "0")
}

/// Names on `-- migrate:allow <name>` lines that are no lint, in any file of the set.
fn unknown_allowed_lints(set: &MigrationSet) -> Vec<String> {
    let known = Lint::ALL
        .iter()
        .map(|lint| format!("`{}`", lint.name()))
        .collect::<Vec<_>>();
    let known = match known.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} and {last}", rest.join(", ")),
        _ => known.join(""),
    };
    let scripts = set
        .migrations()
        .iter()
        .flat_map(|migration| std::iter::once(&migration.up).chain(migration.down.as_ref()));
    let mut errors = Vec::new();
    for script in scripts {
        for name in verify::allowed_lints(&script.sql).1 {
            errors.push(format!(
                "unknown lint `{name}` in `-- migrate:allow {name}` in `{}`: the lints are {known}",
                script.file_name
            ));
        }
    }
    errors
}

/// A lint as a warning: the stable name first, then where, what, and how to allow it.
fn lint_warning(lint: &LintWarning) -> Warning {
    Warning {
        item: lint.lint.name().replace('-', "_"),
        note: lint.to_string(),
    }
}

/// Compares the built schema with the snapshot file at `path` (`shown` as written in the
/// macro). With `bless`, a missing or different file is written and reported by a warning;
/// otherwise it is an error that says what to run.
fn compare_snapshot(
    path: &Path,
    shown: &str,
    built: &str,
    bless: bool,
) -> Result<Option<Warning>, String> {
    let committed = match std::fs::read(path) {
        Ok(bytes) => Some(String::from_utf8_lossy(&bytes).replace("\r\n", "\n")),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(format!("cannot read the schema snapshot `{shown}`: {e}")),
    };
    if committed.as_deref() == Some(built) {
        return Ok(None);
    }
    if bless {
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .map_err(|e| format!("cannot write the schema snapshot `{shown}`: {e}"))?;
        }
        std::fs::write(path, built)
            .map_err(|e| format!("cannot write the schema snapshot `{shown}`: {e}"))?;
        return Ok(Some(Warning {
            item: "schema_snapshot_written".to_owned(),
            note: format!(
                "migrate: wrote the schema snapshot `{shown}` ({BLESS}=1): review the change \
                 and commit it"
            ),
        }));
    }
    match committed {
        None => Err(format!(
            "schema snapshot `{shown}` does not exist: run `{BLESS_COMMAND}` to write it, then \
             commit it"
        )),
        Some(committed) => {
            let mut message = format!(
                "schema snapshot `{shown}` does not match the schema the migrations build: if \
                 the change is intended, run `{BLESS_COMMAND}` to rewrite it"
            );
            for line in verify::diff_snapshots(&committed, built).lines() {
                message.push_str("\n  ");
                message.push_str(line);
            }
            Err(message)
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::verify::{Failure, FailureKind};

    #[test]
    fn budgets_read_as_people_write_them() {
        for (budget, shown) in [
            (Duration::from_secs(10), "10s"),
            (Duration::from_millis(2000), "2s"),
            (Duration::from_millis(2500), "2500ms"),
            (Duration::from_millis(0), "0ms"),
        ] {
            let text = message(1, "0001_a.sql", FailureKind::Timeout { budget }, None);
            assert!(text.contains(&format!("budget of {shown}:")), "{text}");
        }
    }

    fn message(version: i64, file: &str, kind: FailureKind, after: Option<i64>) -> String {
        let failure = Failure {
            version,
            file: file.to_owned(),
            kind,
            after_failure_of: after,
        };
        failure.to_string()
    }

    #[test]
    fn every_failure_names_the_file_and_says_what_to_do() {
        assert_eq!(
            message(
                3,
                "0003_add_index.sql",
                FailureKind::Statement {
                    statement_index: 2,
                    line: 4,
                    statement: "CREATE INDEX users_name ON userz(name);".to_owned(),
                    message: "no such table: userz".to_owned(),
                },
                None,
            ),
            "migration 3 (`0003_add_index.sql`) fails at statement 2 (line 4): no such table: \
             userz\n  CREATE INDEX users_name ON userz(name);"
        );
        assert_eq!(
            message(
                5,
                "0005_add_tags.down.sql",
                FailureKind::DownMismatch {
                    differences: vec!["index `tags_name` remains".to_owned()],
                },
                None,
            ),
            "down file `0005_add_tags.down.sql` does not undo `0005_add_tags.sql`: index \
             `tags_name` remains"
        );
        assert_eq!(
            message(
                4,
                "0004_x.sql",
                FailureKind::Timeout {
                    budget: Duration::from_secs(10),
                },
                None,
            ),
            "migration 4 (`0004_x.sql`) did not finish within the verification budget of 10s: \
             set MIGRATE_VERIFY_TIMEOUT_MS to allow more"
        );
        assert_eq!(
            message(
                1,
                "0001_users.sql",
                FailureKind::Denied {
                    statement_index: 1,
                    line: 1,
                    operation: "`ATTACH`".to_owned(),
                },
                None,
            ),
            "migration 1 (`0001_users.sql`) fails at statement 1 (line 1): `ATTACH` is not \
             allowed during verification: migrations must not reach outside the database"
        );
        assert_eq!(
            message(
                4,
                "0004_x.sql",
                FailureKind::Statement {
                    statement_index: 1,
                    line: 2,
                    statement: "INSERT INTO t\nVALUES (1);".to_owned(),
                    message: "no such table: t".to_owned(),
                },
                Some(3),
            ),
            "migration 4 (`0004_x.sql`) fails at statement 1 (line 2): no such table: t (may be \
             a consequence of the failure of migration 3)\n  INSERT INTO t\n  VALUES (1);"
        );
        let foreign_keys = message(
            2,
            "0002_b.sql",
            FailureKind::ForeignKeys {
                violations: vec!["`orders` rowid 3 references a missing row of `users`".to_owned()],
            },
            None,
        );
        assert!(
            foreign_keys.starts_with("migration 2 (`0002_b.sql`) leaves rows that violate"),
            "{foreign_keys}"
        );
        assert!(
            foreign_keys.ends_with("\n  `orders` rowid 3 references a missing row of `users`"),
            "{foreign_keys}"
        );
        let memory = message(2, "0002_b.sql", FailureKind::OutOfMemory, None);
        assert!(
            memory.starts_with("migration 2 (`0002_b.sql`) ran out of memory"),
            "{memory}"
        );
    }

    #[test]
    fn a_lint_is_a_warning_with_its_stable_name() {
        let warning = lint_warning(&LintWarning {
            lint: Lint::Destructive,
            version: 4,
            file: "0004_drop_nickname.sql".to_owned(),
            line: 3,
            message: "column `users.nickname` is dropped".to_owned(),
        });
        assert_eq!(warning.item, "destructive");
        assert_eq!(
            warning.note,
            "migrate::destructive: `0004_drop_nickname.sql` line 3: column `users.nickname` is \
             dropped; if intended, add `-- migrate:allow destructive` to the file"
        );
        let warning = lint_warning(&LintWarning {
            lint: Lint::BackwardIncompatible,
            version: 2,
            file: "0002_b.sql".to_owned(),
            line: 1,
            message: "table `a` is renamed to `b`".to_owned(),
        });
        assert_eq!(warning.item, "backward_incompatible");
        assert!(warning.note.starts_with("migrate::backward-incompatible: "));
        assert!(
            warning
                .note
                .ends_with("add `-- migrate:allow backward-incompatible` to the file")
        );
    }

    #[test]
    fn a_snapshot_is_compared_written_and_reported() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db/schema.sql");
        let built = "-- 0001_a.sql sha256:00\nCREATE TABLE a (x);\n";

        let missing = compare_snapshot(&path, "db/schema.sql", built, false).unwrap_err();
        assert_eq!(
            missing,
            "schema snapshot `db/schema.sql` does not exist: run `MIGRATE_BLESS=1 cargo build` \
             to write it, then commit it"
        );
        assert!(!path.exists());

        let written = compare_snapshot(&path, "db/schema.sql", built, true)
            .unwrap()
            .unwrap();
        assert_eq!(written.item, "schema_snapshot_written");
        assert!(written.note.contains("`db/schema.sql`"), "{}", written.note);
        assert_eq!(std::fs::read_to_string(&path).unwrap(), built);

        // Equal, also with the line endings of a Windows checkout: nothing to say or write.
        assert!(
            compare_snapshot(&path, "db/schema.sql", built, false)
                .unwrap()
                .is_none()
        );
        std::fs::write(&path, built.replace('\n', "\r\n")).unwrap();
        assert!(
            compare_snapshot(&path, "db/schema.sql", built, true)
                .unwrap()
                .is_none()
        );
        assert!(std::fs::read_to_string(&path).unwrap().contains('\r'));

        let changed = "-- 0001_a.sql sha256:00\nCREATE TABLE a (x, y);\n";
        let mismatch = compare_snapshot(&path, "db/schema.sql", changed, false).unwrap_err();
        assert!(
            mismatch.starts_with(
                "schema snapshot `db/schema.sql` does not match the schema the migrations \
                 build: if the change is intended, run `MIGRATE_BLESS=1 cargo build` to \
                 rewrite it\n"
            ),
            "{mismatch}"
        );
        assert!(mismatch.contains("CREATE TABLE a (x, y);"), "{mismatch}");
    }
}
