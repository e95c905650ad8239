//! OData collection pages.

use serde::{Deserialize, Serialize};

/// One page of a collection: `value` plus the links to the next page or the delta link.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Page<T> {
    /// `@odata.context`.
    #[serde(
        rename = "@odata.context",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub context: Option<String>,
    /// `@odata.count`, present when `$count=true` was asked for.
    #[serde(
        rename = "@odata.count",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub count: Option<u64>,
    /// The whole URL of the next page; absent on the last page.
    #[serde(
        rename = "@odata.nextLink",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub next_link: Option<String>,
    /// The whole URL to call for the next round of changes (delta queries only, last page).
    #[serde(
        rename = "@odata.deltaLink",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub delta_link: Option<String>,
    /// The entities of this page (possibly none).
    #[serde(default = "Vec::new")]
    pub value: Vec<T>,
}

impl<T> Default for Page<T> {
    fn default() -> Self {
        Page {
            context: None,
            count: None,
            next_link: None,
            delta_link: None,
            value: Vec::new(),
        }
    }
}

/// The `@removed` annotation of a delta response entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Removed {
    /// `changed` (moved out of scope, may come back) or `deleted`.
    pub reason: String,
}
