//! Finding a workload from what the user typed: a built-in name, a TOML workload file or a
//! SCALE-Sim topology CSV. It sits above the workload model and the SCALE-Sim reader (which
//! builds workloads), so that neither imports the other.

use std::path::Path;

use crate::error::WorkloadError;
use crate::workload::{builtin_names, Workload};

impl Workload {
    /// A built-in name, a TOML workload file or a SCALE-Sim topology CSV (`.csv`).
    pub fn load(name_or_path: &str) -> Result<Workload, WorkloadError> {
        if let Some(w) = Workload::builtin(name_or_path) {
            return Ok(w);
        }
        let path = Path::new(name_or_path);
        if !path.exists() {
            return Err(WorkloadError::Unknown {
                name: name_or_path.to_string(),
                builtins: builtin_names().join(", "),
            });
        }
        if path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("csv"))
        {
            return crate::scalesim::read_topology(path);
        }
        Workload::from_file(path)
    }
}
