//! iCalendar files read back with calcard.

use anyhow::{Context, Result};
use calcard::common::PartialDateTime;
use calcard::common::timezone::Tz;
use calcard::icalendar::{
    ICalendarComponentType, ICalendarFrequency, ICalendarParameterName, ICalendarProperty,
    ICalendarRecurrenceRule, ICalendarValue, ICalendarWeekday,
};
use m365vault_formats::{FormatError, calendar_to_ics, calendar_to_ics_lenient};
use serde_json::{Value, json};
use time::OffsetDateTime;
use time::macros::datetime;

use crate::support::{entry, event_by_uid, events, param, parse_ics, text};

fn at(date_time: &str, zone: &str) -> Value {
    json!({ "dateTime": date_time, "timeZone": zone })
}

fn meeting() -> Value {
    json!({
        "id": "AAMkAGI1-meeting",
        "iCalUId": "040000008200E00074C5B7101A82E0080000000001",
        "type": "singleInstance",
        "subject": "Budget, Q3; review\nnext steps \\ owners",
        "body": { "contentType": "html", "content": "<html><body><p>Agenda:</p><ul><li>one &amp; two</li></ul></body></html>" },
        "start": at("2026-11-20T09:00:00.0000000", "Pacific Standard Time"),
        "end": at("2026-11-20T10:30:00.0000000", "Pacific Standard Time"),
        "isAllDay": false,
        "location": { "displayName": "Room 4; Building 2, floor 3" },
        "organizer": { "emailAddress": { "name": "Doe, Ann", "address": "ann@example.com" } },
        "attendees": [
            { "type": "required", "status": { "response": "accepted" }, "emailAddress": { "name": "Bob", "address": "bob@example.com" } },
            { "type": "optional", "status": { "response": "tentativelyAccepted" }, "emailAddress": { "name": "Cy", "address": "cy@example.com" } },
            { "type": "resource", "status": { "response": "none" }, "emailAddress": { "name": "Room 4", "address": "room4@example.com" } },
            { "type": "required", "emailAddress": { "name": "No address" } }
        ],
        "categories": ["Red, urgent", "Blue"],
        "sensitivity": "private",
        "showAs": "free",
        "importance": "high",
        "isCancelled": false,
        "isReminderOn": true,
        "reminderMinutesBeforeStart": 15,
        "createdDateTime": "2026-10-01T08:00:00.1234567Z",
        "lastModifiedDateTime": "2026-10-02T08:30:00Z"
    })
}

fn pd(value: Option<&ICalendarValue>) -> Option<&PartialDateTime> {
    value.and_then(ICalendarValue::as_partial_date_time)
}

/// Year, month, day, hour and minute of a parsed value.
type Ymdhm = (Option<u16>, Option<u8>, Option<u8>, Option<u8>, Option<u8>);

fn ymd_hms(p: &PartialDateTime) -> Ymdhm {
    (p.year, p.month, p.day, p.hour, p.minute)
}

#[test]
fn every_field_of_a_meeting_reads_back() -> Result<()> {
    let text_out = calendar_to_ics("Work, main", &[meeting()])?;
    let calendar = parse_ics(&text_out)?;
    let event = event_by_uid(&calendar, "040000008200E00074C5B7101A82E0080000000001")
        .context("the event")?;
    assert_eq!(
        text(event, &ICalendarProperty::Summary).as_deref(),
        Some("Budget, Q3; review\nnext steps \\ owners")
    );
    assert_eq!(
        text(event, &ICalendarProperty::Description).as_deref(),
        Some("Agenda:\none & two")
    );
    assert_eq!(
        text(event, &ICalendarProperty::Location).as_deref(),
        Some("Room 4; Building 2, floor 3")
    );

    let start = entry(event, &ICalendarProperty::Dtstart).context("DTSTART")?;
    assert_eq!(
        param(start, &ICalendarParameterName::Tzid).as_deref(),
        Some("America/Los_Angeles")
    );
    let start_value = pd(start.values.first()).context("a date-time")?;
    assert_eq!(
        ymd_hms(start_value),
        (Some(2026), Some(11), Some(20), Some(9), Some(0))
    );
    assert_eq!(start_value.tz_hour, None, "a TZID time is local");
    // A VTIMEZONE for the TZID used.
    let zone = calendar
        .components
        .iter()
        .find(|c| c.component_type == ICalendarComponentType::VTimezone)
        .context("a VTIMEZONE")?;
    assert_eq!(
        text(zone, &ICalendarProperty::Tzid).as_deref(),
        Some("America/Los_Angeles")
    );
    // The instant is right: 09:00 in Los Angeles in November is 17:00 UTC.
    let expanded = calendar.expand_dates(Tz::UTC, 10);
    assert!(expanded.errors.is_empty(), "{:?}", expanded.errors);
    assert_eq!(
        expanded
            .events
            .iter()
            .map(|e| e.start.timestamp())
            .collect::<Vec<_>>(),
        vec![datetime!(2026-11-20 17:00 UTC).unix_timestamp()]
    );

    let organizer = entry(event, &ICalendarProperty::Organizer).context("ORGANIZER")?;
    assert_eq!(
        param(organizer, &ICalendarParameterName::Cn).as_deref(),
        Some("Doe, Ann")
    );
    let attendees: Vec<_> = event.properties(&ICalendarProperty::Attendee).collect();
    assert_eq!(
        attendees.len(),
        3,
        "the attendee without an address is left out"
    );
    let roles: Vec<_> = attendees
        .iter()
        .map(|a| {
            (
                param(a, &ICalendarParameterName::Role).unwrap_or_default(),
                param(a, &ICalendarParameterName::Partstat).unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(
        roles,
        vec![
            (
                "Role(ReqParticipant)".to_owned(),
                "Partstat(Accepted)".to_owned()
            ),
            (
                "Role(OptParticipant)".to_owned(),
                "Partstat(Tentative)".to_owned()
            ),
            (
                "Role(NonParticipant)".to_owned(),
                "Partstat(NeedsAction)".to_owned()
            ),
        ]
    );
    let categories: Vec<_> = entry(event, &ICalendarProperty::Categories)
        .context("CATEGORIES")?
        .values
        .iter()
        .filter_map(ICalendarValue::as_text)
        .collect();
    assert_eq!(categories, vec!["Red, urgent", "Blue"]);
    assert_eq!(
        format!(
            "{:?}",
            entry(event, &ICalendarProperty::Class).map(|e| &e.values)
        ),
        "Some([Classification(Private)])"
    );
    assert_eq!(
        format!(
            "{:?}",
            entry(event, &ICalendarProperty::Transp).map(|e| &e.values)
        ),
        "Some([Transparency(Transparent)])"
    );
    assert!(!event.has_property(&ICalendarProperty::Status));
    let alarm = calendar
        .components
        .iter()
        .find(|c| c.component_type == ICalendarComponentType::VAlarm)
        .context("a VALARM")?;
    assert_eq!(
        format!(
            "{:?}",
            entry(alarm, &ICalendarProperty::Trigger).map(|e| &e.values)
        ),
        "Some([Duration(ICalendarDuration { neg: true, weeks: 0, days: 0, hours: 0, minutes: 15, seconds: 0 })])"
    );
    let stamp = pd(entry(event, &ICalendarProperty::Dtstamp).and_then(|e| e.values.first()))
        .context("DTSTAMP")?;
    assert_eq!(
        ymd_hms(stamp),
        (Some(2026), Some(10), Some(2), Some(8), Some(30))
    );
    assert_eq!(stamp.tz_hour, Some(0), "DTSTAMP is UTC");
    let calendar_entry = &calendar.components[0];
    assert_eq!(
        text(calendar_entry, &ICalendarProperty::Prodid).as_deref(),
        Some("-//m365vault//EN")
    );
    assert_eq!(
        text(calendar_entry, &ICalendarProperty::Name).as_deref(),
        Some("Work, main")
    );
    Ok(())
}

#[test]
fn all_day_utc_floating_and_offset_times() -> Result<()> {
    let events = vec![
        json!({ "iCalUId": "all-day", "isAllDay": true, "subject": "Holiday",
                "start": at("2026-12-24T00:00:00.0000000", "W. Europe Standard Time"),
                "end": at("2026-12-26T00:00:00.0000000", "W. Europe Standard Time") }),
        json!({ "iCalUId": "utc", "start": at("2026-12-01T08:00:00.0000000", "UTC"),
                "end": at("2026-12-01T09:00:00.0000000", "UTC"), "isCancelled": true }),
        json!({ "iCalUId": "offset", "start": at("2026-12-01T08:00:00.0000000", "UTC+05:30"),
                "end": at("2026-12-01T09:00:00.0000000", "UTC+05:30") }),
        json!({ "iCalUId": "unknown", "start": at("2026-12-01T08:00:00.0000000", "Mars Standard Time"),
                "end": at("2026-12-01T09:00:00.0000000", "Mars Standard Time") }),
    ];
    let calendar = parse_ics(&calendar_to_ics("Mixed", &events)?)?;
    assert_eq!(events.len(), crate::support::events(&calendar).len());

    let all_day = event_by_uid(&calendar, "all-day").context("all-day")?;
    let start = entry(all_day, &ICalendarProperty::Dtstart).context("DTSTART")?;
    assert_eq!(
        param(start, &ICalendarParameterName::Value).as_deref(),
        Some("Value(Date)")
    );
    assert_eq!(
        ymd_hms(pd(start.values.first()).context("date")?),
        (Some(2026), Some(12), Some(24), None, None)
    );
    let end = pd(entry(all_day, &ICalendarProperty::Dtend).and_then(|e| e.values.first()))
        .context("DTEND")?;
    assert_eq!(ymd_hms(end), (Some(2026), Some(12), Some(26), None, None));

    let utc = event_by_uid(&calendar, "utc").context("utc")?;
    let start = pd(entry(utc, &ICalendarProperty::Dtstart).and_then(|e| e.values.first()))
        .context("DTSTART")?;
    assert_eq!(
        (ymd_hms(start), start.tz_hour),
        ((Some(2026), Some(12), Some(1), Some(8), Some(0)), Some(0))
    );
    assert_eq!(
        format!(
            "{:?}",
            entry(utc, &ICalendarProperty::Status).map(|e| &e.values)
        ),
        "Some([Status(Cancelled)])"
    );

    // A fixed offset is converted to UTC: 08:00 at +05:30 is 02:30Z.
    let offset = event_by_uid(&calendar, "offset").context("offset")?;
    let start = pd(entry(offset, &ICalendarProperty::Dtstart).and_then(|e| e.values.first()))
        .context("DTSTART")?;
    assert_eq!(
        (ymd_hms(start), start.tz_hour),
        ((Some(2026), Some(12), Some(1), Some(2), Some(30)), Some(0))
    );

    // An unknown zone is written as floating time.
    let unknown = event_by_uid(&calendar, "unknown").context("unknown")?;
    let start = entry(unknown, &ICalendarProperty::Dtstart).context("DTSTART")?;
    assert!(start.params.is_empty());
    let start = pd(start.values.first()).context("DTSTART")?;
    assert_eq!(
        (ymd_hms(start), start.tz_hour),
        ((Some(2026), Some(12), Some(1), Some(8), Some(0)), None)
    );
    Ok(())
}

fn master(uid: &str, pattern: Value, range: Value) -> Value {
    json!({
        "id": format!("id-{uid}"), "iCalUId": uid, "type": "seriesMaster", "subject": uid,
        "start": at("2026-01-05T09:00:00.0000000", "Eastern Standard Time"),
        "end": at("2026-01-05T10:00:00.0000000", "Eastern Standard Time"),
        "recurrence": { "pattern": pattern, "range": range }
    })
}

fn rule_of(calendar: &calcard::icalendar::ICalendar, uid: &str) -> Result<ICalendarRecurrenceRule> {
    let event = event_by_uid(calendar, uid).with_context(|| format!("event {uid}"))?;
    match entry(event, &ICalendarProperty::Rrule).and_then(|e| e.values.first()) {
        Some(ICalendarValue::RecurrenceRule(rule)) => Ok((**rule).clone()),
        other => anyhow::bail!("RRULE of {uid} is {other:?}"),
    }
}

fn days(rule: &ICalendarRecurrenceRule) -> Vec<(Option<i16>, ICalendarWeekday)> {
    rule.byday.iter().map(|d| (d.ordwk, d.weekday)).collect()
}

#[test]
fn rrule_for_each_pattern_type() -> Result<()> {
    let no_end = json!({ "type": "noEnd", "startDate": "2026-01-05" });
    let events = vec![
        master(
            "daily",
            json!({ "type": "daily", "interval": 3 }),
            json!({ "type": "numbered", "numberOfOccurrences": 5 }),
        ),
        master(
            "weekly",
            json!({ "type": "weekly", "interval": 2, "daysOfWeek": ["monday", "thursday"], "firstDayOfWeek": "monday" }),
            json!({ "type": "endDate", "endDate": "2026-06-30", "recurrenceTimeZone": "Eastern Standard Time" }),
        ),
        master(
            "absMonthly",
            json!({ "type": "absoluteMonthly", "interval": 1, "dayOfMonth": 5 }),
            no_end.clone(),
        ),
        master(
            "relMonthly",
            json!({ "type": "relativeMonthly", "interval": 1, "daysOfWeek": ["monday"], "index": "first" }),
            no_end.clone(),
        ),
        master(
            "absYearly",
            json!({ "type": "absoluteYearly", "interval": 1, "month": 1, "dayOfMonth": 5 }),
            no_end.clone(),
        ),
        master(
            "relYearly",
            json!({ "type": "relativeYearly", "interval": 1, "month": 1, "daysOfWeek": ["saturday", "sunday"], "index": "last" }),
            no_end,
        ),
    ];
    let calendar = parse_ics(&calendar_to_ics("Series", &events)?)?;

    let daily = rule_of(&calendar, "daily")?;
    assert_eq!(
        (daily.freq, daily.interval, daily.count),
        (ICalendarFrequency::Daily, Some(3), Some(5))
    );

    let weekly = rule_of(&calendar, "weekly")?;
    assert_eq!(
        (weekly.freq, weekly.interval),
        (ICalendarFrequency::Weekly, Some(2))
    );
    assert_eq!(
        days(&weekly),
        vec![
            (None, ICalendarWeekday::Monday),
            (None, ICalendarWeekday::Thursday)
        ]
    );
    assert_eq!(weekly.wkst, Some(ICalendarWeekday::Monday));
    // End of 30 June in New York (EDT, UTC-4) is 03:59:59 UTC on 1 July.
    let until = weekly.until.context("UNTIL")?;
    assert_eq!(
        (ymd_hms(&until), until.tz_hour),
        ((Some(2026), Some(7), Some(1), Some(3), Some(59)), Some(0))
    );

    let abs_monthly = rule_of(&calendar, "absMonthly")?;
    assert_eq!(
        (abs_monthly.freq, abs_monthly.bymonthday.clone()),
        (ICalendarFrequency::Monthly, vec![5])
    );
    let rel_monthly = rule_of(&calendar, "relMonthly")?;
    assert_eq!(
        days(&rel_monthly),
        vec![(Some(1), ICalendarWeekday::Monday)]
    );
    let abs_yearly = rule_of(&calendar, "absYearly")?;
    assert_eq!(
        (
            abs_yearly.freq,
            abs_yearly.bymonth.len(),
            abs_yearly.bymonthday.clone()
        ),
        (ICalendarFrequency::Yearly, 1, vec![5])
    );
    let rel_yearly = rule_of(&calendar, "relYearly")?;
    assert_eq!(
        days(&rel_yearly),
        vec![
            (None, ICalendarWeekday::Saturday),
            (None, ICalendarWeekday::Sunday)
        ]
    );
    assert_eq!(rel_yearly.bysetpos, vec![-1]);

    // calcard expands every rule without error, the daily one to 5 instances.
    let expanded = calendar.expand_dates(Tz::UTC, 200);
    assert!(expanded.errors.is_empty(), "{:?}", expanded.errors);
    Ok(())
}

fn instants(calendar: &calcard::icalendar::ICalendar) -> Vec<i64> {
    let mut starts: Vec<i64> = calendar
        .expand_dates(Tz::UTC, 100)
        .events
        .iter()
        .map(|e| e.start.timestamp())
        .collect();
    starts.sort_unstable();
    starts
}

fn utc(instant: OffsetDateTime) -> i64 {
    instant.unix_timestamp()
}

#[test]
fn series_exceptions_and_cancellations() -> Result<()> {
    // Weekly on Mondays 09:00 in Los Angeles, five times, across the end of
    // daylight time on 1 November 2026.
    let mut series = json!({
        "id": "master-id", "iCalUId": "series-uid", "type": "seriesMaster", "subject": "Weekly",
        "start": at("2026-10-19T09:00:00.0000000", "Pacific Standard Time"),
        "end": at("2026-10-19T09:30:00.0000000", "Pacific Standard Time"),
        "recurrence": {
            "pattern": { "type": "weekly", "interval": 1, "daysOfWeek": ["monday"], "firstDayOfWeek": "sunday" },
            "range": { "type": "numbered", "numberOfOccurrences": 5, "recurrenceTimeZone": "Pacific Standard Time" }
        },
        "cancelledOccurrences": ["OID.master-id.2026-10-26"]
    });
    let exception = json!({
        "id": "exception-id", "iCalUId": "own-uid-of-the-exception", "type": "exception", "seriesMasterId": "master-id",
        "subject": "Weekly (moved)", "originalStart": "2026-11-02T17:00:00Z",
        "start": at("2026-11-03T11:00:00.0000000", "Pacific Standard Time"),
        "end": at("2026-11-03T11:30:00.0000000", "Pacific Standard Time")
    });
    let cancelled = json!({
        "id": "cancelled-id", "type": "occurrence", "seriesMasterId": "master-id", "isCancelled": true,
        "originalStart": "2026-11-09T17:00:00Z",
        "start": at("2026-11-09T09:00:00.0000000", "Pacific Standard Time"),
        "end": at("2026-11-09T09:30:00.0000000", "Pacific Standard Time")
    });
    let plain_occurrence = json!({
        "id": "occurrence-id", "type": "occurrence", "seriesMasterId": "master-id", "originalStart": "2026-11-16T17:00:00Z",
        "start": at("2026-11-16T09:00:00.0000000", "Pacific Standard Time"),
        "end": at("2026-11-16T09:30:00.0000000", "Pacific Standard Time")
    });
    let single = json!({ "iCalUId": "single", "start": at("2026-10-01T09:00:00.0000000", "UTC"), "end": at("2026-10-01T10:00:00.0000000", "UTC") });
    let events = vec![
        exception.clone(),
        single,
        series.clone(),
        cancelled,
        plain_occurrence,
    ];
    let text_out = calendar_to_ics("Series", &events)?;
    let calendar = parse_ics(&text_out)?;

    let vevents = crate::support::events(&calendar);
    assert_eq!(
        vevents.len(),
        3,
        "master, its exception and the single event:\n{text_out}"
    );
    let exception_event = vevents
        .iter()
        .find(|e| e.has_property(&ICalendarProperty::RecurrenceId))
        .context("the exception")?;
    assert_eq!(exception_event.uid(), Some("series-uid"));
    assert_eq!(
        text(exception_event, &ICalendarProperty::Summary).as_deref(),
        Some("Weekly (moved)")
    );
    let rid = entry(exception_event, &ICalendarProperty::RecurrenceId).context("RECURRENCE-ID")?;
    assert_eq!(
        param(rid, &ICalendarParameterName::Tzid).as_deref(),
        Some("America/Los_Angeles")
    );
    assert_eq!(
        ymd_hms(pd(rid.values.first()).context("rid")?),
        (Some(2026), Some(11), Some(2), Some(9), Some(0))
    );
    let master_event = event_by_uid(&calendar, "series-uid").context("the master")?;
    assert_eq!(
        master_event.properties(&ICalendarProperty::Exdate).count(),
        2
    );

    // The series as a client sees it: 19 Oct (PDT), 26 Oct cancelled, 2 Nov
    // moved to 3 Nov 11:00, 9 Nov cancelled, 16 Nov, all at 09:00 local.
    assert_eq!(
        instants(&calendar),
        vec![
            utc(datetime!(2026-10-01 09:00 UTC)),
            utc(datetime!(2026-10-19 16:00 UTC)),
            utc(datetime!(2026-11-03 19:00 UTC)),
            utc(datetime!(2026-11-16 17:00 UTC)),
        ]
    );

    // The same series stored in UTC (Graph's `Prefer: outlook.timezone="UTC"`)
    // is moved back to its recurrence time zone, so DST is kept.
    series["start"] = at("2026-10-19T16:00:00.0000000", "UTC");
    series["end"] = at("2026-10-19T16:30:00.0000000", "UTC");
    let calendar = parse_ics(&calendar_to_ics("Series", &[series, exception])?)?;
    let master_event = event_by_uid(&calendar, "series-uid").context("the master")?;
    let start = entry(master_event, &ICalendarProperty::Dtstart).context("DTSTART")?;
    assert_eq!(
        param(start, &ICalendarParameterName::Tzid).as_deref(),
        Some("America/Los_Angeles")
    );
    assert_eq!(
        instants(&calendar),
        vec![
            utc(datetime!(2026-10-19 16:00 UTC)),
            utc(datetime!(2026-11-03 19:00 UTC)),
            utc(datetime!(2026-11-09 17:00 UTC)),
            utc(datetime!(2026-11-16 17:00 UTC)),
        ]
    );
    Ok(())
}

#[test]
fn long_lines_are_folded_and_read_back() -> Result<()> {
    let subject = format!(
        "Quarterly planning — {} — 東京オフィス, ☕ and more; ",
        "very long ".repeat(20)
    );
    let event =
        json!({ "iCalUId": "long", "subject": subject, "start": at("2026-12-01T08:00:00", "UTC") });
    let text_out = calendar_to_ics("Long", &[event])?;
    assert!(text_out.contains("\r\n "), "no folded line in\n{text_out}");
    let calendar = parse_ics(&text_out)?;
    let event = event_by_uid(&calendar, "long").context("event")?;
    assert_eq!(
        text(event, &ICalendarProperty::Summary).as_deref(),
        Some(subject.as_str())
    );
    Ok(())
}

#[test]
fn errors_name_the_event_and_the_field() -> Result<()> {
    let good = json!({ "iCalUId": "good", "start": at("2026-12-01T08:00:00", "UTC") });
    let no_start = json!({ "id": "AAMk-broken", "iCalUId": "broken", "subject": "x" });
    let bad_time = json!({ "iCalUId": "bad", "start": at("someday", "UTC") });
    let bad_pattern = json!({ "iCalUId": "bad-pattern", "start": at("2026-12-01T08:00:00", "UTC"),
        "recurrence": { "pattern": { "type": "fortnightly" } } });

    let error = calendar_to_ics("x", &[good.clone(), no_start.clone()])
        .err()
        .context("an error")?;
    assert_eq!(
        error,
        FormatError::MissingField {
            item: "event #1 (id \"AAMk-broken\")".into(),
            field: "start".into()
        }
    );
    assert!(
        error
            .to_string()
            .contains("event #1 (id \"AAMk-broken\") has no `start`"),
        "{error}"
    );
    let error = calendar_to_ics("x", std::slice::from_ref(&bad_time))
        .err()
        .context("an error")?;
    assert!(
        error
            .to_string()
            .contains("`start.dateTime` is \"someday\""),
        "{error}"
    );
    let error = calendar_to_ics("x", &[json!("not an event")])
        .err()
        .context("an error")?;
    assert!(
        matches!(
            error,
            FormatError::NotAnObject {
                found: "a string",
                ..
            }
        ),
        "{error}"
    );
    let error = calendar_to_ics("x", std::slice::from_ref(&bad_pattern))
        .err()
        .context("an error")?;
    assert!(
        error
            .to_string()
            .contains("`recurrence.pattern.type` is \"fortnightly\""),
        "{error}"
    );

    let (text_out, skipped) =
        calendar_to_ics_lenient("x", &[no_start, good, bad_time, bad_pattern]);
    assert_eq!(skipped.len(), 3);
    let calendar = parse_ics(&text_out)?;
    assert_eq!(events(&calendar).len(), 1);
    assert!(event_by_uid(&calendar, "good").is_some());
    Ok(())
}
