//! Speed of the three backends on the same GEMM, side by side: simulated cycles per second and
//! PE-cycles per second (cycles x R x C / wall time of the simulation alone; Verilator's C++
//! build, operand loading and file I/O excluded). Prints a Markdown table for the README.
//!
//! Run: `cargo bench --bench backend_speed` (needs Verilator; the first run builds each design).

use systole_hdl::backend::verilator::build;
use systole_hdl::backend::{Backend, RunRequest};
use systole_sim::config::{ArchConfig, Dataflow, MemoryModel};
use systole_sim::matrix::Matrix;
use systole_sim::probe::NoProbe;

/// Best of `reps` timings of `f`, which returns (cycles, seconds).
fn best(reps: usize, mut f: impl FnMut() -> (u64, f64)) -> (u64, f64) {
    (0..reps)
        .map(|_| f())
        .fold((0, f64::INFINITY), |acc, x| (x.0, acc.1.min(x.1)))
}

fn main() {
    let points = [("tiny-4x4", 8u32, 32usize), ("edge-16x16", 16, 64)];
    println!(
        "| array | GEMM | dataflow | backend | cycles | sim seconds | cycles/s | PE-cycles/s |"
    );
    println!("|---|---|---|---|---|---|---|---|");
    let work = std::env::temp_dir().join(format!("systole-bench-{}", std::process::id()));
    for (preset, size, dim) in points {
        // The RTL implements the ideal memory model; every backend runs it.
        let cfg = ArchConfig::preset(preset)
            .unwrap()
            .with_shape(Some(size), Some(size))
            .unwrap()
            .with_memory(None, Some(MemoryModel::Ideal))
            .unwrap();
        build(&cfg).expect("building the Verilator model");
        let a = Matrix::random(dim, dim, 1);
        let b = Matrix::random(dim, dim, 2);
        let pes = cfg.pes() as f64;
        for df in [Dataflow::Os, Dataflow::Ws] {
            let rows: [(&str, (u64, f64)); 3] = [
                (
                    "fast",
                    best(20, || {
                        let r = Backend::Fast
                            .run(RunRequest::new(&cfg, df, &a, &b), &mut NoProbe)
                            .unwrap();
                        (r.run.stats.total_cycles, r.sim_seconds)
                    }),
                ),
                (
                    "verilator",
                    best(5, || {
                        let r = Backend::Verilator
                            .run(
                                RunRequest::new(&cfg, df, &a, &b).work_dir(&work),
                                &mut NoProbe,
                            )
                            .unwrap();
                        (r.run.stats.total_cycles, r.sim_seconds)
                    }),
                ),
                (
                    "rtl",
                    best(1, || {
                        let r = Backend::Rtl
                            .run(RunRequest::new(&cfg, df, &a, &b), &mut NoProbe)
                            .unwrap();
                        (r.run.stats.total_cycles, r.sim_seconds)
                    }),
                ),
            ];
            for (name, (cycles, secs)) in rows {
                println!(
                    "| {size}x{size} ({preset}) | {dim}^3 | {df} | {name} | {cycles} | {secs:.2e} | {:.2e} | {:.2e} |",
                    cycles as f64 / secs,
                    cycles as f64 * pes / secs
                );
            }
        }
    }
    let _ = std::fs::remove_dir_all(&work);
}
