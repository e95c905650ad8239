//! Reading files back with independent parsers.

use anyhow::{Result, bail};
use calcard::icalendar::{
    ICalendar, ICalendarComponent, ICalendarComponentType, ICalendarEntry, ICalendarParameterName,
    ICalendarParameterValue, ICalendarProperty, ICalendarValue,
};
use calcard::vcard::VCard;
use calcard::{Entry, Parser};

// calcard's strict mode rejects every nested BEGIN (0.3.14), so the files are
// parsed leniently and their lines checked by `assert_content_lines`.

/// Parses one iCalendar object.
pub fn parse_ics(text: &str) -> Result<ICalendar> {
    assert_content_lines(text);
    let mut parser = Parser::new(text);
    let calendar = match parser.entry() {
        Entry::ICalendar(calendar) => calendar,
        other => bail!("expected a VCALENDAR, calcard read {other:?}"),
    };
    match parser.entry() {
        Entry::Eof => Ok(calendar),
        other => bail!("expected the end after the VCALENDAR, calcard read {other:?}"),
    }
}

/// Parses a stream of vCards.
pub fn parse_vcards(text: &str) -> Result<Vec<VCard>> {
    assert_content_lines(text);
    let mut parser = Parser::new(text);
    let mut cards = Vec::new();
    loop {
        match parser.entry() {
            Entry::VCard(card) => cards.push(card),
            Entry::Eof => return Ok(cards),
            other => bail!("expected a VCARD, calcard read {other:?}"),
        }
    }
}

/// Checks the physical lines (CRLF everywhere, at most 75 octets each) and
/// that each unfolded line is `name *(;param=value) :value` (RFC 5545 §3.1),
/// with BEGIN and END balanced.
pub fn assert_content_lines(text: &str) {
    assert!(text.ends_with("\r\n"), "the text does not end with CRLF");
    let mut logical: Vec<String> = Vec::new();
    for (n, line) in text.split_terminator("\r\n").enumerate() {
        assert!(
            !line.contains(['\n', '\r']),
            "line {n} has a bare CR or LF: {line:?}"
        );
        assert!(
            line.len() <= 75,
            "line {n} has {} octets: {line:?}",
            line.len()
        );
        match (line.strip_prefix(' '), logical.last_mut()) {
            (Some(rest), Some(last)) => last.push_str(rest),
            _ => logical.push(line.to_owned()),
        }
    }
    let mut stack: Vec<String> = Vec::new();
    for line in &logical {
        check_content_line(line);
        if let Some(name) = line.strip_prefix("BEGIN:") {
            stack.push(name.to_owned());
        } else if let Some(name) = line.strip_prefix("END:") {
            assert_eq!(stack.pop().as_deref(), Some(name), "unbalanced {line}");
        }
    }
    assert!(stack.is_empty(), "unclosed {stack:?}");
}

fn check_content_line(line: &str) {
    let name_end = line
        .find([';', ':'])
        .unwrap_or_else(|| panic!("no colon in {line:?}"));
    let name = &line[..name_end];
    assert!(
        !name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'),
        "bad property name in {line:?}"
    );
    let mut rest = &line[name_end..];
    while let Some(param) = rest.strip_prefix(';') {
        let eq = param
            .find('=')
            .unwrap_or_else(|| panic!("parameter without = in {line:?}"));
        let pname = &param[..eq];
        assert!(
            pname
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-'),
            "bad parameter name in {line:?}"
        );
        let mut value = &param[eq + 1..];
        loop {
            if let Some(quoted) = value.strip_prefix('"') {
                let close = quoted
                    .find('"')
                    .unwrap_or_else(|| panic!("unclosed quote in {line:?}"));
                value = &quoted[close + 1..];
            } else {
                let end = value
                    .find([',', ';', ':'])
                    .unwrap_or_else(|| panic!("no colon in {line:?}"));
                assert!(!value[..end].contains('"'), "stray quote in {line:?}");
                value = &value[end..];
            }
            match value.strip_prefix(',') {
                Some(more) => value = more,
                None => break,
            }
        }
        rest = value;
    }
    let value = rest
        .strip_prefix(':')
        .unwrap_or_else(|| panic!("no colon after the parameters in {line:?}"));
    assert!(
        !value.chars().any(|c| c.is_control() && c != '\t'),
        "control character in {line:?}"
    );
}

/// The VEVENT components of a calendar.
pub fn events(calendar: &ICalendar) -> Vec<&ICalendarComponent> {
    calendar
        .components
        .iter()
        .filter(|c| c.component_type == ICalendarComponentType::VEvent)
        .collect()
}

/// The first entry of a property.
pub fn entry<'a>(
    component: &'a ICalendarComponent,
    property: &ICalendarProperty,
) -> Option<&'a ICalendarEntry> {
    component.property(property)
}

/// The text of a property's first value.
pub fn text(component: &ICalendarComponent, property: &ICalendarProperty) -> Option<String> {
    entry(component, property)
        .and_then(|e| e.values.first())
        .and_then(ICalendarValue::as_text)
        .map(str::to_owned)
}

/// The text of an iCalendar parameter.
pub fn param(entry: &ICalendarEntry, name: &ICalendarParameterName) -> Option<String> {
    entry
        .params
        .iter()
        .find(|p| &p.name == name)
        .map(|p| match &p.value {
            ICalendarParameterValue::Text(t) => t.clone(),
            other => format!("{other:?}"),
        })
}

/// The event whose UID is `uid` and that is not an override.
pub fn event_by_uid<'a>(calendar: &'a ICalendar, uid: &str) -> Option<&'a ICalendarComponent> {
    events(calendar)
        .into_iter()
        .find(|e| e.uid() == Some(uid) && !e.has_property(&ICalendarProperty::RecurrenceId))
}
