//! The report's mapping sections: which mapping each layer ran in, and what the same machine
//! costs in SCALE-Sim's fixed fold order (`docs/mapping.md`).

use std::fmt::Write;

use super::{count, left_table, markdown_table, mb, text_table, uj, Row};
use crate::run::{ScalesimOrder, WorkloadRun};

const ORDER_HEADER: &[&str] = &[
    "dataflow",
    "cycles",
    "DRAM MB",
    "energy uJ",
    "SCALE-Sim order: cycles",
    "DRAM MB",
    "energy uJ",
    "energy saved",
];

/// Per dataflow: the run's cycles, DRAM and energy beside the same in SCALE-Sim's order (`None`
/// when every layer ran in SCALE-Sim's order, so there is nothing to compare).
fn order_rows(run: &WorkloadRun) -> Option<Vec<Row>> {
    let differs = run.dataflows.iter().any(|d| {
        d.layers
            .iter()
            .any(|l| l.scalesim_order != ScalesimOrder::Same)
    });
    if !differs {
        return None;
    }
    Some(
        run.dataflows
            .iter()
            .map(|d| {
                let e = &d.total.events;
                let mut cells = vec![
                    d.dataflow.to_string(),
                    count(d.total.latency_cycles),
                    mb(e.dram_read_bytes() + e.dram_write_bytes()),
                    uj(d.energy_pj.total),
                ];
                match d.scalesim_order {
                    Some(o) => {
                        let saved = if o.energy_pj > 0.0 {
                            1.0 - d.energy_pj.total / o.energy_pj
                        } else {
                            0.0
                        };
                        cells.extend([
                            count(o.latency_cycles),
                            mb(o.dram_bytes),
                            uj(o.energy_pj),
                            format!("{:.0} %", 100.0 * saved),
                        ]);
                    }
                    None => {
                        cells.extend(["cannot run".to_string(), "".into(), "".into(), "".into()])
                    }
                }
                Row { cells }
            })
            .collect(),
    )
}

/// Per layer, each dataflow's mapping.
fn mapping_rows(run: &WorkloadRun) -> (Vec<String>, Vec<Row>) {
    let mut h = vec!["layer".to_string()];
    h.extend(
        run.dataflows
            .iter()
            .map(|d| format!("{} mapping", d.dataflow)),
    );
    let Some(first) = run.dataflows.first() else {
        return (h, vec![]);
    };
    let rows = (0..first.layers.len())
        .map(|i| {
            let mut cells = vec![first.layers[i].name.clone()];
            for d in &run.dataflows {
                cells.push(d.layers[i].stats.mapping.to_string());
            }
            Row { cells }
        })
        .collect();
    (h, rows)
}

/// What the mapping strings say.
const LEGEND: &str = "loops outer to inner, each over the tiles of a dimension (d:B loops over \
blocks of B tiles); tile = stream elements per fold (OS: K, WS: M, IS: N); A:/B: the outermost \
loop each operand is kept across in its buffer (all: the whole run, fold: one fold)";

/// Where the RTL stands on mappings: said wherever a run's mappings differ from SCALE-Sim's order.
const RTL_NOTE: &str =
    "The RTL backends (`gemm` and `infer` with `--backend rtl|verilator|icarus`) \
run any of these mappings on a layer's GEMM, with either memory model, and the lockstep tests \
hold them equal to this model access by access (`hdl/tests/mapped.rs`); convolutions that read \
the ifmap from buffer A (the default) are fast-model only";

/// The mapping sections as text.
pub(crate) fn text(run: &WorkloadRun, o: &mut String) {
    let _ = writeln!(o, "mappings: {} (docs/mapping.md)", run.mapping);
    if let Some(rows) = order_rows(run) {
        let _ = writeln!(
            o,
            "the same machine in SCALE-Sim's fixed fold order (every layer run cycle by cycle in it too):"
        );
        o.push_str(&text_table(ORDER_HEADER, &rows));
        let _ = writeln!(o, "({RTL_NOTE})");
    }
    let (h, rows) = mapping_rows(run);
    let h: Vec<&str> = h.iter().map(String::as_str).collect();
    o.push_str(&left_table(&h, &rows));
    let _ = writeln!(o, "({LEGEND})");
}

/// The mapping sections as Markdown.
pub(crate) fn markdown(run: &WorkloadRun, o: &mut String) {
    let _ = writeln!(o, "\n## Mappings\n");
    let how = if run.mapping.starts_with("search") {
        "the mapper picks, per layer and dataflow, the mapping the closed forms rate best, and \
         the run above simulates it cycle by cycle"
    } else {
        "the run above simulates each cycle by cycle"
    };
    let _ = writeln!(
        o,
        "Mappings: `{}`. Each layer's folds run in the order of its mapping \
         (`docs/mapping.md`); {how}.\n",
        run.mapping
    );
    if let Some(rows) = order_rows(run) {
        let _ = writeln!(o, "{RTL_NOTE}\n");
        let _ = writeln!(
            o,
            "The same machine in SCALE-Sim's fixed fold order (column tiles outer, row tiles \
             inner, the whole stream in each fold), each layer simulated in that order too:\n"
        );
        o.push_str(&markdown_table(ORDER_HEADER, &rows));
        let _ = writeln!(o);
    }
    let (h, rows) = mapping_rows(run);
    let h: Vec<&str> = h.iter().map(String::as_str).collect();
    o.push_str(&markdown_table(&h, &rows));
    let _ = writeln!(o, "\n{}.", capitalised(LEGEND));
}

fn capitalised(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}
