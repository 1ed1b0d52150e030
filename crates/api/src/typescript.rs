//! Writes the UI's TypeScript types (`ui/src/lib/generated/`). Run by `cargo xtask gen`; the
//! test suite fails when the committed files differ from what this writes.

use std::path::Path;

use ts_rs::{ExportError, TS};

/// Writes every wire type the UI uses, and the types they refer to, into `dir`.
pub fn write_all(dir: &Path) -> Result<(), ExportError> {
    crate::desk::DeskCall::export_all_to(dir)?;
    crate::desk::DeskReplies::export_all_to(dir)?;
    crate::desk::Session::export_all_to(dir)?;
    crate::desk::MyTasks::export_all_to(dir)?;
    crate::desk::CurrentTimer::export_all_to(dir)?;
    crate::desk::WeekEntry::export_all_to(dir)?;
    crate::desk::SyncStatus::export_all_to(dir)?;
    crate::ErrorBody::export_all_to(dir)?;
    Ok(())
}
