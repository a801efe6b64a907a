//! The house rule, held by a test: no file of a crate imports another that imports it back,
//! directly or through others (`ARCHITECTURE.md`, "Layers"). An edge is a `crate::` or `super::`
//! path in a file's code (comments and its `#[cfg(test)]` module excluded; `tests.rs` files are
//! tests), resolved to the longest module path that is a file. A cycle is a strongly connected
//! set of two or more files; the failure names every file of each one.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// A module path (`["array", "plans"]`) -> its file, for every `.rs` file under `src`.
fn modules(src: &Path) -> BTreeMap<Vec<String>, PathBuf> {
    let mut out = BTreeMap::new();
    let mut dirs = vec![src.to_path_buf()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
                continue;
            }
            if path.extension().is_none_or(|e| e != "rs")
                || path.file_name().is_some_and(|n| n == "tests.rs")
            {
                continue;
            }
            let rel = path.strip_prefix(src).unwrap().with_extension("");
            let mut key: Vec<String> = rel
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect();
            if matches!(key.last().map(String::as_str), Some("mod" | "lib" | "main")) {
                key.pop();
            }
            out.insert(key, path);
        }
    }
    out
}

/// The code of a file without comments and without its `#[cfg(test)] mod ... {` tail.
fn code(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix("/*") {
            rest = after.split_once("*/").map_or("", |(_, r)| r);
        } else if rest.starts_with("//") {
            rest = rest.split_once('\n').map_or("", |(_, r)| r);
            out.push('\n');
        } else {
            let c = rest.chars().next().unwrap();
            out.push(c);
            rest = &rest[c.len_utf8()..];
        }
    }
    if let Some(at) = out.find("#[cfg(test)]") {
        let tail = out[at + "#[cfg(test)]".len()..].trim_start();
        if tail.starts_with("mod ") {
            out.truncate(at);
        }
    }
    out
}

/// Every path the code names from the crate root: `crate::a::b`, `super::c` (relative to
/// `module`), and the items of a `use crate::a::{b, c::d}` group, each as its segments.
fn paths(code: &str, module: &[String]) -> Vec<Vec<String>> {
    let ident = |c: char| c.is_alphanumeric() || c == '_';
    // The module `super` names: the parent of the file's module (a `mod.rs` is its module).
    let parent: Vec<String> = module[..module.len().saturating_sub(1)].to_vec();
    let mut out = Vec::new();
    for (root, base) in [("crate::", Vec::new()), ("super::", parent)] {
        let mut rest = code;
        while let Some(at) = rest.find(root) {
            let before = rest[..at].chars().next_back();
            rest = &rest[at + root.len()..];
            if before.is_some_and(|c| ident(c) || c == ':') {
                continue;
            }
            let end = rest
                .find(|c: char| !(ident(c) || c == ':'))
                .unwrap_or(rest.len());
            let mut segs = base.clone();
            segs.extend(
                rest[..end]
                    .split("::")
                    .filter(|s| !s.is_empty())
                    .map(String::from),
            );
            // `use crate::a::{b, c::d}`: one path per item of the group.
            if rest[..end].ends_with("::") && rest[end..].starts_with('{') {
                let group = rest[end + 1..].split('}').next().unwrap_or("");
                for item in group.split(',') {
                    let item = item.split(" as ").next().unwrap().trim();
                    if !item.is_empty() && item != "self" {
                        let mut p = segs.clone();
                        p.extend(item.split("::").map(|s| s.trim().to_string()));
                        out.push(p);
                    }
                }
            }
            out.push(segs);
        }
    }
    out
}

/// The file -> files it imports, within one crate.
fn edges(src: &Path) -> BTreeMap<PathBuf, BTreeSet<PathBuf>> {
    let mods = modules(src);
    let mut out = BTreeMap::new();
    for (key, file) in &mods {
        let text = std::fs::read_to_string(file).unwrap();
        let mut to = BTreeSet::new();
        for p in paths(&code(&text), key) {
            if let Some(target) = (1..=p.len()).rev().find_map(|n| mods.get(&p[..n])) {
                if target != file {
                    to.insert(target.clone());
                }
            }
        }
        out.insert(file.clone(), to);
    }
    out
}

/// The strongly connected sets of two or more files (Tarjan's algorithm; a crate's few hundred
/// files recurse no deeper than the stack allows).
fn cycles(g: &BTreeMap<PathBuf, BTreeSet<PathBuf>>) -> Vec<Vec<PathBuf>> {
    struct Walk<'g> {
        g: &'g BTreeMap<PathBuf, BTreeSet<PathBuf>>,
        index: BTreeMap<&'g PathBuf, usize>,
        low: BTreeMap<&'g PathBuf, usize>,
        stack: Vec<&'g PathBuf>,
        found: Vec<Vec<PathBuf>>,
    }
    impl<'g> Walk<'g> {
        fn visit(&mut self, v: &'g PathBuf) {
            let n = self.index.len();
            self.index.insert(v, n);
            self.low.insert(v, n);
            self.stack.push(v);
            for w in &self.g[v] {
                if !self.index.contains_key(w) {
                    self.visit(w);
                    let lw = self.low[w];
                    let lv = self.low.get_mut(v).unwrap();
                    *lv = (*lv).min(lw);
                } else if self.stack.contains(&w) {
                    let iw = self.index[w];
                    let lv = self.low.get_mut(v).unwrap();
                    *lv = (*lv).min(iw);
                }
            }
            if self.low[v] == self.index[v] {
                let mut comp = Vec::new();
                while let Some(w) = self.stack.pop() {
                    comp.push(w.clone());
                    if w == v {
                        break;
                    }
                }
                if comp.len() > 1 {
                    comp.sort();
                    self.found.push(comp);
                }
            }
        }
    }
    let mut walk = Walk {
        g,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        found: Vec::new(),
    };
    for v in g.keys() {
        if !walk.index.contains_key(v) {
            walk.visit(v);
        }
    }
    walk.found
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn no_crate_has_an_import_cycle() {
    let mut found = Vec::new();
    for src in ["sim/src", "hdl/src", "src"] {
        for comp in cycles(&edges(&root().join(src))) {
            let names: Vec<String> = comp
                .iter()
                .map(|p| p.strip_prefix(root()).unwrap().display().to_string())
                .collect();
            found.push(names.join(" <-> "));
        }
    }
    assert!(
        found.is_empty(),
        "import cycles (ARCHITECTURE.md: a file imports only from layers below its own):\n{}",
        found.join("\n")
    );
}

/// The reader sees the edges it must: a sample of known imports, so that a reader that finds
/// nothing cannot pass the test above.
#[test]
fn the_reader_sees_known_imports() {
    let sim = edges(&root().join("sim/src"));
    let file = |p: &str| root().join("sim/src").join(p);
    let run = &sim[&file("run.rs")];
    assert!(run.contains(&file("config.rs")), "{run:?}");
    let hdl = edges(&root().join("hdl/src"));
    let top = &hdl[&root().join("hdl/src/blocks/top.rs")];
    assert!(
        top.contains(&root().join("hdl/src/interface.rs")),
        "{top:?}"
    );
    // A made-up cycle is found.
    let (a, b) = (PathBuf::from("a.rs"), PathBuf::from("b.rs"));
    let g = BTreeMap::from([
        (a.clone(), BTreeSet::from([b.clone()])),
        (b.clone(), BTreeSet::from([a.clone()])),
        (PathBuf::from("c.rs"), BTreeSet::from([a.clone()])),
    ]);
    assert_eq!(cycles(&g), vec![vec![a, b]]);
}

/// Comments, doc text and the test module are not code.
#[test]
fn comments_and_tests_are_not_imports() {
    let text =
        "use crate::a; // crate::b\n/* crate::c */\n#[cfg(test)]\nmod tests { use crate::d; }";
    let found = paths(&code(text), &["x".to_string()]);
    assert_eq!(found, vec![vec!["a".to_string()]]);
    let group = paths("use crate::m::{p, q::r as s, self};", &[]);
    assert!(
        group.contains(&vec!["m".into(), "q".into(), "r".into()]),
        "{group:?}"
    );
    let up = paths("super::k::f()", &["p".into(), "q".into()]);
    assert_eq!(up, vec![vec!["p".to_string(), "k".into(), "f".into()]]);
}
