//! Time zones: Windows zone names (what Exchange stores) mapped to IANA ids,
//! with the current rules of each, to write VTIMEZONE and convert times.
//!
//! Each zone keeps only its rules in force today, as Windows itself does: a
//! time before a rule change (the US before 2007, Mexico before 2023) may be
//! an hour off in a client that reads our VTIMEZONE rather than its own copy
//! of the IANA database. Zones whose daylight saving time cannot be written as
//! a yearly weekday rule (Chile, Egypt, Morocco, Paraguay, …) are left out;
//! their names fall back as described on [`resolve`].

use time::{Date, Duration, Month, OffsetDateTime, PrimitiveDateTime, Time, UtcOffset, Weekday};

use super::when::{fmt_local, parse_offset};
use crate::contentline::Lines;

/// A zone of the table.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct ZoneDef {
    /// The Windows name, as Graph writes it (empty for an IANA id that has
    /// no Windows zone of its own).
    pub(crate) windows: &'static str,
    /// The IANA id, written as TZID.
    pub(crate) iana: &'static str,
    /// Standard offset from UTC in minutes.
    std: i16,
    /// Daylight saving time, if the zone has it.
    dst: Option<Dst>,
}

#[derive(Debug, PartialEq, Eq)]
struct Dst {
    /// Minutes added to the standard offset.
    save: i16,
    /// When daylight time starts (a wall-clock time in standard time).
    start: Rule,
    /// When standard time starts again (a wall-clock time in daylight time).
    end: Rule,
}

/// A yearly transition: the first `weekday` on or after day `from` of `month`
/// (`from` 0 means the last seven days of the month), at `hour:minute`.
#[derive(Debug, PartialEq, Eq)]
struct Rule {
    month: Month,
    weekday: Weekday,
    from: u8,
    hour: u8,
}

const LAST: u8 = 0;

const fn rule(month: Month, weekday: Weekday, from: u8, hour: u8) -> Rule {
    Rule {
        month,
        weekday,
        from,
        hour,
    }
}

const fn dst(start: Rule, end: Rule) -> Option<Dst> {
    Some(Dst {
        save: 60,
        start,
        end,
    })
}

use Month::{April, March, November, October, September};
use Weekday::{Friday, Sunday};

/// United States and Canada: second Sunday of March to first Sunday of November, 02:00.
const US: Option<Dst> = dst(rule(March, Sunday, 8, 2), rule(November, Sunday, 1, 2));
/// European Union at 01:00 UTC, for a standard offset of -1, 0, +1 and +2 hours.
const EU_AZORES: Option<Dst> = dst(rule(March, Sunday, LAST, 0), rule(October, Sunday, LAST, 1));
const EU_WET: Option<Dst> = dst(rule(March, Sunday, LAST, 1), rule(October, Sunday, LAST, 2));
const EU_CET: Option<Dst> = dst(rule(March, Sunday, LAST, 2), rule(October, Sunday, LAST, 3));
const EU_EET: Option<Dst> = dst(rule(March, Sunday, LAST, 3), rule(October, Sunday, LAST, 4));
/// South-eastern Australia: first Sunday of October to first Sunday of April.
const AU: Option<Dst> = dst(rule(October, Sunday, 1, 2), rule(April, Sunday, 1, 3));
/// New Zealand: last Sunday of September to first Sunday of April.
const NZ: Option<Dst> = dst(rule(September, Sunday, LAST, 2), rule(April, Sunday, 1, 3));
/// Israel: the Friday before the last Sunday of March to the last Sunday of October.
const IL: Option<Dst> = dst(rule(March, Friday, 23, 2), rule(October, Sunday, LAST, 2));
/// Lebanon: last Sunday of March to last Sunday of October, midnight.
const LB: Option<Dst> = dst(rule(March, Sunday, LAST, 0), rule(October, Sunday, LAST, 0));

const fn z(windows: &'static str, iana: &'static str, std: i16, dst: Option<Dst>) -> ZoneDef {
    ZoneDef {
        windows,
        iana,
        std,
        dst,
    }
}

/// Windows zone names and their IANA ids (after CLDR's windowsZones, the
/// "001" territory), with today's rules.
pub(crate) static ZONES: &[ZoneDef] = &[
    z("Dateline Standard Time", "Etc/GMT+12", -720, None),
    z("UTC-11", "Etc/GMT+11", -660, None),
    z("Hawaiian Standard Time", "Pacific/Honolulu", -600, None),
    z("Aleutian Standard Time", "America/Adak", -600, US),
    z("Alaskan Standard Time", "America/Anchorage", -540, US),
    z("UTC-09", "Etc/GMT+9", -540, None),
    z(
        "Pacific Standard Time (Mexico)",
        "America/Tijuana",
        -480,
        US,
    ),
    z("UTC-08", "Etc/GMT+8", -480, None),
    z("Pacific Standard Time", "America/Los_Angeles", -480, US),
    z("US Mountain Standard Time", "America/Phoenix", -420, None),
    z(
        "Mountain Standard Time (Mexico)",
        "America/Mazatlan",
        -420,
        None,
    ),
    z("Mountain Standard Time", "America/Denver", -420, US),
    z(
        "Central America Standard Time",
        "America/Guatemala",
        -360,
        None,
    ),
    z("Central Standard Time", "America/Chicago", -360, US),
    z(
        "Central Standard Time (Mexico)",
        "America/Mexico_City",
        -360,
        None,
    ),
    z("Canada Central Standard Time", "America/Regina", -360, None),
    z("SA Pacific Standard Time", "America/Bogota", -300, None),
    z(
        "Eastern Standard Time (Mexico)",
        "America/Cancun",
        -300,
        None,
    ),
    z("Eastern Standard Time", "America/New_York", -300, US),
    z(
        "US Eastern Standard Time",
        "America/Indiana/Indianapolis",
        -300,
        US,
    ),
    z("Venezuela Standard Time", "America/Caracas", -240, None),
    z("Atlantic Standard Time", "America/Halifax", -240, US),
    z("SA Western Standard Time", "America/La_Paz", -240, None),
    z(
        "Central Brazilian Standard Time",
        "America/Cuiaba",
        -240,
        None,
    ),
    z("Newfoundland Standard Time", "America/St_Johns", -210, US),
    z(
        "E. South America Standard Time",
        "America/Sao_Paulo",
        -180,
        None,
    ),
    z(
        "Argentina Standard Time",
        "America/Argentina/Buenos_Aires",
        -180,
        None,
    ),
    z("SA Eastern Standard Time", "America/Cayenne", -180, None),
    z("Montevideo Standard Time", "America/Montevideo", -180, None),
    z("UTC-02", "Etc/GMT+2", -120, None),
    z("Azores Standard Time", "Atlantic/Azores", -60, EU_AZORES),
    z("Cape Verde Standard Time", "Atlantic/Cape_Verde", -60, None),
    z("GMT Standard Time", "Europe/London", 0, EU_WET),
    z("Greenwich Standard Time", "Atlantic/Reykjavik", 0, None),
    z("W. Europe Standard Time", "Europe/Berlin", 60, EU_CET),
    z(
        "Central Europe Standard Time",
        "Europe/Budapest",
        60,
        EU_CET,
    ),
    z("Romance Standard Time", "Europe/Paris", 60, EU_CET),
    z(
        "Central European Standard Time",
        "Europe/Warsaw",
        60,
        EU_CET,
    ),
    z("W. Central Africa Standard Time", "Africa/Lagos", 60, None),
    z("GTB Standard Time", "Europe/Bucharest", 120, EU_EET),
    z("Middle East Standard Time", "Asia/Beirut", 120, LB),
    z(
        "South Africa Standard Time",
        "Africa/Johannesburg",
        120,
        None,
    ),
    z("FLE Standard Time", "Europe/Kiev", 120, EU_EET),
    z("Israel Standard Time", "Asia/Jerusalem", 120, IL),
    z("Kaliningrad Standard Time", "Europe/Kaliningrad", 120, None),
    z("Jordan Standard Time", "Asia/Amman", 180, None),
    z("Arabic Standard Time", "Asia/Baghdad", 180, None),
    z("Turkey Standard Time", "Europe/Istanbul", 180, None),
    z("Arab Standard Time", "Asia/Riyadh", 180, None),
    z("Belarus Standard Time", "Europe/Minsk", 180, None),
    z("Russian Standard Time", "Europe/Moscow", 180, None),
    z("E. Africa Standard Time", "Africa/Nairobi", 180, None),
    z("Iran Standard Time", "Asia/Tehran", 210, None),
    z("Arabian Standard Time", "Asia/Dubai", 240, None),
    z("Azerbaijan Standard Time", "Asia/Baku", 240, None),
    z("Georgian Standard Time", "Asia/Tbilisi", 240, None),
    z("Caucasus Standard Time", "Asia/Yerevan", 240, None),
    z("Mauritius Standard Time", "Indian/Mauritius", 240, None),
    z("Afghanistan Standard Time", "Asia/Kabul", 270, None),
    z("West Asia Standard Time", "Asia/Tashkent", 300, None),
    z(
        "Ekaterinburg Standard Time",
        "Asia/Yekaterinburg",
        300,
        None,
    ),
    z("Pakistan Standard Time", "Asia/Karachi", 300, None),
    z("India Standard Time", "Asia/Kolkata", 330, None),
    z("Sri Lanka Standard Time", "Asia/Colombo", 330, None),
    z("Nepal Standard Time", "Asia/Kathmandu", 345, None),
    z("Bangladesh Standard Time", "Asia/Dhaka", 360, None),
    z("Myanmar Standard Time", "Asia/Yangon", 390, None),
    z("SE Asia Standard Time", "Asia/Bangkok", 420, None),
    z(
        "N. Central Asia Standard Time",
        "Asia/Novosibirsk",
        420,
        None,
    ),
    z("North Asia Standard Time", "Asia/Krasnoyarsk", 420, None),
    z("China Standard Time", "Asia/Shanghai", 480, None),
    z("North Asia East Standard Time", "Asia/Irkutsk", 480, None),
    z("Singapore Standard Time", "Asia/Singapore", 480, None),
    z("W. Australia Standard Time", "Australia/Perth", 480, None),
    z("Taipei Standard Time", "Asia/Taipei", 480, None),
    z("Ulaanbaatar Standard Time", "Asia/Ulaanbaatar", 480, None),
    z("Tokyo Standard Time", "Asia/Tokyo", 540, None),
    z("Korea Standard Time", "Asia/Seoul", 540, None),
    z("Yakutsk Standard Time", "Asia/Yakutsk", 540, None),
    z(
        "Cen. Australia Standard Time",
        "Australia/Adelaide",
        570,
        AU,
    ),
    z("AUS Central Standard Time", "Australia/Darwin", 570, None),
    z(
        "E. Australia Standard Time",
        "Australia/Brisbane",
        600,
        None,
    ),
    z("AUS Eastern Standard Time", "Australia/Sydney", 600, AU),
    z(
        "West Pacific Standard Time",
        "Pacific/Port_Moresby",
        600,
        None,
    ),
    z("Tasmania Standard Time", "Australia/Hobart", 600, AU),
    z("Vladivostok Standard Time", "Asia/Vladivostok", 600, None),
    z("Magadan Standard Time", "Asia/Magadan", 660, None),
    z(
        "Central Pacific Standard Time",
        "Pacific/Guadalcanal",
        660,
        None,
    ),
    z("UTC+12", "Etc/GMT-12", 720, None),
    z("New Zealand Standard Time", "Pacific/Auckland", 720, NZ),
    z("Fiji Standard Time", "Pacific/Fiji", 720, None),
    z("Tonga Standard Time", "Pacific/Tongatapu", 780, None),
    z("Samoa Standard Time", "Pacific/Apia", 780, None),
    z(
        "Line Islands Standard Time",
        "Pacific/Kiritimati",
        840,
        None,
    ),
    // IANA ids with no Windows name of their own, often found in events
    // created through other clients.
    z("", "America/Toronto", -300, US),
    z("", "America/Vancouver", -480, US),
    z("", "America/Edmonton", -420, US),
    z("", "America/Winnipeg", -360, US),
    z("", "America/Lima", -300, None),
    z("", "Europe/Dublin", 0, EU_WET),
    z("", "Europe/Lisbon", 0, EU_WET),
    z("", "Europe/Amsterdam", 60, EU_CET),
    z("", "Europe/Brussels", 60, EU_CET),
    z("", "Europe/Madrid", 60, EU_CET),
    z("", "Europe/Rome", 60, EU_CET),
    z("", "Europe/Vienna", 60, EU_CET),
    z("", "Europe/Zurich", 60, EU_CET),
    z("", "Europe/Stockholm", 60, EU_CET),
    z("", "Europe/Oslo", 60, EU_CET),
    z("", "Europe/Copenhagen", 60, EU_CET),
    z("", "Europe/Prague", 60, EU_CET),
    z("", "Europe/Belgrade", 60, EU_CET),
    z("", "Europe/Helsinki", 120, EU_EET),
    z("", "Europe/Athens", 120, EU_EET),
    z("", "Europe/Riga", 120, EU_EET),
    z("", "Europe/Vilnius", 120, EU_EET),
    z("", "Europe/Tallinn", 120, EU_EET),
    z("", "Asia/Hong_Kong", 480, None),
    z("", "Asia/Manila", 480, None),
    z("", "Asia/Jakarta", 420, None),
    z("", "Asia/Ho_Chi_Minh", 420, None),
    z("", "Asia/Kuala_Lumpur", 480, None),
    z("", "Australia/Melbourne", 600, AU),
];

/// Other spellings of IANA ids of the table (old names and links).
const ALIASES: &[(&str, &str)] = &[
    ("Asia/Calcutta", "Asia/Kolkata"),
    ("Europe/Kyiv", "Europe/Kiev"),
    ("America/Buenos_Aires", "America/Argentina/Buenos_Aires"),
    ("America/Indianapolis", "America/Indiana/Indianapolis"),
    ("Asia/Rangoon", "Asia/Yangon"),
    ("Asia/Katmandu", "Asia/Kathmandu"),
    ("Asia/Saigon", "Asia/Ho_Chi_Minh"),
    ("US/Pacific", "America/Los_Angeles"),
    ("US/Mountain", "America/Denver"),
    ("US/Arizona", "America/Phoenix"),
    ("US/Central", "America/Chicago"),
    ("US/Eastern", "America/New_York"),
    ("US/Alaska", "America/Anchorage"),
    ("US/Hawaii", "Pacific/Honolulu"),
];

/// Names that mean UTC.
const UTC_NAMES: &[&str] = &[
    "UTC",
    "GMT",
    "Z",
    "Etc/UTC",
    "Etc/GMT",
    "Etc/Universal",
    "Etc/Zulu",
    "UCT",
    "Universal",
    "Zulu",
    "Coordinated Universal Time",
    "tzone://Microsoft/Utc",
];

/// A Graph `timeZone` resolved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Zone {
    /// UTC.
    Utc,
    /// A zone of the table.
    Known(&'static ZoneDef),
    /// A fixed offset read from the name (`UTC+05:30`, `Etc/GMT-3`).
    Fixed(UtcOffset),
    /// Unknown: times are written floating.
    Floating,
}

/// Resolves a Graph `timeZone`: a UTC name; a Windows name or IANA id of the
/// table (case-insensitive; a few old IANA names are mapped to today's);
/// else a fixed offset read from the name (`UTC+05:30`,
/// `GMT-8`, `(UTC+01:00) …`, `Etc/GMT+5` meaning UTC−5); else unknown.
pub(crate) fn resolve(name: &str) -> Zone {
    let name = name.trim();
    if UTC_NAMES.iter().any(|u| u.eq_ignore_ascii_case(name)) {
        return Zone::Utc;
    }
    let iana = ALIASES
        .iter()
        .find(|(alias, _)| alias.eq_ignore_ascii_case(name))
        .map_or(name, |(_, iana)| *iana);
    if let Some(def) = ZONES.iter().find(|d| {
        (!d.windows.is_empty() && d.windows.eq_ignore_ascii_case(name))
            || d.iana.eq_ignore_ascii_case(iana)
    }) {
        return Zone::Known(def);
    }
    match offset_in_name(name) {
        Some(offset) if offset.is_utc() => Zone::Utc,
        Some(offset) => Zone::Fixed(offset),
        None => Zone::Floating,
    }
}

/// The offset written in a zone name after `UTC` or `GMT`.
fn offset_in_name(name: &str) -> Option<UtcOffset> {
    let upper = name.to_ascii_uppercase();
    let at = upper.find("UTC").or_else(|| upper.find("GMT"))?;
    let rest = &name[at + 3..];
    let end = rest
        .find(|c: char| !(c.is_ascii_digit() || matches!(c, '+' | '-' | ':')))
        .unwrap_or(rest.len());
    let offset = parse_offset(&rest[..end])?;
    // POSIX-style Etc/GMT+5 is five hours *behind* UTC.
    if upper.starts_with("ETC/GMT") {
        Some(-offset)
    } else {
        Some(offset)
    }
}

fn minutes(m: i16) -> UtcOffset {
    UtcOffset::from_whole_seconds(i32::from(m) * 60).unwrap_or(UtcOffset::UTC)
}

impl Rule {
    /// The day of the transition in `year`.
    fn date_in(&self, year: i32) -> Date {
        let days = self.month.length(year);
        let from = if self.from == LAST {
            days - 6
        } else {
            self.from.min(days)
        };
        let first = Date::from_calendar_date(year, self.month, from).unwrap_or(Date::MIN);
        let ahead = (7 + self.weekday.number_days_from_monday() as i64
            - first.weekday().number_days_from_monday() as i64)
            % 7;
        first.saturating_add(Duration::days(ahead))
    }

    /// The wall-clock moment of the transition in `year`.
    fn at(&self, year: i32) -> PrimitiveDateTime {
        PrimitiveDateTime::new(
            self.date_in(year),
            Time::from_hms(self.hour, 0, 0).unwrap_or(Time::MIDNIGHT),
        )
    }

    /// `RRULE:…` for this transition.
    fn rrule(&self) -> String {
        let day = weekday_code(self.weekday);
        let month = u8::from(self.month);
        match self.from {
            LAST => format!("RRULE:FREQ=YEARLY;BYMONTH={month};BYDAY=-1{day}"),
            1 | 8 | 15 | 22 => format!(
                "RRULE:FREQ=YEARLY;BYMONTH={month};BYDAY={}{day}",
                (self.from - 1) / 7 + 1
            ),
            from => {
                let days: Vec<String> = (from..from + 7).map(|d| d.to_string()).collect();
                format!(
                    "RRULE:FREQ=YEARLY;BYMONTH={month};BYDAY={day};BYMONTHDAY={}",
                    days.join(",")
                )
            }
        }
    }
}

/// `MO`, `TU`, … for a weekday.
pub(crate) fn weekday_code(day: Weekday) -> &'static str {
    match day {
        Weekday::Monday => "MO",
        Weekday::Tuesday => "TU",
        Weekday::Wednesday => "WE",
        Weekday::Thursday => "TH",
        Weekday::Friday => "FR",
        Weekday::Saturday => "SA",
        Weekday::Sunday => "SU",
    }
}

impl ZoneDef {
    fn std_offset(&self) -> UtcOffset {
        minutes(self.std)
    }

    fn dst_offset(&self, dst: &Dst) -> UtcOffset {
        minutes(self.std + dst.save)
    }

    /// Whether a moment is in daylight time, given the year's start and end
    /// of daylight time on the same time scale.
    fn in_dst<T: PartialOrd>(moment: T, start: T, end: T) -> bool {
        if start < end {
            start <= moment && moment < end
        } else {
            moment >= start || moment < end
        }
    }

    /// The offset in force at a wall-clock time. A time in the gap of the
    /// spring transition counts as daylight time; a time in the repeated hour
    /// of the autumn one as daylight time too (its first occurrence).
    pub(crate) fn offset_at(&self, local: PrimitiveDateTime) -> UtcOffset {
        match &self.dst {
            None => self.std_offset(),
            Some(dst) => {
                let year = local.year();
                if Self::in_dst(local, dst.start.at(year), dst.end.at(year)) {
                    self.dst_offset(dst)
                } else {
                    self.std_offset()
                }
            }
        }
    }

    /// The instant of a wall-clock time in this zone.
    pub(crate) fn to_instant(&self, local: PrimitiveDateTime) -> OffsetDateTime {
        local.assume_offset(self.offset_at(local))
    }

    /// The wall-clock time of an instant in this zone.
    pub(crate) fn to_local(&self, instant: OffsetDateTime) -> PrimitiveDateTime {
        let offset = match &self.dst {
            None => self.std_offset(),
            Some(dst) => {
                let year = instant.to_offset(self.std_offset()).year();
                let start = dst.start.at(year).assume_offset(self.std_offset());
                let end = dst.end.at(year).assume_offset(self.dst_offset(dst));
                if Self::in_dst(instant, start, end) {
                    self.dst_offset(dst)
                } else {
                    self.std_offset()
                }
            }
        };
        let local = instant.to_offset(offset);
        PrimitiveDateTime::new(local.date(), local.time())
    }

    /// The VTIMEZONE component, folded, with CRLF line ends.
    pub(crate) fn vtimezone(&self) -> String {
        let mut lines = Lines::default();
        lines.push("BEGIN:VTIMEZONE");
        lines.push(format!("TZID:{}", self.iana));
        lines.push(format!("X-LIC-LOCATION:{}", self.iana));
        match &self.dst {
            None => {
                let std = fmt_offset(self.std_offset());
                lines.push("BEGIN:STANDARD");
                lines.push("DTSTART:19700101T000000");
                lines.push(format!("TZOFFSETFROM:{std}"));
                lines.push(format!("TZOFFSETTO:{std}"));
                lines.push("END:STANDARD");
            }
            Some(dst) => {
                let std = fmt_offset(self.std_offset());
                let daylight = fmt_offset(self.dst_offset(dst));
                for (kind, rule, from, to) in [
                    ("STANDARD", &dst.end, &daylight, &std),
                    ("DAYLIGHT", &dst.start, &std, &daylight),
                ] {
                    lines.push(format!("BEGIN:{kind}"));
                    lines.push(format!("DTSTART:{}", fmt_local(rule.at(1970))));
                    lines.push(rule.rrule());
                    lines.push(format!("TZOFFSETFROM:{from}"));
                    lines.push(format!("TZOFFSETTO:{to}"));
                    lines.push(format!("END:{kind}"));
                }
            }
        }
        lines.push("END:VTIMEZONE");
        lines.finish()
    }
}

impl Zone {
    /// The instant of a wall-clock time in this zone (UTC when unknown).
    pub(crate) fn to_instant(self, local: PrimitiveDateTime) -> OffsetDateTime {
        match self {
            Zone::Utc | Zone::Floating => local.assume_utc(),
            Zone::Fixed(offset) => local.assume_offset(offset),
            Zone::Known(def) => def.to_instant(local),
        }
    }

    /// The wall-clock time of an instant in this zone (UTC when unknown).
    pub(crate) fn to_local(self, instant: OffsetDateTime) -> PrimitiveDateTime {
        let at = match self {
            Zone::Utc | Zone::Floating => instant.to_offset(UtcOffset::UTC),
            Zone::Fixed(offset) => instant.to_offset(offset),
            Zone::Known(def) => return def.to_local(instant),
        };
        PrimitiveDateTime::new(at.date(), at.time())
    }
}

/// `+HHMM` / `-HHMM`.
fn fmt_offset(offset: UtcOffset) -> String {
    let (h, m, _) = offset.as_hms();
    let sign = if offset.is_negative() { '-' } else { '+' };
    format!("{sign}{:02}{:02}", h.unsigned_abs(), m.unsigned_abs())
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::{datetime, offset};

    fn known(name: &str) -> &'static ZoneDef {
        match resolve(name) {
            Zone::Known(def) => def,
            other => panic!("{name} resolved to {other:?}"),
        }
    }

    #[test]
    fn resolves_windows_iana_utc_offsets_and_unknown() {
        assert_eq!(known("Pacific Standard Time").iana, "America/Los_Angeles");
        assert_eq!(known("pacific standard time").iana, "America/Los_Angeles");
        assert_eq!(known("Europe/Berlin").windows, "W. Europe Standard Time");
        assert_eq!(known("Asia/Calcutta").iana, "Asia/Kolkata");
        assert_eq!(known("europe/amsterdam").iana, "Europe/Amsterdam");
        assert_eq!(resolve(""), Zone::Floating);
        assert_eq!(resolve("UTC"), Zone::Utc);
        assert_eq!(resolve("tzone://Microsoft/Utc"), Zone::Utc);
        assert_eq!(resolve("UTC+05:30"), Zone::Fixed(offset!(+5:30)));
        assert_eq!(resolve("(UTC-03:00) Somewhere"), Zone::Fixed(offset!(-3)));
        assert_eq!(resolve("Etc/GMT+5"), Zone::Fixed(offset!(-5)));
        assert_eq!(resolve("GMT+0"), Zone::Utc);
        assert_eq!(resolve("Mars Standard Time"), Zone::Floating);
        assert_eq!(resolve("tzone://Microsoft/Custom"), Zone::Floating);
    }

    #[test]
    fn every_table_entry_is_unique_and_has_valid_rules() {
        for (i, def) in ZONES.iter().enumerate() {
            for other in &ZONES[i + 1..] {
                if !def.windows.is_empty() {
                    assert_ne!(def.windows, other.windows);
                }
                assert_ne!(def.iana, other.iana);
            }
            if let Some(dst) = &def.dst {
                for year in 1970..2100 {
                    assert_eq!(dst.start.date_in(year).weekday(), dst.start.weekday);
                    assert_eq!(dst.start.date_in(year).month(), dst.start.month);
                    assert_eq!(dst.end.date_in(year).month(), dst.end.month);
                }
            }
        }
    }

    #[test]
    fn converts_across_daylight_time() {
        let la = known("Pacific Standard Time");
        assert_eq!(
            la.to_instant(datetime!(2026-07-01 09:00)),
            datetime!(2026-07-01 16:00 UTC)
        );
        assert_eq!(
            la.to_instant(datetime!(2026-12-01 09:00)),
            datetime!(2026-12-01 17:00 UTC)
        );
        assert_eq!(
            la.to_local(datetime!(2026-03-08 10:00 UTC)),
            datetime!(2026-03-08 03:00)
        );
        assert_eq!(
            la.to_local(datetime!(2026-03-08 09:59 UTC)),
            datetime!(2026-03-08 01:59)
        );
        let sydney = known("AUS Eastern Standard Time");
        assert_eq!(
            sydney.to_instant(datetime!(2026-01-10 09:00)),
            datetime!(2026-01-09 22:00 UTC)
        );
        assert_eq!(
            sydney.to_instant(datetime!(2026-07-10 09:00)),
            datetime!(2026-07-09 23:00 UTC)
        );
        assert_eq!(
            sydney.to_local(datetime!(2026-07-09 23:00 UTC)),
            datetime!(2026-07-10 09:00)
        );
        let berlin = known("W. Europe Standard Time");
        assert_eq!(
            berlin.to_local(datetime!(2026-10-25 00:59 UTC)),
            datetime!(2026-10-25 02:59)
        );
        assert_eq!(
            berlin.to_local(datetime!(2026-10-25 01:00 UTC)),
            datetime!(2026-10-25 02:00)
        );
    }

    #[test]
    fn writes_vtimezone_rules() {
        let text = known("Israel Standard Time").vtimezone();
        assert!(
            text.contains("BYMONTH=3;BYDAY=FR;BYMONTHDAY=23,24,25,26,27,28,29\r\n"),
            "{text}"
        );
        let text = known("Pacific Standard Time").vtimezone();
        assert!(text.contains("DTSTART:19700308T020000\r\nRRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=2SU\r\nTZOFFSETFROM:-0800\r\nTZOFFSETTO:-0700\r\n"), "{text}");
        assert!(
            text.contains("DTSTART:19701101T020000\r\nRRULE:FREQ=YEARLY;BYMONTH=11;BYDAY=1SU\r\n"),
            "{text}"
        );
        assert!(
            known("India Standard Time")
                .vtimezone()
                .contains("TZOFFSETTO:+0530\r\n")
        );
        assert!(
            known("Newfoundland Standard Time")
                .vtimezone()
                .contains("TZOFFSETFROM:-0330\r\n")
        );
    }
}
