//! SQL built at run time (filters, multi-row inserts, `IN` lists), with numbered
//! placeholders that both databases accept, and the values to bind in order.

use std::fmt::Write as _;

use crate::sql;
use crate::types::{ItemFilter, RunFilter};

/// A value to bind, in placeholder order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Bind {
    /// A text value.
    Text(String),
    /// An integer value.
    Int(i64),
}

/// SQL text and the values for its placeholders.
#[derive(Debug, Default)]
pub(crate) struct Built {
    /// The statement.
    pub(crate) sql: String,
    /// Values for `$1`, `$2`, ...
    pub(crate) binds: Vec<Bind>,
}

impl Built {
    fn new(sql: &str) -> Self {
        Built {
            sql: sql.to_owned(),
            binds: Vec::new(),
        }
    }

    /// Appends `clause`, with every `?` replaced by the placeholder of `value`.
    fn and(&mut self, clause: &str, value: Bind) {
        self.binds.push(value);
        let placeholder = format!("${}", self.binds.len());
        self.sql.push_str(" AND ");
        self.sql.push_str(&clause.replace('?', &placeholder));
    }

    fn limit(&mut self, limit: Option<u32>) {
        if let Some(limit) = limit {
            self.binds.push(Bind::Int(i64::from(limit)));
            let _ = write!(self.sql, " LIMIT ${}", self.binds.len());
        }
    }
}

/// The query for [`RunFilter`], newest first.
pub(crate) fn list_runs(filter: &RunFilter) -> Built {
    let mut built = Built::new(sql::LIST_RUNS);
    if let Some(repository) = &filter.repository_id {
        built.and("repository_id = ?", Bind::Text(repository.clone()));
    }
    if let Some(connector) = &filter.connector {
        built.and("connector = ?", Bind::Text(connector.clone()));
    }
    if let Some(status) = filter.status {
        built.and("status = ?", Bind::Text(status.as_str().to_owned()));
    }
    built.sql.push_str(sql::LIST_RUNS_ORDER);
    built.limit(filter.limit);
    built
}

/// The query for [`ItemFilter`], by increasing version id.
pub(crate) fn list_items(filter: &ItemFilter) -> Built {
    let mut built = Built::new(sql::LIST_ITEMS);
    let text = |s: &String| Bind::Text(s.clone());
    if let Some(v) = &filter.repository_id {
        built.and("v.repository_id = ?", text(v));
    }
    if let Some(v) = &filter.run_id {
        built.and("v.run_id = ?", text(v));
    }
    if let Some(v) = &filter.resource {
        built.and("v.resource = ?", text(v));
    }
    if let Some(v) = &filter.kind {
        built.and("v.kind = ?", text(v));
    }
    if let Some(v) = &filter.item_id {
        built.and("v.item_id = ?", text(v));
    }
    if let Some(v) = &filter.path_prefix {
        // Case-sensitive on both databases, unlike LIKE on SQLite.
        built.and("substr(v.path, 1, length(?)) = ?", text(v));
    }
    if let Some(after) = filter.after_version_id {
        built.and("v.version_id > ?", Bind::Int(after));
    }
    if !filter.include_deleted {
        built.sql.push_str(" AND v.deleted_at IS NULL");
    }
    built.sql.push_str(sql::LIST_ITEMS_ORDER);
    built.limit(filter.limit);
    built
}

/// How a large statement writes its placeholders.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Placeholders {
    /// `$1, $2, …` (PostgreSQL).
    Numbered,
    /// `?, ?, …` (SQLite: sqlx looks each named parameter up by number, which costs time
    /// proportional to the number of parameters, so 10,000 `$n` would cost 10,000² steps).
    Anonymous,
}

/// The multi-row INSERT of `rows` item versions ([`sql::ITEM_BINDS`] values a row).
pub(crate) fn insert_items(rows: usize, style: Placeholders) -> String {
    let mut out = String::with_capacity(sql::INSERT_ITEMS.len() + rows * 64);
    out.push_str(sql::INSERT_ITEMS);
    out.push_str("VALUES ");
    for row in 0..rows {
        if row > 0 {
            out.push_str(", ");
        }
        out.push('(');
        for col in 0..sql::ITEM_BINDS {
            if col > 0 {
                out.push_str(", ");
            }
            match style {
                Placeholders::Numbered => {
                    let _ = write!(out, "${}", row * sql::ITEM_BINDS + col + 1);
                }
                Placeholders::Anonymous => out.push('?'),
            }
        }
        out.push(')');
    }
    out
}

/// The statement marking deleted the newest undeleted versions of `ids` item ids
/// (`$1` repository, `$2` resource, `$3` deleted_at, then the ids).
pub(crate) fn mark_deleted(ids: usize) -> String {
    let mut out = String::from(sql::MARK_DELETED);
    for i in 0..ids {
        if i > 0 {
            out.push_str(", ");
        }
        let _ = write!(out, "${}", i + 4);
    }
    out.push_str(sql::MARK_DELETED_END);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::RunStatus;

    #[test]
    fn run_filters_number_their_placeholders() {
        let built = list_runs(&RunFilter {
            repository_id: None,
            connector: Some("c".into()),
            status: Some(RunStatus::Partial),
            limit: Some(5),
        });
        assert!(
            built.sql.ends_with(
                "AND connector = $1 AND status = $2 ORDER BY started_at DESC, id DESC LIMIT $3"
            ),
            "{}",
            built.sql
        );
        assert_eq!(
            built.binds,
            [
                Bind::Text("c".into()),
                Bind::Text("partial".into()),
                Bind::Int(5)
            ]
        );
    }

    #[test]
    fn prefix_reuses_its_placeholder() {
        let built = list_items(&ItemFilter {
            path_prefix: Some("/Inbox".into()),
            include_deleted: true,
            ..ItemFilter::default()
        });
        assert!(
            built.sql.contains("substr(v.path, 1, length($1)) = $1"),
            "{}",
            built.sql
        );
        assert!(!built.sql.contains("deleted_at IS NULL"));
    }

    #[test]
    fn insert_and_mark_statements() {
        let sql = insert_items(2, Placeholders::Numbered);
        assert!(sql.ends_with("($1, $2, $3, $4, $5, $6, $7, $8, $9, $10), ($11, $12, $13, $14, $15, $16, $17, $18, $19, $20)"));
        assert!(
            insert_items(2, Placeholders::Anonymous).ends_with("(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
        );
        assert!(mark_deleted(2).contains("IN ($4, $5))"));
    }
}
