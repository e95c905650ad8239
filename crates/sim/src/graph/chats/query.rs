//! Query options of the Teams chat routes as Microsoft documents them: `$top`
//! up to 50 (20 by default), `$orderby` on `lastModifiedDateTime` (the
//! default) or `createdDateTime`, descending only, and date-range `$filter`s
//! (`lastModifiedDateTime gt|lt`, `createdDateTime lt`), with opaque
//! `$skiptoken`s that remember where a page ended.

use axum::http::StatusCode;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::failure::{GraphFailure, GraphResult};
use crate::graph::odata::Query;

/// 400 `BadRequest`, as the Teams routes answer it.
pub fn bad_request(message: impl Into<String>) -> GraphFailure {
    GraphFailure::new(StatusCode::BAD_REQUEST, "BadRequest", message)
}

/// `$top`: 1 to 50, 20 when absent.
pub fn top(query: &Query) -> GraphResult<usize> {
    const MAX: usize = 50;
    let Some(raw) = &query.top else {
        return Ok(20);
    };
    match raw.trim().parse::<i64>() {
        Ok(n) if n > MAX as i64 => Err(bad_request(format!(
            "The query specified in the URI is not valid. The limit of '{MAX}' for Top query has been exceeded. The value from the incoming request is '{n}'."
        ))),
        Ok(n) if n >= 1 => Ok(n as usize),
        _ => Err(bad_request(format!(
            "The query specified in the URI is not valid. Invalid value '{raw}' for $top query option found."
        ))),
    }
}

/// The date property messages are ordered and filtered by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DateKey {
    /// `lastModifiedDateTime` (the default order).
    Modified,
    /// `createdDateTime`.
    Created,
}

impl DateKey {
    fn parse(name: &str) -> Option<DateKey> {
        if name.eq_ignore_ascii_case("lastModifiedDateTime") {
            Some(DateKey::Modified)
        } else if name.eq_ignore_ascii_case("createdDateTime") {
            Some(DateKey::Created)
        } else {
            None
        }
    }
}

/// A date range: `after < t < before`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Range {
    /// Exclusive lower bound.
    pub after: Option<OffsetDateTime>,
    /// Exclusive upper bound.
    pub before: Option<OffsetDateTime>,
}

impl Range {
    /// Whether `t` is inside.
    pub fn contains(&self, t: OffsetDateTime) -> bool {
        self.after.is_none_or(|a| t > a) && self.before.is_none_or(|b| t < b)
    }
}

/// Parses a date-range `$filter` on `key` (clauses joined by `and`); `ops`
/// names the operators the property supports.
pub fn date_filter(raw: &str, key: DateKey, ops: &[&str]) -> GraphResult<Range> {
    let mut range = Range::default();
    let lowered = raw.to_ascii_lowercase();
    let mut rest = raw;
    let mut clauses = Vec::new();
    let mut offset = 0;
    while let Some(pos) = lowered[offset..].find(" and ") {
        clauses.push(&raw[offset..offset + pos]);
        offset += pos + 5;
        rest = &raw[offset..];
    }
    clauses.push(rest);
    for clause in clauses {
        let parts: Vec<&str> = clause.split_whitespace().collect();
        let [property, op, value] = parts.as_slice() else {
            return Err(bad_request(format!(
                "Invalid filter clause: '{}'.",
                clause.trim()
            )));
        };
        if DateKey::parse(property) != Some(key) {
            return Err(bad_request(format!(
                "Filtering on property '{property}' is not supported."
            )));
        }
        let op = op.to_ascii_lowercase();
        if !ops.contains(&op.as_str()) {
            return Err(bad_request(format!(
                "The operator '{op}' is not supported on property '{property}'."
            )));
        }
        let value = value.trim_matches('\'');
        let t = OffsetDateTime::parse(value, &Rfc3339)
            .map_err(|_| bad_request(format!("'{value}' is not a valid date and time.")))?;
        match op.as_str() {
            "gt" => range.after = Some(range.after.map_or(t, |a| a.max(t))),
            _ => range.before = Some(range.before.map_or(t, |b| b.min(t))),
        }
    }
    Ok(range)
}

/// How `GET /chats/{id}/messages` orders and filters: `$orderby` (descending
/// only) and the `$filter` on the same property, which is ignored otherwise.
pub fn message_order(query: &Query) -> GraphResult<(DateKey, Range)> {
    let key = match &query.orderby {
        None => DateKey::Modified,
        Some(raw) => {
            let mut parts = raw.split_whitespace();
            let property = parts.next().unwrap_or_default();
            let Some(key) = DateKey::parse(property) else {
                return Err(bad_request(format!(
                    "Ordering by '{property}' is not supported: use lastModifiedDateTime or createdDateTime."
                )));
            };
            if !parts.next().is_some_and(|d| d.eq_ignore_ascii_case("desc")) {
                return Err(bad_request(format!(
                    "Only descending order is supported for '{property}'."
                )));
            }
            key
        }
    };
    let range = match (&query.filter, &query.orderby) {
        (Some(raw), Some(_)) => {
            let ops: &[&str] = match key {
                DateKey::Modified => &["gt", "lt"],
                DateKey::Created => &["lt"],
            };
            date_filter(raw, key, ops)?
        }
        _ => Range::default(),
    };
    Ok((key, range))
}

/// An opaque paging position: the sort key and ids of the last item returned.
pub fn encode_position(parts: &[&str]) -> String {
    URL_SAFE_NO_PAD.encode(parts.join("|"))
}

/// The parts of a position written by [`encode_position`].
pub fn decode_position(token: &str, count: usize) -> GraphResult<Vec<String>> {
    let bad = || bad_request("The skip token is not valid.");
    let bytes = URL_SAFE_NO_PAD
        .decode(token.trim_end_matches('='))
        .map_err(|_| bad())?;
    let text = String::from_utf8(bytes).map_err(|_| bad())?;
    let parts: Vec<String> = text.splitn(count, '|').map(str::to_owned).collect();
    if parts.len() == count {
        Ok(parts)
    } else {
        Err(bad())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(pairs: &[(&str, &str)]) -> Query {
        let raw = pairs
            .iter()
            .map(|(k, v)| format!("{k}={}", v.replace(' ', "%20")))
            .collect::<Vec<_>>()
            .join("&");
        let uri: axum::http::Uri = format!("/x?{raw}").parse().expect("uri");
        Query::parse(&uri, &axum::http::HeaderMap::new())
    }

    #[test]
    fn top_is_capped_at_fifty() {
        assert_eq!(top(&q(&[])).ok(), Some(20));
        assert_eq!(top(&q(&[("$top", "50")])).ok(), Some(50));
        let e = top(&q(&[("$top", "100")])).expect_err("too many");
        assert!(e.message.contains("limit of '50'"), "{}", e.message);
        assert!(top(&q(&[("$top", "0")])).is_err());
    }

    #[test]
    fn filter_applies_only_with_orderby_on_the_same_property() {
        let f = "lastModifiedDateTime gt 2024-01-01T00:00:00Z and lastModifiedDateTime lt 2024-02-01T00:00:00.5Z";
        let (key, range) = message_order(&q(&[("$filter", f)])).expect("ok");
        assert_eq!((key, range), (DateKey::Modified, Range::default()));
        let (_, range) = message_order(&q(&[
            ("$filter", f),
            ("$orderby", "lastModifiedDateTime desc"),
        ]))
        .expect("ok");
        assert!(range.after.is_some() && range.before.is_some());
        assert!(message_order(&q(&[("$orderby", "createdDateTime asc")])).is_err());
        assert!(
            message_order(&q(&[
                ("$filter", "createdDateTime gt 2024-01-01T00:00:00Z"),
                ("$orderby", "createdDateTime desc")
            ]))
            .is_err(),
            "createdDateTime supports lt only"
        );
    }

    #[test]
    fn positions_round_trip() {
        let t = encode_position(&["1700000000000", "19:a@thread.v2", "17"]);
        assert_eq!(
            decode_position(&t, 3).expect("decodes"),
            ["1700000000000", "19:a@thread.v2", "17"]
        );
        assert!(decode_position("%%%", 3).is_err());
    }
}
