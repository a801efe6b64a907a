//! Fuzz targets for every text parser a user's file reaches: the architecture TOML, the workload
//! TOML, SCALE-Sim's topology CSV and `.cfg`, the technology TOML and the `.npy` header (and a
//! whole `.npy` read). Each runs under `cargo test` (so in CI, through `scripts/test.sh`) for a
//! bounded number of cases, a few seconds per parser.
//!
//! An input is either arbitrary bytes or a real file of the format with a few mutations: a number
//! replaced by an extreme one (0, -1, 2^32 - 1, 2^64 - 1, 1e308, nan, ...), a keyword of the format
//! inserted, a line duplicated, deleted or swapped, bytes inserted or deleted, the text cut short.
//! Mutating real files reaches the checks behind the syntax, which random bytes rarely do. Every
//! case must return (an error is fine) without a panic, within two seconds, and without
//! allocating more than 64 MiB at once (a counting allocator measures each case).
//!
//! `SYSTOLE_FUZZ_CASES=100000 cargo test -p systole-sim --test fuzz_parsers` runs longer; proptest
//! prints the smallest failing input it finds.

use std::alloc::{GlobalAlloc, Layout, System};
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use proptest::prelude::*;
use proptest::test_runner::{Config, FileFailurePersistence, TestRunner};
use systole_sim::config::{ArchConfig, ConfigSource};
use systole_sim::energy::TechTable;
use systole_sim::npy;
use systole_sim::scalesim::{parse_cfg, parse_topology};
use systole_sim::workload::Workload;

/// Counts the bytes allocated now and the most allocated since the last reset.
struct Counting;

static NOW: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

fn grew(by: usize) {
    let now = NOW.fetch_add(by, Ordering::Relaxed) + by;
    PEAK.fetch_max(now, Ordering::Relaxed);
}

// SAFETY: every call is passed on to the system allocator unchanged; only counters are kept.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            grew(layout.size());
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        NOW.fetch_sub(layout.size(), Ordering::Relaxed);
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            NOW.fetch_sub(layout.size(), Ordering::Relaxed);
            grew(new_size);
        }
        p
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// One target at a time, so that the allocator's peak is the running target's.
static SERIAL: Mutex<()> = Mutex::new(());

/// Most memory one case may allocate at once.
const MAX_CASE_BYTES: usize = 64 << 20;
/// Longest one case may take.
const MAX_CASE_TIME: Duration = Duration::from_secs(2);

/// Cases per target: `SYSTOLE_FUZZ_CASES`, else a number that runs in a few seconds.
fn cases(default: u32) -> u32 {
    std::env::var("SYSTOLE_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Numbers that sit on the edges of what the formats allow.
const EXTREMES: &[&str] = &[
    "0",
    "1",
    "2",
    "3",
    "7",
    "-1",
    "255",
    "256",
    "65535",
    "65536",
    "4294967295",
    "4294967296",
    "9223372036854775807",
    "18446744073709551615",
    "99999999999999999999",
    "1e308",
    "-1e308",
    "1e-320",
    "0.0",
    "nan",
    "inf",
    "-inf",
    "1.5",
    "\"\"",
    "[]",
];

/// One edit of an input.
#[derive(Debug, Clone)]
enum Mutation {
    /// Replace the `n`-th number (cyclically) with this text.
    Number(usize, String),
    /// Insert this text at this position (a fraction of the length).
    Insert(usize, String),
    /// Delete this many bytes from this position.
    Delete(usize, usize),
    /// Duplicate, delete, or swap with the next, the `n`-th line.
    DuplicateLine(usize),
    DeleteLine(usize),
    SwapLines(usize),
    /// Cut the input at this position.
    Truncate(usize),
}

fn mutation(keywords: &'static [&'static str]) -> impl Strategy<Value = Mutation> {
    let value = prop_oneof![
        2 => proptest::sample::select(EXTREMES).prop_map(str::to_string),
        2 => (0u64..9).prop_map(|v| v.to_string()),
        1 => (0u64..40).prop_map(|v| v.to_string()),
        1 => any::<u64>().prop_map(|v| v.to_string()),
        1 => any::<f64>().prop_map(|v| format!("{v:?}")),
    ];
    let text = prop_oneof![
        proptest::sample::select(keywords).prop_map(str::to_string),
        proptest::sample::select(EXTREMES).prop_map(str::to_string),
        proptest::collection::vec(any::<u8>(), 1..8)
            .prop_map(|b| String::from_utf8_lossy(&b).into_owned()),
        "[ -~\n]{1,12}",
    ];
    prop_oneof![
        4 => (any::<usize>(), value).prop_map(|(i, v)| Mutation::Number(i, v)),
        3 => (any::<usize>(), text).prop_map(|(i, t)| Mutation::Insert(i, t)),
        1 => (any::<usize>(), 1usize..16).prop_map(|(i, n)| Mutation::Delete(i, n)),
        1 => any::<usize>().prop_map(Mutation::DuplicateLine),
        1 => any::<usize>().prop_map(Mutation::DeleteLine),
        1 => any::<usize>().prop_map(Mutation::SwapLines),
        1 => any::<usize>().prop_map(Mutation::Truncate),
    ]
}

/// Applies `m` to `input`.
fn apply(input: &mut Vec<u8>, m: &Mutation) {
    let at = |i: usize, len: usize| if len == 0 { 0 } else { i % (len + 1) };
    match m {
        Mutation::Number(n, v) => {
            let spans = numbers(input);
            if !spans.is_empty() {
                let (s, e) = spans[n % spans.len()];
                input.splice(s..e, v.bytes());
            }
        }
        Mutation::Insert(i, t) => {
            let p = at(*i, input.len());
            input.splice(p..p, t.bytes());
        }
        Mutation::Delete(i, n) => {
            let p = at(*i, input.len());
            let e = (p + n).min(input.len());
            input.drain(p..e);
        }
        Mutation::Truncate(i) => input.truncate(at(*i, input.len())),
        Mutation::DuplicateLine(n) | Mutation::DeleteLine(n) | Mutation::SwapLines(n) => {
            let mut lines: Vec<Vec<u8>> =
                input.split(|&b| b == b'\n').map(<[u8]>::to_vec).collect();
            let k = n % lines.len();
            match m {
                Mutation::DuplicateLine(_) => lines.insert(k, lines[k].clone()),
                Mutation::DeleteLine(_) => {
                    lines.remove(k);
                }
                _ => {
                    let j = (k + 1) % lines.len();
                    lines.swap(k, j);
                }
            }
            *input = lines.join(&b'\n');
        }
    }
}

/// Byte ranges of the numbers in `input` (digits with a sign, a point or an exponent).
fn numbers(input: &[u8]) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < input.len() {
        if input[i].is_ascii_digit() {
            let s = if i > 0 && input[i - 1] == b'-' {
                i - 1
            } else {
                i
            };
            while i < input.len() && (input[i].is_ascii_alphanumeric() || input[i] == b'.') {
                i += 1;
            }
            out.push((s, i));
        } else {
            i += 1;
        }
    }
    out
}

/// An input: a seed with mutations, or arbitrary bytes.
fn input(
    seeds: Arc<Vec<Vec<u8>>>,
    keywords: &'static [&'static str],
) -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        6 => (
            0..seeds.len(),
            proptest::collection::vec(mutation(keywords), 0..6)
        )
            .prop_map(move |(s, ms)| {
                let mut v = seeds[s].clone();
                for m in &ms {
                    apply(&mut v, m);
                }
                v
            }),
        1 => proptest::collection::vec(any::<u8>(), 0..600),
    ]
}

/// Runs `parse` on `cases` inputs made from `seeds` (valid files, which the caller checks are
/// accepted); fails on a panic, a slow case or a large allocation.
fn fuzz(
    name: &str,
    cases: u32,
    seeds: &[&[u8]],
    keywords: &'static [&'static str],
    parse: impl Fn(&[u8]),
) {
    let _serial = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    let seeds = Arc::new(seeds.iter().map(|s| s.to_vec()).collect::<Vec<_>>());
    let mut runner = TestRunner::new(Config {
        cases,
        failure_persistence: Some(Box::new(FileFailurePersistence::Off)),
        ..Config::default()
    });
    let began = Instant::now();
    let result = runner.run(&input(seeds, keywords), |bytes| {
        let base = NOW.load(Ordering::Relaxed);
        PEAK.store(base, Ordering::Relaxed);
        let t = Instant::now();
        parse(&bytes);
        let took = t.elapsed();
        let peak = PEAK.load(Ordering::Relaxed).saturating_sub(base);
        prop_assert!(took < MAX_CASE_TIME, "{name}: a case took {took:?}");
        prop_assert!(
            peak < MAX_CASE_BYTES,
            "{name}: a case allocated {peak} bytes at once"
        );
        Ok(())
    });
    if let Err(e) = result {
        panic!("{name}: {e}");
    }
    eprintln!("{name}: {cases} cases in {:?}", began.elapsed());
}

fn text(bytes: &[u8]) -> std::borrow::Cow<'_, str> {
    String::from_utf8_lossy(bytes)
}

const ARCH_SEEDS: &[&[u8]] = &[
    include_bytes!("../presets/tiny-4x4.toml"),
    include_bytes!("../presets/edge-16x16.toml"),
    include_bytes!("../presets/eyeriss-12x14.toml"),
    include_bytes!("../presets/tpu-128x128.toml"),
];
const ARCH_KEYWORDS: &[&str] = &[
    "[array]",
    "[buffers.a]",
    "[buffers.c]",
    "[dram]",
    "[output_stage]",
    "rows = ",
    "cols = ",
    "operand_bits = ",
    "acc_bits = ",
    "banks = ",
    "word_bits = ",
    "capacity_kib = ",
    "read_latency = ",
    "bytes_per_cycle = ",
    "channels = ",
    "dataflows = [\"os\", \"os\"]",
    "memory = \"ideal\"",
    "conv_input = \"expanded\"",
    "kind = \"hbm2\"",
    "\n",
    "=",
    "\"",
];

#[test]
fn fuzz_arch_toml() {
    for s in ARCH_SEEDS {
        ArchConfig::from_toml_str(&text(s), ConfigSource::File("seed.toml".into())).unwrap();
    }
    fuzz("arch TOML", cases(8000), ARCH_SEEDS, ARCH_KEYWORDS, |b| {
        if let Ok(cfg) = ArchConfig::from_toml_str(&text(b), ConfigSource::File("f.toml".into())) {
            // What a valid config is used for first: shape and memory flags, its TOML.
            let _ = cfg.clone().with_array(Some(3), None, Some(4));
            let _ = ArchConfig::from_toml_str(&cfg.to_toml(), ConfigSource::Preset("x".into()))
                .expect("a valid config's TOML reads back");
        }
    });
}

const WORKLOAD_SEEDS: &[&[u8]] = &[
    b"name = \"net\"\n[[layer]]\nname = \"stem\"\nkind = \"conv\"\nifmap = [224, 224]\nchannels = 3\nfilter = [7, 7]\nfilters = 64\nstride = 2\npadding = 3\n[[layer]]\nname = \"dw\"\nkind = \"depthwise\"\nifmap_h = 56\nifmap_w = 56\nchannels = 32\nfilter = [3, 3]\nmultiplier = 2\nstride = [2, 1]\npadding = [1, 1, 0, 2]\nbatch = 4\n[[layer]]\nname = \"grouped\"\nkind = \"conv\"\nifmap = [13, 13]\nchannels = 384\nfilter = [3, 3]\nfilters = 256\ngroups = 2\npadding = 1\n[[layer]]\nname = \"fc\"\nkind = \"fc\"\ninputs = 512\noutputs = 1000\nbatch = 8\nrepeat = 2\n",
    b"name = \"my-net\"\nsource = \"test\"\n[[layer]]\nname = \"fc1\"\nm = 1\nn = 4096\nk = 9216\nrepeat = 1\n",
];
const WORKLOAD_KEYWORDS: &[&str] = &[
    "[[layer]]\nname = \"x\"\n",
    "kind = \"conv\"\n",
    "kind = \"depthwise\"\n",
    "kind = \"fc\"\n",
    "kind = \"pool\"\n",
    "stride_h = ",
    "pad_left = ",
    "padding = [1, 2]\n",
    "groups = ",
    "repeat = ",
    "batch = ",
    "filter_w = ",
    "ifmap = [",
    "\n",
    "\\n",
    "|",
];

#[test]
fn fuzz_workload_toml() {
    for s in WORKLOAD_SEEDS {
        Workload::from_toml_str(&text(s), Path::new("seed.toml")).unwrap();
    }
    fuzz(
        "workload TOML",
        cases(10000),
        WORKLOAD_SEEDS,
        WORKLOAD_KEYWORDS,
        |b| {
            if let Ok(w) = Workload::from_toml_str(&text(b), Path::new("w.toml")) {
                // What `systole workloads --layers` computes from every layer.
                for l in &w.layers {
                    let _ = (l.op.describe(), l.shape(), l.runs(), l.macs());
                }
                let _ = w.macs();
            }
        },
    );
}

const TOPOLOGY_SEEDS: &[&[u8]] = &[
    include_bytes!("../../tests/data/scalesim/alexnet_conv.csv"),
    include_bytes!("../../tests/data/scalesim/gemm_mnk.csv"),
    include_bytes!("../../tests/data/scalesim/mobilenet_dp.csv"),
];
const TOPOLOGY_KEYWORDS: &[&str] = &[
    ",",
    ", ",
    "2:4",
    "4:2",
    "0:0",
    "DP",
    "#",
    "\n",
    "Layer Name, M, N, K,\n",
    " M",
    "IFMAP",
];

#[test]
fn fuzz_scalesim_topology_csv() {
    for s in TOPOLOGY_SEEDS {
        parse_topology(&text(s), Path::new("seed.csv")).unwrap();
    }
    fuzz(
        "SCALE-Sim topology CSV",
        cases(12000),
        TOPOLOGY_SEEDS,
        TOPOLOGY_KEYWORDS,
        |b| {
            if let Ok(w) = parse_topology(&text(b), Path::new("t.csv")) {
                for l in &w.layers {
                    let _ = (l.op.describe(), l.macs());
                }
            }
        },
    );
}

const CFG_SEEDS: &[&[u8]] = &[include_bytes!("../../tests/data/scalesim/edge_os.cfg")];
const CFG_KEYWORDS: &[&str] = &[
    "[general]\n",
    "[architecture_presets]\n",
    "[run_presets]\n",
    "[sparsity]\nSparsitySupport: true\n",
    "run_name = ",
    "Dataflow: ws\n",
    "InterfaceBandwidth: CALC\n",
    "InterfaceBandwidth: USER\n",
    "Bandwidth: 10,20\n",
    "ArrayHeight: ",
    "OfmapSramSzkB: ",
    ":",
    "=",
    "..",
    "/",
    "\u{feff}",
    ";",
    "\n",
];

#[test]
fn fuzz_scalesim_cfg() {
    let base = ArchConfig::preset("edge-16x16").unwrap();
    for s in CFG_SEEDS {
        parse_cfg(&text(s), Path::new("seed.cfg"), &base).unwrap();
    }
    fuzz(
        "SCALE-Sim cfg",
        cases(12000),
        CFG_SEEDS,
        CFG_KEYWORDS,
        |b| {
            if let Ok(s) = parse_cfg(&text(b), Path::new("x.cfg"), &base) {
                assert!(s.arch.validate().is_ok(), "a cfg read is a valid machine");
            }
        },
    );
}

const TECH_SEEDS: &[&[u8]] = &[
    include_bytes!("../tech/45nm.toml"),
    include_bytes!("../tech/28nm.toml"),
    include_bytes!("../tech/7nm.toml"),
];
const TECH_KEYWORDS: &[&str] = &[
    "[mac]\n",
    "[area]\n",
    "mult_pj = ",
    "valid_kib = [",
    "scale_from_45nm = ",
    "node_nm = ",
    "sram_array_efficiency = ",
    "\n",
    "=",
];

#[test]
fn fuzz_technology_toml() {
    for s in TECH_SEEDS {
        TechTable::from_toml_str(&text(s), "seed.toml").unwrap();
    }
    let cfg = ArchConfig::preset("edge-16x16").unwrap();
    let mut events = systole_sim::events::EventCounts::default();
    for name in systole_sim::events::EventCounts::NAMES {
        *events.get_mut(name).unwrap() = u64::MAX;
    }
    fuzz(
        "technology TOML",
        cases(7000),
        TECH_SEEDS,
        TECH_KEYWORDS,
        |b| {
            if let Ok(tech) = TechTable::from_toml_str(&text(b), "t.toml") {
                // Any table accepted charges any run with a finite energy.
                let model = systole_sim::energy::EnergyModel {
                    tech,
                    convention: systole_sim::energy::RegisterConvention::ReadWrite,
                };
                let e = systole_sim::energy::estimate(&cfg, &events, u64::MAX, &model);
                assert!(e.energy_pj.total.is_finite(), "{:?}", e.energy_pj);
            }
        },
    );
}

/// A `.npy` file: magic, version `major`, the header `dict` padded as NumPy pads it, then `data`.
fn npy_file(major: u8, dict: &str, data: &[u8]) -> Vec<u8> {
    let mut b = vec![0x93, b'N', b'U', b'M', b'P', b'Y', major, 0];
    let prefix = if major == 1 { 10 } else { 12 };
    let len = (prefix + dict.len() + 1).next_multiple_of(64) - prefix;
    if major == 1 {
        b.extend_from_slice(&(len as u16).to_le_bytes());
    } else {
        b.extend_from_slice(&(len as u32).to_le_bytes());
    }
    b.extend_from_slice(dict.as_bytes());
    b.resize(prefix + len - 1, b' ');
    b.push(b'\n');
    b.extend_from_slice(data);
    b
}

fn npy_seeds() -> Vec<Vec<u8>> {
    vec![
        npy_file(
            1,
            "{'descr': '|i1', 'fortran_order': False, 'shape': (2, 3), }",
            &[1, 2, 3, 4, 5, 6],
        ),
        npy_file(
            1,
            "{'descr': '<i4', 'fortran_order': True, 'shape': (2L, 1L), }",
            &[1, 0, 0, 0, 255, 255, 255, 255],
        ),
        npy_file(
            2,
            "{'descr': '>i2', 'fortran_order': False, 'shape': (1, 2, 1), }",
            &[0x80, 0, 1, 0x2c],
        ),
        npy_file(
            3,
            "{'descr': [('x', '<i4'), ('y', '|u1')], 'fortran_order': False, 'shape': (1,), }",
            &[0; 5],
        ),
    ]
}

const NPY_KEYWORDS: &[&str] = &[
    "'descr': ",
    "'shape': (",
    "'fortran_order': True, ",
    "L",
    "(",
    "[",
    ",",
    "'<i2'",
    "'|i1'",
    "'<f8'",
    "NUMPY\x03\x00",
    "\x00\x00",
];

#[test]
fn fuzz_npy_header() {
    let seeds = npy_seeds();
    for s in &seeds {
        npy::parse_header(s).unwrap();
    }
    let seeds: Vec<&[u8]> = seeds.iter().map(Vec::as_slice).collect();
    fuzz("npy header", cases(15000), &seeds, NPY_KEYWORDS, |b| {
        if let Ok(h) = npy::parse_header(b) {
            let _ = (h.describe(), h.elements());
        }
    });
}

/// The whole read of a `.npy` file: header, shape against the file's length, data. A header that
/// claims more than the file holds must be refused without allocating it.
#[test]
fn fuzz_npy_file() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("f.npy");
    let seeds = npy_seeds();
    std::fs::write(&p, &seeds[0]).unwrap();
    assert_eq!(
        npy::read_i8_matrix(&p).unwrap().as_slice(),
        &[1, 2, 3, 4, 5, 6]
    );
    let seeds: Vec<&[u8]> = seeds.iter().map(Vec::as_slice).collect();
    fuzz("npy file", cases(5000), &seeds, NPY_KEYWORDS, |b| {
        std::fs::write(&p, b).unwrap();
        let _ = npy::matrix_shape(&p);
        let _ = npy::read_i8_matrix(&p);
        let _ = npy::read_i16_matrix(&p);
        let _ = npy::read_i32_array(&p, "x");
    });
}
