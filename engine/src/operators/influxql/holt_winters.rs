//! The Holt-Winters forecast of InfluxQL (`holtWinters`, `holtWintersWithFit`): the series
//! is laid on a regular grid of `interval`, a damped trend (and, with a season length
//! `m` ≥ 2, a multiplicative season) is fitted by minimising the squared error with the
//! Nelder-Mead method from a grid of starting guesses, and `h` points are forecast. The
//! steps and their order are InfluxQL's, so that results agree to the last bits.

/// Starting guesses for alpha, beta, gamma and phi run from 0.3 below 1.0 by 0.4.
const GUESS_LOWER: f64 = 0.3;
const GUESS_UPPER: f64 = 1.0;
const GUESS_STEP: f64 = 0.4;
/// The weight of the first values in the initial level and trend without a season.
const WEIGHT: f64 = 0.5;
/// The optimiser stops when the spread of the simplex's errors is below this.
const EPSILON: f64 = 1.0e-4;

/// A Holt-Winters forecast's settings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HoltWinters {
    /// Points to forecast.
    pub h: usize,
    /// Season length in intervals (< 2: no season).
    pub m: usize,
    /// The grid step, nanoseconds.
    pub interval: i64,
    /// Also return the fitted values over the data (`holtWintersWithFit`).
    pub include_fit: bool,
}

impl HoltWinters {
    fn seasonal(&self) -> bool {
        self.m >= 2
    }

    fn round_time(&self, t: i64) -> i64 {
        let remainder = t % self.interval;
        if remainder > self.interval / 2 {
            (t / self.interval + 1) * self.interval
        } else {
            (t / self.interval) * self.interval
        }
    }

    /// The forecast for `points` (time, value) in arrival order.
    pub fn emit(&self, points: &[(i64, f64)]) -> Vec<(i64, f64)> {
        if points.len() < 2
            || (self.seasonal() && points.len() < self.m)
            || self.h == 0
            || self.interval <= 0
        {
            return Vec::new();
        }
        let start = self.round_time(points[0].0);
        let stop = self.round_time(points[points.len() - 1].0);
        if (stop - start) / self.interval <= 0 {
            return Vec::new();
        }
        // The values on the grid, NaN where a step has no point.
        let mut y = vec![points[0].1];
        let mut t = start;
        for &(time, value) in &points[1..] {
            let rounded = self.round_time(time);
            if rounded <= t {
                continue;
            }
            t += self.interval;
            while rounded != t {
                y.push(f64::NAN);
                t += self.interval;
            }
            y.push(value);
        }
        let m = self.m;
        let mut l0 = 0.0;
        let mut b0 = 0.0;
        let mut seasons = Vec::new();
        if self.seasonal() {
            for value in y.iter().take(m) {
                if !value.is_nan() {
                    l0 += (1.0 / m as f64) * value;
                }
            }
            let mut i = 0;
            while i < m && m + i < y.len() {
                if !y[i].is_nan() && !y[m + i].is_nan() {
                    b0 += 1.0 / (m * m) as f64 * (y[m + i] - y[i]);
                }
                i += 1;
            }
            seasons = (0..m)
                .map(|i| if y[i].is_nan() { 0.0 } else { y[i] / l0 })
                .collect();
        } else {
            l0 += WEIGHT * y[0];
            if !y[1].is_nan() {
                b0 = WEIGHT * (y[1] - y[0]);
            }
        }
        let mut parameters = vec![0.0; 6 + seasons.len()];
        parameters[4] = l0;
        parameters[5] = b0;
        parameters[6..].copy_from_slice(&seasons);

        let model = Model {
            y: &y,
            seasonal: self.seasonal(),
        };
        let mut best: Option<(f64, Vec<f64>)> = None;
        let mut alpha = GUESS_LOWER;
        while alpha < GUESS_UPPER {
            let mut beta = GUESS_LOWER;
            while beta < GUESS_UPPER {
                let mut gamma = GUESS_LOWER;
                while gamma < GUESS_UPPER {
                    let mut phi = GUESS_LOWER;
                    while phi < GUESS_UPPER {
                        parameters[..4].copy_from_slice(&[alpha, beta, gamma, phi]);
                        let (sse, params) =
                            nelder_mead(|p| model.sse(p), &parameters, EPSILON, 1.0);
                        if best.as_ref().is_none_or(|(min, _)| sse < *min) {
                            best = Some((sse, params));
                        }
                        phi += GUESS_STEP;
                    }
                    gamma += GUESS_STEP;
                }
                beta += GUESS_STEP;
            }
            alpha += GUESS_STEP;
        }
        let Some((_, mut params)) = best else {
            return Vec::new();
        };
        let forecast = model.forecast(self.h, &mut params);
        let points_out: Vec<(i64, f64)> = if self.include_fit {
            let first = points[0].0;
            forecast
                .iter()
                .enumerate()
                .filter(|(_, v)| !v.is_nan())
                .map(|(i, v)| (first + self.interval * i as i64, *v))
                .collect()
        } else {
            let last = points[points.len() - 1].0;
            forecast[y.len()..]
                .iter()
                .enumerate()
                .filter(|(_, v)| !v.is_nan())
                .map(|(i, v)| (last + self.interval * (i as i64 + 1), *v))
                .collect()
        };
        points_out
    }
}

/// The series being fitted.
struct Model<'a> {
    y: &'a [f64],
    seasonal: bool,
}

impl Model<'_> {
    /// The fitted values over the data and `h` more. Like InfluxQL's, it clamps the
    /// smoothing parameters into [0, 1] and updates the season values inside `params`.
    fn forecast(&self, h: usize, params: &mut [f64]) -> Vec<f64> {
        for p in params.iter_mut().take(4) {
            *p = p.clamp(0.0, 1.0);
        }
        let (alpha, beta, gamma, phi) = (params[0], params[1], params[2], params[3]);
        let mut y_t = self.y[0];
        let mut phi_h = phi;
        let mut l_t = params[4];
        let mut b_t = params[5];
        let (m, mut so) = if self.seasonal {
            let m = params.len() - 6;
            if m == 1 {
                params[6] = 1.0;
            }
            (m, m - 1)
        } else {
            (0, 0)
        };
        let l = self.y.len();
        let mut forecast = vec![0.0; l + h];
        forecast[0] = y_t;
        let (mut stm, mut stmh) = (1.0, 1.0);
        for t in 1..l + h {
            if self.seasonal {
                let hm = t % m;
                stm = params[6 + (t + so - m) % m];
                stmh = params[6 + (t + hm + so - m) % m];
            }
            let l_prev = l_t;
            let b_prev = b_t;
            l_t = alpha * (y_t / stm) + (1.0 - alpha) * (l_prev + phi * b_prev);
            b_t = beta * (l_t - l_prev) + (1.0 - beta) * phi * b_prev;
            let s_t = gamma * (y_t / (l_prev + phi * b_prev)) + (1.0 - gamma) * stm;
            y_t = (l_t + phi_h * b_t) * stmh;
            phi_h += condenser_planner::functions::go_pow::pow(phi, t as f64);
            if self.seasonal {
                params[6 + (t + so) % m] = s_t;
                so += 1;
            }
            forecast[t] = y_t;
        }
        forecast
    }

    /// The sum of squared errors of the fit; infinite when the fit breaks down.
    fn sse(&self, params: &mut [f64]) -> f64 {
        let forecast = self.forecast(0, params);
        let mut sse = 0.0;
        for (f, y) in forecast.iter().zip(self.y) {
            if !y.is_nan() {
                if f.is_nan() {
                    return f64::INFINITY;
                }
                let diff = f - y;
                sse += diff * diff;
            }
        }
        sse
    }
}

/// Nelder-Mead minimisation from `start` (reflection 1, contraction 0.5, expansion 2, at
/// most 1,000 iterations), as InfluxQL's; the objective may adjust the points it is given.
// Indexed loops keep the vertex arithmetic in the order the reference uses.
#[allow(clippy::needless_range_loop)]
fn nelder_mead(
    mut objective: impl FnMut(&mut [f64]) -> f64,
    start: &[f64],
    epsilon: f64,
    scale: f64,
) -> (f64, Vec<f64>) {
    const ALPHA: f64 = 1.0;
    const BETA: f64 = 0.5;
    const GAMMA: f64 = 2.0;
    let n = start.len();
    let nf = n as f64;
    let pn = scale * ((nf + 1.0).sqrt() - 1.0 + nf) / (nf * 2f64.sqrt());
    let qn = scale * ((nf + 1.0).sqrt() - 1.0) / (nf * 2f64.sqrt());
    let mut v: Vec<Vec<f64>> = vec![start.to_vec()];
    for i in 1..=n {
        v.push(
            (0..n)
                .map(|j| {
                    if i - 1 == j {
                        pn + start[j]
                    } else {
                        qn + start[j]
                    }
                })
                .collect(),
        );
    }
    let mut f: Vec<f64> = v.iter_mut().map(|p| objective(p)).collect();
    let (mut vr, mut ve, mut vc, mut vm) = (vec![0.0; n], vec![0.0; n], vec![0.0; n], vec![0.0; n]);
    for _ in 0..1000 {
        let (mut vg, mut vs) = (0, 0);
        for i in 0..=n {
            if f[i] > f[vg] {
                vg = i;
            }
            if f[i] < f[vs] {
                vs = i;
            }
        }
        let mut vh = vs;
        for i in 0..=n {
            if f[i] > f[vh] && f[i] < f[vg] {
                vh = i;
            }
        }
        for i in 0..n {
            let mut centre = 0.0;
            for (m, vertex) in v.iter().enumerate() {
                if m != vg {
                    centre += vertex[i];
                }
            }
            vm[i] = centre / nf;
        }
        for i in 0..n {
            vr[i] = vm[i] + ALPHA * (vm[i] - v[vg][i]);
        }
        let fr = objective(&mut vr);
        if fr < f[vh] && fr >= f[vs] {
            v[vg].copy_from_slice(&vr);
            f[vg] = fr;
        }
        if fr < f[vs] {
            for i in 0..n {
                ve[i] = vm[i] + GAMMA * (vr[i] - vm[i]);
            }
            let fe = objective(&mut ve);
            if fe < fr {
                v[vg].copy_from_slice(&ve);
                f[vg] = fe;
            } else {
                v[vg].copy_from_slice(&vr);
                f[vg] = fr;
            }
        }
        if fr >= f[vh] {
            if fr < f[vg] && fr >= f[vh] {
                for i in 0..n {
                    vc[i] = vm[i] + BETA * (vr[i] - vm[i]);
                }
            } else {
                for i in 0..n {
                    vc[i] = vm[i] - BETA * (vm[i] - v[vg][i]);
                }
            }
            let fc = objective(&mut vc);
            if fc < f[vg] {
                v[vg].copy_from_slice(&vc);
                f[vg] = fc;
            } else {
                for row in 0..=n {
                    if row != vs {
                        for i in 0..n {
                            v[row][i] = v[vs][i] + (v[row][i] - v[vs][i]) / 2.0;
                        }
                    }
                }
                f[vg] = objective(&mut v[vg]);
                f[vh] = objective(&mut v[vh]);
            }
        }
        let favg = f.iter().sum::<f64>() / (nf + 1.0);
        let spread = f
            .iter()
            .map(|fi| (fi - favg).powf(2.0) / nf)
            .sum::<f64>()
            .sqrt();
        if spread < epsilon {
            break;
        }
    }
    let mut vs = 0;
    for i in 0..=n {
        if f[i] < f[vs] {
            vs = i;
        }
    }
    let parameters = v[vs].clone();
    let min = objective(&mut v[vs]);
    (min, parameters)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forecasts_a_trend_past_the_data() {
        let hw = HoltWinters {
            h: 3,
            m: 0,
            interval: 1_000_000_000,
            include_fit: false,
        };
        let points: Vec<(i64, f64)> = (0..10)
            .map(|i| (i * 1_000_000_000, 1000.0 + i as f64))
            .collect();
        let forecast = hw.emit(&points);
        assert_eq!(forecast.len(), 3);
        assert_eq!(forecast[0].0, 10_000_000_000);
        assert!((forecast[0].1 - 1010.0).abs() < 1.0, "{forecast:?}");
    }
}
