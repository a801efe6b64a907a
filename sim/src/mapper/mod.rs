//! The mapper: closed forms of a mapped run ([`cost`]) and the search for the best mapping of a
//! layer in a dataflow (`docs/mapping.md`). It reads the mapping layer and the memory system's
//! decisions; the fast model then runs the mapping it picks, cycle by cycle.

pub mod cost;
