//! The `rtl` backend: runs a GEMM on the `crate::blocks::top::Accelerator` and its DRAM model
//! (`SimTop`) in rust-hdl's own simulator, clocking it by hand (`simulate()` per clock edge,
//! which is about five times faster than a threaded testbench). Operands are loaded through a
//! backdoor into the buffers (ideal memory model) or DRAM's images (the Verilog backends use the
//! host port); everything else runs through the design: the start command, the DMA's fetches
//! and drains, every fold, the counters, `done`.

use std::time::Instant;

use rust_hdl::core::vcd_probe::VCDProbe;
use rust_hdl::prelude::*;
use systole_sim::array::{buffer_images, fold_spans, unpack_c, GemmRun};
use systole_sim::config::{ArchConfig, BufferId, Dataflow};
use systole_sim::events::EventCounts;
use systole_sim::matrix::Matrix;
use systole_sim::probe::Probe;
use systole_sim::quant::OutputStage;
use systole_sim::stats::{utilization, RunStats};

use super::{BackendRun, Bases, RtlRequest, RunRequest, Stall};
use crate::error::HdlError;
use crate::interface::{mode_code, COUNTERS, CYCLE_COUNTERS};
use crate::tb::sim_top::SimTop;
use crate::word::signed_i32;

fn settle(uut: &mut SimTop) -> Result<(), HdlError> {
    if simulate(uut, 1_000) {
        Ok(())
    } else {
        Err(HdlError::Sim(
            "rust-hdl's simulation did not converge within 1000 passes".into(),
        ))
    }
}

/// A VCD trace of the run (rust-hdl's probe: every signal of the design, one timestamp per clock
/// edge, 10 ns clock period).
struct Trace<W: std::io::Write> {
    vcd: Option<VCDProbe<W>>,
    time: u64,
}

impl<W: std::io::Write> Trace<W> {
    fn edge(&mut self, uut: &SimTop) -> Result<(), HdlError> {
        self.time += 5_000;
        if let Some(mut vcd) = self.vcd.take() {
            vcd.timestamp(self.time)
                .map_err(|e| HdlError::Sim(format!("writing the VCD trace: {e}")))?;
            self.vcd = Some(write_vcd_change(vcd, uut));
        }
        Ok(())
    }
}

/// The host's configuration writes (`host_sel` 3) before a start command, as `(addr, lane,
/// byte)`: the mapping's loop registers ([`crate::blocks::loop_regs::mapping_writes`]; SCALE-Sim's
/// order when `mapping` is `None`) and the output stage's parameters.
pub fn config_writes(
    cfg: &ArchConfig,
    df: Dataflow,
    shape: systole_sim::workload::GemmShape,
    mapping: Option<&systole_sim::mapping::Mapping>,
    stage: Option<&OutputStage>,
) -> Result<Vec<(u64, u64, u8)>, HdlError> {
    use crate::blocks::fold_queue::check_mapping;
    use crate::interface::MAP_ADDR;
    use systole_sim::mapping::Mapping;
    let scalesim = Mapping::scalesim(cfg, df, shape);
    let mapping = mapping.unwrap_or(&scalesim);
    let loops = check_mapping(cfg, df, shape, mapping)
        .map_err(|why| HdlError::Unsupported(format!("the mapping {mapping}: {why}")))?;
    // The loop registers sit at an address of the configuration select that the output stage
    // does not use as a channel.
    if let Some(st) = stage {
        if st.channels() as u64 >= MAP_ADDR {
            return Err(HdlError::Unsupported(format!(
                "an output stage of {} channels: the RTL's host port addresses channels below {MAP_ADDR}",
                st.channels()
            )));
        }
    }
    let mut w: Vec<(u64, u64, u8)> = loops
        .into_iter()
        .map(|(lane, byte)| (MAP_ADDR, lane, byte))
        .collect();
    w.extend(crate::blocks::output_stage::param_writes(stage));
    Ok(w)
}

fn tick<W: std::io::Write>(uut: &mut SimTop, trace: &mut Trace<W>) -> Result<(), HdlError> {
    uut.clock.next = Clock { clk: true };
    settle(uut)?;
    trace.edge(uut)?;
    uut.clock.next = Clock { clk: false };
    settle(uut)?;
    trace.edge(uut)
}

/// Runs `req` on a fresh instance of the design: every buffer access reaches `probe` in the
/// cycle it is done, `vcd` gets a waveform of every signal (for GTKWave or Surfer; names are
/// rust-hdl's hierarchy, e.g. `top.acc.mesh.pes$0.a.q`), and `stall(k)` drives the top's `stall`
/// input in the `k`-th cycle after the start command's clock edge (`k = 0` is the controller's
/// setup cycle), also before cycle 0 and after the last write, where the design ignores it.
pub(crate) fn run<P: Probe, W: std::io::Write>(
    req: &RtlRequest<'_>,
    probe: &mut P,
    vcd: Option<W>,
    stall: &mut dyn FnMut(u64) -> bool,
) -> Result<BackendRun, HdlError> {
    let drive = Drive {
        vcd,
        stall,
        bases: req.bases,
        stage: req.stage,
        mapping: Some(req.mapping),
    };
    RtlSession::new(req.cfg)?.drive(req.df, req.a, req.b, probe, drive)
}

/// One design instance that runs GEMMs one after another, each started when the previous one is
/// done, as a host would drive it: nothing is reset between runs but by the start command itself.
pub struct RtlSession {
    cfg: ArchConfig,
    uut: Box<SimTop>,
}

/// How a run is driven: a VCD writer, the host's `stall` per cycle after the start edge, the
/// start command's base addresses and the output stage's parameters.
struct Drive<'s, W> {
    vcd: Option<W>,
    stall: &'s mut dyn FnMut(u64) -> bool,
    bases: Bases,
    stage: Option<&'s OutputStage>,
    /// The fold order (`None`: SCALE-Sim's).
    mapping: Option<&'s systole_sim::mapping::Mapping>,
}

impl RtlSession {
    /// The design of `cfg`, idle.
    pub fn new(cfg: &ArchConfig) -> Result<Self, HdlError> {
        let mut uut = Box::new(SimTop::new(cfg)?);
        uut.connect_all();
        Ok(RtlSession {
            cfg: cfg.clone(),
            uut,
        })
    }

    /// Loads `req`'s operands at its bases, runs it, and reads C back, on this instance
    /// ([`super::Backend::run`] on a fresh one). The request's config must be the session's; a VCD or a
    /// stall pattern is refused (runs on a session are driven plainly).
    pub fn run<P: Probe>(
        &mut self,
        req: RunRequest<'_, i8>,
        probe: &mut P,
    ) -> Result<BackendRun, HdlError> {
        if *req.cfg != self.cfg {
            return Err(HdlError::Unsupported(format!(
                "a run of `{}` on a session of `{}`: a session runs its own design",
                req.cfg.name, self.cfg.name
            )));
        }
        if req.vcd.is_some() || !matches!(req.stall, Stall::Never) || req.mapping.is_some() {
            return Err(HdlError::Unsupported(
                "a VCD, a stall pattern or a mapping on a session: use Backend::run".into(),
            ));
        }
        let drive = Drive {
            vcd: None::<std::io::Sink>,
            stall: &mut |_| false,
            bases: req.bases,
            stage: req.stage,
            mapping: None,
        };
        self.drive(req.dataflow, req.a, req.b, probe, drive)
    }

    fn drive<P: Probe, W: std::io::Write>(
        &mut self,
        df: Dataflow,
        a: &Matrix<i8>,
        b: &Matrix<i8>,
        probe: &mut P,
        Drive {
            vcd,
            stall,
            bases,
            stage,
            mapping,
        }: Drive<'_, W>,
    ) -> Result<BackendRun, HdlError> {
        let (cfg, uut) = (&self.cfg, &mut *self.uut);
        let img = buffer_images(cfg, df, a, b)?;
        let scalesim = systole_sim::mapping::Mapping::scalesim(
            cfg,
            df,
            systole_sim::workload::GemmShape {
                m: a.rows(),
                n: b.cols(),
                k: a.cols(),
            },
        );
        let mapping = mapping.unwrap_or(&scalesim);
        let shape = crate::backend::request::check_rtl_at(
            cfg,
            df,
            a.rows(),
            b.cols(),
            a.cols(),
            &img,
            bases,
            mapping,
        )?;
        if let Some(st) = stage {
            systole_sim::array::check_output_stage(cfg, shape.n, st)?;
        }
        let (base_a, base_b, base_c) = (
            usize::from(bases.a),
            usize::from(bases.b),
            usize::from(bases.c),
        );
        let c = cfg.array.cols as usize;
        // Ideal memory: the operands are in the buffers; DRAM: in DRAM, and the run fetches them.
        let dram = cfg.memory == systole_sim::config::MemoryModel::Dram;
        for (b, (data, lanes)) in [(&img.a, img.a_lanes), (&img.b, img.b_lanes)]
            .into_iter()
            .enumerate()
        {
            for (v, chunk) in data.chunks(lanes).enumerate() {
                for (l, &x) in chunk.iter().enumerate() {
                    let x = Signed::<8>::from(i64::from(x));
                    match (dram, b) {
                        (true, 0) => uut.dram.poke(0, base_a + v, l, x),
                        (true, _) => uut.dram.poke(1, base_b + v, l, x),
                        (false, 0) => uut.acc.buf_a.poke(base_a + v, l, x),
                        (false, _) => uut.acc.buf_b.poke(base_b + v, l, x),
                    }
                }
            }
        }
        let began = Instant::now();
        uut.clock.next = Clock { clk: false };
        settle(uut)?;
        let mut trace = Trace {
            vcd: vcd.map(|w| {
                let v = write_vcd_header(w, &*uut);
                write_vcd_dump(v, &*uut)
            }),
            time: 0,
        };
        // The mapping's loop registers and the output stage's parameters, through the host port.
        for (addr, lane, byte) in config_writes(cfg, df, shape, Some(mapping), stage)? {
            uut.host_sel.next = Bits::from(crate::interface::HOST_SEL_STAGE);
            uut.host_addr.next = Bits::from(addr);
            uut.host_lane.next = Bits::from(lane);
            uut.host_wdata.next = Signed::from(i64::from(byte as i8));
            uut.host_we.next = true;
            settle(uut)?;
            tick(uut, &mut trace)?;
        }
        uut.host_we.next = false;
        uut.host_sel.next = Bits::default();
        uut.cmd_m.next = Bits::from(shape.m as u64);
        uut.cmd_n.next = Bits::from(shape.n as u64);
        uut.cmd_k.next = Bits::from(shape.k as u64);
        uut.cmd_mode.next = Bits::from(mode_code(df));
        uut.cmd_a_base.next = Bits::from(u64::from(bases.a));
        uut.cmd_b_base.next = Bits::from(u64::from(bases.b));
        uut.cmd_c_base.next = Bits::from(u64::from(bases.c));
        let mc = crate::backend::request::memory_command(cfg, df, shape, mapping)?;
        uut.cmd_a_reuse.next = Bits::from(mc.a_reuse);
        uut.cmd_b_reuse.next = Bits::from(mc.b_reuse);
        uut.cmd_c_chunks.next = Bits::from(mc.c_chunks);
        uut.cmd_c_chunk.next = Bits::from(mc.c_chunk);
        uut.cmd_c_chunk_rem.next = Bits::from(mc.c_chunk_rem);
        uut.start.next = true;
        settle(uut)?;
        tick(uut, &mut trace)?;
        uut.start.next = false;
        settle(uut)?;

        let limit = crate::backend::request::cycle_limit(cfg, df, shape, mapping);
        let mut t: u64 = 0;
        let mut waited: u64 = 0;
        let mut fold_starts = Vec::new();
        let mut stalled = Vec::new();
        let mut values = Vec::with_capacity(c);
        while !uut.done.val() {
            let stall_now = stall(waited);
            if stall_now != uut.stall.val() {
                uut.stall.next = stall_now;
                settle(uut)?;
            }
            // Cycles 0 .. last write (the top's `running` leaves out the load cycles before cycle 0).
            if uut.running.val() {
                // What the buffers do (not what the controller asks): a stalled cycle must do nothing.
                let acc = &uut.acc;
                // Every buffer by its layout address (with DRAM, A and B may be the DMA's rings and
                // C's rows are its bank rows; the data they read is what C's correctness checks).
                for (en, re, addr, base, count, buf) in [
                    (
                        acc.buf_a.en.val(),
                        acc.buf_a.re.val(),
                        acc.ctrl.a_addr.val(),
                        base_a,
                        acc.buf_a.rcount.val(),
                        BufferId::A,
                    ),
                    (
                        acc.buf_b.en.val(),
                        acc.buf_b.re.val(),
                        acc.ctrl.b_addr.val(),
                        base_b,
                        acc.buf_b.rcount.val(),
                        BufferId::B,
                    ),
                    (
                        acc.buf_c.en.val(),
                        acc.buf_c.re.val(),
                        acc.ctrl.c_raddr.val(),
                        base_c,
                        acc.buf_c.rcount.val(),
                        BufferId::C,
                    ),
                ] {
                    if en && re && count.to_u64() > 0 {
                        probe.buffer_read(t, buf, addr.index().wrapping_sub(base), count.index());
                    }
                }
                let bc = &acc.buf_c;
                if bc.we.val() {
                    values.clear();
                    for j in 0..bc.wcount.val().index() {
                        values.push(signed_i32(bc.wdata[j].val()));
                    }
                    probe.buffer_write(
                        t,
                        BufferId::C,
                        acc.ctrl.c_waddr.val().index().wrapping_sub(base_c),
                        &values,
                    );
                }
                if uut.fold_start.val() {
                    fold_starts.push(t);
                }
                if stall_now {
                    stalled.push(t);
                }
                t += 1;
            }
            waited += 1;
            // The watchdog counts the cycles that did not stall (a stall pattern may be long), and
            // gives up on a pattern that stalls without end.
            let stalls = stalled.len() as u64;
            if waited - stalls > limit || stalls > limit.saturating_mul(1024) {
                return Err(HdlError::Sim(format!(
                    "the RTL did not raise done within {limit} cycles ({stalls} more stalled)"
                )));
            }
            tick(uut, &mut trace)?;
        }
        let sim_seconds = began.elapsed().as_secs_f64();
        uut.stall.next = false;

        let mut counts = [0u64; COUNTERS.len()];
        for (k, slot) in counts.iter_mut().enumerate() {
            uut.ctr_sel.next = Bits::from(k as u64);
            settle(uut)?;
            *slot = (uut.ctr_hi.val().to_u64() << 32) | uut.ctr_lo.val().to_u64();
        }
        let mut run = stats_from_counters(cfg, df, shape, mapping, &counts, &fold_starts)?;
        if !dram {
            // The host's stalls (the DMA's are counted by the hardware).
            run.stall_cycles = stalled.len() as u64;
        }
        let mut data = vec![0i32; img.c_vectors * img.c_lanes];
        for (v, chunk) in data.chunks_mut(img.c_lanes).enumerate() {
            for (l, x) in chunk.iter_mut().enumerate() {
                *x = if dram {
                    uut.dram.peek_c(base_c + v, l)
                } else {
                    signed_i32(uut.acc.buf_c.peek(base_c + v, l))
                };
            }
        }
        Ok(BackendRun {
            run: GemmRun {
                c: unpack_c(cfg, df, shape, &data),
                stats: run,
            },
            sim_seconds,
            stalled,
        })
    }
}

/// `RunStats` from the hardware counters (in [`COUNTERS`] order) and the observed fold starts.
pub fn stats_from_counters(
    cfg: &ArchConfig,
    df: Dataflow,
    shape: systole_sim::workload::GemmShape,
    mapping: &systole_sim::mapping::Mapping,
    counts: &[u64],
    fold_starts: &[u64],
) -> Result<RunStats, HdlError> {
    let mut ev = EventCounts::default();
    let mut cycles = [0u64; 3];
    for (name, &v) in COUNTERS.iter().zip(counts).skip(1) {
        match CYCLE_COUNTERS.iter().position(|c| c == name) {
            Some(i) => cycles[i] = v,
            None => *ev.get_mut(name).expect("counter names are event names") = v,
        }
    }
    let [stall_cycles, load_cycles, writeback_cycles] = cycles;
    let total = counts[0];
    let pes = cfg.pes();
    // Counters read from a simulator's output: inconsistent ones are an error, not an underflow.
    ev.idle_pe_cycles = total
        .checked_mul(pes)
        .and_then(|pe_cycles| pe_cycles.checked_sub(ev.macs))
        .ok_or_else(|| {
            HdlError::Sim(format!(
                "inconsistent counters: {} MACs in {total} cycles on {pes} PEs",
                ev.macs
            ))
        })?;
    Ok(RunStats {
        arch: cfg.name.clone(),
        dataflow: df,
        rows: cfg.array.rows,
        cols: cfg.array.cols,
        m: shape.m,
        n: shape.n,
        k: shape.k,
        total_cycles: total,
        stall_cycles,
        load_cycles,
        writeback_cycles,
        latency_cycles: load_cycles + total + writeback_cycles,
        dram_read_bytes: ev.dram_read_bytes(),
        dram_write_bytes: ev.dram_write_bytes(),
        mapping: mapping.clone(),
        memory: systole_sim::array::memory_plan_mapped(cfg, df, shape, mapping)?
            .map(|(plan, _)| plan),
        macs: ev.macs,
        utilization: utilization(ev.macs, total, pes),
        folds: fold_starts.len() as u64,
        fold_cycles: fold_spans(fold_starts, total),
        events: ev,
    })
}
