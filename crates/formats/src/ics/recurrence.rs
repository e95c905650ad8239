//! RRULE from a Graph `patternedRecurrence`.

use time::Weekday;

use super::when::{When, parse_date};
use super::zones::{Zone, resolve, weekday_code};
use crate::error::FormatError;
use crate::json::Obj;

const PATTERN_TYPES: &str =
    "one of daily, weekly, absoluteMonthly, relativeMonthly, absoluteYearly, relativeYearly";

/// The `RRULE:` line of an event, or `None` when it does not recur.
///
/// `start` is the event's DTSTART as written and `zone` the zone of its start
/// time; an end date is taken as a wall-clock date in `range.recurrenceTimeZone`
/// when that zone is known, else in `zone`.
pub(crate) fn rrule(event: &Obj, start: &When, zone: Zone) -> Result<Option<String>, FormatError> {
    let Some(recurrence) = event.obj("recurrence")? else {
        return Ok(None);
    };
    let pattern = recurrence
        .obj("pattern")?
        .ok_or_else(|| recurrence.missing("pattern"))?;
    let kind = pattern
        .str("type")?
        .ok_or_else(|| pattern.missing("type"))?;
    let freq = match kind {
        "daily" => "DAILY",
        "weekly" => "WEEKLY",
        "absoluteMonthly" | "relativeMonthly" => "MONTHLY",
        "absoluteYearly" | "relativeYearly" => "YEARLY",
        other => return Err(pattern.invalid("type", other, PATTERN_TYPES)),
    };
    let mut parts = vec![format!("FREQ={freq}")];
    match pattern.int("interval")? {
        None | Some(0 | 1) => {}
        Some(n) if (2..=10_000).contains(&n) => parts.push(format!("INTERVAL={n}")),
        Some(n) => {
            return Err(pattern.invalid("interval", &n.to_string(), "an interval from 1 to 10000"));
        }
    }
    match kind {
        "weekly" => {
            let days = days_of_week(&pattern)?;
            if !days.is_empty() {
                parts.push(format!("BYDAY={}", days.join(",")));
            }
            if let Some(first) = pattern.str("firstDayOfWeek")? {
                let day = weekday(first).ok_or_else(|| {
                    pattern.invalid(
                        "firstDayOfWeek",
                        first,
                        "a day of the week (sunday … saturday)",
                    )
                })?;
                parts.push(format!("WKST={}", weekday_code(day)));
            }
        }
        "absoluteMonthly" => parts.extend(day_of_month(&pattern)?),
        "relativeMonthly" => parts.push(relative(&pattern)?),
        "absoluteYearly" => {
            parts.extend(month(&pattern)?);
            parts.extend(day_of_month(&pattern)?);
        }
        "relativeYearly" => {
            parts.extend(month(&pattern)?);
            parts.push(relative(&pattern)?);
        }
        _ => {}
    }
    if let Some(range) = recurrence.obj("range")? {
        match range.str("type")? {
            None | Some("noEnd") => {}
            Some("endDate") => {
                let text = range
                    .str("endDate")?
                    .ok_or_else(|| range.missing("endDate"))?;
                let end = parse_date(text)
                    .ok_or_else(|| range.invalid("endDate", text, "a date (YYYY-MM-DD)"))?;
                let until_zone = match range.str("recurrenceTimeZone")?.map(resolve) {
                    Some(z @ (Zone::Known(_) | Zone::Fixed(_) | Zone::Utc)) => z,
                    _ => zone,
                };
                parts.push(format!("UNTIL={}", start.until(end, until_zone)));
            }
            Some("numbered") => {
                let count = range
                    .int("numberOfOccurrences")?
                    .ok_or_else(|| range.missing("numberOfOccurrences"))?;
                if count < 1 {
                    return Err(range.invalid(
                        "numberOfOccurrences",
                        &count.to_string(),
                        "a positive count",
                    ));
                }
                parts.push(format!("COUNT={count}"));
            }
            Some(other) => {
                return Err(range.invalid("type", other, "one of endDate, noEnd, numbered"));
            }
        }
    }
    Ok(Some(format!("RRULE:{}", parts.join(";"))))
}

fn weekday(name: &str) -> Option<Weekday> {
    Some(match name.to_ascii_lowercase().as_str() {
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

fn days_of_week(pattern: &Obj) -> Result<Vec<&'static str>, FormatError> {
    pattern
        .strs("daysOfWeek")?
        .into_iter()
        .map(|d| {
            weekday(d).map(weekday_code).ok_or_else(|| {
                pattern.invalid("daysOfWeek", d, "a day of the week (sunday … saturday)")
            })
        })
        .collect()
}

fn day_of_month(pattern: &Obj) -> Result<Option<String>, FormatError> {
    match pattern.int("dayOfMonth")? {
        None | Some(0) => Ok(None),
        Some(d @ 1..=31) => Ok(Some(format!("BYMONTHDAY={d}"))),
        Some(d) => Err(pattern.invalid(
            "dayOfMonth",
            &d.to_string(),
            "a day of the month from 1 to 31",
        )),
    }
}

fn month(pattern: &Obj) -> Result<Option<String>, FormatError> {
    match pattern.int("month")? {
        None | Some(0) => Ok(None),
        Some(m @ 1..=12) => Ok(Some(format!("BYMONTH={m}"))),
        Some(m) => Err(pattern.invalid("month", &m.to_string(), "a month from 1 to 12")),
    }
}

/// `BYDAY=2MO` for one day, `BYDAY=MO,TU;BYSETPOS=2` for several.
fn relative(pattern: &Obj) -> Result<String, FormatError> {
    let days = days_of_week(pattern)?;
    if days.is_empty() {
        return Err(pattern.missing("daysOfWeek"));
    }
    let index = match pattern.str("index")?.unwrap_or("first") {
        "first" => 1,
        "second" => 2,
        "third" => 3,
        "fourth" => 4,
        "last" => -1,
        other => {
            return Err(pattern.invalid(
                "index",
                other,
                "one of first, second, third, fourth, last",
            ));
        }
    };
    Ok(match days.as_slice() {
        [one] => format!("BYDAY={index}{one}"),
        many => format!("BYDAY={};BYSETPOS={index}", many.join(",")),
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;
    use time::macros::{date, datetime};

    use super::*;

    fn rule(
        recurrence: serde_json::Value,
        start: When,
        zone: Zone,
    ) -> Result<Option<String>, FormatError> {
        let event = json!({ "recurrence": recurrence });
        let obj = Obj::root(&event, "event #0", "event")?;
        rrule(&obj, &start, zone)
    }

    fn la() -> &'static crate::ics::zones::ZoneDef {
        match resolve("Pacific Standard Time") {
            Zone::Known(def) => def,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn maps_every_pattern_type() -> Result<(), FormatError> {
        let start = When::Utc(datetime!(2026-01-05 09:00 UTC));
        let cases = [
            (
                json!({"type": "daily", "interval": 2}),
                "FREQ=DAILY;INTERVAL=2",
            ),
            (
                json!({"type": "weekly", "interval": 1, "daysOfWeek": ["monday", "Wednesday"], "firstDayOfWeek": "sunday"}),
                "FREQ=WEEKLY;BYDAY=MO,WE;WKST=SU",
            ),
            (
                json!({"type": "absoluteMonthly", "interval": 3, "dayOfMonth": 15}),
                "FREQ=MONTHLY;INTERVAL=3;BYMONTHDAY=15",
            ),
            (
                json!({"type": "relativeMonthly", "daysOfWeek": ["thursday"], "index": "last"}),
                "FREQ=MONTHLY;BYDAY=-1TH",
            ),
            (
                json!({"type": "relativeMonthly", "daysOfWeek": ["monday", "tuesday"], "index": "second"}),
                "FREQ=MONTHLY;BYDAY=MO,TU;BYSETPOS=2",
            ),
            (
                json!({"type": "absoluteYearly", "month": 2, "dayOfMonth": 29}),
                "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29",
            ),
            (
                json!({"type": "relativeYearly", "month": 11, "daysOfWeek": ["thursday"], "index": "fourth"}),
                "FREQ=YEARLY;BYMONTH=11;BYDAY=4TH",
            ),
        ];
        for (pattern, expected) in cases {
            let got = rule(
                json!({"pattern": pattern, "range": {"type": "noEnd"}}),
                start,
                Zone::Utc,
            )?;
            assert_eq!(got.as_deref(), Some(format!("RRULE:{expected}").as_str()));
        }
        Ok(())
    }

    #[test]
    fn ranges_become_count_or_until() -> Result<(), FormatError> {
        let daily = json!({"type": "daily"});
        let numbered = rule(
            json!({"pattern": daily, "range": {"type": "numbered", "numberOfOccurrences": 10}}),
            When::Date(date!(2026 - 01 - 05)),
            Zone::Utc,
        )?;
        assert_eq!(numbered.as_deref(), Some("RRULE:FREQ=DAILY;COUNT=10"));
        let range = json!({"type": "endDate", "endDate": "2026-03-31", "recurrenceTimeZone": "Pacific Standard Time"});
        let all_day = rule(
            json!({"pattern": daily, "range": range}),
            When::Date(date!(2026 - 01 - 05)),
            Zone::Utc,
        )?;
        assert_eq!(all_day.as_deref(), Some("RRULE:FREQ=DAILY;UNTIL=20260331"));
        // End of 31 March in Los Angeles (daylight time) is 06:59:59 UTC on 1 April.
        let zoned = rule(
            json!({"pattern": daily, "range": range}),
            When::Zoned(datetime!(2026-01-05 09:00), la()),
            Zone::Known(la()),
        )?;
        assert_eq!(
            zoned.as_deref(),
            Some("RRULE:FREQ=DAILY;UNTIL=20260401T065959Z")
        );
        Ok(())
    }

    #[test]
    fn rejects_what_it_cannot_write() {
        let start = When::Utc(datetime!(2026-01-05 09:00 UTC));
        let bad = [
            json!({"pattern": {"type": "hourly"}}),
            json!({"pattern": {"type": "weekly", "daysOfWeek": ["funday"]}}),
            json!({"pattern": {"type": "relativeMonthly", "daysOfWeek": []}}),
            json!({"pattern": {"type": "absoluteMonthly", "dayOfMonth": 32}}),
            json!({"pattern": {"type": "daily"}, "range": {"type": "endDate"}}),
            json!({"pattern": {"type": "daily"}, "range": {"type": "numbered", "numberOfOccurrences": 0}}),
            json!({"range": {"type": "noEnd"}}),
        ];
        for recurrence in bad {
            assert!(
                rule(recurrence.clone(), start, Zone::Utc).is_err(),
                "{recurrence}"
            );
        }
    }
}
