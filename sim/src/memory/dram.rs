//! The DRAM channel as the DMA engine sees it: one in-order bus that moves `bytes_per_cycle` bytes
//! per cycle, each request reaching the bus `latency_cycles` after it is issued
//! (`docs/microarchitecture.md`, "Memory system").
//!
//! Time on the bus is kept in *byte slots*: slot `p` is transferred during cycle `p / B`. A
//! request of `n` bytes issued in cycle `t` occupies the slots `[S, S + n)` with
//! `S = max(end of the previous request, (t + latency) x B)`. Its data is complete at the DMA (a
//! read) or has left the chip (a write) from cycle `ceil((S + n) / B)`.

/// The DRAM bus: in-order, bandwidth-limited, with a fixed request latency.
#[derive(Debug, Clone)]
pub struct DramBus {
    bytes_per_cycle: u64,
    latency: u64,
    /// First free byte slot.
    booked: u64,
}

impl DramBus {
    /// An idle bus of `bytes_per_cycle` bytes per cycle and a request latency of `latency`.
    pub fn new(bytes_per_cycle: u32, latency: u32) -> Self {
        DramBus {
            bytes_per_cycle: u64::from(bytes_per_cycle.max(1)),
            latency: u64::from(latency),
            booked: 0,
        }
    }

    /// Whether a request issued in cycle `t` is accepted: the DMA keeps at most one cycle of
    /// transfers booked beyond the earliest slot a new request could use, so that a later, more
    /// urgent request never queues behind a long backlog.
    pub fn can_issue(&self, t: u64) -> bool {
        self.booked < (t + self.latency + 1) * self.bytes_per_cycle
    }

    /// The first byte slot a request issued in cycle `t` would occupy.
    pub fn next_slot(&self, t: u64) -> u64 {
        self.booked.max((t + self.latency) * self.bytes_per_cycle)
    }

    /// Books a request of `bytes` issued in cycle `t`; returns the first cycle in which its data
    /// is complete.
    pub fn issue(&mut self, t: u64, bytes: u64) -> u64 {
        let start = self.next_slot(t);
        self.booked = start + bytes;
        self.booked.div_ceil(self.bytes_per_cycle)
    }

    /// The first cycle in which [`DramBus::can_issue`] holds.
    pub fn accepts_from(&self) -> u64 {
        (self.booked / self.bytes_per_cycle).saturating_sub(self.latency)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_queue_in_order_at_the_bandwidth() {
        let mut bus = DramBus::new(16, 10);
        // 16 bytes issued in cycle 0 travel in cycle 10 and are complete from cycle 11.
        assert_eq!(bus.issue(0, 16), 11);
        // That fills bus cycle 10: nothing more this cycle; the next request follows on cycle 11.
        assert!(!bus.can_issue(0));
        assert!(bus.can_issue(1));
        assert_eq!(bus.issue(1, 16), 12);
        // Partial cycles: 8 + 8 bytes share one bus cycle.
        let mut bus = DramBus::new(16, 0);
        assert_eq!(bus.issue(0, 8), 1);
        assert!(bus.can_issue(0));
        assert_eq!(bus.issue(0, 8), 1);
        assert!(!bus.can_issue(0));
        assert_eq!(bus.issue(1, 8), 2);
        assert_eq!(bus.accepts_from(), 1);
        let mut bus = DramBus::new(4, 100);
        bus.issue(0, 400);
        // Booked through cycle 199: a request may come once only cycle t + 100 has free slots.
        assert_eq!(bus.accepts_from(), 100);
        assert!(!bus.can_issue(99) && bus.can_issue(100));
    }

    #[test]
    fn an_idle_bus_starts_after_the_latency() {
        let mut bus = DramBus::new(4, 100);
        assert_eq!(bus.issue(50, 64), 50 + 100 + 16);
    }
}
