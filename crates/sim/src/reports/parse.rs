//! The function-call segment of a report request:
//! `getOffice365ActiveUserDetail(period='D7')`, `…(date=2025-06-01)`, also
//! percent-encoded and with the `microsoft.graph.` namespace.
//!
//! Answers, as the real service gives them where known: a function Graph does
//! not know, or one called with parameters it does not take (`date` on
//! `getMailboxUsageDetail`), 400 `BadRequest` "Resource not found for the
//! segment '…'."; an empty period 404 `UnknownError` wrapping the reports
//! service's `InvalidArgument` "The requested function cannot be found."; a
//! date outside the last 28 days 400 `InvalidArgument` "Invalid date value
//! specified: … Only support data for the past 28 days.". Best guesses: the
//! 400s for a malformed argument ("Syntax error…") and an unknown period.

use axum::http::StatusCode;
use time::{Date, Duration};

use super::ReportKind;
use crate::failure::GraphFailure;

/// Which parameter a call passes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Param {
    /// `period='…'`, the text between the quotes.
    Period(String),
    /// `date=…`, unquoted.
    Date(String),
}

impl Param {
    /// `period` or `date`.
    pub(super) fn name(&self) -> &'static str {
        match self {
            Param::Period(_) => "period",
            Param::Date(_) => "date",
        }
    }
}

/// A call whose function and parameter are known (values not checked).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Resolved {
    pub(super) kind: ReportKind,
    pub(super) param: Param,
}

/// What a report covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Span {
    /// The last `n` days up to the report refresh date (7, 30, 90 or 180).
    Period(u32),
    /// One day.
    Date(Date),
}

/// A valid report call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReportCall {
    /// Which report.
    pub kind: ReportKind,
    /// Which days.
    pub span: Span,
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |k: usize| {
            bytes
                .get(k)
                .and_then(|b| char::from(*b).to_digit(16))
                .and_then(|d| u8::try_from(d).ok())
        };
        match (bytes[i], hex(i + 1), hex(i + 2)) {
            (b'%', Some(h), Some(l)) => {
                out.push(h * 16 + l);
                i += 3;
            }
            (b, _, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn not_found_segment(name: &str) -> GraphFailure {
    GraphFailure::new(
        StatusCode::BAD_REQUEST,
        "BadRequest",
        format!("Resource not found for the segment '{name}'."),
    )
}

fn syntax_error(args: &str) -> GraphFailure {
    GraphFailure::new(
        StatusCode::BAD_REQUEST,
        "BadRequest",
        format!("Syntax error at position {} in '{args}'.", args.len()),
    )
}

/// Resolves the segment after `/reports/`.
pub(super) fn resolve(segment: &str) -> Result<Resolved, GraphFailure> {
    let decoded = percent_decode(segment);
    let (name, args) = match decoded.split_once('(') {
        Some((name, rest)) => (name, rest.strip_suffix(')')),
        None => (decoded.as_str(), None),
    };
    let bare = name
        .get(..16)
        .filter(|p| p.eq_ignore_ascii_case("microsoft.graph."))
        .map_or(name, |_| &name[16..]);
    let kind = ReportKind::from_function(bare).ok_or_else(|| not_found_segment(name))?;
    let Some(args) = args else {
        return Err(not_found_segment(name));
    };
    let Some((param, value)) = args.split_once('=') else {
        return Err(not_found_segment(name));
    };
    let param = match param.trim() {
        p if p.eq_ignore_ascii_case("period") => {
            let inner = value
                .trim()
                .strip_prefix('\'')
                .and_then(|v| v.strip_suffix('\''))
                .filter(|v| !v.contains('\''))
                .ok_or_else(|| syntax_error(args))?;
            Param::Period(inner.to_owned())
        }
        p if p.eq_ignore_ascii_case("date") && kind.takes_date() => {
            let v = value.trim();
            if v.contains('\'') {
                return Err(syntax_error(args));
            }
            Param::Date(v.to_owned())
        }
        _ => return Err(not_found_segment(name)),
    };
    Ok(Resolved { kind, param })
}

fn invalid_argument(status: StatusCode, message: String) -> GraphFailure {
    GraphFailure::new(status, "InvalidArgument", message)
}

impl Resolved {
    /// Checks the value against `today`: periods D7, D30, D90 and D180; dates
    /// within the past 28 days (today excluded: its data does not exist yet).
    pub(super) fn validate(&self, today: Date) -> Result<ReportCall, GraphFailure> {
        let span = match &self.param {
            Param::Period(p) if p.is_empty() => {
                return Err(GraphFailure::new(
                    StatusCode::NOT_FOUND,
                    "UnknownError",
                    r#"{"error":{"code":"InvalidArgument","message":"The requested function cannot be found."}}"#,
                ));
            }
            Param::Period(p) => match p.as_str() {
                "D7" => Span::Period(7),
                "D30" => Span::Period(30),
                "D90" => Span::Period(90),
                "D180" => Span::Period(180),
                other => {
                    return Err(invalid_argument(
                        StatusCode::BAD_REQUEST,
                        format!(
                            "Invalid period value specified: {other}. Supported values are D7, D30, D90 and D180."
                        ),
                    ));
                }
            },
            Param::Date(d) => {
                let format = time::macros::format_description!("[year]-[month]-[day]");
                let Ok(date) = Date::parse(d, &format) else {
                    return Err(syntax_error(&format!("date={d}")));
                };
                if date >= today || date <= today - Duration::days(28) {
                    return Err(invalid_argument(
                        StatusCode::BAD_REQUEST,
                        format!(
                            "Invalid date value specified: {d}. Only support data for the past 28 days."
                        ),
                    ));
                }
                Span::Date(date)
            }
        };
        Ok(ReportCall {
            kind: self.kind,
            span,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> Date {
        Date::from_calendar_date(2025, time::Month::July, 1).expect("date")
    }

    #[test]
    fn function_calls_resolve_as_graph_does() {
        let r = resolve("getOffice365ActiveUserDetail(period='D7')").expect("resolves");
        assert_eq!(r.kind, ReportKind::ActiveUserDetail);
        assert_eq!(r.param, Param::Period("D7".to_owned()));
        let r = resolve("GETEMAILACTIVITYUSERDETAIL%28date%3D2025-06-20%29").expect("encoded");
        assert_eq!(r.param, Param::Date("2025-06-20".to_owned()));
        let r = resolve("microsoft.graph.getMailboxUsageDetail(period=%27D30%27)").expect("ns");
        assert_eq!(r.kind, ReportKind::MailboxUsageDetail);
        for bad in [
            "getNothing(period='D7')",
            "getMailboxUsageDetail(date=2025-06-20)",
            "getOffice365ActiveUserDetail",
            "getOffice365ActiveUserDetail(view='D7')",
        ] {
            let e = resolve(bad).expect_err(bad);
            assert_eq!((e.status.as_u16(), e.code.as_str()), (400, "BadRequest"));
            assert!(e.message.starts_with("Resource not found for the segment"));
        }
        let e = resolve("getOffice365ActiveUserDetail(period=D7)").expect_err("unquoted");
        assert!(e.message.starts_with("Syntax error"), "{}", e.message);
    }

    #[test]
    fn values_are_checked() {
        let call = |s: &str| resolve(s).expect("resolves").validate(today());
        assert_eq!(
            call("getTeamsUserActivityUserDetail(period='D180')")
                .ok()
                .map(|c| c.span),
            Some(Span::Period(180))
        );
        let e = call("getTeamsUserActivityUserDetail(period='D8')").expect_err("D8");
        assert_eq!(
            (e.status.as_u16(), e.code.as_str()),
            (400, "InvalidArgument")
        );
        let e = call("getTeamsUserActivityUserDetail(period='')").expect_err("empty");
        assert_eq!(e.status.as_u16(), 404);
        let ok = call("getOneDriveUsageAccountDetail(date=2025-06-04)")
            .ok()
            .map(|c| c.span);
        assert!(matches!(ok, Some(Span::Date(_))), "{ok:?}");
        for d in ["2025-06-03", "2025-07-01", "2025-07-09"] {
            let e = call(&format!("getOneDriveUsageAccountDetail(date={d})")).expect_err(d);
            assert_eq!(
                e.message,
                format!(
                    "Invalid date value specified: {d}. Only support data for the past 28 days."
                )
            );
        }
        let e = call("getOneDriveUsageAccountDetail(date=2025-13-01)").expect_err("month");
        assert_eq!(e.code, "BadRequest");
    }
}
