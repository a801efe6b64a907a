//! The RTL's fold queue depth (`systole_sim::mapping::schedule::fold_queue_design_depth`, the ring
//! a design builds for its config) covers every candidate mapping of every small GEMM on small
//! arrays with short and long buffer latencies, so that no run the mapper proposes is refused for
//! want of queue entries (`docs/rtl.md`, "Mapped fold orders").

use systole_sim::config::Dataflow;
use systole_sim::mapper::search::candidates;
use systole_sim::mapping::schedule::{fold_queue_depth, fold_queue_design_depth};
use systole_sim::testing::tiny_latencies;
use systole_sim::workload::GemmShape;

const ALL: [Dataflow; 3] = [Dataflow::Os, Dataflow::Ws, Dataflow::Is];

#[test]
fn the_design_depth_covers_every_candidate_of_small_gemms() {
    let mut checked = 0u64;
    for rows in 1..=5 {
        for cols in 1..=5 {
            for lat in [(1, 1, 1), (1, 3, 1), (4, 4, 6), (2, 1, 9)] {
                let cfg = tiny_latencies(rows, cols, lat);
                let have = fold_queue_design_depth(&cfg);
                for df in ALL {
                    for (m, n, k) in (1..=9)
                        .flat_map(|m| (1..=9).flat_map(move |n| (1..=9).map(move |k| (m, n, k))))
                    {
                        let shape = GemmShape { m, n, k };
                        for mapping in candidates(&cfg, df, shape) {
                            let need = fold_queue_depth(&cfg, df, shape, &mapping);
                            assert!(
                                need <= have,
                                "{rows}x{cols} latencies {lat:?} {df} {m}x{n}x{k} {mapping}: \
                                 needs {need} entries, the design builds {have}"
                            );
                            checked += 1;
                        }
                    }
                }
            }
        }
    }
    assert!(checked > 1_000_000, "only {checked} mappings checked");
}

/// Found by the RTL's random lockstep test: in WS a stream as long as the array is tall (M = R)
/// keeps each fold's interval at its least, R, while the C write cursor's last op of a fold
/// trails by the whole stream; a design depth taken from one-element streams was one short.
#[test]
fn a_stream_as_long_as_the_array_is_tall() {
    let cfg = tiny_latencies(5, 1, (1, 3, 1));
    let shape = GemmShape { m: 5, n: 3, k: 6 };
    let scalesim = systole_sim::mapping::Mapping::scalesim(&cfg, Dataflow::Ws, shape);
    let need = fold_queue_depth(&cfg, Dataflow::Ws, shape, &scalesim);
    assert_eq!(need, 5);
    assert!(fold_queue_design_depth(&cfg) >= need);
}
