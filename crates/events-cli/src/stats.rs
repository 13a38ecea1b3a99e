//! `events stats`: how many events of each type, when, and how fast.

use chrono::{DateTime, SecondsFormat, Utc};
use std::collections::BTreeMap;
use std::time::Duration;

/// Counts per type, in type order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Stats {
    types: BTreeMap<String, TypeStats>,
}

/// One type's count and the earliest and latest event time seen.
#[derive(Debug, Clone, PartialEq)]
pub struct TypeStats {
    pub count: u64,
    pub first: DateTime<Utc>,
    pub last: DateTime<Utc>,
}

/// What the rates are taken over.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Period {
    /// Live traffic watched for this long.
    Window(Duration),
    /// Events read from the stream: from the earliest to the latest event time among them.
    Observed,
}

impl Stats {
    /// Counts one event of `event_type` that happened at `time`.
    pub fn record(&mut self, event_type: &str, time: DateTime<Utc>) {
        match self.types.get_mut(event_type) {
            Some(stats) => {
                stats.count += 1;
                stats.first = stats.first.min(time);
                stats.last = stats.last.max(time);
            }
            None => {
                self.types.insert(
                    event_type.to_owned(),
                    TypeStats {
                        count: 1,
                        first: time,
                        last: time,
                    },
                );
            }
        }
    }

    pub fn get(&self, event_type: &str) -> Option<&TypeStats> {
        self.types.get(event_type)
    }

    pub fn total(&self) -> u64 {
        self.types.values().map(|stats| stats.count).sum()
    }

    pub fn first(&self) -> Option<DateTime<Utc>> {
        self.types.values().map(|stats| stats.first).min()
    }

    pub fn last(&self) -> Option<DateTime<Utc>> {
        self.types.values().map(|stats| stats.last).max()
    }

    /// The length of `period` in seconds; none when it is empty (a single instant), so no rate can be given.
    pub fn seconds(&self, period: Period) -> Option<f64> {
        let seconds = match period {
            Period::Window(window) => window.as_secs_f64(),
            Period::Observed => {
                let span = self.last()?.signed_duration_since(self.first()?);
                span.to_std().ok()?.as_secs_f64()
            }
        };
        (seconds > 0.0).then_some(seconds)
    }

    /// The table: one row per type (count, first and last time, events per second over the period), a total
    /// row, and a line saying what the rates are over.
    pub fn table(&self, period: Period) -> String {
        let seconds = self.seconds(period);
        let rate = |count: u64| {
            seconds.map_or_else(
                || "-".to_owned(),
                // Counts far beyond 2^52 are not met here; the rate is an estimate anyway.
                #[allow(clippy::cast_precision_loss)]
                |seconds| format_rate(count as f64 / seconds),
            )
        };
        let mut rows = vec![[
            "TYPE".to_owned(),
            "COUNT".to_owned(),
            "FIRST".to_owned(),
            "LAST".to_owned(),
            "PER_SEC".to_owned(),
        ]];
        for (event_type, stats) in &self.types {
            rows.push([
                crate::render::clean(event_type),
                stats.count.to_string(),
                format_time(stats.first),
                format_time(stats.last),
                rate(stats.count),
            ]);
        }
        rows.push([
            "TOTAL".to_owned(),
            self.total().to_string(),
            self.first().map(format_time).unwrap_or_default(),
            self.last().map(format_time).unwrap_or_default(),
            rate(self.total()),
        ]);
        let mut widths = [0usize; 5];
        for row in &rows {
            for (width, cell) in widths.iter_mut().zip(row) {
                *width = (*width).max(cell.chars().count());
            }
        }
        let mut out = String::new();
        for row in &rows {
            let mut line = String::new();
            for (column, (cell, width)) in row.iter().zip(widths).enumerate() {
                let padded = if column == 1 || column == 4 {
                    format!("{cell:>width$}")
                } else {
                    format!("{cell:<width$}")
                };
                if column > 0 {
                    line.push_str("  ");
                }
                line.push_str(&padded);
            }
            out.push_str(line.trim_end());
            out.push('\n');
        }
        out.push_str(&match (period, seconds) {
            (Period::Window(_), Some(seconds)) => {
                format!("rates over {} of live traffic\n", format_span(seconds))
            }
            (Period::Observed, Some(seconds)) => format!(
                "rates over {}, from the first event read to the last\n",
                format_span(seconds)
            ),
            (_, None) => "no rates: the events span no time\n".to_owned(),
        });
        out
    }
}

fn format_time(time: DateTime<Utc>) -> String {
    time.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// A period for a person: `0.012 s`, `12.5 s`, `12.5 min`, `5.2 h`, `3.1 d`.
pub fn format_span(seconds: f64) -> String {
    match seconds {
        s if s < 1.0 => format!("{s:.3} s"),
        s if s < 120.0 => format!("{s:.1} s"),
        s if s < 7_200.0 => format!("{:.1} min", s / 60.0),
        s if s < 172_800.0 => format!("{:.1} h", s / 3_600.0),
        s => format!("{:.1} d", s / 86_400.0),
    }
}

/// Two decimals from 1 up, three significant digits below (0.000123), `0` for none.
pub fn format_rate(rate: f64) -> String {
    if rate <= 0.0 || !rate.is_finite() {
        return "0".to_owned();
    }
    if rate >= 1.0 {
        return format!("{rate:.2}");
    }
    // rate < 1: -log10 is positive and small (a rate is never below 1e-300 here).
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let decimals = (-rate.log10()).floor() as usize + 3;
    format!("{rate:.decimals$}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> DateTime<Utc> {
        text.parse().unwrap()
    }

    fn sample() -> Stats {
        let mut stats = Stats::default();
        stats.record("identity.user.created.v1", at("2025-06-01T10:00:02Z"));
        stats.record("identity.user.created.v1", at("2025-06-01T10:00:00Z"));
        stats.record("identity.group.created.v1", at("2025-06-01T10:00:01Z"));
        stats.record("identity.user.created.v1", at("2025-06-01T10:00:04Z"));
        stats
    }

    #[test]
    fn counts_and_earliest_and_latest_time_per_type_whatever_the_order() {
        let stats = sample();
        let users = stats.get("identity.user.created.v1").unwrap();
        assert_eq!(users.count, 3);
        assert_eq!(users.first, at("2025-06-01T10:00:00Z"));
        assert_eq!(users.last, at("2025-06-01T10:00:04Z"));
        assert_eq!(stats.get("identity.group.created.v1").unwrap().count, 1);
        assert_eq!(stats.total(), 4);
        assert_eq!(stats.first(), Some(at("2025-06-01T10:00:00Z")));
        assert_eq!(stats.last(), Some(at("2025-06-01T10:00:04Z")));
    }

    #[test]
    fn rates_are_over_the_window_or_the_span_of_the_events_read() {
        let stats = sample();
        assert_eq!(stats.seconds(Period::Observed), Some(4.0));
        assert_eq!(
            stats.seconds(Period::Window(Duration::from_secs(10))),
            Some(10.0)
        );
        let mut single = Stats::default();
        single.record("a", at("2025-06-01T10:00:00Z"));
        assert_eq!(single.seconds(Period::Observed), None);
        assert_eq!(Stats::default().seconds(Period::Observed), None);
    }

    #[test]
    fn the_table_has_a_row_per_type_and_a_total() {
        let table = sample().table(Period::Observed);
        let lines: Vec<&str> = table.lines().collect();
        assert_eq!(lines.len(), 5, "{table}");
        let cells = |line: &str| {
            line.split_whitespace()
                .map(str::to_owned)
                .collect::<Vec<_>>()
        };
        assert_eq!(
            cells(lines[0]),
            ["TYPE", "COUNT", "FIRST", "LAST", "PER_SEC"]
        );
        assert_eq!(
            cells(lines[1]),
            [
                "identity.group.created.v1",
                "1",
                "2025-06-01T10:00:01.000Z",
                "2025-06-01T10:00:01.000Z",
                "0.250"
            ]
        );
        assert_eq!(cells(lines[2])[..2], ["identity.user.created.v1", "3"]);
        assert_eq!(cells(lines[2])[4], "0.750");
        assert_eq!(cells(lines[3])[..2], ["TOTAL", "4"]);
        assert_eq!(cells(lines[3])[4], "1.00");
        assert!(lines[4].starts_with("rates over 4.0 s"), "{table}");
        // Columns line up.
        let count_end = lines[0].find("COUNT").unwrap() + "COUNT".len();
        assert_eq!(&lines[1][count_end - 1..count_end], "1");
    }

    #[test]
    fn an_empty_table_says_there_is_nothing() {
        let table = Stats::default().table(Period::Window(Duration::from_secs(5)));
        assert!(table.contains("TOTAL"), "{table}");
        assert!(
            table
                .lines()
                .nth(1)
                .unwrap()
                .split_whitespace()
                .eq(["TOTAL", "0", "0"])
        );
    }

    #[test]
    fn periods_read_in_a_fitting_unit() {
        assert_eq!(format_span(0.0123), "0.012 s");
        assert_eq!(format_span(4.0), "4.0 s");
        assert_eq!(format_span(750.0), "12.5 min");
        assert_eq!(format_span(18_720.0), "5.2 h");
        assert_eq!(format_span(604_800.0), "7.0 d");
    }

    #[test]
    fn rates_keep_three_significant_digits_when_small() {
        assert_eq!(format_rate(0.0), "0");
        assert_eq!(format_rate(12.345), "12.35");
        assert_eq!(format_rate(1.0), "1.00");
        assert_eq!(format_rate(0.25), "0.250");
        assert_eq!(format_rate(10.0 / 604_800.0), "0.0000165");
    }
}
