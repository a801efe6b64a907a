//! The RTL's DMA fetch walker (`hdl/src/blocks/fetch_walk.rs`) against the fast model's fetching
//! folds (`systole_sim::mapping::fetch_time::fetching_folds`): for every candidate mapping the
//! mapper considers, with A and B kept at every level the buffers allow, on small machines, in
//! every dataflow, with tiles and chunks that do and do not divide the shape, the walker visits
//! each operand's fetching folds in run order, one per move, with their starts, their
//! predecessors' starts and the prologue flag.

use rust_hdl::prelude::*;
use systole_hdl::blocks::fetch_walk::FetchWalk;
use systole_hdl::blocks::fold_walk::{AXIS_NONE, WALK_LOOPS};
use systole_hdl::flow::verilog::lint;
use systole_sim::config::{BufferId, Dataflow};
use systole_sim::mapper::search::candidates;
use systole_sim::mapping::fetch_time::{fetch_spans, fetching_folds, fold_intervals, FetchFold};
use systole_sim::mapping::nest::walk_loops;
use systole_sim::mapping::{Mapping, Tiling};
use systole_sim::testing::tiny;
use systole_sim::workload::GemmShape;

fn settle(uut: &mut FetchWalk) {
    assert!(simulate(uut, 1_000), "the fetch walker did not settle");
}

fn tick(uut: &mut FetchWalk) {
    uut.clock.next = Clock { clk: true };
    settle(uut);
    uut.clock.next = Clock { clk: false };
    settle(uut);
}

/// Walks `buf`'s fetching folds of `mapping` on the RTL walker.
fn rtl_walk(
    cfg: &systole_sim::config::ArchConfig,
    df: Dataflow,
    shape: GemmShape,
    mapping: &Mapping,
    buf: BufferId,
    uut: &mut FetchWalk,
) -> Vec<FetchFold> {
    let tiling = Tiling::new(cfg, df, shape, mapping.stream_tile);
    let loops = walk_loops(&tiling, mapping);
    let spans = fetch_spans(cfg, df, shape, mapping).unwrap();
    let (full, last) = fold_intervals(cfg, df, shape, mapping);
    assert!(loops.len() <= WALK_LOOPS, "{mapping}");
    let b16 = |v: u32| Bits::<16>::from(u64::from(v));
    let b32 = |v: u64| Bits::<32>::from(v);
    for i in 0..WALK_LOOPS {
        match loops.get(i) {
            Some(l) => {
                uut.axis[i].next = Bits::from(l.axis as u64);
                uut.trips[i].next = b16(l.trips);
                uut.tiles[i].next = b16(l.tiles);
                uut.stride[i].next = b16(l.stride);
                uut.inner[i].next = l.inner;
                uut.mask[i].next = if buf == BufferId::A {
                    l.edge_a
                } else {
                    l.edge_b
                };
                uut.chunk_mask[i].next = Bits::from(u64::from(spans.last_chunk_mask[i]));
                uut.block_mask[i].next = Bits::from(u64::from(spans.last_block_mask[i]));
                uut.span0[i].next = b32(spans.span[i][0]);
                uut.span1[i].next = b32(spans.span[i][1]);
                uut.span2[i].next = b32(spans.span[i][2]);
                uut.span3[i].next = b32(spans.span[i][3]);
            }
            None => {
                uut.axis[i].next = Bits::from(AXIS_NONE);
                uut.trips[i].next = b16(1);
                uut.tiles[i].next = b16(1);
                uut.stride[i].next = b16(1);
                uut.inner[i].next = false;
                uut.mask[i].next = false;
                uut.chunk_mask[i].next = Bits::from(0u64);
                uut.block_mask[i].next = Bits::from(0u64);
                uut.span0[i].next = b32(0);
                uut.span1[i].next = b32(0);
                uut.span2[i].next = b32(0);
                uut.span3[i].next = b32(0);
            }
        }
    }
    uut.i_full.next = b32(full);
    uut.i_last.next = b32(last);
    uut.start.next = true;
    uut.step.next = false;
    settle(uut);
    tick(uut);
    uut.start.next = false;
    uut.step.next = true;
    settle(uut);
    let mut out = Vec::new();
    let limit = tiling.folds() + 1;
    loop {
        out.push(FetchFold {
            row_tile: uut.row_tile.val().index() as u32,
            col_tile: uut.col_tile.val().index() as u32,
            chunk: uut.chunk.val().index() as u32,
            start: uut.start_time.val().index() as u64,
            prev_start: uut.prev_time.val().index() as u64,
            early: uut.early.val(),
        });
        if uut.last.val() || out.len() as u64 > limit {
            return out;
        }
        tick(uut);
    }
}

#[test]
fn the_fetch_walker_visits_and_times_every_fetching_fold() {
    let mut uut = FetchWalk::default();
    uut.connect_all();
    let mut checked = 0;
    for (rows, cols) in [(2, 2), (4, 4), (2, 3)] {
        let cfg = tiny(rows, cols);
        for shape in [
            GemmShape { m: 5, n: 7, k: 9 },
            GemmShape { m: 8, n: 8, k: 8 },
            GemmShape { m: 12, n: 3, k: 10 },
        ] {
            for df in [Dataflow::Os, Dataflow::Ws, Dataflow::Is] {
                let mut maps = candidates(&cfg, df, shape);
                for base in maps.clone() {
                    for a in 0..=base.loops.len() {
                        for b in 0..=base.loops.len() {
                            let mut m = base.clone();
                            m.keep.a = a;
                            m.keep.b = b;
                            if m.check(&cfg, df, shape).is_ok() && !maps.contains(&m) {
                                maps.push(m);
                            }
                        }
                    }
                }
                for mapping in maps {
                    for buf in [BufferId::A, BufferId::B] {
                        let want = fetching_folds(&cfg, df, shape, &mapping, buf);
                        let got = rtl_walk(&cfg, df, shape, &mapping, buf, &mut uut);
                        assert_eq!(
                            got, want,
                            "{rows}x{cols} {df} {}x{}x{} {mapping} {buf:?}",
                            shape.m, shape.n, shape.k
                        );
                        checked += 1;
                    }
                }
            }
        }
    }
    assert!(checked > 300, "only {checked} walks checked");
}

/// The fetch walker's Verilog passes `verilator --lint-only -Wall` with the project's waivers.
#[test]
fn the_fetch_walkers_verilog_lints_clean() {
    let mut uut = FetchWalk::default();
    uut.connect_all();
    let v = generate_verilog(&uut);
    assert!(v.contains("module top"), "{v}");
    let dir = std::env::temp_dir().join(format!("systole-lint-fetch-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("top.v"), v).unwrap();
    let warnings = lint(&dir).unwrap_or_else(|e| panic!("{e}"));
    let _ = std::fs::remove_dir_all(&dir);
    assert!(warnings.is_empty(), "verilator lint:\n{warnings}");
}
