//! OData query options (`$top`, `$select`, `$filter`, `$count`, `$search`,
//! `$skiptoken`) and collection responses with `@odata.nextLink`, as the
//! directory endpoints of Microsoft Graph apply them.

use axum::Json;
use axum::http::{HeaderMap, Uri};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Map, Value};

use super::filter::Filter;
use crate::failure::{GraphFailure, GraphResult};

/// The query options of one request.
#[derive(Debug, Clone, Default)]
pub struct Query {
    /// Every parameter except `$skiptoken`, in order, as sent (decoded).
    pub pairs: Vec<(String, String)>,
    /// `$top`.
    pub top: Option<String>,
    /// `$select`, split.
    pub select: Option<Vec<String>>,
    /// `$filter`, raw.
    pub filter: Option<String>,
    /// `$count=true`.
    pub count: bool,
    /// `$search`, raw.
    pub search: Option<String>,
    /// `$orderby`, raw.
    pub orderby: Option<String>,
    /// `$expand`, raw.
    pub expand: Option<String>,
    /// `$skiptoken`.
    pub skiptoken: Option<String>,
    /// `$deltatoken` / `$deltaToken`.
    pub deltatoken: Option<String>,
    /// `ConsistencyLevel: eventual` was sent.
    pub eventual: bool,
}

impl Query {
    /// Reads the query options of a request.
    pub fn parse(uri: &Uri, headers: &HeaderMap) -> Query {
        let mut q = Query {
            eventual: headers
                .get("consistencylevel")
                .and_then(|v| v.to_str().ok())
                .is_some_and(|v| v.eq_ignore_ascii_case("eventual")),
            ..Query::default()
        };
        let raw = uri.query().unwrap_or_default();
        for (k, v) in url::form_urlencoded::parse(raw.as_bytes()) {
            let key = k.to_ascii_lowercase();
            let key = key.strip_prefix('$').unwrap_or(&key).to_owned();
            let value = v.into_owned();
            match key.as_str() {
                "skiptoken" => {
                    q.skiptoken = Some(value);
                    continue;
                }
                "top" => q.top = Some(value.clone()),
                "select" => {
                    q.select = Some(
                        value
                            .split(',')
                            .map(|s| s.trim().to_owned())
                            .filter(|s| !s.is_empty())
                            .collect(),
                    )
                }
                "filter" => q.filter = Some(value.clone()),
                "count" => q.count = value.eq_ignore_ascii_case("true"),
                "search" => q.search = Some(value.clone()),
                "orderby" => q.orderby = Some(value.clone()),
                "expand" => q.expand = Some(value.clone()),
                "deltatoken" => q.deltatoken = Some(value.clone()),
                _ => {}
            }
            q.pairs.push((k.into_owned(), value));
        }
        q
    }

    /// Whether advanced query capabilities are on (`ConsistencyLevel: eventual` and `$count=true`).
    pub fn advanced(&self) -> bool {
        self.eventual && self.count
    }

    /// The page size: `$top` (1..=max) or `default`.
    pub fn page_size(&self, default: usize, max: usize) -> GraphResult<usize> {
        let Some(top) = &self.top else {
            return Ok(default);
        };
        match top.trim().parse::<i64>() {
            Ok(n) if n >= 1 && n as usize <= max => Ok(n as usize),
            _ => Err(GraphFailure::unsupported_query(format!(
                "Invalid page size specified: '{top}'. Must be between 1 and {max} inclusive."
            ))),
        }
    }

    /// The parsed `$filter`, checked against the properties `filterable` allows
    /// (`None` allows any) and against the advanced-query rules.
    pub fn filter(
        &self,
        resource: &str,
        filterable: Option<&[&str]>,
    ) -> GraphResult<Option<Filter>> {
        let Some(raw) = &self.filter else {
            return Ok(None);
        };
        let filter = Filter::parse(raw)
            .map_err(|e| GraphFailure::bad_request(format!("Invalid filter clause: {}", e.0)))?;
        if let Some(op) = filter.advanced_operator()
            && !self.advanced()
        {
            return Err(GraphFailure::unsupported_query(format!(
                "Operator '{op}' is not supported because the required parameters might be missing. Try adding $count=true query parameter and ConsistencyLevel:eventual header. Refer to https://aka.ms/graph-docs/advanced-queries for more information"
            )));
        }
        if let Some(allowed) = filterable {
            for path in filter.paths() {
                let root = path.split('/').next().unwrap_or_default();
                if !allowed.iter().any(|a| a.eq_ignore_ascii_case(root)) {
                    return Err(GraphFailure::unsupported_query(format!(
                        "Unsupported or invalid query filter clause specified for property '{root}' of resource '{resource}'."
                    )));
                }
            }
        }
        Ok(Some(filter))
    }

    /// Rejects `$search` and `$orderby` where they need advanced queries.
    /// `sortable` names the properties `$orderby` may use without advanced queries.
    pub fn check_advanced(&self, sortable: &[&str]) -> GraphResult<()> {
        if let Some(orderby) = &self.orderby
            && !self.advanced()
        {
            let property = orderby.split_whitespace().next().unwrap_or_default();
            if !sortable.iter().any(|s| s.eq_ignore_ascii_case(property)) {
                return Err(GraphFailure::unsupported_query(format!(
                    "Sorting by '{property}' needs advanced query parameters: add $count=true and the ConsistencyLevel: eventual header. Refer to https://aka.ms/graph-docs/advanced-queries for more information"
                )));
            }
        }
        if self.search.is_some() && !self.eventual {
            return Err(GraphFailure::unsupported_query(
                "Request with $search query parameter only works through MSGraph with a special request header: 'ConsistencyLevel: eventual'",
            ));
        }
        if self.orderby.is_some() && self.filter.is_some() && !self.advanced() {
            return Err(GraphFailure::unsupported_query(
                "Sorting not supported for current query.",
            ));
        }
        Ok(())
    }

    /// Keeps only the `$select`ed properties of `entity` (plus OData annotations).
    pub fn project(&self, entity: Value, type_name: &str) -> GraphResult<Value> {
        let Some(select) = &self.select else {
            return Ok(entity);
        };
        let Value::Object(map) = entity else {
            return Ok(entity);
        };
        let mut out = Map::new();
        for (k, v) in &map {
            if k.starts_with('@') {
                out.insert(k.clone(), v.clone());
            }
        }
        for wanted in select {
            match map.iter().find(|(k, _)| k.eq_ignore_ascii_case(wanted)) {
                Some((k, v)) => {
                    out.insert(k.clone(), v.clone());
                }
                None => {
                    return Err(GraphFailure::bad_request(format!(
                        "Could not find a property named '{wanted}' on type '{type_name}'."
                    )));
                }
            }
        }
        Ok(Value::Object(out))
    }

    /// The offset encoded in `$skiptoken`.
    pub fn offset(&self) -> GraphResult<usize> {
        match &self.skiptoken {
            None => Ok(0),
            Some(t) => {
                decode_skiptoken(t).ok_or_else(|| GraphFailure::bad_request("Invalid skip token."))
            }
        }
    }
}

/// How one directory collection is listed.
pub struct Listing<'a> {
    /// The resource named in `$filter` errors, such as `User`.
    pub resource: &'a str,
    /// The type named in `$select` errors, such as `Microsoft.DirectoryServices.User`.
    pub type_name: &'a str,
    /// The entity set of `@odata.context`, such as `users`.
    pub context: &'a str,
    /// The properties `$filter` may use without advanced queries.
    pub filterable: &'a [&'a str],
    /// The properties returned without `$select` (`None`: all of them).
    pub default: Option<&'a [&'a str]>,
    /// The properties `$orderby` may use without advanced queries.
    pub sortable: &'a [&'a str],
}

impl Listing<'_> {
    /// Answers a list request over `items`: filters, searches, orders, projects and pages
    /// them. Without `$filter`, `$search` and `$orderby`, only the page asked for is rendered.
    pub fn respond<T>(
        &self,
        base: &str,
        uri: &Uri,
        query: &Query,
        items: &[T],
        render: impl Fn(&T) -> Value,
    ) -> GraphResult<Response> {
        query.check_advanced(self.sortable)?;
        let size = query.page_size(100, 999)?;
        let filter = query.filter(self.resource, Some(self.filterable))?;
        let project = |full: Value| match (&query.select, self.default) {
            (None, Some(keys)) => Ok(super::render::only(full, keys)),
            _ => query.project(full, self.type_name),
        };
        let collection = Collection {
            base,
            path: uri.path(),
            context: self.context,
            query,
        };
        if filter.is_none() && query.search.is_none() && query.orderby.is_none() {
            let offset = query.offset()?;
            let page = items
                .iter()
                .skip(offset)
                .take(size)
                .map(|i| project(render(i)))
                .collect::<GraphResult<Vec<_>>>()?;
            return Ok(collection.page(page, offset, items.len()));
        }
        let mut matching: Vec<Value> = items
            .iter()
            .map(render)
            .filter(|e| filter.as_ref().is_none_or(|f| f.matches(e)))
            .filter(|e| query.search.as_deref().is_none_or(|s| search_matches(e, s)))
            .collect();
        order(&mut matching, query.orderby.as_deref());
        let projected = matching
            .into_iter()
            .map(project)
            .collect::<GraphResult<Vec<_>>>()?;
        collection.respond(projected, size)
    }
}

/// Applies `$search="prop:value"` (clauses joined by AND) as the directory does: a
/// case-insensitive match of the start of any word.
pub fn search_matches(entity: &Value, search: &str) -> bool {
    search
        .split(" AND ")
        .map(|c| c.trim().trim_matches('"'))
        .all(|clause| {
            let Some((prop, value)) = clause.split_once(':') else {
                return false;
            };
            let have = entity
                .get(prop)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_lowercase();
            let want = value.to_lowercase();
            have.starts_with(&want)
                || have
                    .split([' ', '.', '@', '-', '_'])
                    .any(|w| w.starts_with(&want))
        })
}

/// Sorts by `$orderby` (one property, optional `desc`).
pub fn order(items: &mut [Value], orderby: Option<&str>) {
    let Some(orderby) = orderby else { return };
    let mut parts = orderby.split_whitespace();
    let prop = parts.next().unwrap_or_default().to_owned();
    let desc = parts.next().is_some_and(|d| d.eq_ignore_ascii_case("desc"));
    items.sort_by(|a, b| {
        let key = |v: &Value| {
            v.get(&prop)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_lowercase()
        };
        let o = key(a).cmp(&key(b));
        if desc { o.reverse() } else { o }
    });
}

/// Encodes a paging position as an opaque `$skiptoken` (shaped like the directory's).
pub fn encode_skiptoken(offset: usize) -> String {
    // Directory skip tokens begin with "DSpt" and a version byte (base64 "RFNwdA…").
    let mut bytes = b"DSpt\x02\x00".to_vec();
    bytes.extend_from_slice(&(offset as u64).to_le_bytes());
    URL_SAFE_NO_PAD.encode(bytes)
}

fn decode_skiptoken(token: &str) -> Option<usize> {
    let bytes = URL_SAFE_NO_PAD.decode(token.trim_end_matches('=')).ok()?;
    let rest = bytes.strip_prefix(b"DSpt\x02\x00")?;
    let arr: [u8; 8] = rest.try_into().ok()?;
    usize::try_from(u64::from_le_bytes(arr)).ok()
}

/// Builds a collection response: one page of `items` with `@odata.context` and,
/// when more remain, an `@odata.nextLink` that repeats the request's options.
pub struct Collection<'a> {
    /// The Graph base URL, such as `http://127.0.0.1:8080`.
    pub base: &'a str,
    /// The request path, such as `/v1.0/users`.
    pub path: &'a str,
    /// The entity set for `@odata.context`, such as `users` or `directoryObjects`.
    pub context: &'a str,
    /// The request's options.
    pub query: &'a Query,
}

impl Collection<'_> {
    /// Answers with one page of `items` (already filtered and projected).
    pub fn respond(&self, items: Vec<Value>, page_size: usize) -> GraphResult<Response> {
        let offset = self.query.offset()?;
        let total = items.len();
        let page: Vec<Value> = items.into_iter().skip(offset).take(page_size).collect();
        Ok(self.page(page, offset, total))
    }

    /// Answers with `page`, the items from `offset` of a collection of `total`.
    pub fn page(&self, page: Vec<Value>, offset: usize, total: usize) -> Response {
        let end = offset + page.len();
        let mut body = Map::new();
        let select = self
            .query
            .select
            .as_ref()
            .map(|s| format!("({})", s.join(",")))
            .unwrap_or_default();
        body.insert(
            "@odata.context".into(),
            Value::String(format!(
                "{}/v1.0/$metadata#{}{}",
                self.base, self.context, select
            )),
        );
        if self.query.count && self.query.eventual && offset == 0 {
            body.insert("@odata.count".into(), Value::from(total));
        }
        if end < total {
            body.insert(
                "@odata.nextLink".into(),
                Value::String(self.link("$skiptoken", &encode_skiptoken(end))),
            );
        }
        body.insert("value".into(), Value::Array(page));
        Json(Value::Object(body)).into_response()
    }

    /// A link to this path with the request's options and `name=value` added.
    pub fn link(&self, name: &str, value: &str) -> String {
        let mut pairs: Vec<String> = self
            .query
            .pairs
            .iter()
            .filter(|(k, _)| !k.eq_ignore_ascii_case(name))
            .map(|(k, v)| format!("{}={}", encode_component(k), encode_component(v)))
            .collect();
        pairs.push(format!(
            "{}={}",
            encode_component(name),
            encode_component(value)
        ));
        format!("{}{}?{}", self.base, versioned(self.path), pairs.join("&"))
    }
}

/// The request path as the client sent it (handlers in the nested router see it
/// without the `/v1.0` prefix).
pub fn versioned(path: &str) -> String {
    if path.starts_with("/v1.0/") {
        path.to_owned()
    } else {
        format!("/v1.0{path}")
    }
}

/// Percent-encodes a query component the way Graph writes its links: OData
/// punctuation (`$ , ' ( ) :`) stays readable.
pub fn encode_component(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z'
            | b'a'..=b'z'
            | b'0'..=b'9'
            | b'-'
            | b'_'
            | b'.'
            | b'~'
            | b'$'
            | b','
            | b'\''
            | b'('
            | b')'
            | b':'
            | b'/'
            | b'@' => out.push(b as char),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn skiptoken_round_trips_and_looks_like_the_directory() {
        let t = encode_skiptoken(300);
        assert!(t.starts_with("RFNwdA"), "{t}");
        assert_eq!(decode_skiptoken(&t), Some(300));
        assert_eq!(decode_skiptoken("garbage"), None);
    }

    #[test]
    fn top_limits() {
        let q = |top: &str| Query {
            top: Some(top.into()),
            ..Query::default()
        };
        assert_eq!(q("999").page_size(100, 999).ok(), Some(999));
        let err = q("1000").page_size(100, 999).expect_err("too large");
        assert_eq!(err.code, "Request_UnsupportedQuery");
        assert!(err.message.contains("'1000'"));
        assert!(q("0").page_size(100, 999).is_err());
        assert_eq!(Query::default().page_size(100, 999).ok(), Some(100));
    }
}
