use systole_sim::array::simulate_gemm;
use systole_sim::config::{ArchConfig, Dataflow};
use systole_sim::matrix::Matrix;
fn main() {
    let df = Dataflow::parse(&std::env::args().nth(1).unwrap_or("ws".into())).unwrap();
    let r: u32 = std::env::args()
        .nth(2)
        .map(|s| s.parse().unwrap())
        .unwrap_or(128);
    let a = Matrix::random(512, 512, 1);
    let b = Matrix::random(512, 512, 2);
    let cfg = ArchConfig::preset("edge-16x16")
        .unwrap()
        .with_shape(Some(r), Some(r))
        .unwrap();
    for _ in 0..5 {
        simulate_gemm(&cfg, df, &a, &b).unwrap();
    }
}
