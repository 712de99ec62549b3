//! Confirmations: `--yes`, or a question on a terminal, or a refusal without one.

use std::io::{self, BufRead, IsTerminal, Write};

use crate::cli::error::CliError;

/// Proceeds with `--yes`; otherwise asks on a terminal and refuses without one.
pub(super) fn confirm(yes: bool, action: &str) -> Result<(), CliError> {
    if yes {
        return Ok(());
    }
    if !io::stdin().is_terminal() {
        return Err(CliError::NotConfirmable {
            action: action.to_owned(),
        });
    }
    ask(&format!("{action}?"))
}

/// Asks a yes/no question on standard error; anything but `y` or `yes` is a no.
pub(super) fn ask(question: &str) -> Result<(), CliError> {
    let mut stderr = io::stderr().lock();
    let _ = write!(stderr, "{question} [y/N] ");
    let _ = stderr.flush();
    let mut answer = String::new();
    io::stdin()
        .lock()
        .read_line(&mut answer)
        .map_err(CliError::Answer)?;
    if matches!(answer.trim().to_ascii_lowercase().as_str(), "y" | "yes") {
        Ok(())
    } else {
        Err(CliError::Refused)
    }
}
