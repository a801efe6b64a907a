//! The RTL's DMA fetch walker (`hdl/src/blocks/fetch_walk.rs`) against the fast model's fetching
//! folds (`systole_sim::mapping::fetch_time::fetching_folds`): for every candidate mapping the
//! mapper considers, with A and B kept at every level the buffers allow, on small machines, in
//! every dataflow, with tiles and chunks that do and do not divide the shape, the walker visits
//! each operand's fetching folds in run order, one per move, with their starts, their
//! predecessors' starts and the prologue flag.

use rust_hdl::prelude::*;
use systole_hdl::blocks::fetch_cursor::FetchCursor;
use systole_hdl::blocks::fetch_walk::FetchWalk;
use systole_hdl::blocks::fold_walk::{AXIS_NONE, WALK_LOOPS};
use systole_hdl::flow::verilog::lint;
use systole_sim::config::{ArchConfig, BufferId, Dataflow};
use systole_sim::mapping::fetch_time::{
    fetch_ops, fetch_spans, fetching_folds, fold_intervals, FetchFold, FetchOp,
};
use systole_sim::mapping::nest::walk_loops;
use systole_sim::mapping::schedule::cursor_starts;
use systole_sim::mapping::Descriptor;
use systole_sim::mapping::{Mapping, Tiling};
use systole_sim::testing::{every_keep, tiny};
use systole_sim::workload::GemmShape;

fn settle<U: Block>(uut: &mut U) {
    assert!(simulate(uut, 1_000), "the fetch walker did not settle");
}

fn tick<U: Block>(uut: &mut U, clock: fn(&mut U) -> &mut Signal<In, Clock>) {
    clock(uut).next = Clock { clk: true };
    settle(uut);
    clock(uut).next = Clock { clk: false };
    settle(uut);
}

/// The same loads for the walker alone and the walker inside a fetch cursor.
macro_rules! load_walk {
    ($uut:expr, $cfg:expr, $df:expr, $shape:expr, $mapping:expr, $buf:expr) => {{
        let tiling = Tiling::new($cfg, $df, $shape, $mapping.stream_tile);
        let loops = walk_loops(&tiling, $mapping);
        let spans = fetch_spans($cfg, $df, $shape, $mapping).unwrap();
        let (full, last) = fold_intervals($cfg, $df, $shape, $mapping);
        assert!(loops.len() <= WALK_LOOPS, "{}", $mapping);
        let b16 = |v: u32| Bits::<16>::from(u64::from(v));
        let b32 = |v: u64| Bits::<32>::from(v);
        for i in 0..WALK_LOOPS {
            let (axis, trips, tiles, stride, inner, mask) = match loops.get(i) {
                Some(l) => (
                    l.axis as u64,
                    l.trips,
                    l.tiles,
                    l.stride,
                    l.inner,
                    if $buf == BufferId::A {
                        l.edge_a
                    } else {
                        l.edge_b
                    },
                ),
                None => (AXIS_NONE, 1, 1, 1, false, false),
            };
            $uut.axis[i].next = Bits::from(axis);
            $uut.trips[i].next = b16(trips);
            $uut.tiles[i].next = b16(tiles);
            $uut.stride[i].next = b16(stride);
            $uut.inner[i].next = inner;
            $uut.mask[i].next = mask;
            let mask_of = |m: &Vec<u8>| Bits::<8>::from(u64::from(m.get(i).copied().unwrap_or(0)));
            let span = |k: usize| b32(spans.span.get(i).map_or(0, |s| s[k]));
            $uut.chunk_mask[i].next = mask_of(&spans.last_chunk_mask);
            $uut.block_mask[i].next = mask_of(&spans.last_block_mask);
            $uut.span0[i].next = span(0);
            $uut.span1[i].next = span(1);
            $uut.span2[i].next = span(2);
            $uut.span3[i].next = span(3);
        }
        $uut.i_full.next = b32(full);
        $uut.i_last.next = b32(last);
        tiling
    }};
}

/// Walks `buf`'s fetching folds of `mapping` on the RTL walker.
fn rtl_walk(
    cfg: &ArchConfig,
    df: Dataflow,
    shape: GemmShape,
    mapping: &Mapping,
    buf: BufferId,
    uut: &mut FetchWalk,
) -> Vec<FetchFold> {
    let tiling = load_walk!(uut, cfg, df, shape, mapping, buf);
    uut.start.next = true;
    uut.step.next = false;
    settle(uut);
    tick(uut, |u| &mut u.clock);
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
        tick(uut, |u| &mut u.clock);
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
                for mapping in every_keep(&cfg, df, shape) {
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

/// Runs `buf`'s fetch cursor of `mapping` to its end, stepping every cycle.
fn rtl_fetches(
    cfg: &ArchConfig,
    df: Dataflow,
    shape: GemmShape,
    mapping: &Mapping,
    buf: BufferId,
    uut: &mut FetchCursor,
) -> Vec<FetchOp> {
    let tiling = load_walk!(uut, cfg, df, shape, mapping, buf);
    let desc = Descriptor::of(df);
    let (row_dim, col_dim, t) = desc.extents(shape);
    let b16 = |v: usize| Bits::<16>::from(v as u64);
    let b32 = |v: u64| Bits::<32>::from(v);
    let ts = mapping.stream_tile;
    uut.ts.next = b16(ts);
    uut.tlast.next = b16(t - (t.div_ceil(ts) - 1) * ts);
    uut.tlen.next = b16(t);
    uut.k.next = b16(shape.k);
    uut.row_dim.next = b16(row_dim);
    uut.col_dim.next = b16(col_dim);
    let left = desc.left == buf;
    let starts = cursor_starts(cfg, df);
    uut.left.next = left;
    uut.preload.next = !left && desc.stationary.is_some();
    uut.t_first.next = b32(if left { starts.left } else { starts.top });
    uut.t_second.next = b32(starts.top_second);
    uut.start.next = true;
    uut.step.next = false;
    settle(uut);
    tick(uut, |u| &mut u.clock);
    uut.start.next = false;
    uut.step.next = true;
    settle(uut);
    let mut out = Vec::new();
    let limit = tiling.folds() * 300;
    while uut.busy.val() && (out.len() as u64) < limit {
        out.push(FetchOp {
            addr: uut.addr.val().index() as u64,
            lanes: uut.count.val().index() as u32,
            due: uut.due.val().index() as u64,
            early: uut.early.val(),
        });
        tick(uut, |u| &mut u.clock);
    }
    // Done: no fetch left to count in the prologue (the DMA's `primed` would wait for it).
    assert!(
        !uut.early.val(),
        "a finished fetch cursor still shows a prologue fetch"
    );
    out
}

/// The fetch cursor shows, one per step, the fast model's fetches of each operand (address,
/// lanes, deadline, prologue flag) on every candidate mapping with A and B kept at every level.
#[test]
fn the_fetch_cursor_shows_the_fast_models_fetches() {
    let mut checked = 0;
    for (rows, cols) in [(2, 2), (4, 4), (2, 3)] {
        let cfg = tiny(rows, cols);
        let mut uut = FetchCursor::new(rows as usize, cols as usize);
        uut.connect_all();
        for shape in [
            GemmShape { m: 5, n: 7, k: 9 },
            GemmShape { m: 8, n: 8, k: 8 },
            GemmShape { m: 12, n: 3, k: 10 },
        ] {
            for df in [Dataflow::Os, Dataflow::Ws, Dataflow::Is] {
                for mapping in every_keep(&cfg, df, shape) {
                    for buf in [BufferId::A, BufferId::B] {
                        let want = fetch_ops(&cfg, df, shape, &mapping, buf);
                        let got = rtl_fetches(&cfg, df, shape, &mapping, buf, &mut uut);
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
    assert!(checked > 300, "only {checked} cursors checked");
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
