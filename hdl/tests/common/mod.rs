//! Helpers shared by the RTL tests.

use systole_sim::array::Probe;
use systole_sim::config::BufferId;

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
