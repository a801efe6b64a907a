//! Per-cycle traces in SCALE-Sim's layout (`sim/src/trace.rs`): every access the run counts is in
//! its trace, once, in the cycle and at the address the layout says.

use std::path::Path;

use systole_sim::config::{ArchConfig, Dataflow, MemoryModel};
use systole_sim::energy::EnergyModel;
use systole_sim::mapper::MappingPolicy;
use systole_sim::run::{run_workload_traced, LayerRun};
use systole_sim::trace::{file_names, OFFSETS};
use systole_sim::workload::{Conv, Layer, LayerOp, Workload};

/// Rows of a trace: (cycle, addresses with -1 for idle lanes).
fn rows(path: &Path) -> Vec<(i64, Vec<i64>)> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|l| {
            let v: Vec<i64> = l.split(',').map(|x| x.parse().unwrap()).collect();
            (v[0], v[1..].to_vec())
        })
        .collect()
}

fn busy(rows: &[(i64, Vec<i64>)]) -> usize {
    rows.iter()
        .map(|(_, a)| a.iter().filter(|&&x| x >= 0).count())
        .sum()
}

fn run(cfg: &ArchConfig, layer: Layer, df: Dataflow, dir: &Path) -> LayerRun {
    run_in(cfg, layer, df, dir, &MappingPolicy::default())
}

fn run_in(
    cfg: &ArchConfig,
    layer: Layer,
    df: Dataflow,
    dir: &Path,
    policy: &MappingPolicy,
) -> LayerRun {
    let w = Workload {
        name: "t".into(),
        source: "test".into(),
        layers: vec![layer],
        notes: vec![],
        quantized: None,
    };
    let energy = EnergyModel::default();
    let r =
        run_workload_traced(cfg, &w, &[df], (true, policy), &energy, &|| {}, Some(dir)).unwrap();
    r.dataflows[0].layers[0].clone()
}

fn small(bytes_per_cycle: u32) -> ArchConfig {
    let mut cfg = ArchConfig::preset("tiny-4x4")
        .unwrap()
        .with_memory(Some(bytes_per_cycle), Some(MemoryModel::Dram))
        .unwrap();
    // Small buffers: B is re-fetched and WS/IS spill, so every trace file has rows.
    cfg.buffers.b.capacity_kib = 1;
    cfg.buffers.c.capacity_kib = 1;
    cfg
}

/// For a GEMM in every dataflow, in the searched mapping and in SCALE-Sim's order (which spills
/// here): SRAM traces have a row per cycle and as many busy lanes as the run counted elements;
/// DRAM traces carry every byte counted, at most a bus cycle's worth per row, in increasing
/// cycles; addresses carry SCALE-Sim's offsets.
#[test]
fn traces_hold_every_counted_access() {
    let mut spilled = false;
    for (df, policy) in Dataflow::ALL.into_iter().flat_map(|df| {
        [
            (df, MappingPolicy::default()),
            (df, MappingPolicy::Scalesim),
        ]
    }) {
        for bw in [3, 16] {
            let dir = tempfile::tempdir().unwrap();
            let cfg = small(bw);
            let lr = run_in(&cfg, Layer::gemm("g", 37, 70, 41), df, dir.path(), &policy);
            let d = dir.path().join(df.name()).join("layer0");
            let names: Vec<_> = file_names().collect();
            for n in &names {
                assert!(d.join(n).is_file(), "{df}: {n} missing");
            }
            let ev = &lr.stats.events;
            let what = format!("{df} at {bw} B/cycle, {}", policy.describe());
            for (name, elems, lo) in [
                ("IFMAP_SRAM_TRACE.csv", ev.a_buf_read_elems, OFFSETS[0]),
                ("FILTER_SRAM_TRACE.csv", ev.b_buf_read_elems, OFFSETS[1]),
                (
                    "OFMAP_SRAM_TRACE.csv",
                    ev.c_buf_write_elems - ev.dram_c_read_bytes / 4,
                    OFFSETS[2],
                ),
            ] {
                let r = rows(&d.join(name));
                assert_eq!(busy(&r) as u64, elems, "{what}: {name}");
                // One row per cycle from 0.
                assert!(
                    r.iter().enumerate().all(|(i, (c, _))| *c == i as i64),
                    "{what}: {name}"
                );
                assert!(r
                    .iter()
                    .flat_map(|x| &x.1)
                    .all(|&a| a == -1 || a as u64 >= lo));
            }
            let readbacks = rows(&d.join("OFMAP_SRAM_READ_TRACE.csv"));
            assert_eq!(
                busy(&readbacks) as u64,
                ev.c_buf_read_elems - ev.dram_c_write_bytes / 4,
                "{what}: read-backs"
            );
            spilled |= ev.dram_c_read_bytes > 0;
            for (name, bytes, elem) in [
                ("IFMAP_DRAM_TRACE.csv", ev.dram_a_read_bytes, 1),
                ("FILTER_DRAM_TRACE.csv", ev.dram_b_read_bytes, 1),
                ("OFMAP_DRAM_TRACE.csv", ev.dram_c_write_bytes, 4),
                ("OFMAP_DRAM_READ_TRACE.csv", ev.dram_c_read_bytes, 4),
            ] {
                let r = rows(&d.join(name));
                assert_eq!(busy(&r) as u64 * elem, bytes, "{what}: {name}");
                assert!(
                    r.windows(2).all(|w| w[0].0 < w[1].0),
                    "{what}: {name} cycles"
                );
                let width = (bw as usize).div_ceil(elem as usize);
                assert!(
                    r.iter().all(|(_, a)| a.len() == width),
                    "{what}: {name} width"
                );
            }
            // The DRAM windows of the detailed access report start where the traces start.
            let first = |n: &str| rows(&d.join(n)).first().map(|r| r.0);
            let w = lr.windows;
            assert!(
                first("IFMAP_DRAM_TRACE.csv") >= w.dram_a_read.map(|x| x.0),
                "{what}"
            );
            assert_eq!(first("IFMAP_SRAM_TRACE.csv"), Some(0));
            assert_eq!(
                rows(&d.join("IFMAP_SRAM_TRACE.csv")).len() as i64 - 1,
                w.sram_a_read.unwrap().1,
                "{what}"
            );
        }
    }
    assert!(
        spilled,
        "no run spilled: the read-back traces went untested"
    );
}

/// A convolution whose ifmap buffer A holds: the DRAM trace brings each ifmap element exactly
/// once (it fits whole), and the SRAM trace lists the ifmap addresses the im2col unit reads, a
/// padding zero as -1.
#[test]
fn an_ifmap_trace_lists_ifmap_addresses() {
    let conv = Conv::unpadded((8, 8), (3, 3), 4, 8, 1).padded(1);
    let layer = Layer::new("c", LayerOp::Conv(conv));
    for df in Dataflow::ALL {
        let dir = tempfile::tempdir().unwrap();
        let cfg = small(16);
        let lr = run(&cfg, layer.clone(), df, dir.path());
        assert!(
            lr.stats
                .memory
                .unwrap()
                .describe()
                .starts_with("ifmap-whole"),
            "{df}: {:?}",
            lr.stats.memory
        );
        let d = dir.path().join(df.name()).join("layer0");
        let dram = rows(&d.join("IFMAP_DRAM_TRACE.csv"));
        let mut got: Vec<i64> = dram
            .iter()
            .flat_map(|r| r.1.clone())
            .filter(|&a| a >= 0)
            .collect();
        got.sort_unstable();
        assert_eq!(got, (0..8 * 8 * 4).collect::<Vec<i64>>(), "{df}");
        // Of the A reads' lanes, those in padding are -1; the others are ifmap addresses.
        // 3x3 filter, pad 1, 8x8 output: per channel, 64 x 9 taps minus the 4 x 8 x 3 - 4 x 3...
        // counted directly: taps inside the image.
        let inside: u64 = (0..8i64)
            .flat_map(|oh| (0..8i64).map(move |ow| (oh, ow)))
            .map(|(oh, ow)| {
                let rows = (oh - 1..=oh + 1).filter(|h| (0..8).contains(h)).count();
                let cols = (ow - 1..=ow + 1).filter(|w| (0..8).contains(w)).count();
                (rows * cols) as u64 * 4
            })
            .sum();
        let sram = rows(&d.join("IFMAP_SRAM_TRACE.csv"));
        let n_tiles = match df {
            // OS reads A once per column tile of N (8 filters on 4 columns), WS once per column
            // tile too; IS reads each A element once (it is stationary).
            Dataflow::Os | Dataflow::Ws => 2,
            Dataflow::Is => 1,
        };
        assert_eq!(busy(&sram) as u64, inside * n_tiles, "{df}");
        assert!(
            sram.iter().flat_map(|r| &r.1).all(|&a| a < 8 * 8 * 4),
            "{df}"
        );
    }
}

/// A trace directory that cannot be created is an error naming it, not a panic.
#[test]
fn an_unwritable_trace_directory_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("f");
    std::fs::write(&file, "").unwrap();
    let w = Workload {
        name: "t".into(),
        source: "test".into(),
        layers: vec![Layer::gemm("g", 4, 4, 4)],
        notes: vec![],
        quantized: None,
    };
    let energy = EnergyModel::default();
    let e = run_workload_traced(
        &small(16),
        &w,
        &[Dataflow::Os],
        (false, &MappingPolicy::default()),
        &energy,
        &|| {},
        Some(&file),
    )
    .unwrap_err();
    assert!(e.to_string().contains("cannot write the trace"), "{e}");
}

/// int4 and int16 operands: the DRAM traces of A and B list every element the DMA landed, a bus
/// cycle holds as many elements as start in its bytes (two int4 per byte, one int16 per two
/// bytes), and int4 rows really carry more elements than the port has bytes.
#[test]
fn dram_traces_follow_the_operand_width() {
    for bits in [4u32, 16] {
        for df in Dataflow::ALL {
            for bw in [3u32, 16] {
                let dir = tempfile::tempdir().unwrap();
                let mut cfg = small(bw);
                cfg.set_operand_bits(bits);
                cfg.buffers.b.capacity_kib = 2;
                cfg.validate().unwrap();
                let lr = run(&cfg, Layer::gemm("g", 37, 70, 41), df, dir.path());
                let d = dir.path().join(df.name()).join("layer0");
                let ev = &lr.stats.events;
                let what = format!("int{bits} {df} at {bw} B/cycle");
                let width = (bw * 8).div_ceil(bits) as usize;
                for (name, elems) in [
                    ("IFMAP_DRAM_TRACE.csv", ev.a_buf_write_elems),
                    ("FILTER_DRAM_TRACE.csv", ev.b_buf_write_elems),
                ] {
                    let r = rows(&d.join(name));
                    assert_eq!(busy(&r) as u64, elems, "{what}: {name}");
                    assert!(r.iter().all(|(_, a)| a.len() == width), "{what}: {name}");
                    let fullest = r
                        .iter()
                        .map(|(_, a)| a.iter().filter(|&&x| x >= 0).count())
                        .max()
                        .unwrap_or(0);
                    if bits == 4 && bw == 3 {
                        assert!(fullest > bw as usize, "{what}: {name}: {fullest}");
                    }
                }
            }
        }
    }
}

/// The size `systole run --trace` announces before writing ([`trace_bytes`]) is an upper
/// estimate of what it writes, and not a loose one: within twice, for GEMMs and a
/// convolution, every dataflow, starved DRAM and ideal memory.
#[test]
fn the_size_estimate_bounds_what_is_written() {
    use systole_sim::run::trace_bytes;
    let conv = Layer::new(
        "conv",
        LayerOp::Conv(Conv::unpadded((9, 9), (3, 3), 5, 6, 1).padded(1)),
    );
    let w = Workload {
        name: "t".into(),
        source: "test".into(),
        layers: vec![
            Layer::gemm("a", 13, 11, 40),
            Layer::gemm("fc", 1, 96, 300),
            conv,
        ],
        notes: vec![],
        quantized: None,
    };
    let energy = EnergyModel::default();
    for (cfg, what) in [
        (small(2), "starved DRAM"),
        (small(16), "DRAM"),
        (
            ArchConfig::preset("tiny-4x4")
                .unwrap()
                .with_memory(None, Some(MemoryModel::Ideal))
                .unwrap(),
            "ideal",
        ),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let plain = systole_sim::run::run_workload(
            &cfg,
            &w,
            &Dataflow::ALL,
            (false, &MappingPolicy::default()),
            &energy,
            &|| {},
        )
        .unwrap();
        run_workload_traced(
            &cfg,
            &w,
            &Dataflow::ALL,
            (false, &MappingPolicy::default()),
            &energy,
            &|| {},
            Some(dir.path()),
        )
        .unwrap();
        let mut written = 0u64;
        for df in Dataflow::ALL {
            for i in 0..w.layers.len() {
                for f in file_names() {
                    let p = dir.path().join(df.name()).join(format!("layer{i}")).join(f);
                    written += std::fs::metadata(p).unwrap().len();
                }
            }
        }
        let est = trace_bytes(&plain);
        assert!(
            written <= est && est <= written * 2,
            "{what}: estimated {est}, written {written}"
        );
    }
}
