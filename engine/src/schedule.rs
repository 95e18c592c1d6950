//! When a batch task's query runs: every `.every()` (from the task's start, or with
//! `.align()` on multiples of it), or at the times of a `.cron()` expression, as Kapacitor's
//! tickers do. Cron expressions are read as Kapacitor's cron library reads them: five fields
//! (minute, hour, day of month, month, day of week), six (seconds first) or seven (a year
//! last), with `*`, lists, ranges, steps, month and day names, and `@yearly`, `@monthly`,
//! `@weekly`, `@daily`, `@hourly`; in UTC.

use condenser_model::time::civil_from_days;
use condenser_planner::nodes::QuerySpec;

const SECOND: i64 = 1_000_000_000;
const DAY: i64 = 86_400;

/// A query's schedule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Schedule {
    /// Every this many nanoseconds; `align`: on multiples of it.
    Every {
        /// The interval.
        every: i64,
        /// On multiples of the interval.
        align: bool,
    },
    /// At the times of a cron expression.
    Cron(Cron),
}

impl Schedule {
    /// The schedule of `spec`; an error names what is wrong with its cron expression.
    pub fn of(spec: &QuerySpec) -> Result<Schedule, String> {
        if !spec.cron.is_empty() {
            return Cron::parse(&spec.cron).map(Schedule::Cron);
        }
        if spec.every.nanos() <= 0 {
            return Err("must define one of 'every' or 'cron'".to_owned());
        }
        Ok(Schedule::Every {
            every: spec.every.nanos(),
            align: spec.align,
        })
    }

    /// The first run of a task started at `start` (nanoseconds since the epoch).
    pub fn first(&self, start: i64) -> i64 {
        match self {
            Schedule::Every { every, align: true } => start.div_euclid(*every) * every + every,
            Schedule::Every { every, .. } => start.saturating_add(*every),
            Schedule::Cron(cron) => cron.next(start),
        }
    }

    /// The run after the one at `at`.
    pub fn next(&self, at: i64) -> i64 {
        match self {
            Schedule::Every { every, align } => {
                let next = at.saturating_add(*every);
                if *align {
                    // Rounded to the interval, as Go's ticker times are.
                    (next + every / 2).div_euclid(*every) * every
                } else {
                    next
                }
            }
            Schedule::Cron(cron) => cron.next(at),
        }
    }
}

impl Schedule {
    /// The ranges a query with this schedule, `period` and `offset` reads when run over the
    /// past from `start` to `stop` (as Kapacitor's `record batch` runs it): each tick after
    /// `start` up to `stop`, its range `[tick - offset - period, tick - offset)`, none
    /// ending after `now`.
    pub fn runs(
        &self,
        period: i64,
        offset: i64,
        start: i64,
        stop: i64,
        now: i64,
    ) -> Vec<(i64, i64)> {
        let mut runs = Vec::new();
        let mut tick = start;
        loop {
            let next = self.next(tick);
            if next <= tick || next > stop {
                return runs;
            }
            tick = next;
            let query_stop = tick - offset;
            if query_stop > now {
                return runs;
            }
            runs.push((query_stop - period, query_stop));
        }
    }
}

/// A parsed cron expression: the values each field allows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cron {
    seconds: Vec<bool>,
    minutes: Vec<bool>,
    hours: Vec<bool>,
    days: Vec<bool>,
    months: Vec<bool>,
    weekdays: Vec<bool>,
    /// The years allowed, or every year.
    years: Option<Vec<i64>>,
    /// Whether the day of month and the day of week were both restricted (then either
    /// matches, as in cron).
    day_or_weekday: bool,
}

const MONTHS: &[&str] = &[
    "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC",
];
const WEEKDAYS: &[&str] = &["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];

impl Cron {
    /// Parses `text`.
    pub fn parse(text: &str) -> Result<Cron, String> {
        let expanded = match text.trim() {
            "@yearly" | "@annually" => "0 0 0 1 1 * *",
            "@monthly" => "0 0 0 1 * * *",
            "@weekly" => "0 0 0 * * 0 *",
            "@daily" => "0 0 0 * * * *",
            "@hourly" => "0 0 * * * * *",
            other => other,
        };
        let mut fields: Vec<&str> = expanded.split_whitespace().collect();
        match fields.len() {
            5 => {
                fields.insert(0, "0");
                fields.push("*");
            }
            6 => fields.push("*"),
            7 => {}
            n => {
                return Err(format!(
                    "invalid cron expression {text:?}: {n} fields, expected 5, 6 or 7"
                ));
            }
        }
        let bad =
            |field: &str, what: &str| format!("invalid cron expression {text:?}: {what} {field:?}");
        let seconds = set(fields[0], 0, 59, &[]).map_err(|e| bad(fields[0], &e))?;
        let minutes = set(fields[1], 0, 59, &[]).map_err(|e| bad(fields[1], &e))?;
        let hours = set(fields[2], 0, 23, &[]).map_err(|e| bad(fields[2], &e))?;
        let days = set(fields[3], 1, 31, &[]).map_err(|e| bad(fields[3], &e))?;
        let months = set(fields[4], 1, 12, MONTHS).map_err(|e| bad(fields[4], &e))?;
        let mut weekdays = set(fields[5], 0, 7, WEEKDAYS).map_err(|e| bad(fields[5], &e))?;
        // 7 is Sunday too.
        if weekdays[7] {
            weekdays[0] = true;
        }
        let years = if fields[6] == "*" {
            None
        } else {
            let allowed = set(fields[6], 1970, 2099, &[]).map_err(|e| bad(fields[6], &e))?;
            Some((1970..=2099).filter(|y| allowed[*y as usize]).collect())
        };
        let restricted = |f: &str| !matches!(f, "*" | "?");
        Ok(Cron {
            seconds,
            minutes,
            hours,
            days,
            months,
            weekdays,
            years,
            day_or_weekday: restricted(fields[3]) && restricted(fields[5]),
        })
    }

    fn day_matches(&self, days: i64) -> bool {
        let (year, month, day) = civil_from_days(days);
        if !self.months[month as usize] {
            return false;
        }
        if let Some(years) = &self.years
            && !years.contains(&year)
        {
            return false;
        }
        // 1970-01-01 was a Thursday.
        let weekday = (days + 4).rem_euclid(7) as usize;
        if self.day_or_weekday {
            self.days[day as usize] || self.weekdays[weekday]
        } else {
            self.days[day as usize] && self.weekdays[weekday]
        }
    }

    /// The first time after `after` the expression allows (in whole seconds); far in the
    /// future when none comes within a few years.
    pub fn next(&self, after: i64) -> i64 {
        let mut second = after.div_euclid(SECOND) + 1;
        let mut days = second.div_euclid(DAY);
        let limit = days + 8 * 366;
        while days <= limit {
            if self.day_matches(days) {
                let start = (second - days * DAY).max(0);
                for of_day in start..DAY {
                    let (h, m, s) = (of_day / 3600, of_day / 60 % 60, of_day % 60);
                    if !self.hours[h as usize] {
                        continue;
                    }
                    if self.minutes[m as usize] && self.seconds[s as usize] {
                        return (days * DAY + of_day) * SECOND;
                    }
                }
            }
            days += 1;
            second = days * DAY;
        }
        i64::MAX
    }
}

/// The values a field allows, `0..=max` indexed.
fn set(field: &str, min: i64, max: i64, names: &[&str]) -> Result<Vec<bool>, String> {
    let mut allowed = vec![false; max as usize + 1];
    let value = |text: &str| -> Result<i64, String> {
        if let Some(i) = names.iter().position(|n| n.eq_ignore_ascii_case(text)) {
            // Month names count from 1, day names from 0.
            let base = if names.len() == MONTHS.len() { 1 } else { 0 };
            return Ok(i as i64 + base);
        }
        text.parse::<i64>()
            .ok()
            .filter(|v| (min..=max).contains(v))
            .ok_or_else(|| format!("a value out of {min}-{max} in"))
    };
    for part in field.split(',') {
        let (range, step) = match part.split_once('/') {
            Some((range, step)) => (
                range,
                step.parse::<i64>()
                    .ok()
                    .filter(|s| *s > 0)
                    .ok_or_else(|| "a bad step in".to_owned())?,
            ),
            None => (part, 1),
        };
        let (lo, hi) = match range {
            "*" | "?" => (min, max),
            _ => match range.split_once('-') {
                Some((a, b)) => (value(a)?, value(b)?),
                None if step > 1 => (value(range)?, max),
                None => {
                    let v = value(range)?;
                    (v, v)
                }
            },
        };
        if lo > hi {
            return Err("a backwards range in".to_owned());
        }
        let mut v = lo;
        while v <= hi {
            allowed[v as usize] = true;
            v += step;
        }
    }
    Ok(allowed)
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: i64 = SECOND;

    #[test]
    fn every_runs_from_the_start_or_on_multiples() {
        let unaligned = Schedule::Every {
            every: 10 * S,
            align: false,
        };
        assert_eq!(unaligned.first(3 * S), 13 * S);
        assert_eq!(unaligned.next(13 * S), 23 * S);
        let aligned = Schedule::Every {
            every: 10 * S,
            align: true,
        };
        assert_eq!(aligned.first(3 * S), 10 * S);
        assert_eq!(aligned.next(10 * S), 20 * S);
    }

    #[test]
    fn a_recording_runs_each_tick_over_the_past() {
        let every = Schedule::Every {
            every: 10 * S,
            align: false,
        };
        assert_eq!(
            every.runs(10 * S, S, 0, 35 * S, 100 * S),
            vec![(-S, 9 * S), (9 * S, 19 * S), (19 * S, 29 * S)]
        );
        assert_eq!(every.runs(10 * S, 0, 0, 35 * S, 15 * S), vec![(0, 10 * S)]);
    }

    #[test]
    fn cron_expressions_run_when_they_say() {
        let hourly = Cron::parse("@hourly").unwrap();
        assert_eq!(hourly.next(10 * S), 3600 * S);
        let every_5_minutes = Cron::parse("*/5 * * * *").unwrap();
        assert_eq!(every_5_minutes.next(0), 300 * S);
        let seconds = Cron::parse("*/10 * * * * *").unwrap();
        assert_eq!(seconds.next(12 * S), 20 * S);
        // 1970-01-05 was the first Monday; 09:30 then.
        let mondays = Cron::parse("30 9 * * MON").unwrap();
        assert_eq!(mondays.next(0), (4 * DAY + 9 * 3600 + 30 * 60) * S);
        let february = Cron::parse("0 0 1 FEB *").unwrap();
        assert_eq!(february.next(0), 31 * DAY * S);
        assert!(Cron::parse("* * *").unwrap_err().contains("3 fields"));
        assert!(
            Cron::parse("61 * * * *")
                .unwrap_err()
                .contains("out of 0-59")
        );
    }
}
