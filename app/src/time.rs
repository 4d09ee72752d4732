//! Human-readable instants, computed from a reference instant passed in rather than the local
//! clock, so the server and the hydrating browser render the same text.

use chrono::{DateTime, Utc};

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

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;

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
