//! A sweep's directory: `sweep.json` (the spec, and the shard when there is one) and `sweep.csv`
//! (the rows).
//!
//! Rows are appended one job at a time, in one write, each point's summary row after its layer
//! rows, so the summary marks a point complete: a process killed mid-write leaves at most a torn
//! tail, which [`Store::open`] drops with any point that has no summary. When the sweep ends,
//! [`Store::finish`] rewrites `sweep.csv` in point order (through a temporary file and a rename),
//! so the file does not depend on the thread count, on where a run was interrupted, or on how it
//! was sharded.

use std::collections::{BTreeMap, HashSet};
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde::{Deserialize, Serialize};

use super::{Job, Scope, Shard, SweepRow, SweepSpec};

/// The spec file in a sweep directory.
pub const SPEC_FILE: &str = "sweep.json";
/// The results file in a sweep directory.
pub const CSV_FILE: &str = "sweep.csv";
/// The lock file in a sweep directory: a process writing the directory holds an advisory lock on
/// it, which the system releases when the process ends, however it ends.
pub const LOCK_FILE: &str = "sweep.lock";

/// What `sweep.json` holds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SweepFile {
    /// The shard this directory holds; absent for a whole sweep or a merge.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shard: Option<Shard>,
    /// The sweep.
    pub spec: SweepSpec,
}

/// What went wrong with a sweep's files.
#[derive(Debug, thiserror::Error)]
pub enum SweepError {
    /// A file cannot be read or written.
    #[error("{}: {message}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The system's message.
        message: String,
    },
    /// A file's content is not what a sweep writes.
    #[error("{}{}: {message}", path.display(), line.map(|l| format!(":{l}")).unwrap_or_default())]
    Content {
        /// The file.
        path: PathBuf,
        /// The line, when one is to blame.
        line: Option<u64>,
        /// What is wrong.
        message: String,
    },
    /// The directory holds results, and resuming was not asked for.
    #[error("{}: already holds a sweep; add --resume to continue it, or choose another --out", path.display())]
    Exists {
        /// The results file.
        path: PathBuf,
    },
    /// Another process is writing the directory (it holds [`LOCK_FILE`]).
    #[error("{}: another systole sweep is writing this directory (it holds {LOCK_FILE}); wait for it to end, or choose another --out", path.display())]
    Busy {
        /// The directory.
        path: PathBuf,
    },
    /// Shards to merge do not cover every point.
    #[error("the shards hold {have} of {want} points; missing points {missing} (run their shards, then merge again)")]
    Incomplete {
        /// Points found.
        have: u64,
        /// Points in the grid.
        want: u64,
        /// The first missing point numbers.
        missing: String,
    },
}

fn io(path: &Path) -> impl Fn(std::io::Error) -> SweepError + '_ {
    move |e| SweepError::Io {
        path: path.to_path_buf(),
        message: e.to_string(),
    }
}

/// Takes the advisory lock of sweep directory `dir` (which must exist), without waiting: two
/// processes resuming one directory at once (a Slurm task requeued while it still runs) would
/// each drop the other's rows when they rewrite `sweep.csv`.
fn lock_dir(dir: &Path) -> Result<File, SweepError> {
    let path = dir.join(LOCK_FILE);
    let file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(io(&path))?;
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(std::fs::TryLockError::WouldBlock) => Err(SweepError::Busy {
            path: dir.to_path_buf(),
        }),
        Err(std::fs::TryLockError::Error(e)) => Err(io(&path)(e)),
    }
}

/// An open sweep directory that rows are appended to. It holds the directory's lock until it is
/// dropped.
pub struct Store {
    csv_path: PathBuf,
    file: Mutex<File>,
    done: HashSet<u64>,
    _lock: File,
}

impl Store {
    /// Opens `dir` for the sweep in `file`, creating it. A directory that already holds results is
    /// refused unless `resume`; with `resume`, its spec must be this one, and its complete points
    /// are kept (and skipped by [`Store::job_done`]) while any incomplete tail is dropped.
    pub fn open(dir: &Path, file: &SweepFile, resume: bool) -> Result<Store, SweepError> {
        std::fs::create_dir_all(dir).map_err(io(dir))?;
        let lock = lock_dir(dir)?;
        let csv_path = dir.join(CSV_FILE);
        let spec_path = dir.join(SPEC_FILE);
        let mut done = HashSet::new();
        if csv_path.exists() || spec_path.exists() {
            if !resume {
                return Err(SweepError::Exists { path: csv_path });
            }
            let stored = read_spec_file(&spec_path)?;
            compare_specs(&spec_path, &stored, file)?;
            let rows = if csv_path.exists() {
                read_rows(&csv_path, &file.spec)?
            } else {
                Vec::new()
            };
            done = rows.iter().map(|r| r.point).collect();
            // Keep what is complete, in the order it was written.
            write_rows(&csv_path, &rows)?;
        } else {
            write_spec_file(&spec_path, file)?;
            write_rows(&csv_path, &[])?;
        }
        let handle = OpenOptions::new()
            .append(true)
            .open(&csv_path)
            .map_err(io(&csv_path))?;
        Ok(Store {
            csv_path,
            file: Mutex::new(handle),
            done,
            _lock: lock,
        })
    }

    /// Whether every point of `job` is already in the file.
    pub fn job_done(&self, spec: &SweepSpec, job: &Job) -> bool {
        (0..spec.techs.len()).all(|t| self.done.contains(&spec.point_index(job, t)))
    }

    /// Appends one job's rows in a single write and flushes them.
    pub fn append(&self, rows: &[SweepRow]) -> Result<(), SweepError> {
        self.append_bytes(&to_csv(rows, false))
    }

    /// Appends `bytes`; a write that fails part-way is cut back off, so that the file still ends
    /// at a job's boundary for the other threads and for a later resume.
    fn append_bytes(&self, bytes: &[u8]) -> Result<(), SweepError> {
        let mut f = self.file.lock().unwrap_or_else(|p| p.into_inner());
        let before = f.metadata().map_err(io(&self.csv_path))?.len();
        let written = f.write_all(bytes).and_then(|_| f.flush());
        if let Err(e) = written {
            let _ = f.set_len(before);
            return Err(io(&self.csv_path)(e));
        }
        Ok(())
    }

    /// Testing aid: appends a job's rows as a process killed in the middle of the write leaves
    /// them at the worst place: the first point complete, summary included, then half of the
    /// rest (a torn line).
    pub fn append_torn(&self, rows: &[SweepRow]) -> Result<(), SweepError> {
        let first = rows
            .iter()
            .position(|r| r.scope == Scope::Point)
            .map_or(rows.len(), |i| i + 1);
        let mut bytes = to_csv(&rows[..first], false);
        let rest = to_csv(&rows[first..], false);
        bytes.extend_from_slice(&rest[..rest.len() / 2]);
        self.append_bytes(&bytes)
    }

    /// Rewrites the file in point order and returns its rows. The store (and the directory's
    /// lock) lives on, so that its owner can write the report before another process may start.
    pub fn finish(&self, spec: &SweepSpec) -> Result<Vec<SweepRow>, SweepError> {
        let _appends = self.file.lock().unwrap_or_else(|p| p.into_inner());
        let rows = sorted(read_rows(&self.csv_path, spec)?);
        write_rows(&self.csv_path, &rows)?;
        Ok(rows)
    }
}

/// Rows in point order; a point's rows keep their order (layers, then the summary).
fn sorted(mut rows: Vec<SweepRow>) -> Vec<SweepRow> {
    rows.sort_by_key(|r| r.point);
    rows
}

/// Reads `sweep.json`.
pub fn read_spec_file(path: &Path) -> Result<SweepFile, SweepError> {
    let text = crate::input::read_text(path).map_err(|message| SweepError::Io {
        path: path.to_path_buf(),
        message,
    })?;
    // The format first, so that another version's file is named as such rather than failing on
    // a field it lacks.
    let format = serde_json::from_str::<serde_json::Value>(&text)
        .ok()
        .and_then(|v| v.get("spec")?.get("format")?.as_u64());
    if let Some(f) = format.filter(|&f| f != u64::from(super::SWEEP_FORMAT)) {
        return Err(SweepError::Content {
            path: path.to_path_buf(),
            line: None,
            message: format!(
                "format {f} (this systole writes format {}); run the sweep again into a new directory",
                super::SWEEP_FORMAT
            ),
        });
    }
    let file: SweepFile = serde_json::from_str(&text).map_err(|e| SweepError::Content {
        path: path.to_path_buf(),
        line: Some(e.line() as u64),
        message: format!("not a sweep spec of this systole version: {e}"),
    })?;
    let content = |message: String| SweepError::Content {
        path: path.to_path_buf(),
        line: None,
        message,
    };
    if file.spec.format != super::SWEEP_FORMAT {
        return Err(content(format!(
            "format {} (this systole writes format {})",
            file.spec.format,
            super::SWEEP_FORMAT
        )));
    }
    file.spec.check().map_err(content)?;
    Ok(file)
}

fn write_spec_file(path: &Path, file: &SweepFile) -> Result<(), SweepError> {
    let text = serde_json::to_string_pretty(file).expect("a spec serialises");
    atomic_write(path, format!("{text}\n").as_bytes())
}

/// Refuses a stored sweep that is not `want`, naming the first field that differs.
fn compare_specs(path: &Path, stored: &SweepFile, want: &SweepFile) -> Result<(), SweepError> {
    if stored.shard != want.shard {
        let name =
            |s: Option<Shard>| s.map_or("the whole sweep".to_string(), |s| format!("shard {s}"));
        return Err(SweepError::Content {
            path: path.to_path_buf(),
            line: None,
            message: format!(
                "this directory holds {}, the command runs {}",
                name(stored.shard),
                name(want.shard)
            ),
        });
    }
    spec_difference(&stored.spec, &want.spec).map_or(Ok(()), |d| {
        Err(SweepError::Content {
            path: path.to_path_buf(),
            line: None,
            message: format!("a different sweep: {d}"),
        })
    })
}

/// The first field (a dotted path, e.g. `base_arch.clock_mhz`) in which two specs differ,
/// described; `None` when they are equal.
pub fn spec_difference(stored: &SweepSpec, want: &SweepSpec) -> Option<String> {
    use serde_json::Value;
    fn first(path: String, a: &Value, b: &Value) -> Option<(String, String, String)> {
        match (a, b) {
            _ if a == b => None,
            (Value::Object(x), Value::Object(y)) => {
                x.keys()
                    .chain(y.keys())
                    .find_map(|k| match (x.get(k), y.get(k)) {
                        (Some(p), Some(q)) => first(join(&path, k), p, q),
                        (p, q) => (p != q).then(|| (join(&path, k), show(p), show(q))),
                    })
            }
            (Value::Array(x), Value::Array(y)) if x.len() == y.len() => x
                .iter()
                .zip(y)
                .enumerate()
                .find_map(|(i, (p, q))| first(format!("{path}[{i}]"), p, q)),
            _ => Some((path, show(Some(a)), show(Some(b)))),
        }
    }
    fn join(path: &str, k: &str) -> String {
        if path.is_empty() {
            k.to_string()
        } else {
            format!("{path}.{k}")
        }
    }
    fn show(v: Option<&Value>) -> String {
        let s = v.map_or("absent".to_string(), |v| v.to_string());
        match s.char_indices().nth(60) {
            Some((i, _)) => format!("{}...", &s[..i]),
            None => s,
        }
    }
    let (a, b) = (
        serde_json::to_value(stored).expect("a spec serialises"),
        serde_json::to_value(want).expect("a spec serialises"),
    );
    first(String::new(), &a, &b).map(|(k, x, y)| format!("`{k}` is {x} there and {y} here"))
}

/// The CSV text of `rows`, after the header line when `header`.
pub(crate) fn to_csv<'a>(rows: impl IntoIterator<Item = &'a SweepRow>, header: bool) -> Vec<u8> {
    let mut w = csv::WriterBuilder::new()
        .has_headers(false)
        .from_writer(Vec::new());
    if header {
        w.write_record(COLUMNS).expect("writing to memory");
    }
    for r in rows {
        w.serialize(r).expect("writing to memory");
    }
    w.into_inner().expect("writing to memory")
}

/// The columns of `sweep.csv`: the fields of [`SweepRow`], in order (a test keeps them so).
pub const COLUMNS: &[&str] = &[
    "point",
    "scope",
    "status",
    "rows",
    "cols",
    "buffer_a_kib",
    "buffer_b_kib",
    "buffer_c_kib",
    "dram_bytes_per_cycle",
    "operand_bits",
    "dataflow",
    "tech",
    "layer",
    "shape",
    "repeat",
    "macs",
    "latency_cycles",
    "total_cycles",
    "stall_cycles",
    "utilization",
    "dram_read_bytes",
    "dram_write_bytes",
    "energy_pj",
    "mac_pj",
    "registers_pj",
    "buffer_a_pj",
    "buffer_b_pj",
    "buffer_c_pj",
    "dram_pj",
    "leakage_pj",
    "pj_per_mac",
    "tops_per_watt",
    "edp_js",
    "area_mm2",
    "reason",
];

fn write_rows(path: &Path, rows: &[SweepRow]) -> Result<(), SweepError> {
    atomic_write(path, &to_csv(rows, true))
}

/// Writes through a temporary file and a rename, so a reader never sees half a file.
fn atomic_write(path: &Path, bytes: &[u8]) -> Result<(), SweepError> {
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, bytes).map_err(io(&tmp))?;
    std::fs::rename(&tmp, path).map_err(io(path))
}

/// Reads `sweep.csv` and returns the rows of its complete jobs, in file order. A torn last line
/// (a write cut short) and the rows of jobs without every summary are dropped; a row that does not
/// belong to `spec`'s grid, or a point found twice, is an error naming the line.
pub fn read_rows(path: &Path, spec: &SweepSpec) -> Result<Vec<SweepRow>, SweepError> {
    let mut bytes = std::fs::read(path).map_err(io(path))?;
    // Whatever follows the last line break is a torn write.
    let keep = bytes.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
    bytes.truncate(keep);
    let content = |line: Option<u64>, message: String| SweepError::Content {
        path: path.to_path_buf(),
        line,
        message,
    };
    let mut rd = csv::ReaderBuilder::new()
        .has_headers(true)
        .from_reader(bytes.as_slice());
    let header = rd
        .headers()
        .map_err(|e| content(Some(1), e.to_string()))?
        .clone();
    if !header.iter().eq(COLUMNS.iter().copied()) {
        return Err(content(
            Some(1),
            "the header is not that of a sweep.csv of this systole version".into(),
        ));
    }
    let jobs = spec.jobs();
    let techs = spec.techs.len() as u64;
    let mut rows: Vec<(u64, SweepRow)> = Vec::new();
    let mut complete = HashSet::new();
    for rec in rd.records() {
        let rec = rec.map_err(|e| {
            content(
                e.position().map(|p| p.line()),
                format!("unreadable row: {e}"),
            )
        })?;
        let line = rec.position().map_or(0, |p| p.line());
        let row: SweepRow = rec
            .deserialize(Some(&header))
            .map_err(|e| content(Some(line), format!("unreadable row: {e}")))?;
        let job = jobs
            .get((row.point / techs) as usize)
            .filter(|_| row.point < spec.point_count());
        let expect = job
            .map(|j| SweepRow::blank(spec, j, (row.point % techs) as usize, row.scope, row.status));
        let matches = expect.is_some_and(|e| {
            (
                e.rows,
                e.cols,
                e.buffer_a_kib,
                e.buffer_b_kib,
                e.buffer_c_kib,
            ) == (
                row.rows,
                row.cols,
                row.buffer_a_kib,
                row.buffer_b_kib,
                row.buffer_c_kib,
            ) && (e.dram_bytes_per_cycle, e.operand_bits, e.dataflow, &e.tech)
                == (
                    row.dram_bytes_per_cycle,
                    row.operand_bits,
                    row.dataflow,
                    &row.tech,
                )
        });
        if !matches {
            return Err(content(
                Some(line),
                format!(
                    "point {} is not that point of this sweep's grid ({}x{}, {}:{}:{} KiB, {} B/cycle, int{}, {}, {})",
                    row.point,
                    row.rows,
                    row.cols,
                    row.buffer_a_kib,
                    row.buffer_b_kib,
                    row.buffer_c_kib,
                    row.dram_bytes_per_cycle,
                    row.operand_bits,
                    row.dataflow,
                    row.tech
                ),
            ));
        }
        if row.scope == Scope::Point && !complete.insert(row.point) {
            return Err(content(
                Some(line),
                format!("point {} appears twice", row.point),
            ));
        }
        rows.push((line, row));
    }
    // A job's rows are written in one go, so a point counts only when every table of its job
    // has its summary (a write cut short after one table's summary would otherwise be kept,
    // and the job run again would write that point twice).
    let job_complete = |p: u64| (0..techs).all(|t| complete.contains(&(p / techs * techs + t)));
    Ok(rows
        .into_iter()
        .filter(|(_, r)| job_complete(r.point))
        .map(|(_, r)| r)
        .collect())
}

/// Joins the shard directories `inputs` into `out`: their specs must be the same sweep, together
/// they must hold every point, and a point found in two of them must have the same rows. Writes
/// `out/sweep.json` and `out/sweep.csv` as one unsharded run writes them, and returns the spec
/// and rows.
pub fn merge(out: &Path, inputs: &[PathBuf]) -> Result<(SweepSpec, Vec<SweepRow>), SweepError> {
    let mut spec: Option<(PathBuf, SweepSpec)> = None;
    let mut by_point: BTreeMap<u64, (PathBuf, Vec<SweepRow>)> = BTreeMap::new();
    for dir in inputs {
        let spec_path = dir.join(SPEC_FILE);
        let file = read_spec_file(&spec_path)?;
        if let Some((first, s)) = &spec {
            if let Some(d) = spec_difference(s, &file.spec) {
                return Err(SweepError::Content {
                    path: spec_path,
                    line: None,
                    message: format!("not the sweep of {}: {d}", first.display()),
                });
            }
        } else {
            spec = Some((spec_path.clone(), file.spec.clone()));
        }
        let csv_path = dir.join(CSV_FILE);
        let mut mine: BTreeMap<u64, Vec<SweepRow>> = BTreeMap::new();
        for r in read_rows(&csv_path, &file.spec)? {
            mine.entry(r.point).or_default().push(r);
        }
        for (p, rows) in mine {
            match by_point.get(&p) {
                Some((other, theirs)) if *theirs != rows => {
                    return Err(SweepError::Content {
                        path: csv_path,
                        line: None,
                        message: format!("point {p} differs from its rows in {}", other.display()),
                    })
                }
                Some(_) => {}
                None => {
                    by_point.insert(p, (csv_path.clone(), rows));
                }
            }
        }
    }
    let Some((_, spec)) = spec else {
        return Err(SweepError::Content {
            path: out.to_path_buf(),
            line: None,
            message: "no shard directories to merge".into(),
        });
    };
    let want = spec.point_count();
    if by_point.len() as u64 != want {
        let missing: Vec<String> = (0..want)
            .filter(|p| !by_point.contains_key(p))
            .take(8)
            .map(|p| p.to_string())
            .collect();
        return Err(SweepError::Incomplete {
            have: by_point.len() as u64,
            want,
            missing: format!(
                "{}{}",
                missing.join(", "),
                if want - by_point.len() as u64 > 8 {
                    ", ..."
                } else {
                    ""
                }
            ),
        });
    }
    std::fs::create_dir_all(out).map_err(io(out))?;
    let _lock = lock_dir(out)?;
    let csv_path = out.join(CSV_FILE);
    if csv_path.exists() {
        return Err(SweepError::Content {
            path: csv_path,
            line: None,
            message: "already holds a sweep; merge into a new directory".into(),
        });
    }
    let rows: Vec<SweepRow> = by_point.into_values().flat_map(|(_, r)| r).collect();
    write_spec_file(
        &out.join(SPEC_FILE),
        &SweepFile {
            shard: None,
            spec: spec.clone(),
        },
    )?;
    write_rows(&csv_path, &rows)?;
    Ok((spec, rows))
}
