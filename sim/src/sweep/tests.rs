use std::path::Path;

use proptest::prelude::*;

use super::pareto::{best, front, ok_points, AREA, ENERGY, LATENCY};
use super::store::{merge, read_rows, Store, SweepError, SweepFile, COLUMNS, CSV_FILE};
use super::*;
use crate::workload::Layer;

/// A small sweep: 2 x 2 shapes, two buffer sizes (the first too small for 8 rows of A... and
/// for everything at 1 KiB), two dataflows, two tables = 32 points.
fn spec() -> SweepSpec {
    SweepSpec {
        format: SWEEP_FORMAT,
        workload: Workload {
            name: "t".into(),
            source: String::new(),
            notes: vec![],
            quantized: None,
            layers: vec![
                Layer::gemm("a", 9, 6, 7).times(2),
                Layer::gemm("b", 4, 5, 12),
            ],
        },
        base_arch: ArchConfig::preset("tiny-4x4").unwrap(),
        rows: vec![4, 8],
        cols: vec![4, 2],
        buffer_kib: vec![[4, 4, 4], [0, 4, 4]],
        dram_bytes_per_cycle: vec![8],
        operand_bits: vec![8],
        dataflows: vec![Dataflow::Os, Dataflow::Ws],
        techs: vec![
            TechTable::load("45nm").unwrap(),
            TechTable::load("7nm").unwrap(),
        ],
        register_convention: RegisterConvention::WriteOnce,
        mapping: crate::mapper::MappingPolicy::default(),
    }
}

fn all_rows(spec: &SweepSpec) -> Vec<SweepRow> {
    spec.jobs().iter().flat_map(|j| run_job(spec, j)).collect()
}

#[test]
fn grid_order_and_point_numbers() {
    let s = spec();
    let jobs = s.jobs();
    assert_eq!(jobs.len(), 16);
    assert_eq!(s.point_count(), 32);
    // Dataflow varies fastest among the jobs, rows slowest.
    assert_eq!(
        (jobs[0].dataflow, jobs[1].dataflow),
        (Dataflow::Os, Dataflow::Ws)
    );
    assert_eq!((jobs[7].rows, jobs[8].rows), (4, 8));
    assert_eq!(s.point_index(&jobs[3], 1), 7);
    let rows = all_rows(&s);
    let points: Vec<u64> = rows
        .iter()
        .filter(|r| r.scope == Scope::Point)
        .map(|r| r.point)
        .collect();
    assert_eq!(points, (0..32).collect::<Vec<_>>());
}

#[test]
fn shards_partition_the_jobs() {
    assert_eq!(Shard::parse("2/3"), Ok(Shard { index: 2, count: 3 }));
    for bad in ["0/3", "4/3", "1/0", "x/2", "3"] {
        assert!(Shard::parse(bad).is_err(), "{bad}");
    }
    // `1/0` suggested "1/1 .. 1/1".
    let e = Shard::parse("1/0").unwrap_err();
    assert!(
        e.contains("the shard count is 0") && !e.contains("1/1"),
        "{e}"
    );
    let e = Shard::parse("4/3").unwrap_err();
    assert!(
        e.ends_with("shards are numbered 1 to 3 (1/3 .. 3/3)"),
        "{e}"
    );
    let jobs = spec().jobs();
    for n in 1..5 {
        for j in &jobs {
            let owners = (1..=n)
                .filter(|&i| Shard { index: i, count: n }.owns(j.index))
                .count();
            assert_eq!(owners, 1, "job {} of {n} shards", j.index);
        }
    }
}

/// An impossible point is a row saying why, for every table; a possible one has a summary
/// whose totals are its layers' times their repeats, and the tables differ only in energy.
#[test]
fn points_run_or_say_why_not() {
    let s = spec();
    let rows = all_rows(&s);
    let invalid: Vec<&SweepRow> = rows
        .iter()
        .filter(|r| r.status == Status::Invalid)
        .collect();
    // Every point with a 0 KiB buffer A is invalid, for both tables.
    assert_eq!(invalid.len(), 16);
    assert!(invalid
        .iter()
        .all(|r| r.buffer_a_kib == 0 && r.scope == Scope::Point));
    assert!(
        invalid[0].reason.contains("buffers.a"),
        "{}",
        invalid[0].reason
    );
    assert!(invalid.iter().all(|r| r.energy_pj.is_none()));
    for p in ok_points(&rows) {
        let layers: Vec<&SweepRow> = rows
            .iter()
            .filter(|r| r.point == p.point && r.scope == Scope::Layer)
            .collect();
        assert_eq!(layers.len(), 2);
        let sum = |f: fn(&SweepRow) -> u64| -> u64 {
            layers.iter().map(|l| f(l) * l.repeat.unwrap()).sum()
        };
        assert_eq!(p.latency_cycles, Some(sum(|l| l.latency_cycles.unwrap())));
        assert_eq!(p.macs, Some(9 * 6 * 7 * 2 + 4 * 5 * 12));
        let e: f64 = layers
            .iter()
            .map(|l| l.energy_pj.unwrap() * l.repeat.unwrap() as f64)
            .sum();
        assert!((e - p.energy_pj.unwrap()).abs() < 1e-9 * e);
        assert!(p.area_mm2.unwrap() > 0.0);
    }
    let pair: Vec<&SweepRow> = ok_points(&rows).into_iter().take(2).collect();
    assert_eq!(
        (pair[0].tech.as_str(), pair[1].tech.as_str()),
        ("45nm", "7nm")
    );
    assert_eq!(pair[0].latency_cycles, pair[1].latency_cycles);
    assert!(pair[1].energy_pj < pair[0].energy_pj);
    assert!(pair[1].area_mm2 < pair[0].area_mm2);
}

#[test]
fn columns_are_the_row_fields() {
    let s = spec();
    let row = &all_rows(&s)[0];
    let mut w = csv::Writer::from_writer(Vec::new());
    w.serialize(row).unwrap();
    let text = String::from_utf8(w.into_inner().unwrap()).unwrap();
    assert_eq!(text.lines().next().unwrap(), COLUMNS.join(","));
}

fn file(spec: &SweepSpec, shard: Option<Shard>) -> SweepFile {
    SweepFile {
        shard,
        spec: spec.clone(),
    }
}

/// Runs the jobs of `shard` (all when `None`) that are not yet done, into `dir`.
fn run_into(dir: &Path, spec: &SweepSpec, shard: Option<Shard>, resume: bool) -> Vec<SweepRow> {
    let store = Store::open(dir, &file(spec, shard), resume).unwrap();
    for j in spec.jobs() {
        if shard.is_none_or(|s| s.owns(j.index)) && !store.job_done(spec, &j) {
            store.append(&run_job(spec, &j)).unwrap();
        }
    }
    store.finish(spec).unwrap()
}

/// A run cut short (some jobs written, then half a job's rows and a torn line) and resumed
/// writes the same file as one uninterrupted run; so does a run whose jobs finish in another
/// order.
#[test]
fn resumed_and_reordered_runs_write_the_same_file() {
    let s = spec();
    let tmp = tempdir();
    let tmp = tmp.path();
    let whole = tmp.join("whole");
    run_into(&whole, &s, None, false);
    let want = std::fs::read(whole.join(CSV_FILE)).unwrap();

    let cut = tmp.join("cut");
    let store = Store::open(&cut, &file(&s, None), false).unwrap();
    let jobs = s.jobs();
    for j in jobs.iter().rev().take(5) {
        store.append(&run_job(&s, j)).unwrap();
    }
    // Half of the next job: its layer rows but no summary, then a torn line.
    let half: Vec<SweepRow> = run_job(&s, &jobs[0])
        .into_iter()
        .take_while(|r| r.scope == Scope::Layer)
        .collect();
    store.append(&half).unwrap();
    drop(store);
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .open(cut.join(CSV_FILE))
        .unwrap();
    std::io::Write::write_all(&mut f, b"3,layer,ok,4,4,4,4,").unwrap();
    drop(f);
    let kept = read_rows(&cut.join(CSV_FILE), &s).unwrap();
    assert_eq!(
        kept.iter().filter(|r| r.scope == Scope::Point).count(),
        5 * 2,
        "five jobs of two tables survive"
    );
    assert!(matches!(
        Store::open(&cut, &file(&s, None), false),
        Err(SweepError::Exists { .. })
    ));
    run_into(&cut, &s, None, true);
    assert_eq!(std::fs::read(cut.join(CSV_FILE)).unwrap(), want);

    // Cut after the first table's summary of a job: the whole job is run again, and its first
    // point is not written twice.
    let cut2 = tmp.join("cut2");
    let store = Store::open(&cut2, &file(&s, None), false).unwrap();
    let rows = run_job(&s, &jobs[2]);
    let first_summary = rows.iter().position(|r| r.scope == Scope::Point).unwrap();
    store.append(&rows[..=first_summary]).unwrap();
    drop(store);
    assert!(read_rows(&cut2.join(CSV_FILE), &s).unwrap().is_empty());
    run_into(&cut2, &s, None, true);
    assert_eq!(std::fs::read(cut2.join(CSV_FILE)).unwrap(), want);
}

/// A point needs buffers for its own dataflow only, not for every dataflow of the base.
#[test]
fn a_point_is_checked_for_its_own_dataflow() {
    let mut s = spec();
    s.base_arch = ArchConfig::preset("edge-16x16").unwrap();
    s.rows = vec![32];
    s.cols = vec![32];
    s.buffer_kib = vec![[2, 2, 2]];
    s.dataflows = vec![Dataflow::Ws, Dataflow::Os];
    let jobs = s.jobs();
    assert!(s.arch(&jobs[0]).is_ok(), "{:?}", s.arch(&jobs[0]));
    let os = s.arch(&jobs[1]).unwrap_err();
    assert!(os.contains("OS"), "{os}");
}

#[test]
fn repeated_axis_values_are_refused() {
    let mut s = spec();
    s.rows = vec![4, 8, 4];
    assert_eq!(s.check().unwrap_err(), "--rows: 4 is given twice");
    let mut s = spec();
    s.techs.push(TechTable::load("45nm").unwrap());
    assert_eq!(s.check().unwrap_err(), "--tech: \"45nm\" is given twice");
}

/// Shards run separately and merged give the files of one run; a missing shard is reported.
#[test]
fn merged_shards_equal_one_run() {
    let s = spec();
    let tmp = tempdir();
    let tmp = tmp.path();
    run_into(&tmp.join("whole"), &s, None, false);
    let shards: Vec<std::path::PathBuf> = (1..=3)
        .map(|i| {
            let d = tmp.join(format!("shard{i}"));
            run_into(&d, &s, Some(Shard { index: i, count: 3 }), false);
            d
        })
        .collect();
    let err = merge(&tmp.join("partial"), &shards[..2]).unwrap_err();
    assert!(
        matches!(
            err,
            SweepError::Incomplete {
                have: 22,
                want: 32,
                ..
            }
        ),
        "{err}"
    );
    let (_, rows) = merge(&tmp.join("merged"), &shards).unwrap();
    assert_eq!(rows, all_rows(&s));
    for f in [CSV_FILE, store::SPEC_FILE] {
        assert_eq!(
            std::fs::read(tmp.join("merged").join(f)).unwrap(),
            std::fs::read(tmp.join("whole").join(f)).unwrap(),
            "{f}"
        );
    }
}

/// Resuming with another grid, or another shard, is refused with the field that differs.
#[test]
fn resume_refuses_another_sweep() {
    let s = spec();
    let tmp = tempdir();
    let tmp = tmp.path();
    let d = tmp.join("d");
    run_into(&d, &s, None, false);
    let mut other = s.clone();
    other.rows = vec![4];
    let err = Store::open(&d, &file(&other, None), true)
        .err()
        .unwrap()
        .to_string();
    assert!(err.contains("`rows` is [4,8] there and [4] here"), "{err}");
    let mut other = s.clone();
    other.base_arch.clock_mhz = 1000.0;
    let err = Store::open(&d, &file(&other, None), true)
        .err()
        .unwrap()
        .to_string();
    assert!(
        err.contains("`base_arch.clock_mhz` is 100.0 there and 1000.0 here"),
        "{err}"
    );
    let err = Store::open(&d, &file(&s, Some(Shard { index: 1, count: 2 })), true)
        .err()
        .unwrap()
        .to_string();
    assert!(
        err.contains("holds the whole sweep, the command runs shard 1/2"),
        "{err}"
    );
}

/// A row that is not the grid's point of that number is refused with its line.
#[test]
fn foreign_rows_are_refused_with_their_line() {
    let s = spec();
    let tmp = tempdir();
    let tmp = tmp.path();
    let d = tmp.join("d");
    run_into(&d, &s, None, false);
    let path = d.join(CSV_FILE);
    let text = std::fs::read_to_string(&path).unwrap();
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    lines[2] = lines[2].replacen(",os,", ",is,", 1);
    std::fs::write(&path, lines.join("\n") + "\n").unwrap();
    let err = read_rows(&path, &s).unwrap_err().to_string();
    assert!(
        err.contains("sweep.csv:3: point 0 is not that point"),
        "{err}"
    );
}

fn row(point: u64, latency: u64, energy: f64, area: f64) -> SweepRow {
    let s = spec();
    let j = s.jobs()[0];
    let mut r = SweepRow::blank(&s, &j, 0, Scope::Point, Status::Ok);
    r.point = point;
    r.latency_cycles = Some(latency);
    r.energy_pj = Some(energy);
    r.area_mm2 = Some(area);
    r
}

#[test]
fn front_by_hand() {
    let rows = [
        row(0, 10, 5.0, 1.0),
        row(1, 5, 10.0, 1.0),
        row(2, 10, 10.0, 1.0), // dominated by both
        row(3, 20, 5.0, 1.0),  // dominated by 0 (same energy, slower)
        row(4, 5, 10.0, 1.0),  // equal to 1: kept
        row(5, 30, 1.0, 0.5),
    ];
    let pts: Vec<&SweepRow> = rows.iter().collect();
    let f: Vec<u64> = front(&pts, LATENCY, ENERGY)
        .iter()
        .map(|r| r.point)
        .collect();
    assert_eq!(f, vec![1, 4, 0, 5]);
    assert_eq!(best(&pts, ENERGY).unwrap().point, 5);
    assert_eq!(
        best(&pts, LATENCY).unwrap().point,
        1,
        "the lower number among equals"
    );
    assert_eq!(best(&pts, AREA).unwrap().point, 5);
}

proptest! {
    /// The front is exactly the set of points no other point dominates.
    #[test]
    fn front_is_the_non_dominated_set(
        pts in proptest::collection::vec((0u64..20, 0u32..20), 0..40)
    ) {
        let rows: Vec<SweepRow> = pts
            .iter()
            .enumerate()
            .map(|(i, &(l, e))| row(i as u64, l, f64::from(e), 1.0))
            .collect();
        let refs: Vec<&SweepRow> = rows.iter().collect();
        let mut got: Vec<u64> = front(&refs, LATENCY, ENERGY).iter().map(|r| r.point).collect();
        got.sort();
        let dominated = |a: &(u64, u32)| {
            pts.iter().any(|b| b.0 <= a.0 && b.1 <= a.1 && (b.0 < a.0 || b.1 < a.1))
        };
        let want: Vec<u64> = pts
            .iter()
            .enumerate()
            .filter(|(_, p)| !dominated(p))
            .map(|(i, _)| i as u64)
            .collect();
        prop_assert_eq!(got, want);
    }
}

/// A fresh temporary directory (removed when dropped).
fn tempdir() -> tempfile::TempDir {
    tempfile::tempdir().unwrap()
}

/// A directory being written is locked: a second store on it (a second `--resume`, a merge into
/// it) is refused while the first lives, and allowed once it is gone, however it ended (issue 22,
/// defect 5: two concurrent resumes each rewrote sweep.csv and lost a point).
#[test]
fn a_directory_in_use_is_refused() {
    let s = spec();
    let tmp = tempdir();
    let d = tmp.path().join("d");
    let first = Store::open(&d, &file(&s, None), false).unwrap();
    for resume in [false, true] {
        let err = Store::open(&d, &file(&s, None), resume).err().unwrap();
        assert!(matches!(err, SweepError::Busy { .. }), "{err}");
        assert!(err.to_string().contains("another systole sweep is writing"));
    }
    let whole = tmp.path().join("whole");
    run_into(&whole, &s, None, false);
    let err = merge(&d, &[whole]).err().unwrap();
    assert!(matches!(err, SweepError::Busy { .. }), "{err}");
    drop(first);
    run_into(&d, &s, None, true);
}
