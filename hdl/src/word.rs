//! Conversions between rust-hdl's bit vectors and Rust integers, shared by the hardware blocks'
//! simulation models and the backends (a leaf module: it imports nothing of this crate).

use rust_hdl::prelude::*;

/// An int32 from a rust-hdl `Signed<32>`.
pub(crate) fn signed_i32(x: Signed<32>) -> i32 {
    x.inner().to_u64() as u32 as i32
}
