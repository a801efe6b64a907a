//! The RTL's loop-nest walker (`hdl/src/blocks/fold_walk.rs`) against the fast model's walk
//! (`systole_sim::mapping::nest::folds`): for every candidate mapping the mapper considers, on
//! small machines, in every dataflow, with tiles that do and do not divide the shape, the walker
//! visits the same folds in the same order with the same fetch and retire flags.

use rust_hdl::prelude::*;
use systole_hdl::blocks::fold_walk::{FoldWalk, AXIS_NONE, WALK_LOOPS};
use systole_hdl::flow::verilog::lint;
use systole_sim::config::Dataflow;
use systole_sim::mapper::search::candidates;
use systole_sim::mapping::nest::{folds, walk_loops, FETCH_A, FETCH_B, RETIRE_A, RETIRE_B};
use systole_sim::mapping::{Mapping, Tiling};
use systole_sim::testing::tiny;
use systole_sim::workload::GemmShape;

fn settle(uut: &mut FoldWalk) {
    assert!(simulate(uut, 1_000), "the walker did not settle");
}

fn tick(uut: &mut FoldWalk) {
    uut.clock.next = Clock { clk: true };
    settle(uut);
    uut.clock.next = Clock { clk: false };
    settle(uut);
}

/// Walks `mapping` on the RTL walker: (row tile, column tile, chunk, flags) per fold.
fn rtl_walk(tiling: &Tiling, mapping: &Mapping, uut: &mut FoldWalk) -> Vec<(u32, u32, u32, u8)> {
    let loops = walk_loops(tiling, mapping);
    assert!(loops.len() <= WALK_LOOPS, "{mapping}");
    for i in 0..WALK_LOOPS {
        let b16 = |v: u32| Bits::<16>::from(u64::from(v));
        match loops.get(i) {
            Some(l) => {
                uut.axis[i].next = Bits::from(l.axis as u64);
                uut.trips[i].next = b16(l.trips);
                uut.tiles[i].next = b16(l.tiles);
                uut.stride[i].next = b16(l.stride);
                uut.inner[i].next = l.inner;
                uut.edge_a[i].next = l.edge_a;
                uut.edge_b[i].next = l.edge_b;
            }
            None => {
                uut.axis[i].next = Bits::from(AXIS_NONE);
                uut.trips[i].next = b16(1);
                uut.tiles[i].next = b16(1);
                uut.stride[i].next = b16(1);
                uut.inner[i].next = false;
                uut.edge_a[i].next = false;
                uut.edge_b[i].next = false;
            }
        }
    }
    uut.start.next = true;
    settle(uut);
    tick(uut);
    uut.start.next = false;
    uut.step.next = true;
    settle(uut);
    let mut out = Vec::new();
    let limit = tiling.folds() + 1;
    loop {
        let flag = |b: bool, f: u8| if b { f } else { 0 };
        out.push((
            uut.row_tile.val().index() as u32,
            uut.col_tile.val().index() as u32,
            uut.chunk.val().index() as u32,
            flag(uut.fetch_a.val(), FETCH_A)
                | flag(uut.retire_a.val(), RETIRE_A)
                | flag(uut.fetch_b.val(), FETCH_B)
                | flag(uut.retire_b.val(), RETIRE_B),
        ));
        if uut.final_fold.val() || out.len() as u64 > limit {
            return out;
        }
        tick(uut);
    }
}

#[test]
fn the_walker_visits_the_fast_models_folds_for_every_candidate_mapping() {
    let mut uut = FoldWalk::default();
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
                for mapping in candidates(&cfg, df, shape) {
                    let tiling = Tiling::new(&cfg, df, shape, mapping.stream_tile);
                    let want: Vec<(u32, u32, u32, u8)> = folds(&tiling, &mapping)
                        .iter()
                        .map(|e| (e.row_tile, e.col_tile, e.chunk, e.flags))
                        .collect();
                    let got = rtl_walk(&tiling, &mapping, &mut uut);
                    assert_eq!(
                        got, want,
                        "{rows}x{cols} {df} {}x{}x{} {mapping}",
                        shape.m, shape.n, shape.k
                    );
                    checked += 1;
                }
            }
        }
    }
    assert!(checked > 100, "only {checked} mappings checked");
}

/// The walker's Verilog passes `verilator --lint-only -Wall` with the project's waivers (no
/// latches, no width mismatches).
#[test]
fn the_walkers_verilog_lints_clean() {
    let mut uut = FoldWalk::default();
    uut.connect_all();
    let v = generate_verilog(&uut);
    assert!(v.contains("module top"), "{v}");
    let dir = std::env::temp_dir().join(format!("systole-lint-walk-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("top.v"), v).unwrap();
    let warnings = lint(&dir).unwrap_or_else(|e| panic!("{e}"));
    let _ = std::fs::remove_dir_all(&dir);
    assert!(warnings.is_empty(), "verilator lint:\n{warnings}");
}
