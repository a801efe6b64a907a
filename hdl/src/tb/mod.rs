//! Simulation-only models that are not hardware: the test bench's DRAM ([`dram`]) and the
//! simulation top that joins it to the accelerator ([`sim_top`]), which every simulation backend
//! runs.

pub mod dram;
pub mod sim_top;
