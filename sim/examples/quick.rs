use systole_sim::array::{schedule::closed_form_cycles, simulate_gemm};
use systole_sim::config::{ArchConfig, Dataflow};
use systole_sim::matrix::{reference_matmul, Matrix};
fn main() {
    let mut bad = 0;
    for (r, c) in [(1, 1), (1, 4), (4, 1), (2, 3), (4, 4), (3, 5), (8, 8)] {
        for (la, lb, lc) in [(1, 1, 1), (2, 1, 3), (1, 3, 2)] {
            let mut cfg = ArchConfig::preset("tiny-4x4")
                .unwrap()
                .with_shape(Some(r), Some(c))
                .unwrap();
            cfg.buffers.a.read_latency = la;
            cfg.buffers.b.read_latency = lb;
            cfg.buffers.c.read_latency = lc;
            for (m, n, k) in [
                (1, 1, 1),
                (5, 7, 3),
                (9, 2, 11),
                (3, 3, 1),
                (16, 9, 20),
                (1, 6, 2),
            ] {
                let a = Matrix::random(m, k, 1);
                let b = Matrix::random(k, n, 2);
                let want = reference_matmul(&a, &b);
                for df in Dataflow::ALL {
                    let run = simulate_gemm(&cfg, df, &a, &b).unwrap();
                    let cf = closed_form_cycles(&cfg, df, run.stats.shape());
                    let ok = run.c == want
                        && cf == run.stats.total_cycles
                        && run.stats.macs == (m * n * k) as u64;
                    if !ok {
                        bad += 1;
                        if bad < 15 {
                            println!("FAIL {r}x{c} L=({la},{lb},{lc}) {m}x{n}x{k} {df}: c_ok={} cycles sim={} cf={} macs={}", run.c == want, run.stats.total_cycles, cf, run.stats.macs);
                        }
                    }
                }
            }
        }
    }
    println!("bad = {bad}");
}
