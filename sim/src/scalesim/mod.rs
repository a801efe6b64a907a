//! SCALE-Sim's files, read as they are: topology CSVs (conv and GEMM forms) become a
//! [`Workload`], `.cfg` files become an [`ArchConfig`] plus the dataflow they ask for, and
//! [`reports`] writes SCALE-Sim-shaped CSVs of a run.
//!
//! What each SCALE-Sim field means and how systole maps it is in `docs/scalesim.md`.

pub mod reports;

use std::path::Path;

use crate::config::{ArchConfig, Dataflow};
use crate::error::{ConfigError, WorkloadError};
use crate::workload::{Conv, Layer, LayerOp, Workload};

/// Column names of the conv form, in order (SCALE-Sim's header, v3's sparsity column last).
const CONV_COLUMNS: [&str; 9] = [
    "Layer name",
    "IFMAP Height",
    "IFMAP Width",
    "Filter Height",
    "Filter Width",
    "Channels",
    "Num Filter",
    "Strides",
    "Sparsity",
];

/// Column names of the GEMM form.
const GEMM_COLUMNS: [&str; 5] = ["Layer Name", "M", "N", "K", "Sparsity"];

/// The fields of one CSV line: split at commas and trimmed. As SCALE-Sim drops whatever follows
/// the last comma, a last field that is empty or a `#` comment is dropped.
fn fields(line: &str) -> Vec<&str> {
    let mut f: Vec<&str> = line.split(',').map(str::trim).collect();
    if f.len() > 1 && f.last().is_some_and(|l| l.is_empty() || l.starts_with('#')) {
        f.pop();
    }
    f
}

/// Reads a SCALE-Sim topology CSV, conv form (`Layer name, IFMAP Height, IFMAP Width, Filter
/// Height, Filter Width, Channels, Num Filter, Strides,` and v3's optional `Sparsity`) or GEMM form
/// (`Layer Name, M, N, K,`), told apart by the header line. A layer with `DP` in its name is
/// depthwise (SCALE-Sim runs it as one layer per channel, each with `Num Filter` filters).
/// Errors name the file, the line and the column.
pub fn read_topology(path: &Path) -> Result<Workload, WorkloadError> {
    let text = crate::input::read_text(path).map_err(|e| WorkloadError::File {
        path: path.to_path_buf(),
        line: None,
        message: format!("cannot read: {e}"),
    })?;
    parse_topology(&text, path)
}

/// [`read_topology`] on the text of a topology file; `path` names it in errors and in the
/// workload (its name is the file's stem).
pub fn parse_topology(text: &str, path: &Path) -> Result<Workload, WorkloadError> {
    let err = |line: usize, message: String| WorkloadError::File {
        path: path.to_path_buf(),
        line: Some(line),
        message,
    };
    let mut lines = text
        .lines()
        .enumerate()
        .map(|(i, l)| (i + 1, l))
        .filter(|(_, l)| !l.trim().is_empty());
    let Some((hline, header)) = lines.next() else {
        return Err(WorkloadError::File {
            path: path.to_path_buf(),
            line: None,
            message: "is empty: a SCALE-Sim topology has a header line and one line per layer"
                .into(),
        });
    };
    let head = fields(header);
    if head.get(1).is_some_and(|f| f.parse::<i64>().is_ok()) {
        return Err(err(
            hline,
            "the first line is a layer, not a header: SCALE-Sim skips the first line, so add \
             `Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, Num Filter, Strides,` \
             (or `Layer Name, M, N, K,`) above it"
                .into(),
        ));
    }
    let gemm = head.len() >= 4
        && head[1].eq_ignore_ascii_case("M")
        && head[2].eq_ignore_ascii_case("N")
        && head[3].eq_ignore_ascii_case("K");
    let conv = head
        .get(1)
        .is_some_and(|h| h.to_ascii_lowercase().contains("ifmap"));
    if !gemm && !conv {
        return Err(err(
            hline,
            format!(
                "header `{}` is neither SCALE-Sim's conv form (Layer name, IFMAP Height, ...) nor its GEMM form (Layer Name, M, N, K)",
                header.trim()
            ),
        ));
    }
    let columns: &[&str] = if gemm { &GEMM_COLUMNS } else { &CONV_COLUMNS };
    let mut layers = Vec::new();
    let mut notes = Vec::new();
    for (ln, line) in lines {
        let f = fields(line);
        let int_cols = columns.len() - 2; // everything but the name and the sparsity
        if f.len() < int_cols + 1 {
            return Err(err(
                ln,
                format!(
                    "has {} fields, needs {}: column {} ({}) is missing",
                    f.len(),
                    int_cols + 1,
                    f.len() + 1,
                    columns[f.len()]
                ),
            ));
        }
        let name = f[0].to_string();
        if name.is_empty() {
            return Err(err(ln, format!("column 1 ({}) is empty", columns[0])));
        }
        let mut v = Vec::with_capacity(int_cols);
        for (i, &cell) in f.iter().enumerate().take(int_cols + 1).skip(1) {
            let x: usize = cell.parse().ok().filter(|&x| x > 0).ok_or_else(|| {
                err(
                    ln,
                    format!(
                        "column {} ({}) = `{cell}`: must be a whole number of at least 1",
                        i + 1,
                        columns[i]
                    ),
                )
            })?;
            v.push(x);
        }
        // Optional trailing columns: SCALE-Sim 2's stride width (conv), v3's N:M sparsity.
        let mut stride_w = None;
        let mut sparsity = None;
        for (i, &cell) in f.iter().enumerate().skip(int_cols + 1) {
            if let Some((n, m)) = cell.split_once(':') {
                let nm = (n.trim().parse::<u32>(), m.trim().parse::<u32>());
                match nm {
                    _ if sparsity.is_some() => {
                        return Err(err(
                            ln,
                            format!("column {} = `{cell}`: a second Sparsity column", i + 1),
                        ))
                    }
                    (Ok(n), Ok(m)) if n >= 1 && n <= m => sparsity = Some((n, m)),
                    _ => {
                        return Err(err(
                            ln,
                            format!(
                                "column {} (Sparsity) = `{cell}`: must be N:M with 1 <= N <= M",
                                i + 1
                            ),
                        ))
                    }
                }
            } else if !gemm && i == int_cols + 1 {
                stride_w = Some(cell.parse::<usize>().ok().filter(|&x| x > 0).ok_or_else(
                    || {
                        err(
                            ln,
                            format!(
                                "column {} (stride width, as SCALE-Sim 2 reads it) = `{cell}`: must be a whole number of at least 1",
                                i + 1
                            ),
                        )
                    },
                )?);
            } else {
                return Err(err(
                    ln,
                    format!(
                        "column {} = `{cell}`: unexpected (the last column is {})",
                        i + 1,
                        columns[columns.len() - 1]
                    ),
                ));
            }
        }
        if let Some((n, m)) = sparsity.filter(|&(n, m)| n != m) {
            notes.push(format!(
                "line {ln} (`{name}`): sparsity {n}:{m} is read but not modelled: systole runs every layer dense"
            ));
        }
        let op = if gemm {
            LayerOp::Gemm {
                m: v[0],
                n: v[1],
                k: v[2],
            }
        } else {
            let (h, w, r, s, c, nf, stride) = (v[0], v[1], v[2], v[3], v[4], v[5], v[6]);
            for (i, fl, im) in [(3, r, h), (4, s, w)] {
                if fl > im {
                    return Err(err(
                        ln,
                        format!(
                            "column {} ({}) = {fl} is larger than column {} ({}) = {im}",
                            i + 1,
                            columns[i],
                            i - 1,
                            columns[i - 2]
                        ),
                    ));
                }
            }
            let sw = stride_w.unwrap_or(stride);
            let mut conv = Conv::unpadded((h, w), (r, s), c, nf, stride);
            conv.stride_w = sw;
            // SCALE-Sim's ofmap is ceil((H - R + S) / S) rows: a last window that runs past the
            // edge still counts (its missing ifmap rows read as nothing). That is bottom/right
            // zero padding here.
            // Rows past the edge: (oh - 1) x stride + R - H, written so that nothing overflows.
            conv.pad_bottom = (stride - (h - r) % stride) % stride;
            conv.pad_right = (sw - (w - s) % sw) % sw;
            if name.contains("DP") {
                if c.checked_mul(nf).is_none() {
                    return Err(err(
                        ln,
                        format!(
                            "`{name}`: too large: {c} channels x {nf} filters each (a DP layer is depthwise) do not fit in {} bits",
                            usize::BITS
                        ),
                    ));
                }
                conv = conv.depthwise(nf);
            }
            LayerOp::Conv(conv)
        };
        let layer = Layer::new(name, op);
        layer
            .check()
            .map_err(|m| err(ln, format!("`{}`: {m}", layer.name)))?;
        layers.push(layer);
    }
    if layers.is_empty() {
        return Err(err(hline, "has a header but no layers".into()));
    }
    let name = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "topology".into());
    let w = Workload {
        name,
        source: format!(
            "SCALE-Sim topology {} ({} form)",
            path.display(),
            if gemm { "GEMM" } else { "conv" }
        ),
        layers,
        notes,
        quantized: None,
    };
    w.check_macs().map_err(|message| WorkloadError::File {
        path: path.to_path_buf(),
        line: None,
        message,
    })?;
    Ok(w)
}

/// A SCALE-Sim `.cfg` file mapped onto systole.
#[derive(Debug, Clone, PartialEq)]
pub struct ScaleSimConfig {
    /// The architecture: the base config with the cfg's array, SRAM sizes and bandwidth.
    pub arch: ArchConfig,
    /// The dataflow the cfg asks for.
    pub dataflow: Dataflow,
    /// `[general] run_name`: the folder SCALE-Sim writes its reports into.
    pub run_name: String,
    /// What the cfg says that systole does not model, key by key.
    pub notes: Vec<String>,
}

/// One `key: value` of an INI file, with where it is.
struct Entry {
    section: String,
    key: String,
    value: String,
    line: usize,
}

/// Python-configparser-style INI: `[section]`, `key: value` or `key = value`, `#`/`;` comments,
/// keys case-insensitive. As configparser (strict, its default) does, a section or a key within a
/// section given twice is refused, naming both lines.
fn parse_ini(text: &str, origin: &str) -> Result<Vec<Entry>, ConfigError> {
    let mut section = String::new();
    let mut out: Vec<Entry> = Vec::new();
    let mut sections: Vec<(String, usize)> = Vec::new();
    let twice = |line: usize, what: String, first: usize| {
        ConfigError::Parse {
        origin: origin.to_string(),
        line,
        col: 1,
        message: format!("{what} is given twice (first on line {first}); SCALE-Sim's configparser refuses that too"),
    }
    };
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        if let Some(rest) = line.strip_prefix('[') {
            let Some(name) = rest.strip_suffix(']') else {
                return Err(ConfigError::Parse {
                    origin: origin.to_string(),
                    line: i + 1,
                    col: 1,
                    message: "a section header must end with `]`".into(),
                });
            };
            section = name.trim().to_string();
            if let Some((_, first)) = sections.iter().find(|(s, _)| *s == section) {
                return Err(twice(i + 1, format!("section [{section}]"), *first));
            }
            sections.push((section.clone(), i + 1));
            continue;
        }
        let Some(at) = line.find([':', '=']) else {
            return Err(ConfigError::Parse {
                origin: origin.to_string(),
                line: i + 1,
                col: 1,
                message: format!("`{line}` is neither `[section]` nor `key: value`"),
            });
        };
        if section.is_empty() {
            return Err(ConfigError::Parse {
                origin: origin.to_string(),
                line: i + 1,
                col: 1,
                message: "a key before any [section]".into(),
            });
        }
        let key = line[..at].trim().to_ascii_lowercase();
        if let Some(e) = out.iter().find(|e| e.section == section && e.key == key) {
            return Err(twice(i + 1, format!("`{key}` in [{section}]"), e.line));
        }
        out.push(Entry {
            section: section.clone(),
            key,
            value: line[at + 1..].trim().to_string(),
            line: i + 1,
        });
    }
    Ok(out)
}

/// Reads a SCALE-Sim `.cfg` onto `base` (which supplies everything SCALE-Sim has no key for:
/// widths, banks, read latency, DRAM latency and kind, clock). Errors name the file, the line
/// and the key.
pub fn read_cfg(path: &Path, base: &ArchConfig) -> Result<ScaleSimConfig, ConfigError> {
    let text = crate::input::read_text(path).map_err(|message| ConfigError::Io {
        path: path.to_path_buf(),
        message,
    })?;
    parse_cfg(&text, path, base)
}

/// [`read_cfg`] on the text of a `.cfg` file; `path` names it in errors (and its stem is the run
/// name when the file gives none).
pub fn parse_cfg(
    text: &str,
    path: &Path,
    base: &ArchConfig,
) -> Result<ScaleSimConfig, ConfigError> {
    let origin = path.display().to_string();
    let entries = parse_ini(text, &origin)?;
    let invalid = |e: &Entry, message: String| ConfigError::Invalid {
        origin: origin.clone(),
        line: Some(e.line),
        field: format!("[{}] {}", e.section, e.key),
        message,
    };
    let find = |section: &str, key: &str| {
        entries
            .iter()
            .find(|e| e.section == section && e.key == key.to_ascii_lowercase())
    };
    let need = |section: &str, key: &str| {
        find(section, key).ok_or_else(|| ConfigError::Invalid {
            origin: origin.clone(),
            line: None,
            field: format!("[{section}] {key}"),
            message: "missing (SCALE-Sim requires it)".into(),
        })
    };
    let number = |e: &Entry, max: u64| -> Result<u64, ConfigError> {
        e.value
            .parse::<u64>()
            .ok()
            .filter(|v| (1..=max).contains(v))
            .ok_or_else(|| {
                invalid(
                    e,
                    format!("`{}`: must be a whole number from 1 to {max}", e.value),
                )
            })
    };
    const AP: &str = "architecture_presets";
    let rows_e = need(AP, "ArrayHeight")?;
    let cols_e = need(AP, "ArrayWidth")?;
    let rows = number(rows_e, u64::from(crate::config::MAX_ARRAY_EDGE))? as u32;
    let cols = number(cols_e, u64::from(crate::config::MAX_ARRAY_EDGE))? as u32;
    // Validated once, below, when the SRAM sizes are in place too.
    let mut arch = base.clone();
    arch.set_shape(rows, cols);
    // SCALE-Sim streams the expanded im2col matrix into its ifmap SRAM.
    arch.conv_input = crate::config::ConvInput::Expanded;
    let mut size_lines = Vec::new();
    for (key, buf) in [
        ("IfmapSramSzkB", 0),
        ("FilterSramSzkB", 1),
        ("OfmapSramSzkB", 2),
    ] {
        let e = need(AP, key)?;
        let kib = number(e, u64::from(u32::MAX))? as u32;
        match buf {
            0 => arch.buffers.a.capacity_kib = kib,
            1 => arch.buffers.b.capacity_kib = kib,
            _ => arch.buffers.c.capacity_kib = kib,
        }
        size_lines.push(e);
    }
    let df_e = need(AP, "Dataflow")?;
    let dataflow = Dataflow::parse(&df_e.value)
        .ok_or_else(|| invalid(df_e, format!("`{}`: must be os, ws or is", df_e.value)))?;
    let mut notes = Vec::new();
    let mode = find("run_presets", "InterfaceBandwidth");
    match mode.map(|e| e.value.as_str()) {
        Some("USER") => {
            let bw = need(AP, "Bandwidth")?;
            let first = bw.value.split(',').next().unwrap_or("").trim().to_string();
            let v = first
                .parse::<u32>()
                .ok()
                .filter(|v| (1..=crate::config::MAX_DRAM_BYTES_PER_CYCLE).contains(v))
                .ok_or_else(|| {
                    invalid(
                        bw,
                        format!(
                            "`{}`: the first value must be a whole number of words (bytes) per cycle, 1 to {}",
                            bw.value,
                            crate::config::MAX_DRAM_BYTES_PER_CYCLE
                        ),
                    )
                })?;
            arch.dram.bytes_per_cycle = v;
            if bw.value.contains(',') {
                notes.push(format!(
                    "line {}: Bandwidth `{}`: one DRAM port is modelled, at the first value ({v} B/cycle)",
                    bw.line, bw.value
                ));
            }
        }
        Some("CALC") | None => {
            arch.dram = crate::config::DramConfig::unbounded(arch.dram.kind);
            notes.push(format!(
                "InterfaceBandwidth {}: as SCALE-Sim assumes, the DRAM port never limits the run ({} B/cycle, no latency): DRAM bytes are counted and the report gives the bandwidth each dataflow needs; for a real port give InterfaceBandwidth: USER, or --dram-bytes-per-cycle",
                mode.map_or("absent", |e| e.value.as_str()),
                crate::config::MAX_DRAM_BYTES_PER_CYCLE,
            ));
        }
        Some(other) => {
            return Err(invalid(
                mode.expect("matched"),
                format!("`{other}`: must be USER or CALC"),
            ))
        }
    }
    let run_name_e = find("general", "run_name").filter(|e| !e.value.is_empty());
    if let Some(e) = run_name_e.filter(|e| !reports::is_folder_name(&e.value)) {
        return Err(invalid(
            e,
            format!(
                "`{}`: must be a folder name, not a path (no `/`, `\\`, `:` or `..`): the reports are written to <--out>/<run_name>/",
                e.value
            ),
        ));
    }
    arch.name = run_name_e.map(|e| e.value.clone()).unwrap_or_else(|| {
        path.file_stem()
            .map(|s| reports::folder_name(&s.to_string_lossy()))
            .unwrap_or_else(|| "scalesim".into())
    });
    let run_name = arch.name.clone();
    arch.validate().map_err(|v| {
        let e = match v.field.as_str() {
            f if f.starts_with("buffers.a") => size_lines[0],
            f if f.starts_with("buffers.b") => size_lines[1],
            f if f.starts_with("buffers.c") => size_lines[2],
            _ => rows_e,
        };
        invalid(e, format!("{}: {}", v.field, v.message))
    })?;
    // Everything else: said once, so that nobody believes it is modelled.
    let used = [
        "arrayheight",
        "arraywidth",
        "ifmapsramszkb",
        "filtersramszkb",
        "ofmapsramszkb",
        "dataflow",
        "bandwidth",
        "interfacebandwidth",
        "run_name",
    ];
    for e in &entries {
        if used.contains(&e.key.as_str()) {
            continue;
        }
        let why = match e.key.as_str() {
            "ifmapoffset" | "filteroffset" | "ofmapoffset" => {
                "trace addresses only; systole's operands start at address 0"
            }
            "memorybanks" | "onchipmemorybanks" | "onchipmemorybankports" => {
                "not read by SCALE-Sim 2.0.2 or 3.0.0 either; banks come from the base config"
            }
            "readrequestbuffer" | "writerequestbuffer" | "useramulatortrace" => {
                "Ramulator's request queues: systole's DRAM is a bandwidth and a latency"
            }
            "sparsitysupport" if e.value.eq_ignore_ascii_case("true") => {
                "sparsity is not modelled: systole runs every layer dense"
            }
            _ if e.section == "layout" => "SRAM layouts and bank conflicts are not modelled",
            _ if e.section == "sparsity" => "sparsity is not modelled",
            _ => "no counterpart in systole",
        };
        notes.push(format!(
            "line {}: [{}] {} = {}: ignored ({why})",
            e.line, e.section, e.key, e.value
        ));
    }
    Ok(ScaleSimConfig {
        arch,
        dataflow,
        run_name,
        notes,
    })
}

#[cfg(test)]
mod tests;
