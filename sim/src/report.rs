//! Report tables (filled in below).
