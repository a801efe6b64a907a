//! Reading the text files a user names (architecture and technology TOML, workload TOML,
//! SCALE-Sim topology CSVs and `.cfg` files, a sweep's `sweep.json`): bounded in size, so that
//! `--arch /dev/zero` or a runaway generated file is refused instead of filling memory.

use std::io::Read;
use std::path::Path;

/// Largest text input read, in bytes (8 MiB). No real input comes near it: ResNet-50 written as a
/// workload file is about 10 KiB, and a workload of 100,000 GEMM layers 4 MB (read in about half
/// a second; the parsed TOML takes some 60 bytes of memory per byte of text).
pub const MAX_TEXT_BYTES: u64 = 8 << 20;

/// Reads `path` as UTF-8 text of at most [`MAX_TEXT_BYTES`], without a leading byte-order mark
/// (editors on Windows write one; TOML, CSV and INI readers differ on whether they accept it).
/// The error is the reason alone, for the caller to put after the file's name and "cannot read".
pub fn read_text(path: &Path) -> Result<String, String> {
    let file = std::fs::File::open(path).map_err(|e| e.to_string())?;
    let mut bytes = Vec::new();
    // One byte more than the cap tells a file at the cap from a larger one (or an endless one,
    // such as /dev/zero or a pipe).
    file.take(MAX_TEXT_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| e.to_string())?;
    if bytes.len() as u64 > MAX_TEXT_BYTES {
        return Err(format!(
            "larger than {} MiB, the limit for a text input (no real configuration, workload or table is this large)",
            MAX_TEXT_BYTES >> 20
        ));
    }
    let mut text = String::from_utf8(bytes).map_err(|e| {
        format!(
            "not UTF-8 text (byte {} is not valid UTF-8)",
            e.utf8_error().valid_up_to()
        )
    })?;
    if text.starts_with('\u{feff}') {
        text.drain(..'\u{feff}'.len_utf8());
    }
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn caps_size_strips_the_bom_and_names_bad_utf8() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("t.toml");
        std::fs::write(&p, "\u{feff}name = 1\n").unwrap();
        assert_eq!(read_text(&p).unwrap(), "name = 1\n");
        std::fs::write(&p, vec![b'#'; MAX_TEXT_BYTES as usize]).unwrap();
        assert_eq!(read_text(&p).unwrap().len() as u64, MAX_TEXT_BYTES);
        std::fs::write(&p, vec![b'#'; MAX_TEXT_BYTES as usize + 1]).unwrap();
        let e = read_text(&p).unwrap_err();
        assert!(e.contains("larger than 8 MiB"), "{e}");
        std::fs::write(&p, b"ok\n\xff").unwrap();
        let e = read_text(&p).unwrap_err();
        assert!(e.contains("not UTF-8") && e.contains("byte 3"), "{e}");
        #[cfg(unix)]
        {
            let e = read_text(Path::new("/dev/zero")).unwrap_err();
            assert!(e.contains("larger than"), "{e}");
        }
    }
}
