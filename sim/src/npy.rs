//! NumPy `.npy` matrices: int8 or int16 operands in, int32 (or int8) results out.
//!
//! Every problem (missing or unreadable file, not a `.npy`, wrong dtype, wrong rank, empty,
//! truncated) becomes an [`NpyError`] naming the file and the problem. The header is read and
//! checked ([`parse_header`]) before any data: a shape is known, and can be checked against what
//! the model accepts ([`matrix_shape`]), without reading or allocating the data.

use std::fs::File;
use std::io::{BufWriter, ErrorKind, Read};
use std::path::Path;

use npyz::WriterBuilder;

use crate::error::NpyError;
use crate::matrix::Matrix;

fn err(path: &Path, message: impl Into<String>) -> NpyError {
    NpyError {
        path: path.to_path_buf(),
        message: message.into(),
    }
}

/// Longest header accepted, in bytes (NumPy's own reader refuses headers over 10,000 bytes).
pub const MAX_HEADER_BYTES: usize = 65_536;

/// The header of a `.npy` file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    /// The dtype as written (`<i4`, `|i1`, ...), or `None` for a structured (record) dtype.
    pub descr: Option<String>,
    /// Whether the data is in Fortran order (the first index varies fastest).
    pub fortran_order: bool,
    /// The shape (empty for a scalar).
    pub shape: Vec<u64>,
    /// Where the data starts: the length of the magic string, version, length and header.
    pub data_offset: u64,
}

impl Header {
    /// The dtype's kind (`i` signed integer, `u`, `f`, `b`, ...) and size in bytes, and whether
    /// it is big-endian; `None` for a structured dtype or one this reader cannot describe.
    fn plain(&self) -> Option<(char, u64, bool)> {
        let d = self.descr.as_deref()?;
        let (order, rest) = match d.chars().next()? {
            c @ ('<' | '>' | '|' | '=') => (c, &d[1..]),
            _ => ('=', d),
        };
        let mut chars = rest.chars();
        let kind = chars.next()?;
        let size: u64 = chars.as_str().parse().ok()?;
        Some((kind, size, order == '>'))
    }

    /// The dtype for messages, e.g. `<i4 (int32)`.
    pub fn describe(&self) -> String {
        let Some(d) = &self.descr else {
            return "a structured (record) type".to_string();
        };
        let name = match self.plain() {
            Some(('i', n @ 1..=16, _)) => format!("int{}", n * 8),
            Some(('u', n @ 1..=16, _)) => format!("uint{}", n * 8),
            Some(('f', n @ 1..=16, _)) => format!("float{}", n * 8),
            Some(('c', n @ 1..=32, _)) => format!("complex{}", n * 8),
            Some(('b', _, _)) => "bool".to_string(),
            _ => "an unsupported type".to_string(),
        };
        format!("{d} ({name})")
    }

    /// Elements the shape holds, `None` when the product overflows 64 bits.
    pub fn elements(&self) -> Option<u64> {
        self.shape
            .iter()
            .try_fold(1u64, |acc, &d| acc.checked_mul(d))
    }

    /// The shape as `2 x 3`.
    fn shape_text(&self) -> String {
        self.shape
            .iter()
            .map(|d| d.to_string())
            .collect::<Vec<_>>()
            .join(" x ")
    }
}

/// Parses the start of a `.npy` file: the magic string, the format version (1, 2 or 3), the
/// header length and the header, a Python dictionary literal with the keys `descr`,
/// `fortran_order` and `shape`, as NumPy's `ast.literal_eval` reads it (Python 2's `20L` integers
/// included). `bytes` may run past the header. The error is one line, without the file's name.
pub fn parse_header(bytes: &[u8]) -> Result<Header, String> {
    if !bytes.starts_with(b"\x93NUMPY") {
        return Err("it does not start with NumPy's magic string \\x93NUMPY".into());
    }
    let (major, minor) = match bytes.get(6..8) {
        Some(v) => (v[0], v[1]),
        None => return Err("it ends inside its format version".into()),
    };
    let len_bytes = match major {
        1 => 2,
        2 | 3 => 4,
        _ => {
            return Err(format!(
                "format version {major}.{minor}: this reader knows versions 1.0, 2.0 and 3.0"
            ))
        }
    };
    let Some(len) = bytes.get(8..8 + len_bytes) else {
        return Err("it ends inside its header length".into());
    };
    let len = len
        .iter()
        .rev()
        .fold(0usize, |acc, &b| (acc << 8) | usize::from(b));
    if len > MAX_HEADER_BYTES {
        return Err(format!(
            "its header is {len} bytes long; at most {MAX_HEADER_BYTES} are accepted"
        ));
    }
    let start = 8 + len_bytes;
    let Some(text) = bytes.get(start..start + len) else {
        return Err(format!(
            "it ends inside its header ({len} bytes declared, {} present)",
            bytes.len().saturating_sub(start)
        ));
    };
    let text = String::from_utf8_lossy(text);
    let mut p = DictParser {
        s: text.as_bytes(),
        at: 0,
    };
    let entries = p.dict()?;
    let mut descr = None;
    let mut fortran = None;
    let mut shape = None;
    for (key, value) in entries {
        let slot_taken = match key.as_str() {
            "descr" => descr.replace(value).is_some(),
            "fortran_order" => fortran.replace(value).is_some(),
            "shape" => shape.replace(value).is_some(),
            _ => return Err(format!("its header has an unknown key '{key}'")),
        };
        if slot_taken {
            return Err(format!("its header gives '{key}' twice"));
        }
    }
    let descr = match descr {
        Some(Value::Str(d)) => Some(d),
        Some(Value::Seq(..)) => None,
        Some(_) => return Err("its 'descr' is neither a string nor a list".into()),
        None => return Err("its header has no 'descr'".into()),
    };
    let fortran_order = match fortran {
        Some(Value::Bool(b)) => b,
        Some(_) => return Err("its 'fortran_order' is neither True nor False".into()),
        None => return Err("its header has no 'fortran_order'".into()),
    };
    let shape = match shape {
        Some(Value::Seq('(', items)) => items
            .into_iter()
            .map(|v| match v {
                Value::Int(d) => Ok(d),
                _ => Err("its 'shape' holds something other than whole numbers".to_string()),
            })
            .collect::<Result<Vec<u64>, _>>()?,
        Some(_) => return Err("its 'shape' is not a tuple".into()),
        None => return Err("its header has no 'shape'".into()),
    };
    Ok(Header {
        descr,
        fortran_order,
        shape,
        data_offset: (start + len) as u64,
    })
}

/// A value of the header's dictionary.
enum Value {
    Str(String),
    Bool(bool),
    Int(u64),
    /// A tuple (`(`) or a list (`[`).
    Seq(char, Vec<Value>),
    None,
}

/// The part of Python's literal syntax a `.npy` header uses.
struct DictParser<'a> {
    s: &'a [u8],
    at: usize,
}

/// Deepest nesting of tuples and lists accepted (a structured dtype nests a few levels).
const MAX_DEPTH: usize = 32;

impl DictParser<'_> {
    fn skip_space(&mut self) {
        while self.s.get(self.at).is_some_and(|b| b.is_ascii_whitespace()) {
            self.at += 1;
        }
    }

    fn peek(&mut self) -> Option<u8> {
        self.skip_space();
        self.s.get(self.at).copied()
    }

    fn expect(&mut self, c: u8) -> Result<(), String> {
        if self.peek() == Some(c) {
            self.at += 1;
            Ok(())
        } else {
            Err(self.unexpected(&format!("`{}`", c as char)))
        }
    }

    fn unexpected(&mut self, want: &str) -> String {
        match self.peek() {
            Some(b) => format!(
                "its header is not a dictionary NumPy writes: {want} expected at byte {}, found `{}`",
                self.at,
                (b as char).escape_default()
            ),
            None => format!("its header is not a dictionary NumPy writes: {want} expected, found its end"),
        }
    }

    fn dict(&mut self) -> Result<Vec<(String, Value)>, String> {
        self.expect(b'{')?;
        let mut out = Vec::new();
        loop {
            if self.peek() == Some(b'}') {
                self.at += 1;
                break;
            }
            let key = match self.value(0)? {
                Value::Str(k) => k,
                _ => return Err("its header has a key that is not a string".into()),
            };
            self.expect(b':')?;
            out.push((key, self.value(0)?));
            match self.peek() {
                Some(b',') => self.at += 1,
                Some(b'}') => {}
                _ => return Err(self.unexpected("`,` or `}`")),
            }
        }
        match self.peek() {
            None => Ok(out),
            Some(_) => Err(self.unexpected("the end of the header")),
        }
    }

    fn value(&mut self, depth: usize) -> Result<Value, String> {
        match self.peek() {
            Some(q @ (b'\'' | b'"')) => {
                self.at += 1;
                let from = self.at;
                while self.s.get(self.at).is_some_and(|&b| b != q && b != b'\\') {
                    self.at += 1;
                }
                if self.s.get(self.at) != Some(&q) {
                    return Err("its header has a string that does not end (or an escape, which NumPy never writes)".into());
                }
                let v = String::from_utf8_lossy(&self.s[from..self.at]).into_owned();
                self.at += 1;
                Ok(Value::Str(v))
            }
            Some(open @ (b'(' | b'[')) => {
                if depth >= MAX_DEPTH {
                    return Err(format!(
                        "its header nests tuples or lists more than {MAX_DEPTH} deep"
                    ));
                }
                self.at += 1;
                let close = if open == b'(' { b')' } else { b']' };
                let mut items = Vec::new();
                loop {
                    if self.peek() == Some(close) {
                        self.at += 1;
                        break;
                    }
                    items.push(self.value(depth + 1)?);
                    match self.peek() {
                        Some(b',') => self.at += 1,
                        Some(c) if c == close => {}
                        _ => return Err(self.unexpected(&format!("`,` or `{}`", close as char))),
                    }
                }
                Ok(Value::Seq(open as char, items))
            }
            Some(b'0'..=b'9') => {
                let from = self.at;
                while self.s.get(self.at).is_some_and(u8::is_ascii_digit) {
                    self.at += 1;
                }
                let digits = std::str::from_utf8(&self.s[from..self.at]).unwrap_or_default();
                let v = digits.parse::<u64>().map_err(|_| {
                    format!("its header has the number {digits}, which does not fit 64 bits")
                })?;
                // Python 2 wrote long integers with an `L` (NumPy on Python 2: `(20L, 12L)`).
                if matches!(self.s.get(self.at), Some(b'L' | b'l')) {
                    self.at += 1;
                }
                Ok(Value::Int(v))
            }
            Some(b'A'..=b'Z' | b'a'..=b'z') => {
                let from = self.at;
                while self.s.get(self.at).is_some_and(u8::is_ascii_alphanumeric) {
                    self.at += 1;
                }
                match &self.s[from..self.at] {
                    b"True" => Ok(Value::Bool(true)),
                    b"False" => Ok(Value::Bool(false)),
                    b"None" => Ok(Value::None),
                    w => Err(format!(
                        "its header has `{}`, which is not a Python literal",
                        String::from_utf8_lossy(w)
                    )),
                }
            }
            _ => Err(self.unexpected("a value")),
        }
    }
}

/// Opens `path` and reads its header (and only its header).
fn open_header(path: &Path) -> Result<(File, Header, u64), NpyError> {
    let mut file = File::open(path).map_err(|e| match e.kind() {
        ErrorKind::NotFound => err(path, "no such file"),
        _ => err(path, format!("cannot open: {e}")),
    })?;
    let len = file.metadata().map(|m| m.len()).unwrap_or(u64::MAX);
    let mut head = Vec::new();
    (&mut file)
        .take(12)
        .read_to_end(&mut head)
        .map_err(|e| err(path, format!("cannot read: {e}")))?;
    // The header's length, when the prefix gives it: read exactly that much more.
    let more = match head.get(6) {
        Some(1) if head.len() >= 10 => usize::from(u16::from_le_bytes([head[8], head[9]])) + 10,
        Some(2 | 3) if head.len() >= 12 => {
            u32::from_le_bytes([head[8], head[9], head[10], head[11]]) as usize + 12
        }
        _ => 0,
    };
    let want = more.min(MAX_HEADER_BYTES + 12).saturating_sub(head.len());
    (&mut file)
        .take(want as u64)
        .read_to_end(&mut head)
        .map_err(|e| err(path, format!("cannot read: {e}")))?;
    let header =
        parse_header(&head).map_err(|m| err(path, format!("not a valid .npy file: {m}")))?;
    Ok((file, header, len))
}

/// Reads `path`'s header and checks that it describes a non-empty 2-D matrix whose data the
/// file holds in full; returns (rows, columns). The data itself is not read.
pub fn matrix_shape(path: &Path) -> Result<(usize, usize), NpyError> {
    let (_, header, len) = open_header(path)?;
    let [r, c] = header.shape[..] else {
        return Err(rank_error(path, &header));
    };
    checked_shape(path, &header, len, header.plain().map_or(1, |p| p.1.max(1)))?;
    Ok((r as usize, c as usize))
}

fn rank_error(path: &Path, header: &Header) -> NpyError {
    err(
        path,
        format!(
            "has rank {} (shape {:?}); expected a 2-D matrix",
            header.shape.len(),
            header.shape
        ),
    )
}

/// Checks that `header` has no zero dimension and that the file (`len` bytes) holds its data at
/// `size` bytes per element; returns the element count.
fn checked_shape(path: &Path, header: &Header, len: u64, size: u64) -> Result<u64, NpyError> {
    if header.shape.is_empty() || header.shape.contains(&0) {
        return Err(err(
            path,
            format!(
                "is empty (shape {:?}); every dimension must be at least 1",
                header.shape
            ),
        ));
    }
    let data = len.saturating_sub(header.data_offset);
    match header.elements() {
        Some(n) if n.checked_mul(size).is_some_and(|b| b <= data) && usize::try_from(n).is_ok() => {
            Ok(n)
        }
        _ => Err(err(
            path,
            format!(
                "is truncated: the header says {} {} but the file has only {data} bytes of data",
                header.shape_text(),
                header.describe()
            ),
        )),
    }
}

/// An integer element type a `.npy` file may hold.
trait Element: Copy + Default {
    const SIZE: usize;
    fn from_bytes(b: &[u8], big_endian: bool) -> Self;
}

macro_rules! element {
    ($t:ty) => {
        impl Element for $t {
            const SIZE: usize = std::mem::size_of::<$t>();
            fn from_bytes(b: &[u8], big_endian: bool) -> Self {
                let a = b.try_into().expect("one element's bytes");
                if big_endian {
                    <$t>::from_be_bytes(a)
                } else {
                    <$t>::from_le_bytes(a)
                }
            }
        }
    };
}
element!(i8);
element!(i16);
element!(i32);

/// Reads a 2-D int8 matrix (dtype `int8`, C or Fortran order).
pub fn read_i8_matrix(path: &Path) -> Result<Matrix<i8>, NpyError> {
    read_matrix(
        path,
        "the operands must be int8 (convert with a.astype(numpy.int8))",
    )
}

/// Reads a 2-D int16 matrix (dtype `int16`, or `int8` widened; C or Fortran order): operands
/// of an int16 machine, which takes int8 data as it is.
pub fn read_i16_matrix(path: &Path) -> Result<Matrix<i16>, NpyError> {
    let hint =
        "an int16 machine's operands must be int16 or int8 (convert with a.astype(numpy.int16))";
    let (_, header, _) = open_header(path)?;
    if header.plain().is_some_and(|(k, n, _)| k == 'i' && n == 1) {
        let m = read_matrix::<i8>(path, hint)?;
        return Ok(Matrix::from_fn(m.rows(), m.cols(), |r, c| {
            i16::from(m.get(r, c))
        }));
    }
    read_matrix(path, hint)
}

fn read_matrix<T: Element>(path: &Path, dtype_hint: &str) -> Result<Matrix<T>, NpyError> {
    let (shape, data) = read_array::<T>(path, dtype_hint, Some(2))?;
    Matrix::from_vec(shape[0], shape[1], data)
        .ok_or_else(|| err(path, "data length does not match the shape"))
}

/// Reads an int32 array of any rank (dtype `int32`, C or Fortran order): its shape and its
/// elements in C order. `what` says what the file is for (in the dtype error).
pub fn read_i32_array(path: &Path, what: &str) -> Result<(Vec<usize>, Vec<i32>), NpyError> {
    read_array::<i32>(
        path,
        &format!("{what} must be int32 (convert with x.astype(numpy.int32))"),
        None,
    )
}

/// Reads a non-empty array of a signed integer dtype of `T::SIZE` bytes; returns its shape and
/// its elements in C order. `dtype_hint` ends the wrong-dtype error; `rank`, when given, is the
/// rank required. The header is checked (dtype, rank, shape, the file's length) before the data
/// is allocated.
fn read_array<T: Element>(
    path: &Path,
    dtype_hint: &str,
    rank: Option<usize>,
) -> Result<(Vec<usize>, Vec<T>), NpyError> {
    let (file, header, len) = open_header(path)?;
    let big_endian = match header.plain() {
        Some(('i', n, be)) if n == T::SIZE as u64 => be,
        _ => {
            return Err(err(
                path,
                format!("dtype is {}; {dtype_hint}", header.describe()),
            ))
        }
    };
    if rank.is_some_and(|r| r != header.shape.len()) {
        return Err(rank_error(path, &header));
    }
    let n = checked_shape(path, &header, len, T::SIZE as u64)? as usize;
    let shape: Vec<usize> = header.shape.iter().map(|&d| d as usize).collect();
    let mut bytes = vec![0u8; n * T::SIZE];
    let mut file = file;
    file.read_exact(&mut bytes).map_err(|e| match e.kind() {
        ErrorKind::UnexpectedEof => err(
            path,
            format!(
                "is truncated: the header says {} {} ({} bytes of data) but the file ends early",
                header.shape_text(),
                header.describe(),
                n * T::SIZE
            ),
        ),
        _ => err(path, format!("cannot read the data: {e}")),
    })?;
    let data: Vec<T> = bytes
        .chunks_exact(T::SIZE)
        .map(|b| T::from_bytes(b, big_endian))
        .collect();
    let data = if header.fortran_order {
        fortran_to_c(&shape, &data)
    } else {
        data
    };
    Ok((shape, data))
}

/// Fortran order: the first index varies fastest. Walks the file's elements with an odometer over
/// the shape (first digit fastest) and places each at its C index.
fn fortran_to_c<T: Copy + Default>(shape: &[usize], data: &[T]) -> Vec<T> {
    let mut c_stride = vec![1usize; shape.len()];
    for d in (0..shape.len().saturating_sub(1)).rev() {
        c_stride[d] = c_stride[d + 1] * shape[d + 1];
    }
    let mut idx = vec![0usize; shape.len()];
    let mut at = 0usize;
    let mut out = vec![T::default(); data.len()];
    for &x in data {
        out[at] = x;
        for d in 0..shape.len() {
            idx[d] += 1;
            at += c_stride[d];
            if idx[d] < shape[d] {
                break;
            }
            at -= c_stride[d] * shape[d];
            idx[d] = 0;
        }
    }
    out
}

/// Writes a 2-D int32 matrix (dtype `<i4`, C order).
pub fn write_i32_matrix(path: &Path, m: &Matrix<i32>) -> Result<(), NpyError> {
    let file = File::create(path).map_err(|e| err(path, format!("cannot create: {e}")))?;
    let shape = [m.rows() as u64, m.cols() as u64];
    let mut w = npyz::WriteOptions::new()
        .default_dtype()
        .shape(&shape)
        .writer(BufWriter::new(file))
        .begin_nd()
        .map_err(|e| err(path, format!("cannot write: {e}")))?;
    w.extend(m.as_slice().iter().copied())
        .map_err(|e| err(path, format!("cannot write: {e}")))?;
    w.finish()
        .map_err(|e| err(path, format!("cannot write: {e}")))?;
    Ok(())
}

/// Writes a 2-D int8 matrix (dtype `|i1`, C order).
pub fn write_i8_matrix(path: &Path, m: &Matrix<i8>) -> Result<(), NpyError> {
    let file = File::create(path).map_err(|e| err(path, format!("cannot create: {e}")))?;
    let shape = [m.rows() as u64, m.cols() as u64];
    let mut w = npyz::WriteOptions::new()
        .default_dtype()
        .shape(&shape)
        .writer(BufWriter::new(file))
        .begin_nd()
        .map_err(|e| err(path, format!("cannot write: {e}")))?;
    w.extend(m.as_slice().iter().copied())
        .map_err(|e| err(path, format!("cannot write: {e}")))?;
    w.finish()
        .map_err(|e| err(path, format!("cannot write: {e}")))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tmp(name: &str) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("systole-npy-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        dir.join(name)
    }

    #[test]
    fn int8_round_trip_and_int32_write() {
        let p = tmp("a.npy");
        let a = Matrix::random(5, 7, 1);
        write_i8_matrix(&p, &a).unwrap();
        assert_eq!(read_i8_matrix(&p).unwrap(), a);
        let c = Matrix::from_fn(3, 2, |r, c| {
            (r as i32 - 1) * 1_000_000_007i32.wrapping_mul(c as i32 + 1)
        });
        write_i32_matrix(&tmp("c.npy"), &c).unwrap();
    }

    #[test]
    fn an_int16_machine_reads_int16_and_widens_int8() {
        let p = tmp("a16.npy");
        let a = Matrix::random(4, 3, 2);
        write_i8_matrix(&p, &a).unwrap();
        let wide = read_i16_matrix(&p).unwrap();
        assert_eq!(wide.get(1, 2), i16::from(a.get(1, 2)));
        let q = tmp("b16.npy");
        let mut w = npyz::WriteOptions::new()
            .default_dtype()
            .shape(&[1, 2])
            .writer(BufWriter::new(File::create(&q).unwrap()))
            .begin_nd()
            .unwrap();
        w.extend([i16::MIN, 300]).unwrap();
        w.finish().unwrap();
        assert_eq!(read_i16_matrix(&q).unwrap().as_slice(), &[i16::MIN, 300]);
        let e = read_i8_matrix(&q).unwrap_err().to_string();
        assert!(e.contains("int8"), "{e}");
        write_i32_matrix(&q, &Matrix::from_vec(1, 1, vec![1i32]).unwrap()).unwrap();
        let e = read_i16_matrix(&q).unwrap_err().to_string();
        assert!(e.contains("int16 or int8"), "{e}");
    }

    #[test]
    fn fortran_order_is_read_as_the_same_matrix() {
        let p = tmp("f.npy");
        let m = Matrix::random(3, 5, 4);
        let mut w = npyz::WriteOptions::new()
            .default_dtype()
            .shape(&[3, 5])
            .order(npyz::Order::Fortran)
            .writer(BufWriter::new(File::create(&p).unwrap()))
            .begin_nd()
            .unwrap();
        // Fortran order: column by column.
        w.extend(m.transposed().as_slice().iter().copied()).unwrap();
        w.finish().unwrap();
        assert_eq!(read_i8_matrix(&p).unwrap(), m);
    }

    #[test]
    fn fortran_order_of_any_rank_is_read_in_c_order() {
        let p = tmp("f3.npy");
        let shape = [2usize, 3, 4];
        let c_index = |i: usize, j: usize, k: usize| ((i * 3 + j) * 4 + k) as i32;
        let mut w = npyz::WriteOptions::new()
            .default_dtype()
            .shape(&[2, 3, 4])
            .order(npyz::Order::Fortran)
            .writer(BufWriter::new(File::create(&p).unwrap()))
            .begin_nd()
            .unwrap();
        // Fortran order: the first index varies fastest.
        for k in 0..shape[2] {
            for j in 0..shape[1] {
                for i in 0..shape[0] {
                    w.push(&c_index(i, j, k)).unwrap();
                }
            }
        }
        w.finish().unwrap();
        let (got_shape, data) = read_i32_array(&p, "x").unwrap();
        assert_eq!(got_shape, shape);
        assert_eq!(data, (0..24).collect::<Vec<i32>>());
    }

    /// `dict` as the header of a version-`major` file, padded as NumPy pads it.
    fn header_bytes(major: u8, dict: &str) -> Vec<u8> {
        let mut b = vec![0x93, b'N', b'U', b'M', b'P', b'Y', major, 0];
        let len = dict.len() + 1;
        if major == 1 {
            b.extend_from_slice(&(len as u16).to_le_bytes());
        } else {
            b.extend_from_slice(&(len as u32).to_le_bytes());
        }
        b.extend_from_slice(dict.as_bytes());
        b.push(b'\n');
        b
    }

    #[test]
    fn headers_numpy_writes_parse() {
        let dict = "{'descr': '<i2', 'fortran_order': True, 'shape': (20, 12), }";
        let h = parse_header(&header_bytes(1, dict)).unwrap();
        assert_eq!(h.descr.as_deref(), Some("<i2"));
        assert!(h.fortran_order);
        assert_eq!(h.shape, [20, 12]);
        assert_eq!(h.data_offset, (10 + dict.len() + 1) as u64);
        // Python 2's long integers, a 1-tuple, a scalar, double quotes, version 2.
        for (dict, shape) in [
            (
                "{'descr': '|i1', 'fortran_order': False, 'shape': (20L, 12L), }",
                vec![20, 12],
            ),
            (
                "{'descr': '|i1', 'fortran_order': False, 'shape': (7,), }",
                vec![7],
            ),
            (
                "{\"descr\": \"|i1\", \"fortran_order\": False, \"shape\": ()}",
                vec![],
            ),
        ] {
            assert_eq!(
                parse_header(&header_bytes(2, dict)).unwrap().shape,
                shape,
                "{dict}"
            );
        }
        // A structured dtype is described, not refused here.
        let h = parse_header(&header_bytes(
            1,
            "{'descr': [('x', '<i4'), ('y', [('z', '<f8', (2,))])], 'fortran_order': False, 'shape': (3,), }",
        ))
        .unwrap();
        assert_eq!(h.describe(), "a structured (record) type");
        // Found by the fuzz target: a size whose bits overflowed 64 bits panicked.
        let h = parse_header(&header_bytes(
            1,
            "{'descr': '<i9999999999999999999', 'fortran_order': False, 'shape': (1,), }",
        ))
        .unwrap();
        assert_eq!(h.describe(), "<i9999999999999999999 (an unsupported type)");
    }

    #[test]
    fn bad_headers_get_one_line_reasons() {
        let cases: [(&[u8], &str); 9] = [
            (b"hello", "magic string"),
            (b"\x93NUMPY\x04\x00", "format version 4.0"),
            (
                b"\x93NUMPY\x01\x00\x50\x00{'descr'",
                "ends inside its header",
            ),
            (
                &header_bytes(1, "{'descr': '|i1', 'shape': (2, 2)}"),
                "no 'fortran_order'",
            ),
            (
                &header_bytes(
                    1,
                    "{'descr': '|i1', 'fortran_order': False, 'shape': (2, 2), 'x': 1}",
                ),
                "unknown key 'x'",
            ),
            (
                &header_bytes(
                    1,
                    "{'descr': '|i1', 'fortran_order': False, 'shape': (2, -2)}",
                ),
                "found `-`",
            ),
            (
                &header_bytes(
                    1,
                    "{'descr': '|i1', 'fortran_order': False, 'shape': (99999999999999999999,)}",
                ),
                "does not fit 64 bits",
            ),
            (
                &header_bytes(
                    1,
                    &format!(
                        "{{'descr': {}, 'fortran_order': False, 'shape': ()}}",
                        "[".repeat(100)
                    ),
                ),
                "more than 32 deep",
            ),
            (
                &header_bytes(
                    1,
                    "{'descr': '|i1', 'fortran_order': False, 'shape': (2, 2), 'shape': (1,)}",
                ),
                "'shape' twice",
            ),
        ];
        for (bytes, want) in cases {
            let e = parse_header(bytes).unwrap_err();
            assert!(
                e.contains(want) && !e.contains('\n'),
                "want `{want}` in `{e}`"
            );
        }
    }

    #[test]
    fn big_endian_and_python_2_files_read() {
        let p = tmp("be.npy");
        let mut bytes = header_bytes(
            1,
            "{'descr': '>i2', 'fortran_order': False, 'shape': (1L, 2L), }",
        );
        bytes.extend_from_slice(&[0x80, 0x00, 0x01, 0x2c]);
        std::fs::write(&p, bytes).unwrap();
        assert_eq!(read_i16_matrix(&p).unwrap().as_slice(), &[i16::MIN, 300]);
        assert_eq!(matrix_shape(&p).unwrap(), (1, 2));
    }

    /// The shape is checked against the file before any data is read: a header claiming more
    /// than the file holds is refused from its header alone.
    #[test]
    fn matrix_shape_reads_the_header_only() {
        let p = tmp("claims.npy");
        let mut bytes = header_bytes(
            1,
            "{'descr': '|i1', 'fortran_order': False, 'shape': (50000, 20000), }",
        );
        bytes.extend_from_slice(&[1; 100]);
        std::fs::write(&p, bytes).unwrap();
        let e = matrix_shape(&p).unwrap_err().to_string();
        assert!(
            e.contains("is truncated") && e.contains("50000 x 20000"),
            "{e}"
        );
        let f = std::fs::OpenOptions::new().write(true).open(&p).unwrap();
        f.set_len(1_000_000_100).unwrap();
        assert_eq!(matrix_shape(&p).unwrap(), (50000, 20000));
        let _ = std::fs::remove_file(&p);
    }

    #[test]
    fn wrong_dtype_rank_truncation_missing() {
        let p = tmp("c32.npy");
        write_i32_matrix(&p, &Matrix::zeros(2, 2)).unwrap();
        let e = read_i8_matrix(&p).unwrap_err().to_string();
        assert!(
            e.contains("c32.npy") && e.contains("int32") && e.contains("int8"),
            "{e}"
        );

        let p = tmp("trunc.npy");
        write_i8_matrix(&p, &Matrix::random(8, 8, 2)).unwrap();
        let bytes = std::fs::read(&p).unwrap();
        std::fs::write(&p, &bytes[..bytes.len() - 10]).unwrap();
        let e = read_i8_matrix(&p).unwrap_err().to_string();
        assert!(e.contains("truncated"), "{e}");

        let e = read_i8_matrix(&tmp("nope.npy")).unwrap_err().to_string();
        assert!(e.contains("no such file"), "{e}");

        let p = tmp("garbage.npy");
        std::fs::write(&p, b"hello world").unwrap();
        let e = read_i8_matrix(&p).unwrap_err().to_string();
        assert!(e.contains("not a valid .npy"), "{e}");
    }
}
