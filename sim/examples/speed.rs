use std::time::Instant;
use systole_sim::array::simulate_gemm;
use systole_sim::config::{ArchConfig, Dataflow};
use systole_sim::matrix::Matrix;
fn main() {
    let a = Matrix::random(512, 512, 1);
    let b = Matrix::random(512, 512, 2);
    for (r, c) in [(16u32, 16u32), (128, 128)] {
        let cfg = ArchConfig::preset("edge-16x16")
            .unwrap()
            .with_shape(Some(r), Some(c))
            .unwrap();
        for df in Dataflow::ALL {
            let t0 = Instant::now();
            let run = simulate_gemm(&cfg, df, &a, &b).unwrap();
            let dt = t0.elapsed().as_secs_f64();
            let pe = run.stats.total_cycles as f64 * cfg.pes() as f64;
            println!(
                "{r}x{c} {df}: {} cycles, {:.3} s, {:.2e} PE-cycles/s",
                run.stats.total_cycles,
                dt,
                pe / dt
            );
        }
    }
}
