//! Helpers shared by the RTL tests.

use systole_hdl::backend::{Backend, RunRequest};
use systole_sim::array::GemmRun;
use systole_sim::config::{ArchConfig, BufferId, Dataflow};
use systole_sim::matrix::Matrix;
use systole_sim::probe::Probe;

/// Every buffer access a simulator reports, as (cycle, description), in report order.
#[derive(Default)]
pub struct Trace(pub Vec<(u64, String)>);

impl Probe for Trace {
    fn buffer_read(&mut self, cycle: u64, buf: BufferId, addr: usize, lanes: usize) {
        self.0
            .push((cycle, format!("read {buf:?}[{addr}] lanes 0..{lanes}")));
    }
    fn buffer_write(&mut self, cycle: u64, buf: BufferId, addr: usize, values: &[i32]) {
        self.0
            .push((cycle, format!("write {buf:?}[{addr}] = {values:?}")));
    }
}

/// Runs `A x B` on the fast model and on the RTL (rust-hdl) and holds them to each other: every
/// buffer access (cycle, address, lanes, values; the first difference is named), then C and every
/// statistic. Returns the fast model's run.
#[allow(dead_code)] // not every test crate that includes this module calls it
pub fn lockstep(cfg: &ArchConfig, df: Dataflow, a: &Matrix<i8>, b: &Matrix<i8>) -> GemmRun {
    let what = format!("{} {df} {}x{}x{}", cfg.name, a.rows(), b.cols(), a.cols());
    let mut fast_trace = Trace::default();
    let fast = Backend::Fast
        .run(RunRequest::new(cfg, df, a, b), &mut fast_trace)
        .unwrap()
        .run;
    let mut rtl_trace = Trace::default();
    let rtl = Backend::Rtl
        .run(RunRequest::new(cfg, df, a, b), &mut rtl_trace)
        .unwrap_or_else(|e| panic!("{what}: {e}"))
        .run;
    same_run(&what, (fast_trace, &fast), (rtl_trace, &rtl));
    fast
}

/// Holds an RTL run to the fast model's: every buffer access (the first difference is named),
/// then C and every statistic.
#[allow(dead_code)] // not every test crate that includes this module calls it
pub fn same_run(what: &str, fast: (Trace, &GemmRun), rtl: (Trace, &GemmRun)) {
    let (mut f, mut r) = (fast.0 .0, rtl.0 .0);
    let (fast, rtl) = (fast.1, rtl.1);
    f.sort();
    r.sort();
    let cycles = |s: &systole_sim::stats::RunStats| (s.total_cycles, s.stall_cycles, s.load_cycles);
    for (x, y) in f.iter().zip(&r) {
        assert_eq!(
            x,
            y,
            "{what}: first difference at cycle {} (fast model: {x:?}, RTL: {y:?}); (total, stall, load) cycles: fast {:?}, RTL {:?}",
            x.0.min(y.0),
            cycles(&fast.stats),
            cycles(&rtl.stats),
        );
    }
    assert_eq!(f.len(), r.len(), "{what}: number of buffer accesses");
    assert_eq!(fast.c, rtl.c, "{what}: C");
    assert_eq!(fast.stats, rtl.stats, "{what}: stats");
}

/// SplitMix64: a small seeded generator, so that every pattern is reproducible from its seed.
#[allow(dead_code)] // not every test crate that includes this module uses it
pub struct Rng(pub u64);

#[allow(dead_code)]
impl Rng {
    /// The next 64 random bits.
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    /// An integer in `lo..=hi`.
    pub fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next() % (hi - lo + 1)
    }
    /// A signed integer in `lo..=hi`.
    pub fn irange(&mut self, lo: i64, hi: i64) -> i64 {
        lo + (self.next() % (hi - lo + 1) as u64) as i64
    }
}
