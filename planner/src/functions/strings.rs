//! Go's `strings` functions (`strContains`, `strReplace`, …) and `regexReplace`. Offsets
//! and lengths count bytes, as Go's do.

use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray, BooleanArray, Int64Array, StringArray};
use arrow::datatypes::{DataType, Int64Type};

/// `Some(result)` when `name` is a string function: the result, or `None` when its
/// arguments are of types it does not take.
pub(super) fn call(name: &str, args: &[ArrayRef], rows: usize) -> Option<Option<ArrayRef>> {
    let result = match name {
        "strLength" => one(args).and_then(strings).map(|s| {
            Arc::new(Int64Array::from(map_strings(&[s], rows, |v| {
                Some(v[0].len() as i64)
            }))) as ArrayRef
        }),
        "strToLower" | "strToUpper" | "strTrimSpace" => {
            let f: fn(&str) -> String = match name {
                "strToLower" => str::to_lowercase,
                "strToUpper" => str::to_uppercase,
                _ => |s| s.trim().to_owned(),
            };
            one(args).and_then(strings).map(|s| {
                Arc::new(StringArray::from(map_strings(&[s], rows, |v| {
                    Some(f(v[0]))
                }))) as ArrayRef
            })
        }
        "strContains" | "strContainsAny" | "strHasPrefix" | "strHasSuffix" => {
            let f: fn(&str, &str) -> bool = match name {
                "strContains" => |a, b| a.contains(b),
                "strContainsAny" => |a, b| a.contains(|c| b.contains(c)),
                "strHasPrefix" => |a, b| a.starts_with(b),
                _ => |a, b| a.ends_with(b),
            };
            two(args).map(|(a, b)| {
                Arc::new(BooleanArray::from(map_strings(&[a, b], rows, |v| {
                    Some(f(v[0], v[1]))
                }))) as ArrayRef
            })
        }
        "strCount" | "strIndex" | "strIndexAny" | "strLastIndex" | "strLastIndexAny" => {
            let f: fn(&str, &str) -> i64 = match name {
                // Go's strings.Count: non-overlapping; an empty needle counts runes + 1.
                "strCount" => |a, b| {
                    if b.is_empty() {
                        a.chars().count() as i64 + 1
                    } else {
                        a.matches(b).count() as i64
                    }
                },
                "strIndex" => |a, b| byte_index(a.find(b)),
                "strIndexAny" => |a, b| byte_index(a.find(|c| b.contains(c))),
                "strLastIndex" => |a, b| byte_index(a.rfind(b)),
                _ => |a, b| byte_index(a.rfind(|c| b.contains(c))),
            };
            two(args).map(|(a, b)| {
                Arc::new(Int64Array::from(map_strings(&[a, b], rows, |v| {
                    Some(f(v[0], v[1]))
                }))) as ArrayRef
            })
        }
        "strTrim" | "strTrimLeft" | "strTrimRight" | "strTrimPrefix" | "strTrimSuffix" => {
            let f: fn(&str, &str) -> String = match name {
                "strTrim" => |a, b| a.trim_matches(|c| b.contains(c)).to_owned(),
                "strTrimLeft" => |a, b| a.trim_start_matches(|c| b.contains(c)).to_owned(),
                "strTrimRight" => |a, b| a.trim_end_matches(|c| b.contains(c)).to_owned(),
                "strTrimPrefix" => |a, b| a.strip_prefix(b).unwrap_or(a).to_owned(),
                _ => |a, b| a.strip_suffix(b).unwrap_or(a).to_owned(),
            };
            two(args).map(|(a, b)| {
                Arc::new(StringArray::from(map_strings(&[a, b], rows, |v| {
                    Some(f(v[0], v[1]))
                }))) as ArrayRef
            })
        }
        "strReplace" => replace(args, rows),
        "strSubstring" => substring(args, rows),
        "regexReplace" => regex_replace(args, rows),
        _ => return None,
    };
    Some(result)
}

fn one(args: &[ArrayRef]) -> Option<&ArrayRef> {
    match args {
        [arg] => Some(arg),
        _ => None,
    }
}

fn two(args: &[ArrayRef]) -> Option<(&StringArray, &StringArray)> {
    match args {
        [a, b] => Some((strings(a)?, strings(b)?)),
        _ => None,
    }
}

fn strings(array: &ArrayRef) -> Option<&StringArray> {
    (array.data_type() == &DataType::Utf8).then(|| array.as_string::<i32>())
}

fn ints(array: &ArrayRef) -> Option<&Int64Array> {
    (array.data_type() == &DataType::Int64).then(|| array.as_primitive::<Int64Type>())
}

/// Applies `f` row by row to string columns; null where any argument is null.
fn map_strings<T>(
    args: &[&StringArray],
    rows: usize,
    mut f: impl FnMut(&[&str]) -> Option<T>,
) -> Vec<Option<T>> {
    let mut values: Vec<&str> = Vec::with_capacity(args.len());
    (0..rows)
        .map(|row| {
            if args.iter().any(|a| a.is_null(row)) {
                return None;
            }
            values.clear();
            values.extend(args.iter().map(|a| a.value(row)));
            f(&values)
        })
        .collect()
}

/// Go's `strings.Index` family: a byte offset or -1.
fn byte_index(found: Option<usize>) -> i64 {
    found.map_or(-1, |i| i as i64)
}

/// `strReplace(s, old, new, n)`: Go's `strings.Replace`, every match when `n` < 0.
fn replace(args: &[ArrayRef], rows: usize) -> Option<ArrayRef> {
    let [s, old, new, n] = args else { return None };
    let (s, old, new, n) = (strings(s)?, strings(old)?, strings(new)?, ints(n)?);
    Some(Arc::new(
        (0..rows)
            .map(|row| {
                if s.is_null(row) || old.is_null(row) || new.is_null(row) || n.is_null(row) {
                    return None;
                }
                let (s, old, new, n) = (s.value(row), old.value(row), new.value(row), n.value(row));
                Some(if n < 0 {
                    s.replace(old, new)
                } else {
                    s.replacen(old, new, n as usize)
                })
            })
            .collect::<StringArray>(),
    ))
}

/// `strSubstring(s, start, stop)`: bytes `start..stop`; Kapacitor fails on a stop index at
/// or past the end, or one before the start.
fn substring(args: &[ArrayRef], rows: usize) -> Option<ArrayRef> {
    let [s, start, stop] = args else { return None };
    let (s, start, stop) = (strings(s)?, ints(start)?, ints(stop)?);
    Some(Arc::new(
        (0..rows)
            .map(|row| {
                if s.is_null(row) || start.is_null(row) || stop.is_null(row) {
                    return None;
                }
                let (s, start, stop) = (s.value(row), start.value(row), stop.value(row));
                let (start, stop) = (usize::try_from(start).ok()?, usize::try_from(stop).ok()?);
                (start <= stop && stop < s.len()).then(|| s.get(start..stop).map(str::to_owned))?
            })
            .collect::<StringArray>(),
    ))
}

/// `regexReplace(regex, s, replacement)`: Go's `Regexp.ReplaceAllString` (`$1` names a
/// group).
fn regex_replace(args: &[ArrayRef], rows: usize) -> Option<ArrayRef> {
    let [pattern, source, replacement] = args else {
        return None;
    };
    let (pattern, source, replacement) =
        (strings(pattern)?, strings(source)?, strings(replacement)?);
    let mut compiled: Option<(String, regex::Regex)> = None;
    Some(Arc::new(StringArray::from(map_strings(
        &[pattern, source, replacement],
        rows,
        |v| {
            if compiled.as_ref().is_none_or(|(p, _)| p != v[0]) {
                compiled = Some((v[0].to_owned(), regex::Regex::new(v[0]).ok()?));
            }
            let (_, re) = compiled.as_ref()?;
            Some(re.replace_all(v[1], v[2]).into_owned())
        },
    ))))
}
