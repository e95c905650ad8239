//! One Graph `event` as a VEVENT.

use std::collections::BTreeMap;

use time::{Duration, OffsetDateTime, PrimitiveDateTime, UtcOffset};

use super::recurrence::rrule;
use super::when::{When, fmt_utc, parse_date_time, parse_instant};
use super::zones::{Zone, ZoneDef, resolve};
use crate::contentline::{Lines, escape_text, param_value};
use crate::error::FormatError;
use crate::html::html_to_text;
use crate::json::Obj;

/// The zones the written events use, by TZID.
pub(crate) type Zones = BTreeMap<&'static str, &'static ZoneDef>;

/// An event's start and end as they are written.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Times {
    pub(crate) start: When,
    pub(crate) end: When,
    /// The zone of the start, to place other instances of a series.
    pub(crate) zone: Zone,
}

/// Reads `start`, `end` and `isAllDay`.
///
/// A recurring event stored in UTC (Graph does so when asked for UTC) is moved
/// to its `recurrence.range.recurrenceTimeZone` when that zone is in the table,
/// so that its occurrences keep their wall-clock time across daylight time.
pub(crate) fn times(event: &Obj) -> Result<Times, FormatError> {
    let all_day = event.bool("isAllDay")?.unwrap_or(false);
    let (start_local, start_zone) =
        date_time(event, "start")?.ok_or_else(|| event.missing("start"))?;
    let end = date_time(event, "end")?;
    if all_day {
        let start = start_local.date();
        let end = end
            .map(|(local, _)| local.date())
            .filter(|end| *end > start)
            .unwrap_or_else(|| start.saturating_add(Duration::days(1)));
        return Ok(Times {
            start: When::Date(start),
            end: When::Date(end),
            zone: start_zone,
        });
    }
    let (end_local, end_zone) = end.unwrap_or((start_local, start_zone));
    let series_zone = match (start_zone, series_zone(event)?) {
        (Zone::Utc, Some(def)) => Some(def),
        _ => None,
    };
    if let Some(def) = series_zone {
        let start = def.to_local(start_local.assume_utc());
        let end = def.to_local(end_zone.to_instant(end_local));
        return Ok(Times {
            start: When::Zoned(start, def),
            end: When::Zoned(end, def),
            zone: Zone::Known(def),
        });
    }
    Ok(Times {
        start: When::timed(start_local, start_zone),
        end: When::timed(end_local, end_zone),
        zone: start_zone,
    })
}

/// The known zone a recurring event's range is written in.
fn series_zone(event: &Obj) -> Result<Option<&'static ZoneDef>, FormatError> {
    let Some(recurrence) = event.obj("recurrence")? else {
        return Ok(None);
    };
    let Some(range) = recurrence.obj("range")? else {
        return Ok(None);
    };
    Ok(match range.str("recurrenceTimeZone")?.map(resolve) {
        Some(Zone::Known(def)) => Some(def),
        _ => None,
    })
}

/// A `dateTimeTimeZone` field: wall-clock time and zone. A time that carries
/// its own offset is taken as that instant, in UTC.
fn date_time(event: &Obj, field: &str) -> Result<Option<(PrimitiveDateTime, Zone)>, FormatError> {
    let Some(value) = event.obj(field)? else {
        return Ok(None);
    };
    let text = value
        .str("dateTime")?
        .ok_or_else(|| value.missing("dateTime"))?;
    let (local, offset) = parse_date_time(text)
        .ok_or_else(|| value.invalid("dateTime", text, "a date-time (YYYY-MM-DDTHH:MM:SS)"))?;
    if let Some(offset) = offset {
        let utc = local.assume_offset(offset).to_offset(UtcOffset::UTC);
        return Ok(Some((
            PrimitiveDateTime::new(utc.date(), utc.time()),
            Zone::Utc,
        )));
    }
    let zone = value.str("timeZone")?.map_or(Zone::Floating, resolve);
    Ok(Some((local, zone)))
}

/// The instant an event starts, for naming it as an instance of a series.
pub(crate) fn start_instant(times: &Times) -> OffsetDateTime {
    match times.start {
        When::Date(d) => times.zone.to_instant(d.midnight()),
        When::Utc(i) => i,
        When::Zoned(local, def) => def.to_instant(local),
        When::Floating(local) => local.assume_utc(),
    }
}

/// The UID: `iCalUId`, else the Graph `id`.
pub(crate) fn uid(event: &Obj) -> Result<String, FormatError> {
    match event.text("iCalUId")? {
        Some(uid) => Ok(uid.to_owned()),
        None => event
            .text("id")?
            .map(str::to_owned)
            .ok_or_else(|| event.missing("iCalUId")),
    }
}

/// A timestamp field as an instant.
fn instant(event: &Obj, field: &str) -> Result<Option<OffsetDateTime>, FormatError> {
    match event.str(field)? {
        None => Ok(None),
        Some(text) => parse_instant(text)
            .map(Some)
            .ok_or_else(|| event.invalid(field, text, "a date-time with offset")),
    }
}

/// What a VEVENT is within its calendar.
#[derive(Debug, Default)]
pub(crate) struct Role {
    /// UID to use instead of the event's own (for an exception of a series).
    pub(crate) uid: Option<String>,
    /// RECURRENCE-ID: the instance of the series the event replaces.
    pub(crate) recurrence_id: Option<When>,
    /// Start and end when already read (a series master).
    pub(crate) times: Option<Times>,
    /// EXDATE values: removed instances of a series.
    pub(crate) exdates: Vec<When>,
}

/// Writes one VEVENT and records the zones it uses.
pub(crate) fn write_event(
    event: &Obj,
    role: Role,
    zones: &mut Zones,
) -> Result<String, FormatError> {
    let times = match role.times {
        Some(times) => times,
        None => times(event)?,
    };
    let uid = match role.uid {
        Some(uid) => uid,
        None => uid(event)?,
    };
    let modified = instant(event, "lastModifiedDateTime")?;
    let created = instant(event, "createdDateTime")?;
    let mut used = Vec::new();
    let mut when = |name: &str, value: &When| {
        if let When::Zoned(_, def) = value {
            used.push(*def);
        }
        value.property(name)
    };

    let mut lines = Lines::default();
    lines.push("BEGIN:VEVENT");
    lines.text("UID", &uid);
    let stamp = modified.or(created).unwrap_or(OffsetDateTime::UNIX_EPOCH);
    lines.push(format!("DTSTAMP:{}", fmt_utc(stamp)));
    if let Some(id) = &role.recurrence_id {
        lines.push(when("RECURRENCE-ID", id));
    }
    lines.push(when("DTSTART", &times.start));
    lines.push(when("DTEND", &times.end));
    if role.recurrence_id.is_none() {
        if let Some(rule) = rrule(event, &times.start, times.zone)? {
            lines.push(rule);
        }
        let mut seen = Vec::new();
        for exdate in &role.exdates {
            let line = when("EXDATE", exdate);
            if !seen.contains(&line) {
                lines.push(&line);
                seen.push(line);
            }
        }
    }
    if let Some(subject) = event.text("subject")? {
        lines.text("SUMMARY", subject);
    }
    if let Some(description) = description(event)? {
        lines.text("DESCRIPTION", &description);
    }
    if let Some(location) = location(event)? {
        lines.text("LOCATION", &location);
    }
    if let Some(organizer) = event.obj("organizer")?
        && let Some(line) = cal_address(&organizer, "ORGANIZER", &[])?
    {
        lines.push(line);
    }
    for attendee in event.objs("attendees")? {
        let params = attendee_params(&attendee)?;
        if let Some(line) = cal_address(&attendee, "ATTENDEE", &params)? {
            lines.push(line);
        }
    }
    let categories = event.strs("categories")?;
    if !categories.is_empty() {
        let escaped: Vec<String> = categories.iter().map(|c| escape_text(c)).collect();
        lines.push(format!("CATEGORIES:{}", escaped.join(",")));
    }
    if let Some(class) = event.str("sensitivity")? {
        lines.push(format!("CLASS:{}", classification(event, class)?));
    }
    if let Some(importance) = event.str("importance")? {
        let priority = match importance {
            "high" => 1,
            "normal" => 5,
            "low" => 9,
            other => return Err(event.invalid("importance", other, "one of low, normal, high")),
        };
        lines.push(format!("PRIORITY:{priority}"));
    }
    if let Some(show_as) = event.str("showAs")? {
        let (transp, busy) = match show_as {
            "free" => ("TRANSPARENT", "FREE"),
            "tentative" => ("OPAQUE", "TENTATIVE"),
            "busy" => ("OPAQUE", "BUSY"),
            "oof" => ("OPAQUE", "OOF"),
            "workingElsewhere" => ("OPAQUE", "WORKINGELSEWHERE"),
            _ => ("OPAQUE", ""),
        };
        lines.push(format!("TRANSP:{transp}"));
        if !busy.is_empty() {
            lines.push(format!("X-MICROSOFT-CDO-BUSYSTATUS:{busy}"));
        }
    }
    if event.bool("isCancelled")? == Some(true) {
        lines.push("STATUS:CANCELLED");
    }
    if let Some(created) = created {
        lines.push(format!("CREATED:{}", fmt_utc(created)));
    }
    if let Some(modified) = modified {
        lines.push(format!("LAST-MODIFIED:{}", fmt_utc(modified)));
    }
    if event.bool("isReminderOn")? == Some(true)
        && let Some(minutes) = event.int("reminderMinutesBeforeStart")?
    {
        let trigger = if minutes >= 0 {
            format!("-PT{minutes}M")
        } else {
            format!("PT{}M", minutes.unsigned_abs())
        };
        lines.push("BEGIN:VALARM");
        lines.push("ACTION:DISPLAY");
        lines.text("DESCRIPTION", event.text("subject")?.unwrap_or("Reminder"));
        lines.push(format!("TRIGGER:{trigger}"));
        lines.push("END:VALARM");
    }
    lines.push("END:VEVENT");
    for def in used {
        zones.insert(def.iana, def);
    }
    Ok(lines.finish())
}

/// Plain text of `body`: HTML converted, text kept.
fn description(event: &Obj) -> Result<Option<String>, FormatError> {
    let Some(body) = event.obj("body")? else {
        return Ok(None);
    };
    let Some(content) = body.str("content")? else {
        return Ok(None);
    };
    let text = match body.str("contentType")? {
        Some(t) if t.eq_ignore_ascii_case("html") => html_to_text(content),
        _ => content.replace("\r\n", "\n"),
    };
    Ok(Some(text).filter(|t| !t.trim().is_empty()))
}

/// `location.displayName`, else the display names of `locations` joined by `; `.
fn location(event: &Obj) -> Result<Option<String>, FormatError> {
    if let Some(location) = event.obj("location")?
        && let Some(name) = location.text("displayName")?
    {
        return Ok(Some(name.to_owned()));
    }
    let mut names = Vec::new();
    for location in event.objs("locations")? {
        if let Some(name) = location.text("displayName")? {
            names.push(name);
        }
    }
    Ok(Some(names.join("; ")).filter(|n| !n.is_empty()))
}

fn classification(event: &Obj, sensitivity: &str) -> Result<&'static str, FormatError> {
    Ok(match sensitivity {
        "normal" => "PUBLIC",
        "personal" | "private" => "PRIVATE",
        "confidential" => "CONFIDENTIAL",
        other => {
            return Err(event.invalid(
                "sensitivity",
                other,
                "one of normal, personal, private, confidential",
            ));
        }
    })
}

fn attendee_params(attendee: &Obj) -> Result<Vec<(&'static str, &'static str)>, FormatError> {
    let mut params = Vec::new();
    match attendee.str("type")? {
        Some("resource") => {
            params.push(("CUTYPE", "RESOURCE"));
            params.push(("ROLE", "NON-PARTICIPANT"));
        }
        Some("optional") => params.push(("ROLE", "OPT-PARTICIPANT")),
        _ => params.push(("ROLE", "REQ-PARTICIPANT")),
    }
    let response = match attendee.obj("status")? {
        Some(status) => status.str("response")?,
        None => None,
    };
    let partstat = match response {
        Some("accepted" | "organizer") => "ACCEPTED",
        Some("tentativelyAccepted") => "TENTATIVE",
        Some("declined") => "DECLINED",
        _ => "NEEDS-ACTION",
    };
    params.push(("PARTSTAT", partstat));
    Ok(params)
}

/// `NAME;CN=…;params:mailto:address` from a Graph `recipient`, or `None`
/// when it has no address (a CAL-ADDRESS must be a URI).
fn cal_address(
    recipient: &Obj,
    name: &str,
    params: &[(&str, &str)],
) -> Result<Option<String>, FormatError> {
    let Some(email) = recipient.obj("emailAddress")? else {
        return Ok(None);
    };
    let Some(address) = email.text("address")? else {
        return Ok(None);
    };
    let mut line = name.to_owned();
    if let Some(cn) = email.text("name")? {
        line.push_str(";CN=");
        line.push_str(&param_value(cn));
    }
    for (key, value) in params {
        line.push_str(&format!(";{key}={value}"));
    }
    let address: String = address.trim().chars().filter(|c| !c.is_control()).collect();
    line.push_str(":mailto:");
    line.push_str(&address);
    Ok(Some(line))
}
