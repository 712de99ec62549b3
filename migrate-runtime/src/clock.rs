//! UTC timestamps for the tracking tables, without a date-time dependency.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The current time as ISO 8601 UTC with milliseconds: `2026-11-21T06:30:00.123Z`.
pub(crate) fn now_utc() -> String {
    format_utc(SystemTime::now(), true)
}

/// The current time in the compact form used in backup file names: `20261121T063000Z`.
pub(crate) fn now_compact() -> String {
    format_utc(SystemTime::now(), false)
}

fn format_utc(time: SystemTime, extended: bool) -> String {
    let since_epoch = time.duration_since(UNIX_EPOCH).unwrap_or(Duration::ZERO);
    let seconds = since_epoch.as_secs();
    let (days, second_of_day) = (seconds / 86_400, seconds % 86_400);
    let (year, month, day) = civil_from_days(days as i64);
    let (hour, minute, second) = (
        second_of_day / 3600,
        second_of_day / 60 % 60,
        second_of_day % 60,
    );
    if extended {
        let millis = since_epoch.subsec_millis();
        format!("{year:04}-{month:02}-{day:02}T{hour:02}:{minute:02}:{second:02}.{millis:03}Z")
    } else {
        format!("{year:04}{month:02}{day:02}T{hour:02}{minute:02}{second:02}Z")
    }
}

/// Days since 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's algorithm).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let mp = (5 * day_of_year + 2) / 153;
    let day = (day_of_year - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_known_instants() {
        let t = UNIX_EPOCH + Duration::from_millis(1_795_329_000_123);
        assert_eq!(format_utc(t, true), "2026-11-22T06:30:00.123Z");
        assert_eq!(format_utc(t, false), "20261122T063000Z");
        assert_eq!(format_utc(UNIX_EPOCH, true), "1970-01-01T00:00:00.000Z");
        // A leap day.
        let leap = UNIX_EPOCH + Duration::from_secs(951_782_400);
        assert_eq!(format_utc(leap, false), "20000229T000000Z");
    }
}
