//! Human-readable instants, computed from a reference instant passed in rather than the local
//! clock, so the server and the hydrating browser render the same text.

use chrono::{DateTime, SecondsFormat, Utc};

#[cfg(any(feature = "ssr", test))]
use crate::task::FieldError;

pub fn exact(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%d %H:%M:%S UTC").to_string()
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
    at.format("%Y-%m-%dT%H:%M:%S").to_string()
}

#[cfg(any(feature = "ssr", test))]
/// Reads an instant typed or linked by a person: RFC 3339 with any offset, or a date-time input's
/// value (`2026-11-20T14:30`, seconds optional), which the form labels as UTC.
pub fn parse_instant(field: &str, raw: &str) -> Result<DateTime<Utc>, FieldError> {
    let raw = raw.trim();
    if let Ok(at) = DateTime::parse_from_rfc3339(raw) {
        return Ok(at.with_timezone(&Utc));
    }
    ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%dT%H:%M"]
        .iter()
        .find_map(|format| chrono::NaiveDateTime::parse_from_str(raw, format).ok())
        .map(|wall| wall.and_utc())
        .ok_or_else(|| {
            FieldError::new(
                field,
                format!("must be a date and time in UTC like 2026-11-20T14:30, not {raw:?}"),
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Duration, TimeZone};

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
