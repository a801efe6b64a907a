//! Mappings as text: the form a mapping takes in JSON reports and in mapping files
//! ([`MappingSpec`]), and mapping files themselves ([`MappingFile`], TOML): one entry per layer
//! and dataflow, written by `systole run --out` and read back by `--mapping FILE`
//! (`docs/mapping.md`, "Mapping files").
//!
//! ```toml
//! format = 1
//!
//! [[mapping]]
//! layer = "conv1"
//! dataflow = "ws"
//! gemm = { m = 12544, n = 64, k = 147 }
//! stream_tile = 502
//! loops = ["m", "n", "k"]      # outer to inner; "m:4" loops over blocks of 4 tiles of M
//! keep = { a = "m", b = "all" } # the outermost loop each operand is kept across
//! ```

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::{Keep, Loop, Mapping};
use crate::config::Dataflow;
pub use crate::error::MappingFileError;
use crate::workload::GemmShape;

/// The current mapping-file format.
pub const FORMAT: u32 = 1;

/// The largest mapping file read (a mapping of a 10,000-layer network is well below 4 MiB).
pub const MAX_FILE_BYTES: u64 = 16 << 20;

/// A mapping in words: the stream tile, the loops by name (`m`, `n`, `k`, or `d:b` for the outer
/// loop over blocks of `b` tiles), and where A and B are kept: `all` (for the whole run), `fold`
/// (for one fold), or the name of the outermost loop the operand is kept across (it is fetched
/// again for each iteration of the loops outside that one).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MappingSpec {
    /// Elements of the stream dimension per fold.
    pub stream_tile: usize,
    /// The loops, outer to inner.
    pub loops: Vec<String>,
    /// Where A and B are kept.
    pub keep: KeepSpec,
}

/// Where A and B are kept, in words ([`MappingSpec`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeepSpec {
    /// Buffer A.
    pub a: String,
    /// Buffer B.
    pub b: String,
}

impl Mapping {
    /// This mapping in words.
    pub fn spec(&self) -> MappingSpec {
        MappingSpec {
            stream_tile: self.stream_tile,
            loops: self.loops.iter().map(|l| l.to_string()).collect(),
            keep: KeepSpec {
                a: self.level_label(self.keep.a),
                b: self.level_label(self.keep.b),
            },
        }
    }

    /// `all`, `fold`, or the name of loop `level`.
    pub fn level_label(&self, level: usize) -> String {
        if level == 0 {
            "all".to_string()
        } else if level >= self.loops.len() {
            "fold".to_string()
        } else {
            self.loops[level].to_string()
        }
    }
}

impl TryFrom<MappingSpec> for Mapping {
    type Error = super::MappingError;

    /// Reads the words back; the error names the field. Whether the mapping fits a GEMM and a
    /// machine is [`Mapping::check`]'s question.
    fn try_from(spec: MappingSpec) -> Result<Mapping, Self::Error> {
        let err = |field: &str, message: String| super::MappingError {
            field: field.to_string(),
            message,
        };
        let loops = spec
            .loops
            .iter()
            .map(|s| {
                Loop::parse(s).ok_or_else(|| {
                    err(
                        "loops",
                        format!("`{s}` is not a loop: write m, n, k, or d:B for blocks of B tiles (B at least 1)"),
                    )
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let level = |field: &str, label: &str| match label {
            "all" => Ok(0),
            "fold" => Ok(loops.len()),
            _ => spec.loops.iter().position(|l| l == label).ok_or_else(|| {
                err(
                    field,
                    format!(
                        "`{label}` is not `all`, `fold` or one of the loops [{}]",
                        spec.loops.join(", ")
                    ),
                )
            }),
        };
        let keep = Keep {
            a: level("keep.a", &spec.keep.a)?,
            b: level("keep.b", &spec.keep.b)?,
        };
        Ok(Mapping {
            stream_tile: spec.stream_tile,
            loops,
            keep,
        }
        .normalized())
    }
}

impl Serialize for Mapping {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.spec().serialize(s)
    }
}

impl<'de> Deserialize<'de> for Mapping {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Mapping, D::Error> {
        let spec = MappingSpec::deserialize(d)?;
        Mapping::try_from(spec).map_err(serde::de::Error::custom)
    }
}

/// One entry of a mapping file: the mapping of one layer in one dataflow.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MappingEntry {
    /// The layer's name (`systole gemm`: any name, or none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub layer: Option<String>,
    /// The dataflow.
    pub dataflow: Dataflow,
    /// The layer's GEMM (checked against the workload's).
    pub gemm: GemmDims,
    /// Elements of the stream dimension per fold.
    pub stream_tile: usize,
    /// The loops, outer to inner.
    pub loops: Vec<String>,
    /// Where A and B are kept.
    pub keep: KeepSpec,
}

/// `M`, `N`, `K` of an entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GemmDims {
    /// Rows of A and C.
    pub m: usize,
    /// Columns of B and C.
    pub n: usize,
    /// The reduction.
    pub k: usize,
}

impl From<GemmShape> for GemmDims {
    fn from(s: GemmShape) -> Self {
        GemmDims {
            m: s.m,
            n: s.n,
            k: s.k,
        }
    }
}

/// A mapping file's text form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    format: u32,
    #[serde(default)]
    mapping: Vec<toml::Spanned<MappingEntry>>,
}

/// A mapping file: mappings by layer and dataflow.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MappingFile {
    /// Where it was read from.
    pub path: PathBuf,
    /// Its entries, in file order, each with the line it starts on.
    pub entries: Vec<(MappingEntry, usize)>,
}

impl MappingFile {
    /// Reads and parses a mapping file (at most [`MAX_FILE_BYTES`]). Each entry's loops and keep
    /// labels are checked here; whether it fits its layer and the machine when it is used
    /// ([`MappingFile::mapping`]).
    pub fn load(path: &Path) -> Result<MappingFile, MappingFileError> {
        let fail = |line: Option<usize>, message: String| MappingFileError {
            path: path.to_path_buf(),
            line,
            message,
        };
        let text = read_bounded(path).map_err(|m| fail(None, m))?;
        let raw: RawFile = toml::from_str(&text).map_err(|e| {
            let line = e.span().map(|s| crate::config::line_col(&text, s.start).0);
            fail(line, e.message().trim().to_string())
        })?;
        if raw.format != FORMAT {
            return Err(fail(
                crate::config::field_line(&text, "format"),
                format!(
                    "format = {}, but this systole reads mapping files of format {FORMAT}",
                    raw.format
                ),
            ));
        }
        let mut entries = Vec::with_capacity(raw.mapping.len());
        for e in raw.mapping {
            let line = crate::config::line_col(&text, e.span().start).0;
            let entry = e.into_inner();
            if let Some(dup) = entries.iter().find(|(x, _): &&(MappingEntry, usize)| {
                x.layer == entry.layer && x.dataflow == entry.dataflow
            }) {
                return Err(fail(
                    Some(line),
                    format!(
                        "a second mapping of {} in {} (the first is on line {})",
                        entry.layer.as_deref().unwrap_or("the GEMM"),
                        entry.dataflow,
                        dup.1
                    ),
                ));
            }
            Mapping::try_from(spec_of(&entry)).map_err(|e| fail(Some(line), e.to_string()))?;
            entries.push((entry, line));
        }
        Ok(MappingFile {
            path: path.to_path_buf(),
            entries,
        })
    }

    /// The mapping of `layer` (`None`: a lone GEMM) in `df`, which must be the GEMM `shape`:
    /// the error names the file and the entry's line, or says that the file has no entry.
    pub fn mapping(
        &self,
        layer: Option<&str>,
        df: Dataflow,
        shape: GemmShape,
    ) -> Result<(Mapping, usize), MappingFileError> {
        let found = self
            .entries
            .iter()
            .find(|(e, _)| e.dataflow == df && (layer.is_none() || e.layer.as_deref() == layer));
        let Some((entry, line)) = found else {
            return Err(MappingFileError {
                path: self.path.clone(),
                line: None,
                message: format!(
                    "no mapping of {} in {df} (the file maps {})",
                    layer.map_or("the GEMM".to_string(), |l| format!("layer `{l}`")),
                    self.listing()
                ),
            });
        };
        let g = entry.gemm;
        if (g.m, g.n, g.k) != (shape.m, shape.n, shape.k) {
            return Err(MappingFileError {
                path: self.path.clone(),
                line: Some(*line),
                message: format!(
                    "gemm: the entry is for {}x{}x{} (M x N x K), but {} is {}x{}x{}",
                    g.m,
                    g.n,
                    g.k,
                    layer.map_or("the GEMM".to_string(), |l| format!("layer `{l}`")),
                    shape.m,
                    shape.n,
                    shape.k
                ),
            });
        }
        let m = Mapping::try_from(spec_of(entry)).expect("checked on load");
        Ok((m, *line))
    }

    /// The (layer, dataflow) pairs the file maps, for an error message.
    fn listing(&self) -> String {
        if self.entries.is_empty() {
            return "nothing".to_string();
        }
        let mut v: Vec<String> = self
            .entries
            .iter()
            .take(8)
            .map(|(e, _)| format!("{} {}", e.layer.as_deref().unwrap_or("(gemm)"), e.dataflow))
            .collect();
        if self.entries.len() > 8 {
            v.push(format!("and {} more", self.entries.len() - 8));
        }
        v.join(", ")
    }

    /// The text of a mapping file holding `entries` (each a layer's name, its dataflow, its GEMM
    /// and its mapping), with a header comment saying what made it.
    pub fn render(
        header: &str,
        entries: &[(Option<String>, Dataflow, GemmShape, Mapping)],
    ) -> String {
        #[derive(Serialize)]
        struct Out<'a> {
            format: u32,
            mapping: &'a [MappingEntry],
        }
        let list: Vec<MappingEntry> = entries
            .iter()
            .map(|(layer, df, shape, m)| {
                let spec = m.spec();
                MappingEntry {
                    layer: layer.clone(),
                    dataflow: *df,
                    gemm: (*shape).into(),
                    stream_tile: spec.stream_tile,
                    loops: spec.loops,
                    keep: spec.keep,
                }
            })
            .collect();
        let body = toml::to_string(&Out {
            format: FORMAT,
            mapping: &list,
        })
        .expect("mapping entries serialize");
        let mut text: String = header.lines().map(|l| format!("# {l}\n")).collect();
        text.push('\n');
        text.push_str(&body);
        text
    }
}

fn spec_of(e: &MappingEntry) -> MappingSpec {
    MappingSpec {
        stream_tile: e.stream_tile,
        loops: e.loops.clone(),
        keep: e.keep.clone(),
    }
}

/// Reads a text file of at most [`MAX_FILE_BYTES`].
fn read_bounded(path: &Path) -> Result<String, String> {
    use std::io::Read;
    let f = std::fs::File::open(path).map_err(|e| format!("cannot read: {e}"))?;
    let mut bytes = Vec::new();
    f.take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| format!("cannot read: {e}"))?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(format!(
            "larger than {} MiB, which no mapping file reaches",
            MAX_FILE_BYTES >> 20
        ));
    }
    String::from_utf8(bytes).map_err(|_| "not UTF-8 text".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::ArchConfig;
    use crate::mapping::Dim;

    #[test]
    fn a_mapping_file_round_trips() {
        let cfg = ArchConfig::preset("edge-16x16").unwrap();
        let shape = GemmShape {
            m: 3136,
            n: 64,
            k: 576,
        };
        let m = Mapping::with_loops(
            &cfg,
            Dataflow::Ws,
            shape,
            224,
            vec![
                Loop::blocks(Dim::M, 2),
                Loop::over(Dim::N),
                Loop::over(Dim::M),
                Loop::over(Dim::K),
            ],
        );
        let text = MappingFile::render(
            "test",
            &[(Some("conv2".into()), Dataflow::Ws, shape, m.clone())],
        );
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.toml");
        std::fs::write(&path, &text).unwrap();
        let f = MappingFile::load(&path).unwrap();
        let (back, line) = f.mapping(Some("conv2"), Dataflow::Ws, shape).unwrap();
        assert_eq!(back, m);
        assert!(
            text.lines().nth(line - 1).unwrap().contains("[[mapping]]"),
            "{text}"
        );
        // The spec is also the JSON form.
        let json = serde_json::to_string(&m).unwrap();
        assert_eq!(serde_json::from_str::<Mapping>(&json).unwrap(), m);
    }
}
