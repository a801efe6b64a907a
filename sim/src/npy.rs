//! NumPy `.npy` matrices: int8 or int16 operands in, int32 (or int8) results out.
//!
//! Every problem (missing or unreadable file, not a `.npy`, wrong dtype, wrong rank, empty,
//! truncated) becomes an [`NpyError`] naming the file and the problem.

use std::fs::File;
use std::io::{BufReader, BufWriter, ErrorKind};
use std::path::Path;

use npyz::{DType, NpyFile, Order, TypeChar, WriterBuilder};

use crate::error::NpyError;
use crate::matrix::Matrix;

fn err(path: &Path, message: impl Into<String>) -> NpyError {
    NpyError {
        path: path.to_path_buf(),
        message: message.into(),
    }
}

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
    read_matrix(path, hint).or_else(|e16| match read_matrix::<i8>(path, hint) {
        Ok(m) => Ok(Matrix::from_fn(m.rows(), m.cols(), |r, c| {
            i16::from(m.get(r, c))
        })),
        Err(_) => Err(e16),
    })
}

fn read_matrix<T: npyz::Deserialize + Copy + Default>(
    path: &Path,
    dtype_hint: &str,
) -> Result<Matrix<T>, NpyError> {
    let (shape, data) = read_array::<T>(path, dtype_hint)?;
    if shape.len() != 2 {
        return Err(err(
            path,
            format!(
                "has rank {} (shape {:?}); expected a 2-D matrix",
                shape.len(),
                shape
            ),
        ));
    }
    Matrix::from_vec(shape[0], shape[1], data)
        .ok_or_else(|| err(path, "data length does not match the shape"))
}

/// Reads an int32 array of any rank (dtype `int32`, C or Fortran order): its shape and its
/// elements in C order. `what` says what the file is for (in the dtype error).
pub fn read_i32_array(path: &Path, what: &str) -> Result<(Vec<usize>, Vec<i32>), NpyError> {
    read_array::<i32>(
        path,
        &format!("{what} must be int32 (convert with x.astype(numpy.int32))"),
    )
}

/// Reads a non-empty array of a plain integer dtype of `size_of::<T>()` bytes; returns its shape
/// and its elements in C order. `dtype_hint` ends the wrong-dtype error.
fn read_array<T: npyz::Deserialize + Copy + Default>(
    path: &Path,
    dtype_hint: &str,
) -> Result<(Vec<usize>, Vec<T>), NpyError> {
    let size = std::mem::size_of::<T>() as u64;
    let file = File::open(path).map_err(|e| match e.kind() {
        ErrorKind::NotFound => err(path, "no such file"),
        _ => err(path, format!("cannot open: {e}")),
    })?;
    check_declared_size(path, &file)?;
    let file = File::open(path).map_err(|e| err(path, format!("cannot open: {e}")))?;
    let npy = NpyFile::new(BufReader::new(file))
        .map_err(|e| err(path, format!("not a valid .npy file: {e}")))?;
    let dtype = npy.dtype();
    let ok = matches!(&dtype, DType::Plain(ts) if ts.type_char() == TypeChar::Int && ts.size_field() == size);
    if !ok {
        return Err(err(
            path,
            format!("dtype is {}; {dtype_hint}", describe(&dtype)),
        ));
    }
    let shape: Vec<usize> = npy.shape().iter().map(|&d| d as usize).collect();
    let text = || {
        shape
            .iter()
            .map(|d| d.to_string())
            .collect::<Vec<_>>()
            .join(" x ")
    };
    if shape.is_empty() || shape.contains(&0) {
        return Err(err(
            path,
            format!(
                "is empty (shape {:?}); every dimension must be at least 1",
                shape
            ),
        ));
    }
    let elems = shape
        .iter()
        .try_fold(1u64, |acc, &d| acc.checked_mul(d as u64))
        .and_then(|n| n.checked_mul(size));
    let file_len = std::fs::metadata(path).map(|m| m.len()).unwrap_or(u64::MAX);
    match elems {
        Some(n) if n <= file_len => {}
        _ => {
            return Err(err(
                path,
                format!(
                    "is truncated: the header says {} {} but the file has only {file_len} bytes",
                    text(),
                    describe(&dtype)
                ),
            ))
        }
    }
    let order = npy.order();
    let data: Vec<T> = npy.into_vec().map_err(|e| match e.kind() {
        ErrorKind::UnexpectedEof => err(
            path,
            format!(
                "is truncated: the header says {} {} ({} bytes of data) but the file ends early",
                text(),
                describe(&dtype),
                elems.unwrap_or(0)
            ),
        ),
        _ => err(path, format!("cannot read the data: {e}")),
    })?;
    let data = match order {
        Order::C => data,
        Order::Fortran => {
            // Fortran order: the first index varies fastest. Walk the file's elements with an
            // odometer over the shape (first digit fastest) and place each at its C index.
            let mut c_stride = vec![1usize; shape.len()];
            for d in (0..shape.len().saturating_sub(1)).rev() {
                c_stride[d] = c_stride[d + 1] * shape[d + 1];
            }
            let mut idx = vec![0usize; shape.len()];
            let mut at = 0usize;
            let mut out = vec![T::default(); data.len()];
            for &x in &data {
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
    };
    Ok((shape, data))
}

/// Rejects a header whose shape holds more elements than the file has bytes, before npyz parses
/// it (npyz multiplies the shape without overflow checks, which panics in debug builds).
fn check_declared_size(path: &Path, file: &File) -> Result<(), NpyError> {
    use std::io::Read;
    let len = file.metadata().map(|m| m.len()).unwrap_or(u64::MAX);
    let mut head = Vec::new();
    let _ = file.take(65_536).read_to_end(&mut head);
    let text = String::from_utf8_lossy(&head);
    let Some(at) = text.find("'shape':") else {
        return Ok(()); // not a header we understand: npyz reports it
    };
    let rest = &text[at + "'shape':".len()..];
    let (Some(open), Some(close)) = (rest.find('('), rest.find(')')) else {
        return Ok(());
    };
    if open > close {
        return Ok(());
    }
    let mut elems: Option<u64> = Some(1);
    for dim in rest[open + 1..close]
        .split(',')
        .map(str::trim)
        .filter(|d| !d.is_empty())
    {
        let Ok(d) = dim.trim_end_matches('L').parse::<u64>() else {
            return Ok(());
        };
        elems = elems.and_then(|e| e.checked_mul(d));
    }
    match elems {
        Some(n) if n <= len => Ok(()),
        _ => Err(err(
            path,
            format!(
                "is truncated: the header declares shape ({}) but the file has only {len} bytes",
                rest[open + 1..close].trim()
            ),
        )),
    }
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

fn describe(dtype: &DType) -> String {
    match dtype {
        DType::Plain(ts) => {
            let name = match (ts.type_char(), ts.size_field()) {
                (TypeChar::Int, n) => format!("int{}", n * 8),
                (TypeChar::Uint, n) => format!("uint{}", n * 8),
                (TypeChar::Float, n) => format!("float{}", n * 8),
                (TypeChar::Bool, _) => "bool".to_string(),
                _ => "an unsupported type".to_string(),
            };
            format!("{ts} ({name})")
        }
        DType::Array(..) => "a sub-array type".to_string(),
        DType::Record(..) => "a structured (record) type".to_string(),
    }
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
