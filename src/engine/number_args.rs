//! The number types a job argument can be (`i64`, `u64`, `i128`, `u128`,
//! `f64`), read from the number's own text: payloads keep numbers exactly
//! as written (serde_json's `arbitrary_precision`), so a handler gets the
//! exact value or an `ArgumentError` saying it does not fit, never a
//! rounded one.

use serde_json::Value;

use super::job_class::{deserialize_arg, JobArg};
use super::registry::JobError;

/// An integer argument, read from the number's own text (payloads keep every
/// number exactly as written, `arbitrary_precision`), so nothing is rounded:
/// Ruby's `2**64+1` given to a `u64` is "argument 1 (id):
/// 18446744073709551617 does not fit in u64", a 128-bit type takes it.
macro_rules! integer_arg {
    ($($t:ty),*) => {$(
        impl JobArg for $t {
            fn to_arg(&self) -> Value {
                Value::Number(serde_json::Number::from(*self))
            }
            fn from_arg(v: &Value, pos: usize, name: &str) -> std::result::Result<Self, JobError> {
                match v {
                    Value::Number(n) => n.to_string().parse::<$t>().map_err(|_| {
                        number_misfit(n, pos, name, stringify!($t))
                    }),
                    _ => deserialize_arg(v, pos, name),
                }
            }
        }
    )*};
}
integer_arg!(i64, u64, i128, u128);

/// A float argument: the nearest `f64` to the number as written (Ruby's
/// `1.0e+20` included); an integer the `f64` cannot hold exactly, or a
/// number beyond its range, is refused rather than rounded.
impl JobArg for f64 {
    fn to_arg(&self) -> Value {
        Value::from(*self)
    }

    fn from_arg(v: &Value, pos: usize, name: &str) -> std::result::Result<Self, JobError> {
        let Value::Number(n) = v else {
            return deserialize_arg(v, pos, name);
        };
        let text = n.to_string();
        let exact_enough =
            |f: &f64| f.is_finite() && (!is_integer_text(&text) || format!("{f:.0}") == text);
        n.as_f64()
            .filter(exact_enough)
            .ok_or_else(|| number_misfit(n, pos, name, "f64"))
    }
}

/// "argument 1 (id): 18446744073709551617 does not fit in u64".
fn number_misfit(n: &serde_json::Number, pos: usize, name: &str, ty: &str) -> JobError {
    let text = n.to_string();
    if is_integer_text(&text) || ty == "f64" {
        JobError::argument(format!(
            "argument {pos} ({name}): {text} does not fit in {ty}"
        ))
    } else {
        JobError::argument(format!(
            "argument {pos} ({name}) is invalid: {text} is not an integer ({ty})"
        ))
    }
}

/// True for JSON integer syntax (`-12`), false for `1.5`, `1e3`.
fn is_integer_text(text: &str) -> bool {
    let digits = text.strip_prefix('-').unwrap_or(text);
    !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use serde_json::Value;

    use crate::engine::job_class::JobArgs;

    crate::job_args! {
        struct Numbers {
            small: u64,
            wide: i128,
            ratio: f64,
        }
    }

    #[test]
    fn numbers_reach_the_handler_exactly_or_fail_with_a_reason() {
        let args = |raw: &str| serde_json::from_str::<Vec<Value>>(raw).unwrap();
        let ok = Numbers::from_args(&args(
            "[18446744073709551615, -170141183460469231731687303715884105728, 1.0e+20]",
        ))
        .unwrap();
        assert_eq!(
            ok,
            Numbers {
                small: u64::MAX,
                wide: i128::MIN,
                ratio: 1e20
            }
        );
        assert_eq!(Numbers::from_args(&ok.to_args()).unwrap(), ok);
        let message = |raw: &str| Numbers::from_args(&args(raw)).unwrap_err().message;
        assert_eq!(
            message("[18446744073709551617, 1, 0.1]"),
            "argument 1 (small): 18446744073709551617 does not fit in u64"
        );
        assert_eq!(
            message("[-1, 1, 0.1]"),
            "argument 1 (small): -1 does not fit in u64"
        );
        assert_eq!(
            message("[1, -170141183460469231731687303715884105729, 0.1]"),
            "argument 2 (wide): -170141183460469231731687303715884105729 does not fit in i128"
        );
        assert_eq!(
            message("[1.5, 1, 0.1]"),
            "argument 1 (small) is invalid: 1.5 is not an integer (u64)"
        );
        // An f64 takes any decimal (rounded to nearest, as a float is), but
        // not an integer it would change, nor one past its range.
        assert_eq!(
            message("[1, 1, 18446744073709551617]"),
            "argument 3 (ratio): 18446744073709551617 does not fit in f64"
        );
        assert_eq!(
            message("[1, 1, 1e400]"),
            "argument 3 (ratio): 1e+400 does not fit in f64"
        );
        assert!(Numbers::from_args(&args("[1, 1, 9007199254740992]")).is_ok());
        assert!(message(r#"["1", 1, 0.1]"#).starts_with("argument 1 (small) is invalid: "));
    }
}
