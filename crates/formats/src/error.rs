//! The errors of the format writers: which item, which field, what is wrong.

/// A backed-up item could not be turned into a file.
///
/// Every variant is permanent: the same input fails the same way again, so
/// retrying does not help. `item` names the item (its kind, its position in
/// the input and its Graph id when it has one), so that a user can find it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FormatError {
    /// The item is not a JSON object.
    #[error(
        "{item} is not a JSON object but {found}; the backed-up item is damaged or is not a {kind}"
    )]
    NotAnObject {
        /// Which item.
        item: String,
        /// What kind of item was expected (`event`, `contact`).
        kind: &'static str,
        /// What JSON type was found instead.
        found: &'static str,
    },
    /// A field the format needs is missing or null.
    #[error("{item} has no `{field}`, which the export needs; the backed-up item is incomplete")]
    MissingField {
        /// Which item.
        item: String,
        /// The JSON path of the field, such as `start.dateTime`.
        field: String,
    },
    /// A field has the wrong JSON type.
    #[error("{item}: `{field}` should be {expected} but is {found}; the backed-up item is damaged")]
    WrongType {
        /// Which item.
        item: String,
        /// The JSON path of the field.
        field: String,
        /// The JSON type expected.
        expected: &'static str,
        /// The JSON type found.
        found: &'static str,
    },
    /// A field has a value the format cannot represent.
    #[error("{item}: `{field}` is {value:?}, which is not {expected}")]
    InvalidValue {
        /// Which item.
        item: String,
        /// The JSON path of the field.
        field: String,
        /// The value found (cut to 100 characters).
        value: String,
        /// What was expected.
        expected: &'static str,
    },
}

impl FormatError {
    /// Whether trying again could succeed: never, the input itself is wrong.
    pub fn is_retryable(&self) -> bool {
        false
    }
}

/// The name of a JSON value's type, for error messages.
pub(crate) fn json_type(value: &serde_json::Value) -> &'static str {
    match value {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "a boolean",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Array(_) => "an array",
        serde_json::Value::Object(_) => "an object",
    }
}
