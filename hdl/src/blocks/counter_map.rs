//! What each hardware counter counts, by its name (`crate::interface::COUNTERS`): the signal it
//! adds ([`Source`]), the cycles in which it counts ([`Gate`]) and, for buffer C, the DMA's share
//! it adds to the datapath's ([`CDmaShare`]). The top ([`crate::blocks::top`]) evaluates the
//! source of each counter in its simulation and in its Verilog from this one table, so that no
//! counter is wired by its position in the list.

use crate::blocks::mesh::MESH_EVENTS;

/// In which cycles a counter counts (its enable), by what it counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Gate {
    /// `cycles`: every cycle of the run but the prologue's.
    Run,
    /// Counts that include the DMA's work (fills, C's drains and refetches, DRAM bytes): every
    /// cycle, since the DMA's increments are zero when it is idle.
    Always,
    /// `stall_cycles`: a stalled cycle of the run (outside the prologue).
    Stall,
    /// `load_cycles`: a prologue cycle.
    Load,
    /// `writeback_cycles`: a cycle of the DMA's final writeback.
    Writeback,
    /// The datapath's events: a cycle of the run that is not stalled.
    Active,
}

/// The cycles in which counter `name` counts.
pub(crate) fn gate(name: &str) -> Gate {
    match name {
        "cycles" => Gate::Run,
        "stall_cycles" => Gate::Stall,
        "load_cycles" => Gate::Load,
        "writeback_cycles" => Gate::Writeback,
        n if n.starts_with("c_buf_")
            || n.ends_with("_buf_writes")
            || n.ends_with("_buf_write_elems")
            || n.starts_with("dram_") =>
        {
            Gate::Always
        }
        _ => Gate::Active,
    }
}

/// The DMA's share of buffer C's counts, added to the datapath's: its drains read C (words,
/// elements), its refetches write it (words, elements).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CDmaShare {
    ReadWords,
    ReadElems,
    WriteWords,
    WriteElems,
}

/// The DMA's share of counter `name`, if it has one.
pub(crate) fn c_dma_share(name: &str) -> Option<CDmaShare> {
    match name {
        "c_buf_reads" => Some(CDmaShare::ReadWords),
        "c_buf_read_elems" => Some(CDmaShare::ReadElems),
        "c_buf_writes" => Some(CDmaShare::WriteWords),
        "c_buf_write_elems" => Some(CDmaShare::WriteElems),
        _ => None,
    }
}

/// One of the three buffers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Buf {
    A,
    B,
    C,
}

/// What a counter adds in a cycle in which it counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Source {
    /// One: the cycle counts.
    One,
    /// The mesh's per-cycle sum of event `k` (`MESH_EVENTS[k]`).
    Mesh(usize),
    /// Register hops in the two edge skews.
    SkewHops,
    /// Register hops in the deskew.
    DeskewHops,
    /// Words the buffer's datapath read port reads.
    ReadWords(Buf),
    /// Elements the controller reads from the buffer (its read count).
    ReadElems(Buf),
    /// Words written through the buffer's datapath write port (C: the output stage; A, B: the
    /// DMA's landings).
    WriteWords(Buf),
    /// Elements the controller writes to C.
    CWriteElems,
    /// Elements a DRAM response lands in A (none with the ideal memory model).
    LandedA,
    /// Elements a DRAM response lands in B (none with the ideal memory model).
    LandedB,
    /// The DMA's DRAM bytes of A, B, C read back, C written (its `ev_dram_*` outputs).
    DramA,
    /// See [`Source::DramA`].
    DramB,
    /// See [`Source::DramA`].
    DramCRead,
    /// See [`Source::DramA`].
    DramCWrite,
    /// C's written elements while the output stage is on.
    StageOps,
}

/// What counter `name` adds; `None` for a name that is not a counter.
pub(crate) fn source(name: &str) -> Option<Source> {
    if let Some(k) = MESH_EVENTS.iter().position(|&e| e == name) {
        return Some(Source::Mesh(k));
    }
    Some(match name {
        "cycles" | "stall_cycles" | "load_cycles" | "writeback_cycles" => Source::One,
        "skew_hops" => Source::SkewHops,
        "deskew_hops" => Source::DeskewHops,
        "a_buf_reads" => Source::ReadWords(Buf::A),
        "b_buf_reads" => Source::ReadWords(Buf::B),
        "c_buf_reads" => Source::ReadWords(Buf::C),
        "a_buf_read_elems" => Source::ReadElems(Buf::A),
        "b_buf_read_elems" => Source::ReadElems(Buf::B),
        "c_buf_read_elems" => Source::ReadElems(Buf::C),
        "a_buf_writes" => Source::WriteWords(Buf::A),
        "b_buf_writes" => Source::WriteWords(Buf::B),
        "c_buf_writes" => Source::WriteWords(Buf::C),
        "a_buf_write_elems" => Source::LandedA,
        "b_buf_write_elems" => Source::LandedB,
        "c_buf_write_elems" => Source::CWriteElems,
        "dram_a_read_bytes" => Source::DramA,
        "dram_b_read_bytes" => Source::DramB,
        "dram_c_read_bytes" => Source::DramCRead,
        "dram_c_write_bytes" => Source::DramCWrite,
        "output_stage_ops" => Source::StageOps,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::interface::{COUNTERS, CYCLE_COUNTERS};

    /// Counters are wired by name, not by index: the DMA-fed ones are exactly C's accesses, the
    /// fills and the DRAM bytes, and every counter but the cycle counts is an event of the fast
    /// model's `EventCounts`.
    #[test]
    fn counters_are_gated_by_their_names() {
        let always: Vec<&str> = COUNTERS
            .iter()
            .copied()
            .filter(|n| gate(n) == Gate::Always)
            .collect();
        assert_eq!(
            always,
            [
                "a_buf_writes",
                "a_buf_write_elems",
                "b_buf_writes",
                "b_buf_write_elems",
                "c_buf_reads",
                "c_buf_read_elems",
                "c_buf_writes",
                "c_buf_write_elems",
                "dram_a_read_bytes",
                "dram_b_read_bytes",
                "dram_c_read_bytes",
                "dram_c_write_bytes",
            ]
        );
        assert_eq!(
            COUNTERS.iter().filter(|n| c_dma_share(n).is_some()).count(),
            4
        );
        for n in COUNTERS {
            let cycle = n == "cycles" || CYCLE_COUNTERS.contains(&n);
            assert_eq!(
                cycle,
                !systole_sim::events::EventCounts::NAMES.contains(&n),
                "{n}"
            );
        }
    }

    /// Every counter has a source, no two counters count the same signal, and the mesh's event
    /// sums are each counted once, under their own names.
    #[test]
    fn every_counter_has_its_own_source() {
        let sources: Vec<Source> = COUNTERS
            .iter()
            .map(|n| source(n).unwrap_or_else(|| panic!("counter {n} has no source")))
            .collect();
        for (i, s) in sources.iter().enumerate() {
            if *s != Source::One {
                assert!(
                    !sources[..i].contains(s),
                    "{} counts what another counter counts",
                    COUNTERS[i]
                );
            }
        }
        for (k, e) in MESH_EVENTS.iter().enumerate() {
            assert_eq!(source(e), Some(Source::Mesh(k)));
        }
        assert_eq!(source("idle_pe_cycles"), None);
    }
}
