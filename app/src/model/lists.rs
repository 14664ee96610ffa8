//! Departments' dynamic adjustment lists (动态调整名单).

use serde::{Deserialize, Serialize};

// Departments' dynamic adjustment lists (动态调整名单)

/// One row that will not be applied as it stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema))]
pub struct ImportProblem {
    /// The row's line in the file (the header is line 1).
    pub line: u64,
    /// "invalid", "duplicate" or "conflict".
    pub outcome: String,
    /// The column concerned, by its header in the file.
    pub column: Option<String>,
    pub message: String,
    pub id_number_masked: Option<String>,
}

/// A row of an applied list that was not applied, waiting in the review queue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema))]
pub struct ReviewItem {
    pub id: i64,
    pub import_id: i64,
    pub file_name: String,
    /// The uploading department's code.
    pub department: Option<String>,
    pub line: i64,
    pub id_number_masked: Option<String>,
    /// The category code the row named, if it named a known one.
    pub category: Option<String>,
    /// "add" or "exit".
    pub kind: Option<String>,
    /// "invalid", "duplicate" or "conflict".
    pub outcome: String,
    pub message: String,
    pub resolved: bool,
    /// What the officer did about it.
    pub resolution: Option<String>,
}

/// A dry run (nothing written) or an applied list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema))]
pub struct ImportReport {
    pub import_id: i64,
    pub file_name: String,
    pub applied: bool,
    pub rows_total: u64,
    pub valid: u64,
    pub invalid: u64,
    pub duplicate: u64,
    pub conflict: u64,
    /// Among the valid rows: additions, exits, and people new to the system.
    pub adds: u64,
    pub exits: u64,
    pub new_people: u64,
    /// The first problems (all of them are in the XLSX error report).
    pub problems: Vec<ImportProblem>,
}
