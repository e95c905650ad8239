//! Typed reads of Graph JSON objects that say which field is wrong.
//!
//! A missing field and a `null` one are the same: Graph writes `null` for unset
//! properties. A field of the wrong type is an error, never ignored.

use serde_json::{Map, Value};

use crate::error::{FormatError, json_type};

/// One JSON object of an item, with where it sits for error messages.
#[derive(Debug, Clone)]
pub(crate) struct Obj<'a> {
    map: &'a Map<String, Value>,
    item: &'a str,
    at: String,
}

impl<'a> Obj<'a> {
    /// The item itself, which must be an object.
    pub(crate) fn root(
        value: &'a Value,
        item: &'a str,
        kind: &'static str,
    ) -> Result<Self, FormatError> {
        match value {
            Value::Object(map) => Ok(Self {
                map,
                item,
                at: String::new(),
            }),
            other => Err(FormatError::NotAnObject {
                item: item.to_owned(),
                kind,
                found: json_type(other),
            }),
        }
    }

    /// The JSON path of a field of this object.
    pub(crate) fn path(&self, field: &str) -> String {
        format!("{}{field}", self.at)
    }

    /// A field, `None` when missing or null.
    pub(crate) fn get(&self, field: &str) -> Option<&'a Value> {
        self.map.get(field).filter(|v| !v.is_null())
    }

    fn wrong(&self, field: &str, expected: &'static str, found: &Value) -> FormatError {
        FormatError::WrongType {
            item: self.item.to_owned(),
            field: self.path(field),
            expected,
            found: json_type(found),
        }
    }

    /// The error for a field that is missing.
    pub(crate) fn missing(&self, field: &str) -> FormatError {
        FormatError::MissingField {
            item: self.item.to_owned(),
            field: self.path(field),
        }
    }

    /// The error for a field whose value cannot be used.
    pub(crate) fn invalid(&self, field: &str, value: &str, expected: &'static str) -> FormatError {
        FormatError::InvalidValue {
            item: self.item.to_owned(),
            field: self.path(field),
            value: value.chars().take(100).collect(),
            expected,
        }
    }

    /// A string field.
    pub(crate) fn str(&self, field: &str) -> Result<Option<&'a str>, FormatError> {
        match self.get(field) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(other) => Err(self.wrong(field, "a string", other)),
        }
    }

    /// A string field that is present and not blank.
    pub(crate) fn text(&self, field: &str) -> Result<Option<&'a str>, FormatError> {
        Ok(self.str(field)?.filter(|s| !s.trim().is_empty()))
    }

    /// A boolean field.
    pub(crate) fn bool(&self, field: &str) -> Result<Option<bool>, FormatError> {
        match self.get(field) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(other) => Err(self.wrong(field, "a boolean", other)),
        }
    }

    /// An integer field.
    pub(crate) fn int(&self, field: &str) -> Result<Option<i64>, FormatError> {
        match self.get(field) {
            None => Ok(None),
            Some(v @ Value::Number(n)) => n
                .as_i64()
                .map(Some)
                .ok_or_else(|| self.wrong(field, "an integer", v)),
            Some(other) => Err(self.wrong(field, "an integer", other)),
        }
    }

    /// An object field.
    pub(crate) fn obj(&self, field: &str) -> Result<Option<Obj<'a>>, FormatError> {
        match self.get(field) {
            None => Ok(None),
            Some(Value::Object(map)) => Ok(Some(Obj {
                map,
                item: self.item,
                at: format!("{}.", self.path(field)),
            })),
            Some(other) => Err(self.wrong(field, "an object", other)),
        }
    }

    /// An array field; missing or null is empty.
    pub(crate) fn array(&self, field: &str) -> Result<&'a [Value], FormatError> {
        match self.get(field) {
            None => Ok(&[]),
            Some(Value::Array(items)) => Ok(items),
            Some(other) => Err(self.wrong(field, "an array", other)),
        }
    }

    /// An array of objects; null elements are skipped.
    pub(crate) fn objs(&self, field: &str) -> Result<Vec<Obj<'a>>, FormatError> {
        let mut out = Vec::new();
        for (i, value) in self.array(field)?.iter().enumerate() {
            match value {
                Value::Null => {}
                Value::Object(map) => out.push(Obj {
                    map,
                    item: self.item,
                    at: format!("{}[{i}].", self.path(field)),
                }),
                other => {
                    return Err(self.wrong(&format!("{field}[{i}]"), "an object", other));
                }
            }
        }
        Ok(out)
    }

    /// An array of strings; null and blank elements are skipped.
    pub(crate) fn strs(&self, field: &str) -> Result<Vec<&'a str>, FormatError> {
        let mut out = Vec::new();
        for (i, value) in self.array(field)?.iter().enumerate() {
            match value {
                Value::Null => {}
                Value::String(s) if s.trim().is_empty() => {}
                Value::String(s) => out.push(s.as_str()),
                other => {
                    return Err(self.wrong(&format!("{field}[{i}]"), "a string", other));
                }
            }
        }
        Ok(out)
    }
}

/// How an item is named in errors: `event #3 (id "AAMk…")`; the position
/// is left out for an item given alone.
pub(crate) fn describe(kind: &str, index: Option<usize>, value: &Value) -> String {
    let mut name = kind.to_owned();
    if let Some(index) = index {
        name.push_str(&format!(" #{index}"));
    }
    if let Some(id) = value.get("id").and_then(Value::as_str) {
        name.push_str(&format!(" (id {id:?})"));
    }
    name
}
