//! `schema [--at N]`: the schema the embedded set builds, printed as the snapshot file holds
//! it. Needs no database: the set is applied to a private in-memory one.

use std::process::ExitCode;

use crate::cli::error::CliError;
use crate::cli::output::Ui;
use crate::{Error, Migrations, VerifyOptions};

pub(super) fn schema(
    migrations: &Migrations,
    at: Option<i64>,
    ui: &Ui,
) -> Result<ExitCode, CliError> {
    let mut options = VerifyOptions::from_env();
    if let Some(version) = at {
        let latest = migrations.latest_version();
        if !(1..=latest).contains(&version) {
            return Err(Error::InvalidVersion {
                requested: version,
                reason: format!("this build has versions 1 to {latest}"),
            }
            .into());
        }
        options = options.target(version);
    }
    let report = migrations.verify_in_memory_with(&options)?;
    if !report.is_ok() {
        let failures: Vec<String> = report.failures.iter().map(ToString::to_string).collect();
        return Err(CliError::Unverified(failures.join("\n")));
    }
    for lint in &report.lints {
        ui.warning(lint);
    }
    ui.raw(&report.snapshot);
    Ok(ExitCode::SUCCESS)
}
