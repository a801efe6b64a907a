//! The mapper: closed forms of a mapped run ([`cost`]) and the search for the best mapping of a
//! layer in a dataflow ([`search`]; `docs/mapping.md`). It reads the mapping layer and the
//! memory system's decisions; the fast model then runs the mapping it picks, cycle by cycle.

pub mod cost;
pub mod search;

use serde::{Deserialize, Serialize};

use crate::array::{check_conv, check_mapped};
use crate::config::{ArchConfig, Dataflow};
use crate::energy::Prices;
use crate::error::RunError;
use crate::mapping::file::{MappingFile, MappingFileError};
use crate::mapping::Mapping;
use crate::workload::im2col::Im2col;
use crate::workload::GemmShape;

/// What the mapper minimises.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Objective {
    /// Energy (pJ), ties broken by latency.
    Energy,
    /// Latency (the closed forms' estimate), ties broken by energy.
    Latency,
    /// The energy-delay product (the default: neither figure bought at any price of the other),
    /// ties broken by energy.
    #[default]
    Edp,
}

impl Objective {
    /// Every objective.
    pub const ALL: [Objective; 3] = [Objective::Energy, Objective::Latency, Objective::Edp];

    /// `energy`, `latency` or `edp`.
    pub fn name(self) -> &'static str {
        match self {
            Objective::Energy => "energy",
            Objective::Latency => "latency",
            Objective::Edp => "edp",
        }
    }

    /// Parses `energy`, `latency` or `edp` (any case).
    pub fn parse(s: &str) -> Option<Objective> {
        Objective::ALL
            .into_iter()
            .find(|o| o.name().eq_ignore_ascii_case(s))
    }
}

/// How a run chooses each GEMM's mapping.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "with", rename_all = "lowercase")]
pub enum MappingPolicy {
    /// The mapper's best for the objective ([`search::search`]).
    Search(Objective),
    /// SCALE-Sim's fold order ([`Mapping::scalesim`]).
    Scalesim,
    /// The entries of a mapping file, by layer and dataflow.
    File(MappingFile),
}

impl Default for MappingPolicy {
    fn default() -> Self {
        MappingPolicy::Search(Objective::default())
    }
}

impl MappingPolicy {
    /// `search (edp)`, `scalesim` or `file <path>`, as reports state it.
    pub fn describe(&self) -> String {
        match self {
            MappingPolicy::Search(o) => format!("search ({})", o.name()),
            MappingPolicy::Scalesim => "scalesim".to_string(),
            MappingPolicy::File(f) => format!("file {}", f.path.display()),
        }
    }

    /// The mapping of one GEMM: `layer` names it in a mapping file (`None`: a lone GEMM),
    /// `conv` is the convolution it lowers when the machine may read its ifmap, `staged` says
    /// the output stage runs, `prices` charge the search's candidates. The mapping passes
    /// [`check_mapped`] (and [`check_conv`] for a convolution); a file's entry that does not is
    /// refused with the file, its line and the field, never replaced by another mapping.
    #[allow(clippy::too_many_arguments)]
    pub fn choose(
        &self,
        cfg: &ArchConfig,
        df: Dataflow,
        layer: Option<&str>,
        shape: GemmShape,
        conv: Option<&Im2col>,
        staged: bool,
        prices: &Prices,
    ) -> Result<Mapping, RunError> {
        let check = |m: &Mapping| match conv {
            Some(g) => check_conv(cfg, df, g, shape.n, m),
            None => check_mapped(cfg, df, shape, m),
        };
        match self {
            MappingPolicy::Scalesim => {
                let m = Mapping::scalesim(cfg, df, shape);
                check(&m)?;
                Ok(m)
            }
            MappingPolicy::Search(o) => {
                crate::array::check_dataflow(cfg, df)?;
                shape.check()?;
                let choice = search::search(cfg, df, shape, conv, staged, *o, prices)?;
                check(&choice.mapping)?;
                Ok(choice.mapping)
            }
            MappingPolicy::File(f) => {
                let (m, line) = f.mapping(layer, df, shape).map_err(RunError::MappingFile)?;
                check(&m).map_err(|e| {
                    let message = match e {
                        RunError::Mapping(me) => me.to_string(),
                        other => format!(
                            "this mapping of {} in {df} cannot run on `{}`: {other}",
                            layer.unwrap_or("the GEMM"),
                            cfg.name
                        ),
                    };
                    RunError::MappingFile(MappingFileError {
                        path: f.path.clone(),
                        line: Some(line),
                        message,
                    })
                })?;
                Ok(m)
            }
        }
    }
}
