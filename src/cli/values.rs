//! Value parsers for every number on the command line: times, rates, counts and codes. Each
//! refuses what it cannot represent (negative, NaN, infinite, out of range, not a number) with
//! the range in words, so clap reports `invalid value 'X' for '--flag <UNIT>': use ... from A to
//! B` and exits 1, and nothing downstream can overflow: times become `Duration`s through
//! `Duration::try_from_secs_f64`, never `from_secs_f64` (which panics on 1e300).

use std::time::{Duration, SystemTime};

/// The longest time any flag accepts: a year. Far beyond any useful delay or run, and small
/// enough that `Instant + time` and `time × u32` cannot overflow.
pub const MAX_SECONDS: f64 = 31_536_000.0;

/// The shortest schedule interval (`-I`), 1 µs: no wake-up is more precise than that.
const MIN_INTERVAL_MS: f64 = 0.001;

/// The highest rate (`--rate`, `-R`): one per nanosecond.
const MAX_RATE: f64 = 1e9;
/// The lowest rate: one per 1000 s, so that the interval it implies stays a short `Duration`.
const MIN_RATE: f64 = 0.001;

/// The most clients a bench run may have (in all shards): the client list is held in memory.
pub const MAX_CLIENTS: u32 = 10_000_000;

/// `--start-at` may be at most this far ahead: further is almost surely milliseconds given as
/// seconds, and the run would wait for years.
const MAX_START_AHEAD: Duration = Duration::from_secs(24 * 3600);

/// A finite number (`NaN`, `inf` and empty text are not).
fn finite(text: &str) -> Option<f64> {
    text.trim().parse::<f64>().ok().filter(|v| v.is_finite())
}

/// A whole number from `min` to `max`, as `T`. `what` completes "use ... from MIN to MAX".
pub fn whole<T>(
    min: u64,
    max: u64,
    what: &'static str,
) -> impl Fn(&str) -> Result<T, String> + Clone + Send + Sync + 'static
where
    T: TryFrom<u64> + Clone + Send + Sync + 'static,
{
    move |text: &str| {
        text.trim()
            .parse::<u64>()
            .ok()
            .filter(|v| (min..=max).contains(v))
            .and_then(|v| T::try_from(v).ok())
            .ok_or_else(|| format!("use {what} from {min} to {max}"))
    }
}

/// A quality of service level.
pub fn qos() -> Named<u8> {
    named(
        |text| match text.trim() {
            "0" => Ok(0),
            "1" => Ok(1),
            "2" => Ok(2),
            _ => Err("use 0, 1 or 2".to_string()),
        },
        &["0", "1", "2"],
    )
}

/// -V's words, checked later with the rest of the connection settings.
pub fn protocol_version() -> Named<String> {
    named(
        |text| Ok(text.to_string()),
        &["311", "5", "mqttv311", "mqttv5"],
    )
}

/// bench's -V: emqtt-bench's 4 (3.1.1) and 5 too.
pub fn bench_protocol_version() -> Named<String> {
    named(
        |text| Ok(text.to_string()),
        &["4", "5", "311", "mqttv311", "mqttv5"],
    )
}

/// --tls-version's words, checked later with the rest of the TLS settings.
pub fn tls_version() -> Named<String> {
    named(|text| Ok(text.to_string()), &["tlsv1.3", "tlsv1.2"])
}

/// A parser that also names the values it takes, so that `--help` lists them and shell
/// completion offers them (clap learns nothing from a plain function).
#[derive(Clone)]
pub struct Named<T> {
    parse: fn(&str) -> Result<T, String>,
    values: &'static [&'static str],
}

pub fn named<T>(parse: fn(&str) -> Result<T, String>, values: &'static [&'static str]) -> Named<T> {
    Named { parse, values }
}

impl<T: Clone + Send + Sync + 'static> clap::builder::TypedValueParser for Named<T> {
    type Value = T;

    fn parse_ref(
        &self,
        cmd: &clap::Command,
        arg: Option<&clap::Arg>,
        value: &std::ffi::OsStr,
    ) -> Result<T, clap::Error> {
        self.parse.parse_ref(cmd, arg, value)
    }

    fn possible_values(
        &self,
    ) -> Option<Box<dyn Iterator<Item = clap::builder::PossibleValue> + '_>> {
        Some(Box::new(
            self.values.iter().map(clap::builder::PossibleValue::new),
        ))
    }
}

/// The unit a time is given in on the command line.
#[derive(Clone, Copy)]
pub enum Unit {
    Seconds,
    Millis,
}

/// A time from `min` to `max` (in `unit`; fractions allowed). With `min` above 0 a value that
/// rounds to nothing is refused too.
pub fn time(
    unit: Unit,
    min: f64,
    max: f64,
) -> impl Fn(&str) -> Result<Duration, String> + Clone + Send + Sync + 'static {
    move |text: &str| {
        let (name, per_second) = match unit {
            Unit::Seconds => ("seconds", 1.0),
            Unit::Millis => ("milliseconds", 1000.0),
        };
        let bad = || format!("use {name} from {min} to {max}");
        let value = finite(text).filter(|v| (min..=max).contains(v));
        let duration = value
            .and_then(|v| Duration::try_from_secs_f64(v / per_second).ok())
            .ok_or_else(bad)?;
        if min > 0.0 && duration.is_zero() {
            return Err(bad());
        }
        Ok(duration)
    }
}

/// Seconds from 0 to a year.
pub fn seconds() -> impl Fn(&str) -> Result<Duration, String> + Clone + Send + Sync + 'static {
    time(Unit::Seconds, 0.0, MAX_SECONDS)
}

/// Seconds from a millisecond to a year: how long something lasts.
pub fn positive_seconds()
-> impl Fn(&str) -> Result<Duration, String> + Clone + Send + Sync + 'static {
    time(Unit::Seconds, 0.001, MAX_SECONDS)
}

/// Milliseconds from 0 to a year.
pub fn millis() -> impl Fn(&str) -> Result<Duration, String> + Clone + Send + Sync + 'static {
    time(Unit::Millis, 0.0, MAX_SECONDS * 1000.0)
}

/// Milliseconds from 1 µs to a year: a schedule's interval.
pub fn interval_millis() -> impl Fn(&str) -> Result<Duration, String> + Clone + Send + Sync + 'static
{
    time(Unit::Millis, MIN_INTERVAL_MS, MAX_SECONDS * 1000.0)
}

/// Events per second, from one per 1000 s to one per nanosecond.
pub fn rate(
    what: &'static str,
) -> impl Fn(&str) -> Result<f64, String> + Clone + Send + Sync + 'static {
    move |text: &str| {
        finite(text)
            .filter(|v| (MIN_RATE..=MAX_RATE).contains(v))
            .ok_or_else(|| format!("use {what} per second from {MIN_RATE} to {MAX_RATE}"))
    }
}

/// The most a speed factor (`--speed`) may be: beyond it every gap rounds to nothing anyway.
const MAX_FACTOR: f64 = 1e6;

/// A speed factor from 0.001 to a million.
pub fn factor() -> impl Fn(&str) -> Result<f64, String> + Clone + Send + Sync + 'static {
    |text: &str| {
        finite(text)
            .filter(|v| (MIN_RATE..=MAX_FACTOR).contains(v))
            .ok_or_else(|| format!("use a factor from {MIN_RATE} to {MAX_FACTOR}"))
    }
}

/// A percentage from 0.1 to 100.
pub fn percent() -> impl Fn(&str) -> Result<f64, String> + Clone + Send + Sync + 'static {
    |text: &str| {
        finite(text)
            .filter(|v| (0.1..=100.0).contains(v))
            .ok_or_else(|| "use a percentage from 0.1 to 100".to_string())
    }
}

/// MQTT 5 session expiry: seconds, or -1 (or ∞) for a session that never expires.
pub fn session_expiry() -> impl Fn(&str) -> Result<u32, String> + Clone + Send + Sync + 'static {
    |text: &str| match text.trim() {
        "-1" | "∞" => Ok(u32::MAX),
        text => text
            .parse::<u32>()
            .map_err(|_| "use seconds from 0 to 4294967295, or -1 for never".to_string()),
    }
}

/// A wall-clock time to start at: RFC 3339 or Unix seconds, at most a day from now.
pub fn start_at() -> impl Fn(&str) -> Result<SystemTime, String> + Clone + Send + Sync + 'static {
    |text: &str| {
        let bad = || {
            "use RFC 3339 (2026-11-24T20:00:00Z) or Unix seconds, at most a day from now"
                .to_string()
        };
        let at = match finite(text) {
            Some(secs) if secs >= 0.0 => Duration::try_from_secs_f64(secs)
                .ok()
                .and_then(|d| SystemTime::UNIX_EPOCH.checked_add(d)),
            Some(_) => None,
            None => chrono::DateTime::parse_from_rfc3339(text.trim())
                .ok()
                .map(SystemTime::from),
        }
        .ok_or_else(bad)?;
        let latest = SystemTime::now()
            .checked_add(MAX_START_AHEAD)
            .ok_or_else(bad)?;
        if at > latest {
            return Err(bad());
        }
        // A moment of slack for the time it takes to start the command.
        if let Ok(ago) = SystemTime::now().duration_since(at)
            && ago > Duration::from_secs(1)
        {
            return Err(format!(
                "that was {:.0} s ago: give a time ahead, e.g. $(( $(date +%s) + 30 )) for 30 s from now",
                ago.as_secs_f64()
            ));
        }
        Ok(at)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ODD: [&str; 9] = [
        "-1",
        "0",
        "1e300",
        "1e-300",
        "18446744073709551616",
        "NaN",
        "inf",
        "abc",
        "",
    ];

    #[test]
    fn times_refuse_what_a_duration_cannot_hold() {
        let parse = seconds();
        let accepted: Vec<&str> = ODD.into_iter().filter(|v| parse(v).is_ok()).collect();
        assert_eq!(accepted, ["0", "1e-300"]);
        assert_eq!(parse("0.5").unwrap(), Duration::from_millis(500));
        assert_eq!(
            parse("1e300").unwrap_err(),
            "use seconds from 0 to 31536000"
        );
        let parse = positive_seconds();
        assert!(ODD.into_iter().all(|v| parse(v).is_err()));
        assert_eq!(
            interval_millis()("1e-300").unwrap_err(),
            "use milliseconds from 0.001 to 31536000000"
        );
        assert_eq!(millis()("2.5").unwrap(), Duration::from_micros(2500));
    }

    #[test]
    fn counts_rates_and_codes() {
        let port = whole::<u16>(1, 65535, "a port");
        assert_eq!(port("1883").unwrap(), 1883);
        assert_eq!(port("0").unwrap_err(), "use a port from 1 to 65535");
        assert!(ODD.into_iter().all(|v| port(v).is_err()));
        let parse = rate("messages");
        assert!(ODD.into_iter().all(|v| parse(v).is_err()));
        assert_eq!(parse("5000").unwrap(), 5000.0);
        assert_eq!((qos().parse)("3").unwrap_err(), "use 0, 1 or 2");
        assert_eq!(session_expiry()("-1").unwrap(), u32::MAX);
        assert!(session_expiry()("-2").is_err());
        assert_eq!(percent()("0.1").unwrap(), 0.1);
        assert!(ODD.into_iter().all(|v| factor()(v).is_err()));
        assert_eq!(factor()("2.5").unwrap(), 2.5);
        assert_eq!(
            factor()("1e7").unwrap_err(),
            "use a factor from 0.001 to 1000000"
        );
    }

    #[test]
    fn start_times() {
        let parse = start_at();
        assert!(
            parse("1700000000").unwrap_err().ends_with(
                "s ago: give a time ahead, e.g. $(( $(date +%s) + 30 )) for 30 s from now"
            )
        );
        assert!(parse("2023-11-14T22:13:20Z").is_err());
        let ahead = chrono::Utc::now() + chrono::Duration::seconds(90);
        assert_eq!(parse(&ahead.to_rfc3339()).unwrap(), SystemTime::from(ahead));
        let soon = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .unwrap()
            .as_secs()
            + 3600;
        assert!(parse(&soon.to_string()).is_ok());
        assert!(parse(&(soon + 2 * 86_400).to_string()).is_err());
        assert!(parse("tomorrow").is_err());
        assert!(parse("1e19").is_err());
        assert!(parse("9999-01-01T00:00:00Z").is_err());
        assert!(parse("0").is_err());
    }
}
