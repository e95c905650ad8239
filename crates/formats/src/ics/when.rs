//! Graph date-times read, and iCalendar DATE / DATE-TIME values written.

use time::{Date, Month, OffsetDateTime, PrimitiveDateTime, Time, UtcOffset};

use super::zones::{Zone, ZoneDef};

/// Parses `YYYY-MM-DD`.
pub(crate) fn parse_date(s: &str) -> Option<Date> {
    let s = s.trim();
    let mut parts = s.splitn(3, '-');
    let year: i32 = parts.next()?.parse().ok()?;
    let month: u8 = parts.next()?.parse().ok()?;
    let day: u8 = parts.next()?.get(..2)?.parse().ok()?;
    Date::from_calendar_date(year, Month::try_from(month).ok()?, day).ok()
}

/// Parses a Graph date-time: `2026-11-20T17:00:00.0000000`, optionally with
/// `Z` or a `±HH:MM` offset. Fractions of a second are dropped.
pub(crate) fn parse_date_time(s: &str) -> Option<(PrimitiveDateTime, Option<UtcOffset>)> {
    let s = s.trim();
    let (date, rest) = s.split_once(['T', 't', ' '])?;
    let date = parse_date(date)?;
    let (clock, offset) = if let Some(clock) = rest.strip_suffix(['Z', 'z']) {
        (clock, Some(UtcOffset::UTC))
    } else if let Some(at) = rest.rfind(['+', '-']) {
        (&rest[..at], Some(parse_offset(&rest[at..])?))
    } else {
        (rest, None)
    };
    let clock = clock.split('.').next()?;
    let mut fields = clock.split(':');
    let hour: u8 = fields.next()?.parse().ok()?;
    let minute: u8 = fields.next()?.parse().ok()?;
    let second: u8 = match fields.next() {
        Some(s) => s.parse().ok()?,
        None => 0,
    };
    if fields.next().is_some() {
        return None;
    }
    let time = Time::from_hms(hour, minute, second.min(59)).ok()?;
    Some((PrimitiveDateTime::new(date, time), offset))
}

/// Parses `+HH:MM`, `-HHMM` or `+HH`.
pub(crate) fn parse_offset(s: &str) -> Option<UtcOffset> {
    let (sign, digits) = match s.as_bytes().first()? {
        b'+' => (1i32, &s[1..]),
        b'-' => (-1i32, &s[1..]),
        _ => return None,
    };
    let digits: String = digits.chars().filter(|c| *c != ':').collect();
    if !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let (h, m) = match digits.len() {
        1 | 2 => (digits.parse::<i32>().ok()?, 0),
        3 | 4 => {
            let split = digits.len() - 2;
            (digits[..split].parse().ok()?, digits[split..].parse().ok()?)
        }
        _ => return None,
    };
    if h > 14 || m > 59 {
        return None;
    }
    UtcOffset::from_whole_seconds(sign * (h * 3600 + m * 60)).ok()
}

/// Parses a Graph `DateTimeOffset` (`…Z` or with an offset) as an instant.
pub(crate) fn parse_instant(s: &str) -> Option<OffsetDateTime> {
    let (local, offset) = parse_date_time(s)?;
    Some(local.assume_offset(offset.unwrap_or(UtcOffset::UTC)))
}

/// `YYYYMMDD`.
pub(crate) fn fmt_date(d: Date) -> String {
    format!("{:04}{:02}{:02}", d.year(), u8::from(d.month()), d.day())
}

/// `YYYYMMDDTHHMMSS` (floating or local form, no `Z`).
pub(crate) fn fmt_local(dt: PrimitiveDateTime) -> String {
    format!(
        "{}T{:02}{:02}{:02}",
        fmt_date(dt.date()),
        dt.hour(),
        dt.minute(),
        dt.second()
    )
}

/// `YYYYMMDDTHHMMSSZ` for an instant.
pub(crate) fn fmt_utc(instant: OffsetDateTime) -> String {
    let utc = instant.to_offset(UtcOffset::UTC);
    format!(
        "{}Z",
        fmt_local(PrimitiveDateTime::new(utc.date(), utc.time()))
    )
}

/// A DTSTART-like value as it is written.
#[derive(Debug, Clone, Copy)]
pub(crate) enum When {
    /// An all-day date.
    Date(Date),
    /// An instant, written in UTC.
    Utc(OffsetDateTime),
    /// A wall-clock time in a zone of the table, written with TZID.
    Zoned(PrimitiveDateTime, &'static ZoneDef),
    /// A wall-clock time in a zone we do not know, written floating.
    Floating(PrimitiveDateTime),
}

impl When {
    /// A timed value: `local` is a wall-clock time in `zone`.
    pub(crate) fn timed(local: PrimitiveDateTime, zone: Zone) -> Self {
        match zone {
            Zone::Utc => When::Utc(local.assume_utc()),
            Zone::Fixed(offset) => When::Utc(local.assume_offset(offset)),
            Zone::Known(def) => When::Zoned(local, def),
            Zone::Floating => When::Floating(local),
        }
    }

    /// `NAME;params:value` for this value.
    pub(crate) fn property(&self, name: &str) -> String {
        match self {
            When::Date(d) => format!("{name};VALUE=DATE:{}", fmt_date(*d)),
            When::Utc(i) => format!("{name}:{}", fmt_utc(*i)),
            When::Zoned(local, def) => format!("{name};TZID={}:{}", def.iana, fmt_local(*local)),
            When::Floating(local) => format!("{name}:{}", fmt_local(*local)),
        }
    }

    /// The same kind of value for another instance of a series, given the
    /// instant it starts (`originalStart`). All-day values take the date the
    /// instant falls on in `zone`, the zone of the series' start.
    pub(crate) fn instance_at(&self, instant: OffsetDateTime, zone: Zone) -> When {
        match self {
            When::Date(_) => When::Date(zone.to_local(instant).date()),
            When::Utc(_) => When::Utc(instant),
            When::Zoned(_, def) => When::Zoned(def.to_local(instant), def),
            When::Floating(_) => When::Utc(instant),
        }
    }

    /// The same kind of value on another date at this value's time of day
    /// (for cancelled occurrences, which Graph names by date).
    pub(crate) fn on_date(&self, date: Date) -> When {
        match self {
            When::Date(_) => When::Date(date),
            When::Utc(i) => When::Utc(PrimitiveDateTime::new(date, i.time()).assume_utc()),
            When::Zoned(local, def) => When::Zoned(PrimitiveDateTime::new(date, local.time()), def),
            When::Floating(local) => When::Floating(PrimitiveDateTime::new(date, local.time())),
        }
    }

    /// The rule's `UNTIL` for a series whose last occurrence is on `end`
    /// (inclusive, a wall-clock date in `zone`): a date for all-day series,
    /// the end of that day in UTC for zoned or UTC series, floating otherwise.
    pub(crate) fn until(&self, end: Date, zone: Zone) -> String {
        let last_second = PrimitiveDateTime::new(end, time::macros::time!(23:59:59));
        match self {
            When::Date(_) => fmt_date(end),
            When::Floating(_) if matches!(zone, Zone::Floating) => fmt_local(last_second),
            _ => fmt_utc(zone.to_instant(last_second)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::{date, datetime, offset};

    #[test]
    fn parses_graph_forms() {
        assert_eq!(
            parse_date_time("2026-11-20T17:00:00.0000000"),
            Some((datetime!(2026-11-20 17:00:00), None))
        );
        assert_eq!(
            parse_date_time("2026-11-20T17:02:11.1234567Z"),
            Some((datetime!(2026-11-20 17:02:11), Some(UtcOffset::UTC)))
        );
        assert_eq!(
            parse_date_time("2026-11-20T17:02:11-05:30"),
            Some((datetime!(2026-11-20 17:02:11), Some(offset!(-5:30))))
        );
        assert_eq!(
            parse_date_time("2026-11-20T17:02"),
            Some((datetime!(2026-11-20 17:02), None))
        );
        assert_eq!(parse_date_time("2026-02-30T17:02:11"), None);
        assert_eq!(parse_date_time("yesterday"), None);
        assert_eq!(
            parse_date("2026-11-20T00:00:00Z"),
            Some(date!(2026 - 11 - 20))
        );
    }

    #[test]
    fn formats_values() {
        assert_eq!(
            When::Date(date!(2026 - 01 - 05)).property("DTSTART"),
            "DTSTART;VALUE=DATE:20260105"
        );
        assert_eq!(
            When::Utc(datetime!(2026-01-05 10:00 +01:00)).property("DTEND"),
            "DTEND:20260105T090000Z"
        );
    }
}
