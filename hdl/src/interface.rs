//! The hardware/software contract of the accelerator's top level in one place: the start
//! command's dataflow codes, the markers that travel beside an edge vector, the host port's
//! selects and configuration addresses, the counters in counter-select order, and the top's ports
//! (`systole verilog` writes them into `interface.md`). The blocks and the backends both read
//! them from here; nothing here depends on either.

use systole_sim::config::Dataflow;
use systole_sim::events::EventCounts;

/// Dataflow codes of the start command.
pub const MODE_OS: u64 = 0;
/// Weight stationary.
pub const MODE_WS: u64 = 1;
/// Input stationary.
pub const MODE_IS: u64 = 2;

/// Marker bits that travel beside an edge vector (bit 0 is the lane's valid bit, set by the
/// buffer).
pub const FLAG_FIRST: u64 = 2;
/// The stream vector is the fold's last (OS capture).
pub const FLAG_LAST: u64 = 4;
/// The vector is a preload slot (WS/IS).
pub const FLAG_SLOT: u64 = 8;

/// The command code of a dataflow.
pub fn mode_code(df: Dataflow) -> u64 {
    match df {
        Dataflow::Os => MODE_OS,
        Dataflow::Ws => MODE_WS,
        Dataflow::Is => MODE_IS,
    }
}

/// Host-port buffer select.
pub const HOST_SEL_A: u64 = 1;
/// Host-port buffer select for B.
pub const HOST_SEL_B: u64 = 2;
/// Host-port select for the configuration: the output stage's parameters and registers
/// ([`crate::blocks::output_stage::param_writes`]) and the mapping's loop registers ([`MAP_ADDR`]).
pub const HOST_SEL_STAGE: u64 = 3;

/// Host address (with [`HOST_SEL_STAGE`]) of the output stage's configuration registers (lane
/// 0: enable, 1: output zero point, 2: clamp minimum, 3: clamp maximum).
pub const CONFIG_ADDR: u64 = 0xffff;

/// Host address (with the configuration select, [`HOST_SEL_STAGE`]) of the queue's loop
/// registers; the lane is the register byte ([`crate::blocks::loop_regs::mapping_writes`]).
pub const MAP_ADDR: u64 = 0xfffe;

/// Events that have no counter: the host derives them from the others
/// (`idle_pe_cycles = cycles x R x C - macs`).
pub const DERIVED_EVENTS: [&str; 1] = ["idle_pe_cycles"];

/// Counters that are cycle counts of the run rather than `EventCounts` names.
pub const CYCLE_COUNTERS: [&str; 3] = ["stall_cycles", "load_cycles", "writeback_cycles"];

/// The hardware counters, in counter-select order, built from the one list of event names:
/// `cycles`, then [`EventCounts::NAMES`] in their order without the [`DERIVED_EVENTS`], then the
/// memory system's [`CYCLE_COUNTERS`]. What each one counts is `blocks::counter_map`'s table.
pub const COUNTERS: [&str; COUNTER_COUNT] = counters();

/// How many hardware counters there are.
const COUNTER_COUNT: usize =
    1 + EventCounts::NAMES.len() - DERIVED_EVENTS.len() + CYCLE_COUNTERS.len();

/// Whether two names are equal (a `const fn`, for [`counters`]).
const fn same(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

/// [`COUNTERS`], assembled at compile time.
const fn counters() -> [&'static str; COUNTER_COUNT] {
    let mut out = [""; COUNTER_COUNT];
    out[0] = "cycles";
    let mut n = 1;
    let mut i = 0;
    while i < EventCounts::NAMES.len() {
        let name = EventCounts::NAMES[i];
        let mut derived = false;
        let mut d = 0;
        while d < DERIVED_EVENTS.len() {
            derived |= same(name, DERIVED_EVENTS[d]);
            d += 1;
        }
        if !derived {
            out[n] = name;
            n += 1;
        }
        i += 1;
    }
    let mut c = 0;
    while c < CYCLE_COUNTERS.len() {
        out[n] = CYCLE_COUNTERS[c];
        n += 1;
        c += 1;
    }
    // Every derived event is an event name, so the list is full.
    assert!(n == COUNTER_COUNT, "a derived event is not an event name");
    out
}

/// The top module's ports other than `clock`: name, input (true) or output, width.
pub const TOP_PORTS: [(&str, bool, usize); 28] = [
    ("start", true, 1),
    ("cmd_m", true, 16),
    ("cmd_n", true, 16),
    ("cmd_k", true, 16),
    ("cmd_mode", true, 2),
    ("cmd_a_base", true, 16),
    ("cmd_b_base", true, 16),
    ("cmd_c_base", true, 16),
    ("cmd_a_reuse", true, 2),
    ("cmd_b_reuse", true, 2),
    ("cmd_c_chunks", true, 16),
    ("cmd_c_chunk", true, 16),
    ("cmd_c_chunk_rem", true, 16),
    ("host_sel", true, 2),
    ("host_we", true, 1),
    ("host_addr", true, 16),
    ("host_lane", true, 8),
    ("host_wdata", true, 8),
    ("host_re", true, 1),
    ("ctr_sel", true, 8),
    ("stall", true, 1),
    ("host_rdata", false, 32),
    ("busy", false, 1),
    ("done", false, 1),
    ("fold_start", false, 1),
    ("running", false, 1),
    ("ctr_lo", false, 32),
    ("ctr_hi", false, 32),
];

/// The memory port's ports (`mem_*`) of a design whose buffers A and B have `lanes` lanes and C
/// `lanes_c`: name, input (true) or output, width.
pub fn memory_ports(lanes: usize, lanes_c: usize) -> Vec<(String, bool, usize)> {
    let mut p: Vec<(String, bool, usize)> = [
        ("mem_ch0_valid", false, 1),
        ("mem_ch0_count", false, 8),
        ("mem_ch0_addr", false, 16),
        ("mem_wvalid", false, 1),
        ("mem_ch1_valid", false, 1),
        ("mem_ch1_sel", false, 2),
        ("mem_ch1_addr", false, 16),
        ("mem_ch1_count", false, 8),
        ("mem_ch2_valid", false, 1),
        ("mem_ch2_sel", false, 2),
        ("mem_ch2_addr", false, 16),
        ("mem_ch2_count", false, 8),
        ("mem_ch3_valid", false, 1),
        ("mem_ch3_sel", false, 2),
        ("mem_ch3_addr", false, 16),
        ("mem_ch3_count", false, 8),
        ("mem_ready0", true, 1),
        ("mem_ready1", true, 1),
        ("mem_ready2", true, 1),
        ("mem_ready3", true, 1),
        ("mem_writes_idle", true, 1),
        ("mem_resp_c", true, 1),
        ("mem_resp_c_count", true, 8),
        ("mem_take_c", false, 1),
    ]
    .iter()
    .map(|&(n, i, w)| (n.to_string(), i, w))
    .collect();
    for l in 0..lanes_c {
        p.push((format!("mem_wdata${l}"), false, 32));
    }
    for l in 0..lanes_c {
        p.push((format!("mem_resp_c_data${l}"), true, 32));
    }
    for x in ["a", "b"] {
        p.push((format!("mem_resp_{x}"), true, 1));
        p.push((format!("mem_resp_{x}_addr"), true, 16));
        p.push((format!("mem_resp_{x}_count"), true, 8));
        for l in 0..lanes {
            p.push((format!("mem_resp_{x}_data${l}"), true, 8));
        }
    }
    p
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every event has a counter or is derived, in `EventCounts::NAMES` order, and no name is
    /// counted twice.
    #[test]
    fn counters_follow_the_event_names() {
        let events: Vec<&str> = COUNTERS[1..COUNTERS.len() - CYCLE_COUNTERS.len()].to_vec();
        let expected: Vec<&str> = EventCounts::NAMES
            .iter()
            .copied()
            .filter(|n| !DERIVED_EVENTS.contains(n))
            .collect();
        assert_eq!(events, expected);
        assert_eq!(COUNTERS[0], "cycles");
        assert_eq!(COUNTERS[COUNTERS.len() - 3..], CYCLE_COUNTERS);
        let mut sorted = COUNTERS.to_vec();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted.len(), COUNTERS.len(), "a counter listed twice");
        for d in DERIVED_EVENTS {
            assert!(EventCounts::NAMES.contains(&d), "{d} is not an event");
        }
    }
}
