//! The event counts of a run: the one list of names that the fast model, the RTL counters, the
//! energy model and the reports share.
//!
//! Conventions (see `docs/microarchitecture.md`, "Events"):
//! - a *hop* is a valid value latched into a pipeline register (operand, partial sum, skew,
//!   deskew); registers holding no valid data are clock-gated and count nothing;
//! - buffer *reads*/*writes* count bank-word accesses (one word of `word_bits` of one bank), and
//!   `*_elems` count the elements those accesses carried, as SCALE-Sim counts SRAM traffic;
//! - control bits (valid, first/last markers, preload tags) are not counted.

use serde::{Deserialize, Serialize};

macro_rules! event_counts {
    ($( $(#[doc = $doc:literal])+ $name:ident ),+ $(,)?) => {
        /// Counts of hardware events in one run, by component. Field names are the event names
        /// used everywhere (JSON keys, CSV columns, energy tables, RTL counters).
        #[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
        #[serde(deny_unknown_fields)]
        pub struct EventCounts {
            $( $(#[doc = $doc])+ pub $name: u64, )+
        }

        impl EventCounts {
            /// The event names, in declaration order.
            pub const NAMES: &'static [&'static str] = &[$(stringify!($name)),+];

            /// The counts, in the order of [`EventCounts::NAMES`].
            pub fn values(&self) -> Vec<u64> {
                vec![$(self.$name),+]
            }

            /// `(name, count)` pairs in the order of [`EventCounts::NAMES`].
            pub fn pairs(&self) -> Vec<(&'static str, u64)> {
                vec![$((stringify!($name), self.$name)),+]
            }

            /// The count named `name`, for writing (`None` for an unknown name).
            pub fn get_mut(&mut self, name: &str) -> Option<&mut u64> {
                match name {
                    $( stringify!($name) => Some(&mut self.$name), )+
                    _ => None,
                }
            }

            /// Element-wise sum (saturating at `u64::MAX`, never wrapping).
            pub fn add(&mut self, other: &EventCounts) {
                $( self.$name = self.$name.saturating_add(other.$name); )+
            }

            /// Every count multiplied by `n` (a layer repeated `n` times), saturating.
            pub fn scaled(&self, n: u64) -> EventCounts {
                EventCounts { $( $name: self.$name.saturating_mul(n), )+ }
            }
        }
    };
}

event_counts! {
    /// PE-cycles in which a PE multiplied two valid operands and accumulated (int8 x int8 + int32).
    macs,
    /// PE-cycles in which a PE did no MAC (fill, drain, padding of partial folds, fold gaps).
    idle_pe_cycles,
    /// Valid int8 operands latched into a PE's horizontal (left-to-right) register.
    h_operand_hops,
    /// Valid int8 operands latched into a PE's vertical (top-to-bottom) register: B in OS, stationary
    /// values travelling to their row during a WS/IS preload.
    v_operand_hops,
    /// Valid int8 values latched into a PE's shadow stationary register at the end of a preload (WS, IS).
    stationary_loads,
    /// Valid int8 values copied from the shadow to the active stationary register at a fold switch (WS, IS).
    stationary_swaps,
    /// Writes of a PE's int32 accumulator register (OS: one per MAC).
    acc_updates,
    /// Valid int32 values latched into a PE's vertical partial-sum register: partial sums moving down
    /// (WS, IS) and finished outputs moving down the drain chain (OS).
    psum_hops,
    /// Valid int8 values latched into the edge skew registers (left and top edges).
    skew_hops,
    /// Valid int32 values latched into the bottom deskew registers.
    deskew_hops,
    /// Bank-word reads of buffer A (ifmap).
    a_buf_reads,
    /// Elements carried by buffer A reads.
    a_buf_read_elems,
    /// Bank-word writes of buffer A: the DMA filling it from DRAM.
    a_buf_writes,
    /// Elements carried by buffer A writes.
    a_buf_write_elems,
    /// Bank-word reads of buffer B (filter).
    b_buf_reads,
    /// Elements carried by buffer B reads.
    b_buf_read_elems,
    /// Bank-word writes of buffer B: the DMA filling it from DRAM.
    b_buf_writes,
    /// Elements carried by buffer B writes.
    b_buf_write_elems,
    /// Bank-word reads of buffer C: partial-sum read-backs when a fold accumulates onto an earlier
    /// fold's results (WS, IS with K larger than the array's rows), and the DMA reading finished
    /// rows (or spilled partial sums) out to DRAM.
    c_buf_reads,
    /// Elements carried by buffer C reads.
    c_buf_read_elems,
    /// Bank-word writes of buffer C: outputs and partial sums from the array, and spilled partial
    /// sums the DMA brings back from DRAM.
    c_buf_writes,
    /// Elements carried by buffer C writes.
    c_buf_write_elems,
    /// Bytes the DMA read from DRAM into buffer A.
    dram_a_read_bytes,
    /// Bytes the DMA read from DRAM into buffer B.
    dram_b_read_bytes,
    /// Bytes of spilled partial sums the DMA read back from DRAM into buffer C.
    dram_c_read_bytes,
    /// Bytes the DMA wrote from buffer C to DRAM: results, and partial sums spilled because they
    /// did not fit in C.
    dram_c_write_bytes,
    /// Elements the output stage requantized to int8 (bias add, Q31 multiply, rounding shift,
    /// zero point, clamp), each with its channel's parameter read; zero when C stays int32.
    output_stage_ops,
}

impl EventCounts {
    /// Bytes read from DRAM, all operands.
    pub fn dram_read_bytes(&self) -> u64 {
        self.dram_a_read_bytes
            .saturating_add(self.dram_b_read_bytes)
            .saturating_add(self.dram_c_read_bytes)
    }

    /// Bytes written to DRAM.
    pub fn dram_write_bytes(&self) -> u64 {
        self.dram_c_write_bytes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_match_json_keys() {
        let e = EventCounts {
            macs: 3,
            c_buf_write_elems: 9,
            ..Default::default()
        };
        let v = serde_json::to_value(e).unwrap();
        let obj = v.as_object().unwrap();
        assert_eq!(obj.len(), EventCounts::NAMES.len());
        for (name, value) in e.pairs() {
            assert_eq!(obj[name].as_u64(), Some(value), "{name}");
        }
        assert_eq!(e.scaled(2).macs, 6);
        let mut s = e;
        s.add(&e);
        assert_eq!(s.c_buf_write_elems, 18);
    }
}
