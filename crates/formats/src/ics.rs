//! iCalendar (RFC 5545) from Microsoft Graph `event` objects.
//!
//! One VCALENDAR per calendar, one VEVENT per event, a VTIMEZONE for each zone
//! used; CRLF line ends, lines folded at 75 octets. A recurring series is
//! written as its master (RRULE, EXDATE for cancelled instances) followed by
//! its exceptions (same UID, RECURRENCE-ID). `docs/export-formats.md` gives
//! the full mapping.

mod event;
mod recurrence;
mod when;
mod zones;

use std::collections::{HashMap, HashSet};

use serde_json::Value;

use crate::contentline::Lines;
use crate::error::FormatError;
use crate::json::{Obj, describe};
use event::{Role, Zones, start_instant, times, uid, write_event};
use when::parse_date;

/// Writes a calendar's events as one iCalendar file.
///
/// Fails on the first event that cannot be written; see
/// [`calendar_to_ics_lenient`] to skip such events instead.
pub fn calendar_to_ics(calendar_name: &str, events: &[Value]) -> Result<String, FormatError> {
    let mut errors = Errors {
        strict: true,
        skipped: Vec::new(),
    };
    build(calendar_name, events, &mut errors)
}

/// Writes a calendar's events as one iCalendar file, leaving out the events
/// that cannot be written; returns the file and why each was left out.
pub fn calendar_to_ics_lenient(
    calendar_name: &str,
    events: &[Value],
) -> (String, Vec<FormatError>) {
    let mut errors = Errors {
        strict: false,
        skipped: Vec::new(),
    };
    match build(calendar_name, events, &mut errors) {
        Ok(text) => (text, errors.skipped),
        // Not reached: a lenient build records errors instead of failing.
        Err(e) => (String::new(), vec![e]),
    }
}

struct Errors {
    strict: bool,
    skipped: Vec<FormatError>,
}

impl Errors {
    fn handle(&mut self, error: FormatError) -> Result<(), FormatError> {
        if self.strict {
            return Err(error);
        }
        self.skipped.push(error);
        Ok(())
    }
}

/// An event with its name for error messages.
struct Source<'a> {
    value: &'a Value,
    name: String,
}

fn field<'a>(value: &'a Value, name: &str) -> Option<&'a str> {
    value.get(name).and_then(Value::as_str)
}

/// Whether an event is an instance of a series (not the series itself).
fn is_instance(value: &Value) -> bool {
    matches!(field(value, "type"), Some("occurrence" | "exception"))
}

fn build(
    calendar_name: &str,
    events: &[Value],
    errors: &mut Errors,
) -> Result<String, FormatError> {
    // Series masters by Graph id.
    let mut masters: HashMap<&str, usize> = HashMap::new();
    for (i, value) in events.iter().enumerate() {
        let recurs = field(value, "type") == Some("seriesMaster")
            || value.get("recurrence").is_some_and(|r| !r.is_null());
        if let (true, false, Some(id)) = (recurs, is_instance(value), field(value, "id")) {
            masters.entry(id).or_insert(i);
        }
    }
    // Instances of each master: from the list, then from its exceptionOccurrences.
    let mut instances: HashMap<usize, Vec<Source>> = HashMap::new();
    let mut seen: HashSet<&str> = HashSet::new();
    for (i, value) in events.iter().enumerate() {
        if !is_instance(value) {
            continue;
        }
        if let Some(&m) = field(value, "seriesMasterId").and_then(|id| masters.get(id)) {
            seen.extend(field(value, "id"));
            let name = describe("event", Some(i), value);
            instances.entry(m).or_default().push(Source { value, name });
        }
    }
    for (&id, &m) in &masters {
        let nested = events[m]
            .get("exceptionOccurrences")
            .and_then(Value::as_array);
        for (j, value) in nested.into_iter().flatten().enumerate() {
            if field(value, "id").is_some_and(|id| seen.contains(id)) {
                continue;
            }
            let name = format!(
                "{}, exceptionOccurrences[{j}] of series {id:?}",
                describe("event", Some(m), &events[m])
            );
            instances.entry(m).or_default().push(Source { value, name });
        }
    }

    let mut zones = Zones::new();
    let mut body = String::new();
    for (i, value) in events.iter().enumerate() {
        let in_series = is_instance(value)
            && field(value, "seriesMasterId").is_some_and(|id| masters.contains_key(id));
        if in_series {
            continue;
        }
        let source = Source {
            value,
            name: describe("event", Some(i), value),
        };
        let children = instances.remove(&i).unwrap_or_default();
        let result = if masters.get(field(value, "id").unwrap_or_default()) == Some(&i) {
            series(&source, &children, &mut zones, errors)
        } else {
            single(&source, &mut zones)
        };
        match result {
            Ok(text) => body.push_str(&text),
            Err(e) => errors.handle(e)?,
        }
    }

    let mut head = Lines::default();
    head.push("BEGIN:VCALENDAR");
    head.push("VERSION:2.0");
    head.push("PRODID:-//m365vault//EN");
    head.push("CALSCALE:GREGORIAN");
    if !calendar_name.trim().is_empty() {
        head.text("NAME", calendar_name);
        head.text("X-WR-CALNAME", calendar_name);
    }
    for def in zones.values() {
        head.append(&def.vtimezone());
    }
    head.append(&body);
    head.push("END:VCALENDAR");
    Ok(head.finish())
}

/// Parses the date at the start of a Graph date or date-time.
pub(crate) fn parse_date_only(text: &str) -> Option<time::Date> {
    parse_date(text)
}

/// A Graph `DateTimeOffset` as `YYYYMMDDTHHMMSSZ`.
pub(crate) fn fmt_utc_instant(text: &str) -> Option<String> {
    when::parse_instant(text).map(when::fmt_utc)
}

fn single(source: &Source, zones: &mut Zones) -> Result<String, FormatError> {
    let event = Obj::root(source.value, &source.name, "event")?;
    write_event(&event, Role::default(), zones)
}

/// A series master, its removed instances as EXDATE, then its exceptions.
fn series(
    source: &Source,
    instances: &[Source],
    zones: &mut Zones,
    errors: &mut Errors,
) -> Result<String, FormatError> {
    let master = Obj::root(source.value, &source.name, "event")?;
    let master_times = times(&master)?;
    let master_uid = uid(&master)?;
    let mut exdates = Vec::new();
    for occurrence in master.strs("cancelledOccurrences")? {
        // Graph names an occurrence `OID.{seriesMasterId}.{YYYY-MM-DD}`.
        let date = occurrence
            .rsplit('.')
            .next()
            .and_then(parse_date)
            .ok_or_else(|| {
                master.invalid(
                    "cancelledOccurrences",
                    occurrence,
                    "an occurrence id ending in its date (OID.{id}.YYYY-MM-DD)",
                )
            })?;
        exdates.push(master_times.start.on_date(date));
    }
    let mut overrides = String::new();
    for source in instances {
        let result = (|| -> Result<Option<String>, FormatError> {
            let event = Obj::root(source.value, &source.name, "event")?;
            let original = match event.str("originalStart")? {
                None => None,
                Some(text) => Some(when::parse_instant(text).ok_or_else(|| {
                    event.invalid("originalStart", text, "a date-time with offset")
                })?),
            };
            if event.bool("isCancelled")? == Some(true) {
                let at = match original {
                    Some(at) => at,
                    None => start_instant(&times(&event)?),
                };
                exdates.push(master_times.start.instance_at(at, master_times.zone));
                return Ok(None);
            }
            if event.str("type")? == Some("occurrence") {
                // Unchanged: the master's RRULE already produces it.
                return Ok(None);
            }
            let role = match original {
                Some(at) => Role {
                    uid: Some(master_uid.clone()),
                    recurrence_id: Some(master_times.start.instance_at(at, master_times.zone)),
                    ..Role::default()
                },
                // Without its original start it cannot be tied to the series.
                None => Role::default(),
            };
            write_event(&event, role, zones).map(Some)
        })();
        match result {
            Ok(Some(text)) => overrides.push_str(&text),
            Ok(None) => {}
            Err(e) => errors.handle(e)?,
        }
    }
    let role = Role {
        uid: Some(master_uid),
        times: Some(master_times),
        exdates,
        ..Role::default()
    };
    let mut text = write_event(&master, role, zones)?;
    text.push_str(&overrides);
    Ok(text)
}
