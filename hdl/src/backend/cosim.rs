//! Running the generated Verilog in external simulators (Icarus Verilog, Verilator) through the
//! accelerator's host port: a run file of the start command's fields (`run.txt`, [`run_file`]), a
//! load file of operand writes (`load.txt`), optionally a stall pattern (`stall.txt`), then the
//! run, C and the counters read back. The Icarus test bench, like the Verilator harness, reads
//! those files, so both are compiled once per design and cached (`$SYSTOLE_CACHE`, default
//! `~/.cache/systole`). Both simulators print the same lines, parsed here into a `GemmRun`:
//!
//! ```text
//! FOLD <cycle>            a fold's first stream read (while running)
//! STALLS <n>              cycles of the run in which `stall` was driven high
//! STALL_VIOLATION <cycle>  Icarus only: a buffer read or a C write enabled in a stalled cycle
//! C <vector> <lane> <v>   buffer C after the run
//! CTR <index> <hi> <lo>   hardware counter (COUNTERS order)
//! SIM_NS <ns>             wall time of the run alone (Verilator)
//! BAD_RUN_FILE <fields>   Icarus only: run.txt could not be read
//! CYCLE <n>               Icarus only: a heartbeat every 1024 clock cycles (ignored)
//! END
//! ```

use std::fmt::Write as _;
use std::path::Path;

use systole_sim::array::{buffer_images, unpack_c, BufferImages, GemmRun};
use systole_sim::config::{ArchConfig, Dataflow};
use systole_sim::matrix::Matrix;
use systole_sim::workload::GemmShape;

use super::rtl::stats_from_counters;
use super::{BackendRun, RtlRequest};
use crate::backend::request::cycle_limit;
use crate::error::HdlError;
use crate::interface::mode_code;
use crate::interface::{COUNTERS, HOST_SEL_A, HOST_SEL_B, HOST_SEL_STAGE};
use crate::tool::{run_tool, run_watched};
use systole_sim::quant::OutputStage;

/// One host write per line: `sel addr lane value` in hex (`sel` 1 = A, 2 = B, 3 = the
/// configuration: the mapping's loop registers and the output stage's parameters,
/// [`crate::backend::rtl::config_writes`]).
pub fn load_file(img: &BufferImages, config: &[(u64, u64, u8)]) -> (String, usize) {
    let mut out = String::new();
    let mut n = 0;
    for &(addr, lane, byte) in config {
        let _ = writeln!(out, "{HOST_SEL_STAGE:x} {addr:x} {lane:x} {byte:x}");
        n += 1;
    }
    for (sel, data, lanes) in [
        (HOST_SEL_A, &img.a, img.a_lanes),
        (HOST_SEL_B, &img.b, img.b_lanes),
    ] {
        for (i, &x) in data.iter().enumerate() {
            let _ = writeln!(out, "{sel:x} {:x} {:x} {:x}", i / lanes, i % lanes, x as u8);
            n += 1;
        }
    }
    (out, n)
}

/// What a host program needs to know about one run.
#[derive(Debug, Clone, Copy)]
pub struct RunParams {
    /// The GEMM.
    pub shape: GemmShape,
    /// Dataflow code.
    pub mode: u64,
    /// The start command's memory fields ([`crate::backend::request::memory_command`]).
    pub mem: crate::backend::request::MemoryCommand,
    /// Host writes in the load file.
    pub loads: usize,
    /// C vectors the result occupies.
    pub c_vectors: usize,
    /// Lanes per C vector.
    pub c_lanes: usize,
    /// Read latency of buffer C.
    pub c_latency: u32,
    /// Watchdog: cycles by which done must rise.
    pub limit: u64,
    /// Lines of the stall pattern file `stall.txt` (0: `stall` stays low).
    pub stall_len: usize,
}

/// The stall pattern file: one line per cycle after the start command's clock edge (line `k` is
/// `stall` in the `k`-th cycle, 0 being the controller's setup cycle), `1` or `0`; `stall` is low
/// after the last line.
pub fn stall_file(pattern: &[bool]) -> String {
    pattern
        .iter()
        .map(|&s| if s { "1\n" } else { "0\n" })
        .collect()
}

/// Checks a GEMM (and its output stage) against the RTL's limits and lays out its operands.
pub fn prepare(
    cfg: &ArchConfig,
    df: Dataflow,
    a: &Matrix<i8>,
    b: &Matrix<i8>,
    mapping: &systole_sim::mapping::Mapping,
    stage: Option<&OutputStage>,
    stall_pattern: &[bool],
) -> Result<(RunParams, String), HdlError> {
    let img = buffer_images(cfg, df, a, b)?;
    let shape = crate::backend::request::check_rtl_at(
        cfg,
        df,
        a.rows(),
        b.cols(),
        a.cols(),
        &img,
        Default::default(),
        mapping,
    )?;
    if let Some(st) = stage {
        systole_sim::array::check_output_stage(cfg, shape.n, st)?;
    }
    let config = crate::backend::rtl::config_writes(cfg, df, shape, Some(mapping), stage)?;
    let (load, loads) = load_file(&img, &config);
    Ok((
        RunParams {
            shape,
            mode: mode_code(df),
            mem: crate::backend::request::memory_command(cfg, df, shape, mapping)?,
            loads,
            c_vectors: img.c_vectors,
            c_lanes: img.c_lanes,
            c_latency: cfg.buffers.c.read_latency,
            // Every stalled cycle lengthens the run by one.
            limit: cycle_limit(cfg, df, shape, mapping) + stall_pattern.len() as u64,
            stall_len: stall_pattern.len(),
        },
        load,
    ))
}

/// The run file both simulators read (`run.txt`): the start command's fields, the number of
/// host writes in the load file, C's size and read latency, the watchdog and the length of the
/// stall pattern, in decimal on one line. The test bench and the harness are the same for every
/// run of a design, so each is compiled once per design.
pub fn run_file(p: &RunParams) -> String {
    format!(
        "{} {} {} {} {} {} {} {} {} {} {} {} {} {} {}\n",
        p.shape.m,
        p.shape.n,
        p.shape.k,
        p.mode,
        p.mem.a_reuse,
        p.mem.b_reuse,
        p.mem.c_chunks,
        p.mem.c_chunk,
        p.mem.c_chunk_rem,
        p.loads,
        p.c_vectors,
        p.c_lanes,
        p.c_latency,
        p.limit,
        p.stall_len
    )
}

/// The Icarus test bench: reads the run file (`run.txt`, [`run_file`]), drives the host port of
/// module `top` as the module doc describes, with `stall` from `stall.txt` when the run has a
/// pattern. It is the same for every run, so `iverilog` compiles it once per design.
pub fn icarus_testbench() -> String {
    format!(
        r#"`timescale 1ns/1ps
// Generated by systole: loads operands through the host port, runs one GEMM, prints C and the
// counters. See hdl/src/backend/cosim.rs for the run file and the output format.
module tb;
  reg clock = 0;
  always #5 clock = ~clock;
  reg start = 0;
  reg [15:0] cmd_m = 0, cmd_n = 0, cmd_k = 0;
  reg [1:0] cmd_mode = 0;
  reg [15:0] cmd_a_base = 0, cmd_b_base = 0, cmd_c_base = 0;
  reg [1:0] cmd_a_reuse = 0, cmd_b_reuse = 0;
  reg [15:0] cmd_c_chunks = 0, cmd_c_chunk = 0, cmd_c_chunk_rem = 0;
  reg stall = 0;
  reg [1:0] host_sel = 0;
  reg host_we = 0, host_re = 0;
  reg [15:0] host_addr = 0;
  reg [7:0] host_lane = 0;
  reg signed [7:0] host_wdata = 0;
  wire signed [31:0] host_rdata;
  wire busy, done, fold_start, running;
  reg [7:0] ctr_sel = 0;
  wire [31:0] ctr_lo, ctr_hi;
  top dut(.clock(clock), .start(start), .cmd_m(cmd_m), .cmd_n(cmd_n), .cmd_k(cmd_k),
    .cmd_mode(cmd_mode), .cmd_a_base(cmd_a_base), .cmd_b_base(cmd_b_base), .cmd_c_base(cmd_c_base),
    .cmd_a_reuse(cmd_a_reuse), .cmd_b_reuse(cmd_b_reuse), .cmd_c_chunks(cmd_c_chunks),
    .cmd_c_chunk(cmd_c_chunk), .cmd_c_chunk_rem(cmd_c_chunk_rem),
    .stall(stall), .host_sel(host_sel), .host_we(host_we), .host_addr(host_addr), .host_lane(host_lane),
    .host_wdata(host_wdata), .host_re(host_re), .host_rdata(host_rdata), .busy(busy), .done(done),
    .fold_start(fold_start), .running(running), .ctr_sel(ctr_sel), .ctr_lo(ctr_lo), .ctr_hi(ctr_hi));
  integer fd, rf, sf, i, v, l, code, sbit;
  integer m, n, k, mode, a_reuse, b_reuse, c_chunks, c_chunk, c_chunk_rem;
  integer loads, c_vectors, c_lanes, c_latency, stall_len;
  reg [63:0] limit, t, waited, stalls;
  reg [31:0] f_sel, f_addr, f_lane, f_val;
  // Heartbeat: simulated time advances. A zero-delay loop in the design prints nothing more, and
  // the runner stops vvp after SILENCE_LIMIT of silence.
  integer beats = 0;
  always @(posedge clock) begin
    beats = beats + 1;
    if (beats % 1024 == 0) $display("CYCLE %0d", beats);
  end
  initial begin
    rf = $fopen("run.txt", "r");
    code = $fscanf(rf, "%d %d %d %d %d %d %d %d %d %d %d %d %d %d %d\n", m, n, k, mode,
      a_reuse, b_reuse, c_chunks, c_chunk, c_chunk_rem, loads, c_vectors, c_lanes, c_latency,
      limit, stall_len);
    $fclose(rf);
    if (code != 15) begin
      $display("BAD_RUN_FILE %0d", code);
      $finish;
    end
    cmd_m = m; cmd_n = n; cmd_k = k; cmd_mode = mode;
    cmd_a_reuse = a_reuse; cmd_b_reuse = b_reuse;
    cmd_c_chunks = c_chunks; cmd_c_chunk = c_chunk; cmd_c_chunk_rem = c_chunk_rem;
    sf = 0;
    if (stall_len > 0) sf = $fopen("stall.txt", "r");
    fd = $fopen("load.txt", "r");
    for (i = 0; i < loads; i = i + 1) begin
      code = $fscanf(fd, "%h %h %h %h\n", f_sel, f_addr, f_lane, f_val);
      @(negedge clock);
      host_sel = f_sel; host_addr = f_addr; host_lane = f_lane; host_wdata = f_val; host_we = 1;
    end
    $fclose(fd);
    @(negedge clock);
    host_we = 0;
    start = 1;
    @(negedge clock);
    start = 0;
    // Cycle `waited` after the start edge: drive stall, let it settle, observe, then clock.
    t = 0; waited = 0; stalls = 0;
    stall = 1'b0;
    if (stall_len > 0) begin
      code = $fscanf(sf, "%d\n", sbit);
      stall = sbit[0];
    end
    #1;
    while (!done && waited < limit) begin
      if (running) begin
        if (fold_start) $display("FOLD %0d", t);
        if (stall) stalls = stalls + 1;
        // A stalled cycle must not write C nor advance a buffer's read side (a C write of the
        // held row would leave C unchanged, so only this check sees it).
        if (stall && (dut.acc.buf_c$we || dut.acc.buf_a$en || dut.acc.buf_b$en || dut.acc.buf_c$en))
          $display("STALL_VIOLATION %0d", t);
        t = t + 1;
      end
      @(negedge clock);
      waited = waited + 1;
      stall = 1'b0;
      if (waited < stall_len) begin
        code = $fscanf(sf, "%d\n", sbit);
        stall = sbit[0];
      end
      #1;
    end
    stall = 0;
    if (stall_len > 0) $fclose(sf);
    if (!done) $display("TIMEOUT");
    $display("STALLS %0d", stalls);
    for (v = 0; v < c_vectors; v = v + 1) begin
      // From a falling edge, so that a clock edge samples host_re (the lane loop below takes
      // one time unit per lane, more than half a period beyond four lanes).
      @(negedge clock);
      host_addr = v; host_re = 1;
      @(negedge clock);
      host_re = 0;
      repeat (c_latency - 1) @(negedge clock);
      for (l = 0; l < c_lanes; l = l + 1) begin
        host_lane = l;
        #1 $display("C %0d %0d %0d", v, l, host_rdata);
      end
    end
    for (i = 0; i < {counters}; i = i + 1) begin
      ctr_sel = i;
      #1 $display("CTR %0d %0d %0d", i, ctr_hi, ctr_lo);
    end
    $display("END");
    $finish;
  end
endmodule
"#,
        counters = COUNTERS.len(),
    )
}

/// Parses a simulator's output of a run of `mapping` into a run.
pub fn parse_output(
    cfg: &ArchConfig,
    df: Dataflow,
    p: &RunParams,
    mapping: &systole_sim::mapping::Mapping,
    text: &str,
) -> Result<BackendRun, HdlError> {
    let bad = |line: &str| HdlError::Sim(format!("unexpected simulator output line: {line:?}"));
    let mut folds = Vec::new();
    let mut c = vec![0i32; p.c_vectors * p.c_lanes];
    // Lanes the simulator shows as unknown (`x`): allowed only in padding lanes of C, which no
    // run writes; checked after unpacking.
    let mut unknown = vec![0i32; p.c_vectors * p.c_lanes];
    let mut counts = vec![0u64; COUNTERS.len()];
    let mut sim_seconds = 0.0;
    let mut stalls = 0;
    let mut ended = false;
    for line in text.lines() {
        let f: Vec<&str> = line.split_whitespace().collect();
        let num = |i: usize| -> Result<i64, HdlError> {
            f.get(i)
                .and_then(|x| x.parse::<i64>().ok())
                .ok_or_else(|| bad(line))
        };
        match f.first().copied() {
            Some("FOLD") => folds.push(num(1)? as u64),
            Some("C") => {
                let (v, l) = (num(1)? as usize, num(2)? as usize);
                let at = v * p.c_lanes + l;
                if at >= c.len() {
                    return Err(bad(line));
                }
                match f.get(3) {
                    Some(x) if x.contains(['x', 'z', 'X', 'Z']) => unknown[at] = 1,
                    _ => c[at] = num(3)? as i32,
                }
            }
            Some("CTR") => {
                *counts.get_mut(num(1)? as usize).ok_or_else(|| bad(line))? =
                    ((num(2)? as u64) << 32) | num(3)? as u64;
            }
            Some("SIM_NS") => sim_seconds = num(1)? as f64 * 1e-9,
            Some("STALLS") => stalls = num(1)? as u64,
            Some("STALL_VIOLATION") => {
                return Err(HdlError::Sim(format!(
                    "cycle {} of the run stalled, yet C was written or a buffer read advanced",
                    num(1)?
                )))
            }
            Some("TIMEOUT") => {
                return Err(HdlError::Sim(format!(
                    "done did not rise within {} cycles",
                    p.limit
                )))
            }
            Some("BAD_RUN_FILE") => {
                return Err(HdlError::Sim(format!(
                    "the test bench read {} of the run file's 15 fields",
                    num(1)?
                )))
            }
            Some("END") => ended = true,
            _ => {}
        }
    }
    if !ended {
        return Err(HdlError::Sim(format!(
            "the simulator stopped before the end of the test bench; its output was:\n{text}"
        )));
    }
    let undefined = unpack_c(cfg, df, p.shape, &unknown);
    for i in 0..p.shape.m {
        for j in 0..p.shape.n {
            if undefined.get(i, j) != 0 {
                return Err(HdlError::Sim(format!(
                    "C[{i}][{j}] is undefined (x) in the simulation"
                )));
            }
        }
    }
    let mut stats = stats_from_counters(cfg, df, p.shape, mapping, &counts, &folds)?;
    if cfg.memory == systole_sim::config::MemoryModel::Ideal {
        // The host's stalls (with DRAM, the hardware counts the DMA's).
        stats.stall_cycles = stalls;
    }
    Ok(BackendRun {
        run: GemmRun {
            c: unpack_c(cfg, df, p.shape, &c),
            stats,
        },
        sim_seconds,
        stalled: Vec::new(),
    })
}

/// Runs `req` on the generated Verilog in Icarus Verilog, its files in `dir`, with `stall`
/// driven by `pattern` (see [`stall_file`]).
pub(crate) fn run_icarus(
    req: &RtlRequest<'_>,
    dir: &Path,
    pattern: &[bool],
) -> Result<BackendRun, HdlError> {
    let (cfg, df) = (req.cfg, req.df);
    let (p, load) = prepare(cfg, df, req.a, req.b, req.mapping, req.stage, pattern)?;
    let vvp = compiled(cfg)?;
    let io = |e: std::io::Error| HdlError::Sim(format!("writing into {}: {e}", dir.display()));
    std::fs::create_dir_all(dir).map_err(io)?;
    std::fs::write(dir.join("stall.txt"), stall_file(pattern)).map_err(io)?;
    std::fs::write(dir.join("run.txt"), run_file(&p)).map_err(io)?;
    std::fs::write(dir.join("load.txt"), load).map_err(io)?;
    let vvp = vvp.to_string_lossy();
    let text = run_watched(dir, "vvp", &["-n", &vvp], SILENCE_LIMIT)?;
    parse_output(cfg, df, &p, req.mapping, &text)
}

/// Compiles (or finds in the cache, [`super::cache_root`]`/icarus`) the Icarus simulation of
/// `cfg`'s design and the test bench; returns the compiled `sim.vvp`. `infer --backend icarus`
/// and the tests run many GEMMs on one design, and the compile is most of a small run's time.
fn compiled(cfg: &ArchConfig) -> Result<std::path::PathBuf, HdlError> {
    let verilog = crate::flow::verilog::simulation_verilog(cfg)?;
    let bench = icarus_testbench();
    super::cached_build("icarus", cfg, &[&verilog, &bench], "sim.vvp", |dir| {
        let io = |e: std::io::Error| HdlError::Sim(format!("writing into {}: {e}", dir.display()));
        std::fs::write(dir.join("top.v"), &verilog).map_err(io)?;
        std::fs::write(dir.join("tb.v"), &bench).map_err(io)?;
        run_tool(
            dir,
            "iverilog",
            &["-g2005", "-o", "sim.vvp", "tb.v", "top.v"],
        )
        .map(|_| ())
    })
}

/// How long vvp may print nothing before it is stopped: the test bench prints a heartbeat every
/// 1024 clock cycles, so silence this long means simulated time has stopped (a zero-delay loop
/// between blocks, `docs/rtl.md`, rust-hdl finding 2), which would otherwise run forever.
pub const SILENCE_LIMIT: std::time::Duration = std::time::Duration::from_secs(300);
