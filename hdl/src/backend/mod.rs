//! The backends that run a GEMM: the fast model, rust-hdl's own simulator of the design
//! ([`rtl`]), and Icarus Verilog and Verilator on the generated Verilog ([`cosim`],
//! [`verilator`]); the start command every RTL backend issues ([`request`]).
//!
//! One way in for all four: a [`RunRequest`] (config, dataflow, operands, and optionally the
//! mapping, the output stage, base addresses, a stall pattern, a VCD file and a work folder) and
//! [`Backend::run`]. The CLI, the benches and the tests all go through it; what a backend cannot
//! do (a VCD on Verilator, a stall pattern on the fast model, a mapping deeper than the RTL's fold
//! queue) is refused with [`HdlError::Unsupported`], never ignored.

pub mod cosim;
pub mod request;
pub mod rtl;
pub mod verilator;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use systole_sim::array::{simulate_mapped, GemmRun};
use systole_sim::config::{ArchConfig, Dataflow};
use systole_sim::mapping::Mapping;
use systole_sim::matrix::{Matrix, Operand};
use systole_sim::probe::Probe;
use systole_sim::quant::OutputStage;
use systole_sim::workload::GemmShape;

use crate::error::{check_arch, HdlError};
pub use request::Bases;

/// A simulator of the accelerator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Backend {
    /// The fast native model (`systole_sim::array`).
    Fast,
    /// The RTL in rust-hdl's own simulator ([`rtl`]).
    Rtl,
    /// The generated Verilog, compiled by Verilator ([`verilator`]).
    Verilator,
    /// The generated Verilog in Icarus Verilog ([`cosim`]).
    Icarus,
}

impl Backend {
    /// Every backend, fastest first.
    pub const ALL: [Backend; 4] = [
        Backend::Fast,
        Backend::Rtl,
        Backend::Verilator,
        Backend::Icarus,
    ];

    /// `fast`, `rtl`, `verilator` or `icarus`, as the CLI's `--backend` names it.
    pub fn name(self) -> &'static str {
        match self {
            Backend::Fast => "fast",
            Backend::Rtl => "rtl",
            Backend::Verilator => "verilator",
            Backend::Icarus => "icarus",
        }
    }

    /// The backend named `name` (see [`Backend::name`]).
    pub fn parse(name: &str) -> Option<Backend> {
        Backend::ALL.into_iter().find(|b| b.name() == name)
    }

    /// Whether the backend runs the RTL (rust-hdl's model or its Verilog).
    pub fn is_rtl(self) -> bool {
        self != Backend::Fast
    }

    /// Refuses, before anything runs, what this backend cannot do with `req` (the same refusals
    /// [`Backend::run`] makes), so that a caller can warn about a long run only once it is known
    /// to go ahead: the request's options, and on the RTL backends the machine, the operands'
    /// width and the GEMM against the RTL's limits ([`crate::check_operands`]) and the output
    /// stage's parameters.
    pub fn check<T: Operand>(self, req: &RunRequest<'_, T>) -> Result<(), HdlError> {
        req.refuse_what(self)?;
        if self.is_rtl() {
            let (a, b) = rtl_operands(req.cfg, (req.a, req.b))?;
            let shape = request::check_operands(req.cfg, req.dataflow, &a, &b)?;
            if let Some(st) = req.stage {
                systole_sim::array::check_output_stage(req.cfg, shape.n, st)?;
            }
            // The mapping against the fold queue, once the GEMM is within the command's 16-bit
            // fields (the loop registers are 16 bits too).
            let scalesim = Mapping::scalesim(req.cfg, req.dataflow, shape);
            let m = req.mapping.unwrap_or(&scalesim);
            if let Err(why) =
                crate::blocks::fold_queue::check_mapping(req.cfg, req.dataflow, shape, m)
            {
                return Err(HdlError::Unsupported(format!(
                    "the mapping {m} on the {} backend: {why}",
                    self.name()
                )));
            }
        }
        Ok(())
    }

    /// Runs `req` on this backend. `probe` hears every buffer access, in the cycle it is done, on
    /// the fast and rtl backends; Icarus and Verilator report C and the counters only.
    pub fn run<T: Operand, P: Probe>(
        self,
        req: RunRequest<'_, T>,
        probe: &mut P,
    ) -> Result<BackendRun, HdlError> {
        req.refuse_what(self)?;
        if self == Backend::Fast {
            let began = Instant::now();
            let scalesim = Mapping::scalesim(req.cfg, req.dataflow, req.shape());
            let mapping = req.mapping.unwrap_or(&scalesim);
            let run = simulate_mapped(
                req.cfg,
                req.dataflow,
                mapping,
                (req.a, req.b),
                req.stage,
                probe,
            )?;
            return Ok(BackendRun {
                run,
                sim_seconds: began.elapsed().as_secs_f64(),
                stalled: Vec::new(),
            });
        }
        let (a, b) = rtl_operands(req.cfg, (req.a, req.b))?;
        let scalesim = Mapping::scalesim(req.cfg, req.dataflow, req.shape());
        let rtl_req = RtlRequest {
            cfg: req.cfg,
            df: req.dataflow,
            a: &a,
            b: &b,
            mapping: req.mapping.unwrap_or(&scalesim),
            stage: req.stage,
            bases: req.bases,
        };
        match self {
            Backend::Fast => unreachable!("ran above"),
            Backend::Rtl => {
                let vcd = match req.vcd {
                    Some(p) => Some(std::io::BufWriter::new(std::fs::File::create(p).map_err(
                        |e| HdlError::Sim(format!("creating the VCD file {}: {e}", p.display())),
                    )?)),
                    None => None,
                };
                let (mut never, mut from_pattern);
                let stall: &mut dyn FnMut(u64) -> bool = match req.stall {
                    Stall::Never => {
                        never = |_| false;
                        &mut never
                    }
                    Stall::Pattern(p) => {
                        from_pattern = move |k: u64| p.get(k as usize).copied().unwrap_or(false);
                        &mut from_pattern
                    }
                    Stall::Each(f) => f,
                };
                rtl::run(&rtl_req, probe, vcd, stall)
            }
            Backend::Verilator | Backend::Icarus => {
                let pattern = match req.stall {
                    Stall::Pattern(p) => p,
                    _ => &[],
                };
                let (dir, temporary) = match req.work_dir {
                    Some(d) => (d.to_path_buf(), false),
                    None => (scratch_dir(self), true),
                };
                let began = Instant::now();
                let r = if self == Backend::Verilator {
                    verilator::run(&rtl_req, &dir, pattern)
                } else {
                    cosim::run_icarus(&rtl_req, &dir, pattern)
                };
                if temporary {
                    let _ = std::fs::remove_dir_all(&dir);
                }
                let mut r = r?;
                if self == Backend::Icarus {
                    // Icarus compiles and simulates in one go: its time includes the compile.
                    r.sim_seconds = began.elapsed().as_secs_f64();
                }
                Ok(r)
            }
        }
    }
}

/// Where compiled simulators are cached: `$SYSTOLE_CACHE`, or `~/.cache/systole`.
pub fn cache_root() -> PathBuf {
    if let Some(d) = std::env::var_os("SYSTOLE_CACHE") {
        return PathBuf::from(d);
    }
    let home = std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_else(std::env::temp_dir);
    home.join(".cache").join("systole")
}

/// Builds (or finds in the cache) a simulator of `cfg`'s design whose sources are `sources`:
/// `build(dir)` writes and compiles them in a private folder, which then moves into
/// `cache_root()/<kind>/<config>-<hash of the sources>`; returns that folder's `product`. A build
/// interrupted, or running at the same time in another process or thread, never leaves a half-built
/// product in the cache.
pub(crate) fn cached_build(
    kind: &str,
    cfg: &ArchConfig,
    sources: &[&str],
    product: &str,
    build: impl FnOnce(&Path) -> Result<(), HdlError>,
) -> Result<PathBuf, HdlError> {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    sources.hash(&mut h);
    let dir = cache_root().join(kind).join(format!(
        "{}-{:016x}",
        cfg.name.replace(['/', ' ', '\\'], "_"),
        h.finish()
    ));
    let done = dir.join(product);
    if done.exists() {
        return Ok(done);
    }
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let staging = dir.with_extension(format!(
        "building-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    ));
    let io = |e: std::io::Error| HdlError::Sim(format!("writing into {}: {e}", staging.display()));
    let _ = std::fs::remove_dir_all(&staging);
    std::fs::create_dir_all(&staging).map_err(io)?;
    let built = build(&staging);
    if let Err(e) = built {
        let _ = std::fs::remove_dir_all(&staging);
        return Err(e);
    }
    if std::fs::rename(&staging, &dir).is_err() {
        // Another process or thread finished the same design first: use its build.
        let _ = std::fs::remove_dir_all(&staging);
    }
    if done.exists() {
        Ok(done)
    } else {
        Err(HdlError::Sim(format!(
            "the {kind} build did not produce {}",
            done.display()
        )))
    }
}

/// A fresh folder under the system's temporary directory for one Verilog run (removed after).
fn scratch_dir(backend: Backend) -> PathBuf {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    std::env::temp_dir().join(format!(
        "systole-{}-{}-{}",
        backend.name(),
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    ))
}

/// When the host drives the top's `stall` input, per cycle after the start command's clock edge
/// (`k = 0` is the controller's setup cycle; the design ignores it outside the run).
pub enum Stall<'a> {
    /// Never (the default).
    Never,
    /// `pattern[k]` in cycle `k`, low after the pattern's end (every RTL backend).
    Pattern(&'a [bool]),
    /// `f(k)`, asked once per cycle in order (the rtl backend only).
    Each(&'a mut dyn FnMut(u64) -> bool),
}

/// Everything one run needs: what to compute, on which machine, and how the host drives it.
/// Build it with [`RunRequest::new`] and the setters; run it with [`Backend::run`].
pub struct RunRequest<'a, T: Operand = i8> {
    /// The machine.
    pub cfg: &'a ArchConfig,
    /// The dataflow.
    pub dataflow: Dataflow,
    /// A (M x K).
    pub a: &'a Matrix<T>,
    /// B (K x N).
    pub b: &'a Matrix<T>,
    /// The mapping (tiling and fold order); `None` is SCALE-Sim's ([`Mapping::scalesim`]). Every
    /// backend runs any mapping the RTL's fold queue holds ([`Backend::check`] says when not).
    pub mapping: Option<&'a Mapping>,
    /// The output stage's parameters (requantize C to int8); `None` leaves C int32.
    pub stage: Option<&'a OutputStage>,
    /// Where the operands and C start (the rtl backend only; 0 elsewhere).
    pub bases: Bases,
    /// The host's stall pattern (RTL backends only).
    pub stall: Stall<'a>,
    /// A VCD waveform of every signal of the design (the rtl backend only).
    pub vcd: Option<&'a Path>,
    /// Where Icarus and Verilator write their run files (kept); `None`: a temporary folder,
    /// removed after the run. The fast and rtl backends write no files, so they have no use for it.
    pub work_dir: Option<&'a Path>,
}

impl<'a, T: Operand> RunRequest<'a, T> {
    /// `A x B` in `dataflow` on `cfg`, in SCALE-Sim's fold order, with nothing else asked.
    pub fn new(
        cfg: &'a ArchConfig,
        dataflow: Dataflow,
        a: &'a Matrix<T>,
        b: &'a Matrix<T>,
    ) -> Self {
        RunRequest {
            cfg,
            dataflow,
            a,
            b,
            mapping: None,
            stage: None,
            bases: Bases::default(),
            stall: Stall::Never,
            vcd: None,
            work_dir: None,
        }
    }

    /// Runs the folds in `mapping`'s order.
    pub fn mapping(mut self, mapping: &'a Mapping) -> Self {
        self.mapping = Some(mapping);
        self
    }

    /// Requantizes C with `stage` (`None`: C stays int32).
    pub fn stage(mut self, stage: Option<&'a OutputStage>) -> Self {
        self.stage = stage;
        self
    }

    /// Places the operands and C at `bases`.
    pub fn at(mut self, bases: Bases) -> Self {
        self.bases = bases;
        self
    }

    /// Drives the `stall` input.
    pub fn stalled(mut self, stall: Stall<'a>) -> Self {
        self.stall = stall;
        self
    }

    /// Writes a VCD waveform to `path` (`None`: none).
    pub fn vcd(mut self, path: Option<&'a Path>) -> Self {
        self.vcd = path;
        self
    }

    /// Keeps Icarus's and Verilator's run files in `dir`.
    pub fn work_dir(mut self, dir: &'a Path) -> Self {
        self.work_dir = Some(dir);
        self
    }

    /// M x N x K as the operands give them (the run itself checks that they conform).
    fn shape(&self) -> GemmShape {
        GemmShape {
            m: self.a.rows(),
            n: self.b.cols(),
            k: self.a.cols(),
        }
    }

    /// Refuses, in one line, what `backend` cannot do with this request.
    fn refuse_what(&self, backend: Backend) -> Result<(), HdlError> {
        let no = |what: &str, only: &str| {
            Err(HdlError::Unsupported(format!(
                "{what} on the {} backend ({only})",
                backend.name()
            )))
        };
        let stalls = !matches!(self.stall, Stall::Never);
        match backend {
            Backend::Fast if stalls => no(
                "a host stall pattern",
                "the fast model stalls on its memory system only",
            ),
            Backend::Fast if self.vcd.is_some() => {
                no("a VCD waveform", "the rtl backend writes one")
            }
            Backend::Fast if self.bases != Bases::default() => {
                no("base addresses", "the rtl backend takes them")
            }
            Backend::Fast => Ok(()),
            _ if self.vcd.is_some() && backend != Backend::Rtl => {
                no("a VCD waveform", "the rtl backend writes one")
            }
            _ if self.bases != Bases::default() && backend != Backend::Rtl => {
                no("base addresses", "the rtl backend takes them")
            }
            _ if matches!(self.stall, Stall::Each(_)) && backend != Backend::Rtl => no(
                "a stall function",
                "Icarus and Verilator take a fixed pattern, Stall::Pattern",
            ),
            _ => self.refuse_mapping(backend),
        }
    }

    /// The RTL walks any legal mapping, with either memory model. Whether the mapping fits the
    /// fold queue (its walker's loop slots and its depth) and, with DRAM, the fetch walkers'
    /// spans, is checked once the GEMM is within the RTL's limits ([`Backend::check`], and every
    /// backend's host writes).
    fn refuse_mapping(&self, backend: Backend) -> Result<(), HdlError> {
        let shape = self.shape();
        let scalesim = Mapping::scalesim(self.cfg, self.dataflow, shape);
        let m = self.mapping.unwrap_or(&scalesim);
        let unsupported = |why: String| {
            Err(HdlError::Unsupported(format!(
                "the mapping {m} on the {} backend: {why}",
                backend.name()
            )))
        };
        if *m != scalesim {
            if let Err(e) = m.check(self.cfg, self.dataflow, shape) {
                return unsupported(e.to_string());
            }
        }
        Ok(())
    }
}

/// One run on a backend.
#[derive(Debug, Clone)]
pub struct BackendRun {
    /// C and the run statistics.
    pub run: GemmRun,
    /// Seconds spent simulating: the run alone (building the design, loading operands and file
    /// I/O excluded), except on Icarus, which compiles and simulates in one go.
    pub sim_seconds: f64,
    /// The rtl backend: the cycles of the run (cycle 0 = the first read, stalls included) in
    /// which `stall` was high, in order. Empty on the other backends.
    pub stalled: Vec<u64>,
}

/// The request as the RTL backends take it: int8 operands and the mapping (SCALE-Sim's when the
/// request names none).
pub(crate) struct RtlRequest<'a> {
    pub(crate) cfg: &'a ArchConfig,
    pub(crate) df: Dataflow,
    pub(crate) a: &'a Matrix<i8>,
    pub(crate) b: &'a Matrix<i8>,
    pub(crate) mapping: &'a Mapping,
    pub(crate) stage: Option<&'a OutputStage>,
    pub(crate) bases: Bases,
}

/// Operands for the RTL backends, which build int8 machines only: the RTL's own refusal of
/// another width comes first ([`check_arch`]), then each value must fit int8.
fn rtl_operands<T: Operand>(
    cfg: &ArchConfig,
    (a, b): (&Matrix<T>, &Matrix<T>),
) -> Result<(Matrix<i8>, Matrix<i8>), HdlError> {
    check_arch(cfg)?;
    let narrow = |m: &Matrix<T>, name: &str| -> Result<Matrix<i8>, HdlError> {
        let data = m
            .as_slice()
            .iter()
            .map(|&v| i8::try_from(v.into()))
            .collect::<Result<Vec<i8>, _>>()
            .map_err(|_| {
                HdlError::Unsupported(format!(
                    "{name} holds values outside int8, which the RTL multiplies"
                ))
            })?;
        Ok(Matrix::from_vec(m.rows(), m.cols(), data).expect("same shape"))
    };
    Ok((narrow(a, "A")?, narrow(b, "B")?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use systole_sim::mapping::{Dim, Loop};
    use systole_sim::probe::NoProbe;

    fn operands() -> (ArchConfig, Matrix<i8>, Matrix<i8>) {
        let cfg = ArchConfig::preset("tiny-4x4").unwrap();
        (cfg, Matrix::random(8, 6, 1), Matrix::random(6, 8, 2))
    }

    /// What a backend cannot do is refused by name before anything runs, never ignored.
    #[test]
    fn what_a_backend_cannot_do_is_refused() {
        let (cfg, a, b) = operands();
        let req = || RunRequest::new(&cfg, Dataflow::Ws, &a, &b);
        let refused = |backend: Backend, req: RunRequest<'_>, needle: &str| {
            let e = backend.run(req, &mut NoProbe).unwrap_err().to_string();
            assert!(e.contains(needle), "{}: {e}", backend.name());
        };
        let pattern = [true, false];
        refused(
            Backend::Fast,
            req().stalled(Stall::Pattern(&pattern)),
            "stall pattern",
        );
        let vcd = std::path::Path::new("x.vcd");
        refused(Backend::Verilator, req().vcd(Some(vcd)), "VCD");
        let bases = Bases { a: 1, b: 0, c: 0 };
        refused(Backend::Icarus, req().at(bases), "base addresses");
        let mut never = |_| false;
        refused(
            Backend::Icarus,
            req().stalled(Stall::Each(&mut never)),
            "stall function",
        );
        // A mapping other than SCALE-Sim's, with DRAM: the RTL takes it as the fast model does.
        let shape = GemmShape { m: 8, n: 8, k: 6 };
        let m = Mapping::with_loops(
            &cfg,
            Dataflow::Ws,
            shape,
            4,
            vec![Loop::over(Dim::M), Loop::over(Dim::N), Loop::over(Dim::K)],
        );
        assert_ne!(m, Mapping::scalesim(&cfg, Dataflow::Ws, shape));
        m.check(&cfg, Dataflow::Ws, shape).unwrap();
        let fast = Backend::Fast.run(req().mapping(&m), &mut NoProbe).unwrap();
        assert_eq!(fast.run.c, systole_sim::matrix::reference_matmul(&a, &b));
        assert_eq!(cfg.memory, systole_sim::config::MemoryModel::Dram);
        Backend::Rtl.check(&req().mapping(&m)).unwrap();
        // SCALE-Sim's own mapping, named, is not refused (checked without running the RTL).
        let scalesim = Mapping::scalesim(&cfg, Dataflow::Ws, shape);
        Backend::Rtl.check(&req().mapping(&scalesim)).unwrap();
    }

    /// A GEMM beyond the command's 16-bit fields is refused in one line before the mapping's
    /// 16-bit loop registers are worked out (they would not hold its tile counts).
    #[test]
    fn a_gemm_beyond_16_bits_is_refused_not_truncated() {
        // A 1x1 array: 70,000 row tiles, beyond a 16-bit loop register.
        let cfg = systole_sim::testing::tiny(1, 1);
        let (a, b) = (Matrix::<i8>::zeros(70_000, 1), Matrix::<i8>::zeros(1, 1));
        for df in [Dataflow::Os, Dataflow::Ws, Dataflow::Is] {
            let e = Backend::Rtl
                .check(&RunRequest::new(&cfg, df, &a, &b))
                .unwrap_err()
                .to_string();
            assert!(e.contains("16 bits") && !e.contains('\n'), "{df}: {e}");
        }
    }

    #[test]
    fn backends_are_named_as_the_cli_names_them() {
        for b in Backend::ALL {
            assert_eq!(Backend::parse(b.name()), Some(b));
        }
        assert_eq!(Backend::parse("vcs"), None);
    }
}
