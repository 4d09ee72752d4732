//! Human-readable instants, computed from a reference instant passed in rather than the local
//! clock, so the server and the hydrating browser render the same text.

use chrono::{DateTime, SecondsFormat, Timelike, Utc};

#[cfg(any(feature = "ssr", test))]
use crate::task::FieldError;

// Written out rather than through chrono's `format`, whose strftime parser would otherwise ship
// in the browser bundle for these two lines. A date displays as `%Y-%m-%d`.
pub fn exact(at: DateTime<Utc>) -> String {
    format!("{} {} UTC", at.date_naive(), wall_clock(at))
}

pub fn relative(at: DateTime<Utc>, now: DateTime<Utc>) -> String {
    let seconds = (now - at).num_seconds();
    if seconds < 0 {
        return "just now".to_owned();
    }
    let (amount, unit) = match seconds {
        0..=44 => return "just now".to_owned(),
        45..=5_399 => ((seconds + 30) / 60, "minute"),
        5_400..=129_599 => ((seconds + 1_800) / 3_600, "hour"),
        _ => ((seconds + 43_200) / 86_400, "day"),
    };
    let plural = if amount == 1 { "" } else { "s" };
    format!("{amount} {unit}{plural} ago")
}

/// An instant as it travels in a URL (`?as_of=`): RFC 3339 to the microsecond, so a version's
/// own `recorded_at` names a moment that includes it.
pub fn url_instant(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Micros, true)
}

/// The value of an `<input type="datetime-local">` for an instant: UTC wall time to the second.
pub fn form_instant(at: DateTime<Utc>) -> String {
    format!("{}T{}", at.date_naive(), wall_clock(at))
}

/// The value of an `<input type="datetime-local">` for an instant as it came in a URL: a UTC
/// instant in RFC 3339 (`…Z`, as the app's links write it) to the second, a date-time input's
/// own value unchanged, anything else (another offset, text) blank rather than shown as if UTC.
/// Plain text work, so the browser needs no date parser for it.
pub fn form_value(raw: &str) -> String {
    let raw = raw.trim();
    let wall = raw.strip_suffix('Z').unwrap_or(raw);
    let plain = wall.len() >= 16
        && wall.is_char_boundary(16)
        && wall[..16].bytes().enumerate().all(|(at, byte)| match at {
            4 | 7 => byte == b'-',
            10 => byte == b'T',
            13 => byte == b':',
            _ => byte.is_ascii_digit(),
        })
        && wall[16..]
            .bytes()
            .all(|byte| byte.is_ascii_digit() || byte == b':' || byte == b'.');
    if plain {
        wall.chars().take(19).collect()
    } else {
        String::new()
    }
}

/// `%H:%M:%S`.
fn wall_clock(at: DateTime<Utc>) -> String {
    format!("{:02}:{:02}:{:02}", at.hour(), at.minute(), at.second())
}

#[cfg(any(feature = "ssr", test))]
/// Reads an instant typed or linked by a person: RFC 3339 with any offset, or a date-time input's
/// value (`2026-11-20T14:30`, seconds optional), which the form labels as UTC.
///
/// Only years 0001 to 9999 are read: both databases hold them, while chrono's wider range (years
/// with a sign and five digits) would reach past what PostgreSQL can store.
pub fn parse_instant(field: &str, raw: &str) -> Result<DateTime<Utc>, FieldError> {
    use chrono::Datelike;

    let raw = raw.trim();
    let refused = || {
        FieldError::new(
            field,
            format!("must be a date and time in UTC like 2026-11-20T14:30 (years 0001 to 9999), not {raw:?}"),
        )
    };
    let at = match DateTime::parse_from_rfc3339(raw) {
        Ok(at) => at.with_timezone(&Utc),
        Err(_) => ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%dT%H:%M"]
            .iter()
            .find_map(|format| chrono::NaiveDateTime::parse_from_str(raw, format).ok())
            .map(|wall| wall.and_utc())
            .ok_or_else(refused)?,
    };
    match at.year() {
        1..=9999 => Ok(at),
        _ => Err(refused()),
    }
}

#[cfg(any(feature = "ssr", test))]
/// Reads an instant a program sent, as the API's document declares it: RFC 3339 exactly
/// (`2026-11-20T14:30:00Z`, any offset; no spaces around it, `T` between date and time), years
/// 0001 to 9999. People's forms go through the more forgiving `parse_instant`.
pub fn parse_rfc3339(field: &str, raw: &str) -> Result<DateTime<Utc>, FieldError> {
    use chrono::Datelike;

    let refused = || {
        FieldError::new(
            field,
            format!("must be an RFC 3339 date and time like 2026-11-20T14:30:00Z (years 0001 to 9999), not {raw:?}"),
        )
    };
    let separated = matches!(raw.as_bytes().get(10), Some(b'T' | b't'));
    let at = DateTime::parse_from_rfc3339(raw)
        .ok()
        .filter(|_| separated)
        .ok_or_else(refused)?
        .with_timezone(&Utc);
    match at.year() {
        1..=9999 => Ok(at),
        _ => Err(refused()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Duration, TimeZone};

    #[test]
    fn a_program_sends_rfc_3339_exactly() {
        let at = Utc.with_ymd_and_hms(2026, 11, 20, 14, 30, 0).unwrap();
        assert_eq!(
            parse_rfc3339("valid_from", "2026-11-20T14:30:00Z").unwrap(),
            at
        );
        assert_eq!(
            parse_rfc3339("valid_from", "2026-11-20T15:30:00+01:00").unwrap(),
            at
        );
        for bad in [
            "",
            " 2026-11-20T14:30:00Z",
            "2026-11-20 14:30:00Z",
            "2026-11-20T14:30",
            "tuesday",
        ] {
            let error = parse_rfc3339("valid_from", bad).unwrap_err();
            assert_eq!(error.field, "valid_from", "{bad:?}");
        }
    }

    #[test]
    fn a_linked_instant_fills_a_date_time_input_only_when_it_is_utc() {
        assert_eq!(
            form_value("2026-12-08T01:08:44.000000Z"),
            "2026-12-08T01:08:44"
        );
        assert_eq!(form_value("2026-12-08T01:08:44"), "2026-12-08T01:08:44");
        assert_eq!(form_value("2026-12-08T01:08"), "2026-12-08T01:08");
        for other in [
            "2026-12-08T01:08:44+01:00",
            "tuesday",
            "",
            "2026-12-08",
            "é026-12-08T01:08",
        ] {
            assert_eq!(form_value(other), "", "{other:?}");
        }
    }

    #[test]
    fn instants_parse_from_links_and_from_date_time_inputs() {
        let at = Utc.with_ymd_and_hms(2026, 11, 20, 14, 30, 0).unwrap();
        assert_eq!(parse_instant("as_of", "2026-11-20T14:30").unwrap(), at);
        assert_eq!(parse_instant("as_of", "2026-11-20T14:30:00").unwrap(), at);
        assert_eq!(
            parse_instant("as_of", "2026-11-20T15:30:00+01:00").unwrap(),
            at
        );
        let precise = at + Duration::microseconds(123_456);
        assert_eq!(
            parse_instant("as_of", &url_instant(precise)).unwrap(),
            precise
        );
        assert_eq!(parse_instant("as_of", &form_instant(at)).unwrap(), at);
        let error = parse_instant("as_of", "yesterday").unwrap_err();
        assert_eq!(error.field, "as_of");
        assert!(error.message.contains("2026-11-20T14:30"), "{error}");
    }

    #[test]
    fn instants_outside_years_1_to_9999_are_refused_not_sent_to_the_database() {
        assert!(parse_instant("as_of", "0001-01-01T00:00:00Z").is_ok());
        assert!(parse_instant("as_of", "9999-12-31T23:59:59.999999Z").is_ok());
        for raw in [
            "+10000-01-01T00:00",
            "-0001-01-01T00:00",
            "0000-01-01T00:00",
            "9999-12-31T23:00:00-14:00",
            "+262143-01-01T00:00",
        ] {
            assert_eq!(
                parse_instant("as_of", raw).unwrap_err().field,
                "as_of",
                "{raw}"
            );
        }
    }

    #[test]
    fn instants_read_as_strftime_wrote_them() {
        let instants = [
            Utc.with_ymd_and_hms(1, 1, 1, 0, 0, 0).unwrap(),
            Utc.with_ymd_and_hms(987, 6, 5, 4, 3, 2).unwrap() + Duration::microseconds(999_999),
            Utc.with_ymd_and_hms(2026, 11, 20, 14, 30, 9).unwrap() + Duration::milliseconds(500),
            Utc.with_ymd_and_hms(9999, 12, 31, 23, 59, 59).unwrap(),
        ];
        for at in instants {
            assert_eq!(exact(at), at.format("%Y-%m-%d %H:%M:%S UTC").to_string());
            assert_eq!(form_instant(at), at.format("%Y-%m-%dT%H:%M:%S").to_string());
            assert_eq!(
                at.date_naive().to_string(),
                at.format("%Y-%m-%d").to_string()
            );
        }
    }

    #[test]
    fn relative_times_round_to_the_nearest_unit() {
        let now = Utc::now();
        assert_eq!(relative(now - Duration::seconds(10), now), "just now");
        assert_eq!(relative(now - Duration::minutes(1), now), "1 minute ago");
        assert_eq!(relative(now - Duration::minutes(50), now), "50 minutes ago");
        assert_eq!(relative(now - Duration::hours(3), now), "3 hours ago");
        assert_eq!(relative(now - Duration::days(6), now), "6 days ago");
        assert_eq!(relative(now + Duration::minutes(5), now), "just now");
    }
}
