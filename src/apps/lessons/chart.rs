//! The load lesson's latency-over-time chart as plain SVG geometry (the
//! template draws it; no script): each mode's median and slowest request of
//! every time slice, on shared linear axes so sync and async compare.

use serde::Serialize;

use super::load::ModeRun;

pub const WIDTH: f64 = 720.0;
pub const HEIGHT: f64 = 260.0;
const LEFT: f64 = 70.0;
const RIGHT: f64 = 690.0;
const TOP: f64 = 10.0;
const BOTTOM: f64 = 230.0;

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Tick {
    pub pos: f64,
    pub label: String,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Series {
    pub mode: &'static str,
    /// `points` of an SVG polyline: each slice's median.
    pub p50: String,
    /// Each slice's slowest request.
    pub max: String,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Chart {
    pub width: f64,
    pub height: f64,
    pub left: f64,
    pub right: f64,
    pub top: f64,
    pub bottom: f64,
    pub x_ticks: Vec<Tick>,
    pub y_ticks: Vec<Tick>,
    pub series: Vec<Series>,
}

/// A step of 1, 2 or 5 × 10ⁿ giving at most about `n` steps up to `top`.
pub fn nice_step(top: f64, n: usize) -> f64 {
    if top <= 0.0 || !top.is_finite() {
        return 1.0;
    }
    let raw = top / n.max(1) as f64;
    let mag = 10f64.powf(raw.log10().floor());
    [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|m| m * mag)
        .find(|s| *s >= raw)
        .unwrap_or(10.0 * mag)
}

/// A tick's number without float noise (0.6, not 0.6000000000000001).
fn num(v: f64) -> String {
    format!("{}", (v * 1e6).round() / 1e6)
}

fn ms_label(ms: f64) -> String {
    if ms >= 1000.0 {
        format!("{} s", num(ms / 1000.0))
    } else {
        format!("{} ms", num(ms))
    }
}

/// The chart of `runs`, or `None` before any request was answered.
pub fn chart(runs: &[ModeRun]) -> Option<Chart> {
    let x_top = runs
        .iter()
        .flat_map(|r| r.timeline.iter().map(move |b| b.from_s + r.bucket_s))
        .fold(0.0, f64::max);
    let y_max = runs
        .iter()
        .flat_map(|r| r.timeline.iter().filter_map(|b| b.max_ms))
        .fold(0.0, f64::max);
    if x_top <= 0.0 || y_max <= 0.0 {
        return None;
    }
    let x_step = nice_step(x_top, 8);
    let y_step = nice_step(y_max, 5);
    let y_top = (y_max / y_step).ceil() * y_step;
    let x_top = (x_top / x_step).ceil() * x_step;
    let x = |s: f64| LEFT + (RIGHT - LEFT) * s / x_top;
    let y = |ms: f64| BOTTOM - (BOTTOM - TOP) * ms / y_top;
    let ticks = |step: f64, top: f64, f: &dyn Fn(f64) -> Tick| {
        (0..)
            .map(|i| f64::from(i) * step)
            .take_while(|v| *v <= top + step / 2.0)
            .map(f)
            .collect::<Vec<_>>()
    };
    let round = |v: f64| (v * 10.0).round() / 10.0;
    let series = runs
        .iter()
        .map(|r| {
            let line = |pick: &dyn Fn(&super::stats::Bucket) -> Option<f64>| {
                r.timeline
                    .iter()
                    .filter_map(|b| {
                        let v = pick(b)?;
                        Some(format!(
                            "{},{}",
                            round(x(b.from_s + r.bucket_s / 2.0)),
                            round(y(v))
                        ))
                    })
                    .collect::<Vec<_>>()
                    .join(" ")
            };
            Series {
                mode: r.mode.as_str(),
                p50: line(&|b| b.p50_ms),
                max: line(&|b| b.max_ms),
            }
        })
        .collect();
    Some(Chart {
        width: WIDTH,
        height: HEIGHT,
        left: LEFT,
        right: RIGHT,
        top: TOP,
        bottom: BOTTOM,
        x_ticks: ticks(x_step, x_top, &|s| Tick {
            pos: round(x(s)),
            label: format!("{} s", num(s)),
        }),
        y_ticks: ticks(y_step, y_top, &|ms| Tick {
            pos: round(y(ms)),
            label: ms_label(ms),
        }),
        series,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::apps::lessons::load::Probe;
    use crate::apps::lessons::stats::{buckets, Sample, Summary};
    use crate::web::timing::Mode;

    fn run(mode: Mode, samples: &[Sample], elapsed: f64) -> ModeRun {
        ModeRun {
            mode,
            planned: samples.len(),
            summary: Summary::of(samples, elapsed),
            bucket_s: 1.0,
            timeline: buckets(samples, 1.0),
            probe: Probe::none(),
            cut_short: false,
            first_error: None,
        }
    }

    #[test]
    fn steps_are_one_two_or_five() {
        assert_eq!(nice_step(10.0, 5), 2.0);
        assert_eq!(nice_step(7300.0, 5), 2000.0);
        assert_eq!(nice_step(0.9, 5), 0.2);
        assert_eq!(nice_step(0.0, 5), 1.0);
        assert_eq!(num(3.0 * 0.2), "0.6");
        assert_eq!(ms_label(1200.0000000001), "1.2 s");
        assert_eq!(ms_label(500.0), "500 ms");
    }

    #[test]
    fn both_modes_share_the_axes() {
        let s = |at_s, ms| Sample { at_s, ms, ok: true };
        let sync = run(Mode::Sync, &[s(0.2, 2000.0), s(3.5, 8000.0)], 4.0);
        let asy = run(Mode::Async, &[s(0.1, 5.0)], 0.5);
        let c = chart(&[sync, asy]).unwrap();
        assert_eq!(c.series.len(), 2);
        // The slowest sync request reaches the top of the 8 s axis.
        assert_eq!(c.y_ticks.last().unwrap().label, "8 s");
        assert!(
            c.series[0].max.ends_with(&format!(",{TOP}")),
            "{:?}",
            c.series[0]
        );
        // Async stays on the floor.
        let y: f64 = c.series[1].p50.split(',').nth(1).unwrap().parse().unwrap();
        assert!(y > BOTTOM - 1.0, "{y}");
        assert!(chart(&[]).is_none());
    }
}
