//! Expanding a series (`patternedRecurrence`) into occurrences.
//!
//! Times are kept in UTC: the simulator reads `dateTime` as UTC whatever
//! `timeZone` says (generated events use UTC).

use serde_json::{Map, Value};
use time::format_description::FormatItem;
use time::macros::format_description;
use time::{Date, Duration, Month, PrimitiveDateTime, Weekday};

use super::Exception;

const DT: &[FormatItem<'static>] =
    format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].0000000");
const DT_IN: &[FormatItem<'static>] =
    format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]");
const DAY: &[FormatItem<'static>] = format_description!("[year]-[month]-[day]");

/// Most occurrences a series expands to.
pub const MAX_OCCURRENCES: usize = 999;

/// `2026-03-05T10:00:00.0000000`, as Graph writes `dateTimeTimeZone.dateTime`.
pub fn format_dt(t: PrimitiveDateTime) -> String {
    t.format(DT).unwrap_or_default()
}

/// `2026-03-05`.
pub fn format_date(d: Date) -> String {
    d.format(DAY).unwrap_or_default()
}

/// Reads `2026-03-05`.
pub fn parse_date(s: &str) -> Option<Date> {
    Date::parse(s.get(..10)?, DAY).ok()
}

/// Reads a date-time such as `2026-03-05T10:00:00.0000000`, `…Z` or `…+01:00`
/// (fractions and offsets are dropped: times are UTC).
pub fn parse_dt(s: &str) -> Option<PrimitiveDateTime> {
    if let Ok(t) = time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339) {
        let t = t.to_offset(time::UtcOffset::UTC);
        return Some(PrimitiveDateTime::new(t.date(), t.time()));
    }
    PrimitiveDateTime::parse(s.get(..19)?, DT_IN).ok()
}

/// The `dateTime` of a `dateTimeTimeZone` value.
pub fn field_dt(data: &Map<String, Value>, key: &str) -> Option<PrimitiveDateTime> {
    parse_dt(data.get(key)?.get("dateTime")?.as_str()?)
}

/// A `dateTimeTimeZone` value in UTC.
pub fn dt_value(t: PrimitiveDateTime) -> Value {
    serde_json::json!({"dateTime": format_dt(t), "timeZone": "UTC"})
}

/// One occurrence of a series.
#[derive(Debug, Clone)]
pub struct Occurrence {
    /// The date the pattern puts it on (its id and `originalStart` use it).
    pub date: Date,
    /// Original start, before any exception moved it.
    pub original_start: PrimitiveDateTime,
    /// Start.
    pub start: PrimitiveDateTime,
    /// End.
    pub end: PrimitiveDateTime,
    /// The exception that changed it, if any.
    pub exception: Option<Exception>,
}

fn weekday(s: &str) -> Option<Weekday> {
    Some(match s.to_ascii_lowercase().as_str() {
        "monday" => Weekday::Monday,
        "tuesday" => Weekday::Tuesday,
        "wednesday" => Weekday::Wednesday,
        "thursday" => Weekday::Thursday,
        "friday" => Weekday::Friday,
        "saturday" => Weekday::Saturday,
        "sunday" => Weekday::Sunday,
        _ => return None,
    })
}

/// The name Graph uses for a weekday.
pub fn weekday_name(d: Weekday) -> &'static str {
    match d {
        Weekday::Monday => "monday",
        Weekday::Tuesday => "tuesday",
        Weekday::Wednesday => "wednesday",
        Weekday::Thursday => "thursday",
        Weekday::Friday => "friday",
        Weekday::Saturday => "saturday",
        Weekday::Sunday => "sunday",
    }
}

fn add_months(d: Date, months: i64, day: u8) -> Option<Date> {
    let total = i64::from(d.year()) * 12 + i64::from(u8::from(d.month())) - 1 + months;
    let year = i32::try_from(total.div_euclid(12)).ok()?;
    let month = Month::try_from(u8::try_from(total.rem_euclid(12) + 1).ok()?).ok()?;
    Date::from_calendar_date(year, month, day).ok()
}

fn relative_day(year: i32, month: Month, days: &[Weekday], index: &str) -> Option<Date> {
    let first = Date::from_calendar_date(year, month, 1).ok()?;
    let matching: Vec<Date> = (0..31)
        .filter_map(|k| first.checked_add(Duration::days(k)))
        .filter(|d| d.month() == month && days.contains(&d.weekday()))
        .collect();
    match index {
        "second" => matching.get(1).copied(),
        "third" => matching.get(2).copied(),
        "fourth" => matching.get(3).copied(),
        "last" => matching.last().copied(),
        _ => matching.first().copied(),
    }
}

/// The dates a pattern produces from `start` on, in order, at most `limit`.
fn pattern_dates(pattern: &Value, start: Date, end: Option<Date>, limit: usize) -> Vec<Date> {
    let kind = pattern["type"].as_str().unwrap_or("daily");
    let interval = pattern["interval"].as_i64().unwrap_or(1).max(1);
    let days: Vec<Weekday> = pattern["daysOfWeek"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|d| d.as_str().and_then(weekday))
                .collect()
        })
        .unwrap_or_default();
    let day_of_month = pattern["dayOfMonth"]
        .as_u64()
        .unwrap_or(u64::from(start.day())) as u8;
    let month = pattern["month"]
        .as_u64()
        .and_then(|m| Month::try_from(m as u8).ok())
        .unwrap_or(start.month());
    let index = pattern["index"].as_str().unwrap_or("first").to_owned();
    let mut out = Vec::new();
    let horizon = start + Duration::days(366 * 5);
    let last = end.unwrap_or(horizon).min(horizon);
    let push = |d: Date, out: &mut Vec<Date>| {
        if d >= start && d <= last && out.len() < limit && !out.contains(&d) {
            out.push(d);
        }
    };
    let mut step: i64 = 0;
    while out.len() < limit {
        let candidates: Vec<Date> = match kind {
            "weekly" => {
                let week_start =
                    start - Duration::days(i64::from(start.weekday().number_days_from_sunday()));
                let base = week_start + Duration::weeks(step * interval);
                let mut ds: Vec<Date> = (0..7)
                    .map(|k| base + Duration::days(k))
                    .filter(|d| {
                        (days.is_empty() && d.weekday() == start.weekday())
                            || days.contains(&d.weekday())
                    })
                    .collect();
                ds.sort();
                ds
            }
            "absoluteMonthly" => add_months(start, step * interval, day_of_month)
                .into_iter()
                .collect(),
            "relativeMonthly" => add_months(start, step * interval, 1)
                .and_then(|m| relative_day(m.year(), m.month(), &days, &index))
                .into_iter()
                .collect(),
            "absoluteYearly" => Date::from_calendar_date(
                start.year() + (step * interval) as i32,
                month,
                day_of_month,
            )
            .into_iter()
            .collect(),
            "relativeYearly" => relative_day(
                start.year() + (step * interval) as i32,
                month,
                &days,
                &index,
            )
            .into_iter()
            .collect(),
            _ => vec![start + Duration::days(step * interval)],
        };
        let past_end = candidates.iter().all(|d| *d > last) && !candidates.is_empty();
        for d in candidates {
            push(d, &mut out);
        }
        step += 1;
        if past_end || step > 5_000 {
            break;
        }
    }
    out
}

/// The occurrences of the series `data` (none when it has no recurrence),
/// cancelled ones left out, exceptions applied.
pub fn occurrences(data: &Map<String, Value>, exceptions: &[Exception]) -> Vec<Occurrence> {
    let Some(rec) = data.get("recurrence").filter(|r| r.is_object()) else {
        return Vec::new();
    };
    let (Some(start), Some(end)) = (field_dt(data, "start"), field_dt(data, "end")) else {
        return Vec::new();
    };
    let duration = end - start;
    let range = &rec["range"];
    let first = range["startDate"]
        .as_str()
        .and_then(parse_date)
        .unwrap_or(start.date());
    let (until, limit) = match range["type"].as_str().unwrap_or("noEnd") {
        "endDate" => (
            range["endDate"].as_str().and_then(parse_date),
            MAX_OCCURRENCES,
        ),
        "numbered" => (
            None,
            (range["numberOfOccurrences"].as_u64().unwrap_or(1) as usize).clamp(1, MAX_OCCURRENCES),
        ),
        _ => (None, MAX_OCCURRENCES),
    };
    pattern_dates(&rec["pattern"], first, until, limit)
        .into_iter()
        .filter_map(|date| {
            let original_start = PrimitiveDateTime::new(date, start.time());
            let exception = exceptions.iter().find(|x| x.date == date).cloned();
            if exception.as_ref().is_some_and(|x| x.cancelled) {
                return None;
            }
            let shift = Duration::minutes(exception.as_ref().map_or(0, |x| x.shift_minutes));
            Some(Occurrence {
                date,
                original_start,
                start: original_start + shift,
                end: original_start + duration + shift,
                exception,
            })
        })
        .collect()
}

/// Whether `[start, end)` overlaps the window.
pub fn overlaps(
    start: PrimitiveDateTime,
    end: PrimitiveDateTime,
    window: (PrimitiveDateTime, PrimitiveDateTime),
) -> bool {
    start < window.1 && end > window.0
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn weekly_numbered_series_with_exceptions() {
        let data = json!({
            "start": {"dateTime": "2026-03-02T09:00:00.0000000", "timeZone": "UTC"},
            "end": {"dateTime": "2026-03-02T09:30:00.0000000", "timeZone": "UTC"},
            "recurrence": {
                "pattern": {"type": "weekly", "interval": 1, "daysOfWeek": ["monday", "thursday"], "firstDayOfWeek": "sunday"},
                "range": {"type": "numbered", "startDate": "2026-03-02", "numberOfOccurrences": 6, "recurrenceTimeZone": "UTC"}
            }
        });
        let map = data.as_object().expect("object").clone();
        let all = occurrences(&map, &[]);
        let days: Vec<String> = all.iter().map(|o| format_date(o.date)).collect();
        assert_eq!(
            days,
            [
                "2026-03-02",
                "2026-03-05",
                "2026-03-09",
                "2026-03-12",
                "2026-03-16",
                "2026-03-19"
            ]
        );
        let cancelled = Exception {
            date: all[1].date,
            cancelled: true,
            subject: None,
            shift_minutes: 0,
        };
        let moved = Exception {
            date: all[2].date,
            cancelled: false,
            subject: Some("moved".into()),
            shift_minutes: 60,
        };
        let some = occurrences(&map, &[cancelled, moved]);
        assert_eq!(some.len(), 5);
        assert_eq!(format_dt(some[1].start), "2026-03-09T10:00:00.0000000");
        assert_eq!(
            parse_dt("2026-03-09T10:00:00Z"),
            parse_dt("2026-03-09T10:00:00.0000000")
        );
    }

    #[test]
    fn monthly_and_daily() {
        let mut map = json!({
            "start": {"dateTime": "2026-01-31T09:00:00", "timeZone": "UTC"},
            "end": {"dateTime": "2026-01-31T10:00:00", "timeZone": "UTC"},
            "recurrence": {
                "pattern": {"type": "absoluteMonthly", "interval": 1, "dayOfMonth": 15},
                "range": {"type": "endDate", "startDate": "2026-01-15", "endDate": "2026-05-01"}
            }
        })
        .as_object()
        .expect("object")
        .clone();
        assert_eq!(occurrences(&map, &[]).len(), 4);
        map["recurrence"]["pattern"] = json!({"type": "daily", "interval": 2});
        map["recurrence"]["range"] =
            json!({"type": "numbered", "startDate": "2026-01-01", "numberOfOccurrences": 3});
        let d: Vec<String> = occurrences(&map, &[])
            .iter()
            .map(|o| format_date(o.date))
            .collect();
        assert_eq!(d, ["2026-01-01", "2026-01-03", "2026-01-05"]);
    }
}
