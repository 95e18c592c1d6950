//! Go's `math` functions on floats (Kapacitor promotes no integers: `abs(1)` fails),
//! `pow10` of an integer, `jn`/`yn` of an integer and a float, and `humanBytes`.

use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray, Float64Array, StringArray};
use arrow::datatypes::{DataType, Float64Type, Int64Type};

/// `Some(result)` when `name` is one of these functions: the result, or `None` when its
/// arguments are of types it does not take.
pub(super) fn call(name: &str, args: &[ArrayRef], rows: usize) -> Option<Option<ArrayRef>> {
    if let Some(f) = float1(name) {
        return Some(match args {
            [x] => floats(x).map(|x| Arc::new(x.unary::<_, Float64Type>(f)) as ArrayRef),
            _ => None,
        });
    }
    if let Some(f) = float2(name) {
        return Some(match args {
            [a, b] => (|| {
                let result: Float64Array =
                    arrow::compute::binary(floats(a)?, floats(b)?, f).ok()?;
                Some(Arc::new(result) as ArrayRef)
            })(),
            _ => None,
        });
    }
    Some(match (name, args) {
        ("pow10", [n]) => ints_to_floats(n, |n| 10f64.powi(n.clamp(-400, 400) as i32)),
        ("jn", [n, x]) => int_float(n, x, libm::jn),
        ("yn", [n, x]) => int_float(n, x, libm::yn),
        ("humanBytes", [x]) => human_bytes(x, rows),
        ("pow10" | "jn" | "yn" | "humanBytes", _) => None,
        _ => return None,
    })
}

fn floats(array: &ArrayRef) -> Option<&Float64Array> {
    (array.data_type() == &DataType::Float64).then(|| array.as_primitive::<Float64Type>())
}

/// The one-float functions, with Go's `math` semantics.
fn float1(name: &str) -> Option<fn(f64) -> f64> {
    Some(match name {
        "abs" => f64::abs,
        "acos" => f64::acos,
        "acosh" => f64::acosh,
        "asin" => f64::asin,
        "asinh" => f64::asinh,
        "atan" => f64::atan,
        "atanh" => f64::atanh,
        "cbrt" => f64::cbrt,
        "ceil" => f64::ceil,
        "cos" => f64::cos,
        "cosh" => f64::cosh,
        "erf" => libm::erf,
        "erfc" => libm::erfc,
        "exp" => f64::exp,
        "exp2" => f64::exp2,
        "expm1" => f64::exp_m1,
        "floor" => f64::floor,
        "gamma" => gamma,
        "j0" => libm::j0,
        "j1" => libm::j1,
        "log" => f64::ln,
        "log10" => f64::log10,
        "log1p" => f64::ln_1p,
        "log2" => f64::log2,
        "logb" => logb,
        "sin" => f64::sin,
        "sinh" => f64::sinh,
        "sqrt" => f64::sqrt,
        "tan" => f64::tan,
        "tanh" => f64::tanh,
        "trunc" => f64::trunc,
        "y0" => libm::y0,
        "y1" => libm::y1,
        _ => return None,
    })
}

/// The two-float functions, with Go's `math` semantics.
fn float2(name: &str) -> Option<fn(f64, f64) -> f64> {
    Some(match name {
        "atan2" => f64::atan2,
        "hypot" => f64::hypot,
        "pow" => super::go_pow::pow,
        // Go's math.Mod: the remainder with the sign of the dividend, as Rust's `%`.
        "mod" => |a, b| a % b,
        "max" => go_max,
        "min" => go_min,
        _ => return None,
    })
}

/// Go's `math.Logb`: the binary exponent.
fn logb(x: f64) -> f64 {
    if x == 0.0 {
        f64::NEG_INFINITY
    } else if x.is_infinite() {
        f64::INFINITY
    } else if x.is_nan() {
        x
    } else {
        x.abs().log2().floor()
    }
}

/// Go's `math.Gamma`: Γ(x), with Go's values at the poles (NaN at negative integers and
/// −∞, ±∞ at ±0).
fn gamma(x: f64) -> f64 {
    if x == 0.0 {
        return if x.is_sign_negative() {
            f64::NEG_INFINITY
        } else {
            f64::INFINITY
        };
    }
    if x == f64::NEG_INFINITY || (x < 0.0 && x == x.floor()) {
        return f64::NAN;
    }
    libm::tgamma(x)
}

/// Go's `math.Max`: NaN when either is NaN; +0 is larger than −0.
fn go_max(a: f64, b: f64) -> f64 {
    if a.is_infinite() && a > 0.0 || b.is_infinite() && b > 0.0 {
        return f64::INFINITY;
    }
    if a.is_nan() || b.is_nan() {
        return f64::NAN;
    }
    if a == 0.0 && b == 0.0 {
        return if a.is_sign_negative() { b } else { a };
    }
    if a > b { a } else { b }
}

/// Go's `math.Min`: NaN when either is NaN; −0 is smaller than +0.
fn go_min(a: f64, b: f64) -> f64 {
    if a.is_infinite() && a < 0.0 || b.is_infinite() && b < 0.0 {
        return f64::NEG_INFINITY;
    }
    if a.is_nan() || b.is_nan() {
        return f64::NAN;
    }
    if a == 0.0 && b == 0.0 {
        return if a.is_sign_negative() { a } else { b };
    }
    if a < b { a } else { b }
}

fn ints_to_floats(n: &ArrayRef, f: impl Fn(i64) -> f64) -> Option<ArrayRef> {
    (n.data_type() == &DataType::Int64)
        .then(|| Arc::new(n.as_primitive::<Int64Type>().unary::<_, Float64Type>(f)) as ArrayRef)
}

fn int_float(n: &ArrayRef, x: &ArrayRef, f: impl Fn(i32, f64) -> f64) -> Option<ArrayRef> {
    if n.data_type() != &DataType::Int64 {
        return None;
    }
    let (n, x) = (n.as_primitive::<Int64Type>(), floats(x)?);
    let result: Float64Array = arrow::compute::binary(n, x, |n, x| {
        // Go converts the int64 to int; the order of a Bessel function that large is
        // meaningless, so it is clamped.
        f(n.clamp(i64::from(i32::MIN), i64::from(i32::MAX)) as i32, x)
    })
    .ok()?;
    Some(Arc::new(result))
}

/// go-humanize's `Bytes(uint64(x))`: SI units (`82 MB`, `1.5 kB`, `9 B`).
fn human_bytes(x: &ArrayRef, rows: usize) -> Option<ArrayRef> {
    let value = |row: usize| -> Option<u64> {
        if x.is_null(row) {
            return None;
        }
        match x.data_type() {
            // Go's uint64 conversion of a float truncates; of a negative value it wraps.
            DataType::Float64 => {
                let v = x.as_primitive::<Float64Type>().value(row);
                Some(if v < 0.0 { (v as i64) as u64 } else { v as u64 })
            }
            DataType::Int64 => Some(x.as_primitive::<Int64Type>().value(row) as u64),
            _ => None,
        }
    };
    if !matches!(x.data_type(), DataType::Float64 | DataType::Int64) {
        return None;
    }
    Some(Arc::new(
        (0..rows)
            .map(|row| value(row).map(humanize_bytes))
            .collect::<StringArray>(),
    ))
}

fn humanize_bytes(s: u64) -> String {
    const SIZES: [&str; 7] = ["B", "kB", "MB", "GB", "TB", "PB", "EB"];
    if s < 10 {
        return format!("{s} B");
    }
    let e = ((s as f64).ln() / 1000f64.ln()).floor();
    let suffix = SIZES[(e as usize).min(SIZES.len() - 1)];
    let value = (s as f64 / 1000f64.powf(e) * 10.0 + 0.5).floor() / 10.0;
    if value < 10.0 {
        format!("{value:.1} {suffix}")
    } else {
        format!("{value:.0} {suffix}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn human_bytes_as_go_humanize_prints_them() {
        assert_eq!(humanize_bytes(9), "9 B");
        assert_eq!(humanize_bytes(82_854_982), "83 MB");
        assert_eq!(humanize_bytes(1_500), "1.5 kB");
        assert_eq!(humanize_bytes(1_000_000), "1.0 MB");
    }

    #[test]
    fn max_and_min_follow_go() {
        assert!(go_max(1.0, f64::NAN).is_nan());
        assert_eq!(go_max(f64::NAN, f64::INFINITY), f64::INFINITY);
        assert!(go_max(-0.0, 0.0).is_sign_positive());
        assert!(go_min(-0.0, 0.0).is_sign_negative());
        assert_eq!(gamma(5.0), 24.0);
        assert!(gamma(-2.0).is_nan());
    }
}
