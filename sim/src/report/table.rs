//! The report's building blocks: aligned text tables, Markdown tables, and the number formats
//! every table uses (counts, MB, uJ, times, percentages, significant digits).

use std::fmt::Write;

pub use crate::text::count;

/// Cycles as time at `mhz`, with a unit that keeps 3-4 significant digits.
pub fn duration(cycles: u64, mhz: f64) -> String {
    let us = cycles as f64 / mhz;
    if us < 1e3 {
        format!("{us:.2} us")
    } else if us < 1e6 {
        format!("{:.2} ms", us / 1e3)
    } else {
        format!("{:.2} s", us / 1e6)
    }
}

/// Percentage with two decimals, rounded down so that 99.996 % does not read as 100.00 %.
pub fn percent(x: f64) -> String {
    format!("{:.2} %", (10_000.0 * x).floor() / 100.0)
}

/// One row of a table: its cells, already formatted.
pub(crate) struct Row {
    /// The cells, left to right.
    pub(crate) cells: Vec<String>,
}

/// Renders rows as an aligned text table (first column left-aligned, the rest right-aligned).
pub(crate) fn text_table(header: &[&str], rows: &[Row]) -> String {
    aligned_table(header, rows, 1)
}

/// Renders rows as a text table with every column left-aligned (for text cells).
pub(crate) fn left_table(header: &[&str], rows: &[Row]) -> String {
    aligned_table(header, rows, header.len())
}

/// A text table whose first `left` columns are left-aligned and the rest right-aligned.
fn aligned_table(header: &[&str], rows: &[Row], left: usize) -> String {
    let n = header.len();
    let mut width: Vec<usize> = header.iter().map(|h| h.len()).collect();
    for r in rows {
        for (i, c) in r.cells.iter().enumerate() {
            width[i] = width[i].max(c.len());
        }
    }
    let mut o = String::new();
    let line = |o: &mut String, cells: &[String]| {
        let mut s = String::new();
        for i in 0..n {
            let sep = if i == 0 { "" } else { "  " };
            if i < left {
                let _ = write!(s, "{sep}{:<w$}", cells[i], w = width[i]);
            } else {
                let _ = write!(s, "{sep}{:>w$}", cells[i], w = width[i]);
            }
        }
        let _ = writeln!(o, "{}", s.trim_end());
    };
    let h: Vec<String> = header.iter().map(|s| s.to_string()).collect();
    line(&mut o, &h);
    for r in rows {
        line(&mut o, &r.cells);
    }
    o
}

/// Renders rows as a Markdown table. A `|` in a cell (a layer named `a|b`) is escaped, so that
/// it does not start another column.
pub(crate) fn markdown_table(header: &[&str], rows: &[Row]) -> String {
    let line = |cells: &mut dyn Iterator<Item = &str>| {
        let cells: Vec<String> = cells.map(|c| c.replace('|', "\\|")).collect();
        format!("| {} |\n", cells.join(" | "))
    };
    let mut o = line(&mut header.iter().copied());
    let seps: Vec<&str> = (0..header.len())
        .map(|i| if i == 0 { "---" } else { "---:" })
        .collect();
    let _ = writeln!(o, "| {} |", seps.join(" | "));
    for r in rows {
        o.push_str(&line(&mut r.cells.iter().map(String::as_str)));
    }
    o
}

/// Megabytes (10^6 bytes).
pub(crate) fn mb(bytes: u64) -> String {
    format!("{:.2}", bytes as f64 / 1e6)
}

/// Energy in microjoules from pJ, 4 significant digits.
pub(crate) fn uj(pj: f64) -> String {
    sig(pj / 1e6)
}

/// A number with 4 significant digits (scientific notation outside 0.001..1e6).
pub fn sig(x: f64) -> String {
    if x == 0.0 {
        return "0".into();
    }
    let a = x.abs();
    if !(1e-3..1e6).contains(&a) {
        return format!("{x:.3e}");
    }
    let decimals = (3 - a.log10().floor() as i32).max(0) as usize;
    format!("{x:.decimals$}")
}
