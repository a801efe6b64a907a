//! What an unbounded DRAM port hides (SCALE-Sim's `InterfaceBandwidth: CALC`,
//! [`crate::config::DramConfig::unbounded`]): the bandwidth each dataflow would need from a real
//! port, and why a run may still stall.

use crate::run::{DataflowRun, WorkloadRun};
use crate::text::count;

/// DRAM bytes per cycle the array ran (stalls included), the rate a real port would have to
/// sustain on average for the run not to wait for it.
fn rate(bytes: u64, cycles: u64) -> f64 {
    bytes as f64 / cycles.max(1) as f64
}

fn line(d: &DataflowRun, mhz: f64) -> String {
    let e = &d.total.events;
    let bytes = e.dram_read_bytes() + e.dram_write_bytes();
    let avg = rate(bytes, d.total.total_cycles);
    let busiest = d
        .layers
        .iter()
        .map(|l| {
            let e = &l.stats.events;
            let b = e.dram_read_bytes() + e.dram_write_bytes();
            (rate(b, l.stats.total_cycles), l.name.as_str())
        })
        .max_by(|a, b| a.0.total_cmp(&b.0));
    let mut s = format!(
        "{} needs {avg:.2} B/cycle on average ({:.2} GB/s at {mhz} MHz)",
        d.dataflow,
        avg * mhz * 1e6 / 1e9
    );
    if let Some((peak, name)) = busiest {
        s.push_str(&format!(
            ", {peak:.2} B/cycle in its busiest layer ({name})"
        ));
    }
    if d.total.stall_cycles > 0 {
        s.push_str(&format!(
            "; it still stalls {} cycles on the buffers' own ports (each takes one vector per \
             cycle from the DMA, and C's spilled partial sums come back through them), which \
             SCALE-Sim does not model",
            count(d.total.stall_cycles)
        ));
    }
    s
}

/// One line per dataflow when the run's DRAM port is unbounded, else none.
pub(crate) fn needed(run: &WorkloadRun) -> Vec<String> {
    if !run.arch.dram.is_unbounded() {
        return Vec::new();
    }
    run.dataflows
        .iter()
        .map(|d| line(d, run.arch.clock_mhz))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{ArchConfig, Dataflow, DramConfig};
    use crate::energy::EnergyModel;
    use crate::mapper::MappingPolicy;
    use crate::run::run_workload;
    use crate::workload::Workload;

    fn run(cfg: &ArchConfig) -> WorkloadRun {
        let w = Workload::builtin("int8-cnn").unwrap();
        let policy = MappingPolicy::default();
        run_workload(
            cfg,
            &w,
            &Dataflow::ALL,
            (false, &policy),
            &EnergyModel::default(),
            &|| {},
        )
        .unwrap()
    }

    #[test]
    fn an_unbounded_port_reports_the_bandwidth_each_dataflow_needs() {
        let mut cfg = ArchConfig::preset("tiny-4x4").unwrap();
        assert!(needed(&run(&cfg)).is_empty());
        cfg.dram = DramConfig::unbounded(cfg.dram.kind);
        let run = run(&cfg);
        let lines = needed(&run);
        assert_eq!(lines.len(), run.dataflows.len());
        for (d, l) in run.dataflows.iter().zip(&lines) {
            let e = &d.total.events;
            let want = rate(
                e.dram_read_bytes() + e.dram_write_bytes(),
                d.total.total_cycles,
            );
            assert!(want > 0.0);
            assert!(
                l.starts_with(&format!("{} needs {want:.2} B/cycle", d.dataflow)),
                "{l}"
            );
        }
    }
}
