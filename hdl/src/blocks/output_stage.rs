//! The output stage between the deskew and buffer C: on a row's final write (its last
//! accumulation) each lane adds its channel's bias and requantizes to int8 as TFLite does
//! (`docs/quantization.md`); other writes (partial sums) pass through unchanged.
//!
//! Channel of lane `j`: `col_base + j` in OS and WS (a C row holds columns), `step` in IS (a C
//! vector holds rows of one column). The parameter table (bias, Q31 multiplier, shift per channel)
//! and the configuration (enable, output zero point, clamp range) are written through the host
//! port with `host_sel` 3, one byte per write ([`param_writes`]).
//!
//! The block is written by hand: a Rust model (which calls `systole_sim::quant`) and a Verilog
//! body written independently of it. `hdl/tests/output_stage.rs` runs the Verilog functions alone
//! in Icarus on edge cases and whole GEMMs in Icarus and Verilator against the fast model;
//! `tests/cli_quantized.rs` holds every backend to an independent Python implementation of
//! TFLite's arithmetic.

use rust_hdl::prelude::*;
use systole_sim::quant::{requantize, OutputStage as Params, Requant};

use crate::interface::CONFIG_ADDR;
use crate::netlist::vec_of;

/// The output stage of a `lanes`-wide C row with a table of `channels` entries (0: no stage;
/// the block passes every value through).
#[derive(LogicBlock)]
pub struct OutputStageBlock {
    /// The clock (table writes).
    pub clock: Signal<In, Clock>,
    /// Host write of one parameter byte (already qualified by `host_sel` 3).
    pub host_we: Signal<In, Bit>,
    /// Channel, or [`CONFIG_ADDR`].
    pub host_addr: Signal<In, Bits<16>>,
    /// Channel entries: `field * 4 + byte` (field 0 bias, 1 multiplier, 2 shift; little-endian
    /// bytes). Configuration: the register.
    pub host_lane: Signal<In, Bits<8>>,
    /// The byte.
    pub host_wdata: Signal<In, Signed<8>>,
    /// The write due this cycle is the row's final accumulation.
    pub fin: Signal<In, Bit>,
    /// IS mode: every lane is channel `step`.
    pub is_mode: Signal<In, Bit>,
    /// OS/WS: the channel of lane 0.
    pub col_base: Signal<In, Bits<16>>,
    /// IS: the channel of the row.
    pub step: Signal<In, Bits<16>>,
    /// Per lane: deskewed value plus read-back partial sum.
    pub sum: Vec<Signal<In, Signed<32>>>,
    /// Per lane: what buffer C is written with.
    pub out: Vec<Signal<Out, Signed<32>>>,
    /// The stage requantizes this cycle's write (enabled and final).
    pub active: Signal<Out, Bit>,
    _channels: usize,
    _bias: Vec<i32>,
    _mult: Vec<i32>,
    _shift: Vec<i8>,
    _en: bool,
    _zp: i8,
    _lo: i8,
    _hi: i8,
}

impl OutputStageBlock {
    /// A stage for `lanes` lanes and `channels` table entries, disabled, table zeroed.
    pub fn new(lanes: usize, channels: usize) -> Self {
        OutputStageBlock {
            clock: Default::default(),
            host_we: Default::default(),
            host_addr: Default::default(),
            host_lane: Default::default(),
            host_wdata: Default::default(),
            fin: Default::default(),
            is_mode: Default::default(),
            col_base: Default::default(),
            step: Default::default(),
            sum: vec_of(lanes),
            out: vec_of(lanes),
            active: Default::default(),
            _channels: channels,
            _bias: vec![0; channels],
            _mult: vec![0; channels],
            _shift: vec![0; channels],
            _en: false,
            _zp: 0,
            _lo: -128,
            _hi: 127,
        }
    }

    fn write_byte(&mut self, addr: usize, lane: usize, byte: u8) {
        if addr as u64 == CONFIG_ADDR {
            match lane {
                0 => self._en = byte & 1 == 1,
                1 => self._zp = byte as i8,
                2 => self._lo = byte as i8,
                3 => self._hi = byte as i8,
                _ => {}
            }
            return;
        }
        if addr >= self._channels {
            return;
        }
        let set = |w: &mut i32, k: usize| {
            let sh = 8 * k as u32;
            *w = ((*w as u32 & !(0xff << sh)) | (u32::from(byte) << sh)) as i32;
        };
        match lane {
            0..=3 => set(&mut self._bias[addr], lane),
            4..=7 => set(&mut self._mult[addr], lane - 4),
            8 => self._shift[addr] = byte as i8,
            _ => {}
        }
    }
}

impl Logic for OutputStageBlock {
    fn update(&mut self) {
        if self.clock.pos_edge() && self.host_we.val() {
            let w = self.host_wdata.val().inner().to_u64() as u8;
            self.write_byte(
                self.host_addr.val().to_u64() as usize,
                self.host_lane.val().to_u64() as usize,
                w,
            );
        }
        let on = self._channels > 0 && self._en && self.fin.val();
        self.active.next = on;
        let is = self.is_mode.val();
        let (base, step) = (
            self.col_base.val().to_u64() as usize,
            self.step.val().to_u64() as usize,
        );
        for j in 0..self.sum.len() {
            let s = self.sum[j].val();
            self.out[j].next = if on {
                let n = if is { step } else { (base + j) & 0xffff };
                let n = if n < self._channels { n } else { 0 };
                let r = Requant {
                    multiplier: self._mult[n],
                    shift: i32::from(self._shift[n]),
                };
                let q = requantize(
                    crate::word::signed_i32(s),
                    self._bias[n],
                    r,
                    i32::from(self._zp),
                    (self._lo, self._hi),
                );
                Signed::<32>::from(i64::from(q))
            } else {
                s
            };
        }
    }

    fn connect(&mut self) {
        for o in self.out.iter_mut() {
            o.connect();
        }
        self.active.connect();
    }

    fn hdl(&self) -> Verilog {
        Verilog::Custom(verilog_body(self.sum.len(), self._channels))
    }
}

/// The Verilog functions of the requantization (`srdhm`, `rdbpot`, `requant`), as the stage's
/// module declares them; `requant(acc, bias, mult, shift, zp, lo, hi)` is one lane's result.
pub const REQUANT_FUNCTIONS: &str = r#"// TFLite int8 requantization (docs/quantization.md).
// SaturatingRoundingDoublingHighMul: high word of 2ab, ties up; MIN x MIN saturates.
function signed [31:0] srdhm;
  input signed [31:0] a;
  input signed [31:0] b;
  reg signed [63:0] a64, b64, ab, t;
  begin
    a64 = a;
    b64 = b;
    ab = a64 * b64;
    if (ab[63]) t = ab + 64'sd1 - 64'sd1073741824;
    else t = ab + 64'sd1073741824;
    // Division by 2^31 truncating toward zero.
    if (t[63]) t = t + 64'sd2147483647;
    t = t >>> 31;
    if (a == 32'sh80000000 && b == 32'sh80000000) srdhm = 32'sh7fffffff;
    else srdhm = t[31:0];
  end
endfunction
// RoundingDivideByPOT: x / 2^e, ties away from zero; e is 0 to 31.
function signed [31:0] rdbpot;
  input signed [31:0] x;
  input [4:0] e;
  reg [31:0] mask, rem, thr;
  begin
    mask = (e == 5'd0) ? 32'd0 : (32'hffffffff >> (6'd32 - {1'b0, e}));
    rem = x & mask;
    thr = (mask >> 1) + {31'd0, x[31]};
    rdbpot = (x >>> e) + ((rem > thr) ? 32'sd1 : 32'sd0);
  end
endfunction
// bias, MultiplyByQuantizedMultiplier (shift > 0: left, wrapping), zero point, clamp.
function signed [31:0] requant;
  input signed [31:0] acc;
  input signed [31:0] bias;
  input signed [31:0] mult;
  input signed [7:0] shift;
  input signed [7:0] zp;
  input signed [7:0] lo;
  input signed [7:0] hi;
  reg signed [31:0] x, y, z, lo32, hi32;
  reg [4:0] left, right;
  begin
    x = acc + bias;
    left = shift[7] ? 5'd0 : shift[4:0];
    right = shift[7] ? (5'd0 - shift[4:0]) : 5'd0;
    y = rdbpot(srdhm(x << left, mult), right);
    z = y + {{24{zp[7]}}, zp};
    lo32 = {{24{lo[7]}}, lo};
    hi32 = {{24{hi[7]}}, hi};
    if (z < lo32) requant = lo32;
    else if (z > hi32) requant = hi32;
    else requant = z;
  end
endfunction
"#;

/// The Verilog of a stage with `lanes` lanes and `channels` entries.
fn verilog_body(lanes: usize, channels: usize) -> String {
    if channels == 0 {
        let mut v = String::from("always @(*) begin\n  active = 1'b0;\n");
        for j in 0..lanes {
            v += &format!("  out${j} = sum${j};\n");
        }
        return v + "end\n";
    }
    let last = channels - 1;
    let mut v = String::from(REQUANT_FUNCTIONS);
    v += &format!(
        r#"reg [7:0] q_b0 [0:{last}];
reg [7:0] q_b1 [0:{last}];
reg [7:0] q_b2 [0:{last}];
reg [7:0] q_b3 [0:{last}];
reg [7:0] q_m0 [0:{last}];
reg [7:0] q_m1 [0:{last}];
reg [7:0] q_m2 [0:{last}];
reg [7:0] q_m3 [0:{last}];
reg [7:0] q_s [0:{last}];
reg q_en;
reg [7:0] q_zp, q_lo, q_hi;
integer qi;
initial begin
  q_en = 1'b0;
  q_zp = 8'd0;
  q_lo = 8'h80;
  q_hi = 8'h7f;
  for (qi = 0; qi < {channels}; qi = qi + 1) begin
    q_b0[qi] = 8'd0; q_b1[qi] = 8'd0; q_b2[qi] = 8'd0; q_b3[qi] = 8'd0;
    q_m0[qi] = 8'd0; q_m1[qi] = 8'd0; q_m2[qi] = 8'd0; q_m3[qi] = 8'd0;
    q_s[qi] = 8'd0;
  end
end
always @(posedge clock) begin
  if (host_we) begin
    if (host_addr == 16'hffff) begin
      if (host_lane == 8'd0) q_en <= host_wdata[0];
      if (host_lane == 8'd1) q_zp <= host_wdata;
      if (host_lane == 8'd2) q_lo <= host_wdata;
      if (host_lane == 8'd3) q_hi <= host_wdata;
    end else if (host_addr < 16'd{channels}) begin
      if (host_lane == 8'd0) q_b0[host_addr] <= host_wdata;
      if (host_lane == 8'd1) q_b1[host_addr] <= host_wdata;
      if (host_lane == 8'd2) q_b2[host_addr] <= host_wdata;
      if (host_lane == 8'd3) q_b3[host_addr] <= host_wdata;
      if (host_lane == 8'd4) q_m0[host_addr] <= host_wdata;
      if (host_lane == 8'd5) q_m1[host_addr] <= host_wdata;
      if (host_lane == 8'd6) q_m2[host_addr] <= host_wdata;
      if (host_lane == 8'd7) q_m3[host_addr] <= host_wdata;
      if (host_lane == 8'd8) q_s[host_addr] <= host_wdata;
    end
  end
end
"#
    );
    for j in 0..lanes {
        v += &format!(
            r#"wire [15:0] q_n{j} = is_mode ? step : (col_base + 16'd{j});
wire [15:0] q_i{j} = (q_n{j} < 16'd{channels}) ? q_n{j} : 16'd0;
"#
        );
    }
    v += "always @(*) begin\n  active = q_en & fin;\n";
    for j in 0..lanes {
        v += &format!(
            "  out${j} = (q_en & fin) ? requant(sum${j}, {{q_b3[q_i{j}], q_b2[q_i{j}], q_b1[q_i{j}], q_b0[q_i{j}]}}, {{q_m3[q_i{j}], q_m2[q_i{j}], q_m1[q_i{j}], q_m0[q_i{j}]}}, q_s[q_i{j}], q_zp, q_lo, q_hi) : sum${j};\n"
        );
    }
    v + "end\n"
}

/// The host writes (`host_sel` 3) that load `stage` and enable it, or, with `None`, disable
/// the stage: `(addr, lane, byte)`, in order.
pub fn param_writes(stage: Option<&Params>) -> Vec<(u64, u64, u8)> {
    let mut w = Vec::new();
    let Some(st) = stage else {
        w.push((CONFIG_ADDR, 0, 0));
        return w;
    };
    for n in 0..st.channels() {
        let r = st.requant[n];
        for (k, byte) in st.bias[n].to_le_bytes().into_iter().enumerate() {
            w.push((n as u64, k as u64, byte));
        }
        for (k, byte) in r.multiplier.to_le_bytes().into_iter().enumerate() {
            w.push((n as u64, 4 + k as u64, byte));
        }
        w.push((n as u64, 8, r.shift as i8 as u8));
    }
    w.push((CONFIG_ADDR, 1, st.out_zero_point as i8 as u8));
    w.push((CONFIG_ADDR, 2, st.act_min as u8));
    w.push((CONFIG_ADDR, 3, st.act_max as u8));
    w.push((CONFIG_ADDR, 0, 1));
    w
}
