//! The kinds of Microsoft 365 data m365vault protects.

use std::collections::BTreeSet;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// A kind of data that m365vault can back up, restore, export or inventory.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DataType {
    /// Mail folders and messages of user, shared and resource mailboxes.
    Mail,
    /// Calendars and events.
    Calendar,
    /// Contact folders and contacts.
    Contacts,
    /// Users' OneDrive.
    Onedrive,
    /// SharePoint sites: document libraries and lists.
    Sharepoint,
    /// Teams channel messages and their replies.
    TeamsChannels,
    /// 1:1, group and meeting chats.
    Chats,
    /// Group and distribution-list membership and owners, and group conversations.
    Groups,
    /// Subscriptions, licences, users and their activity.
    Inventory,
}

impl DataType {
    /// Every data type, in display order.
    pub const ALL: [DataType; 9] = [
        DataType::Mail,
        DataType::Calendar,
        DataType::Contacts,
        DataType::Onedrive,
        DataType::Sharepoint,
        DataType::TeamsChannels,
        DataType::Chats,
        DataType::Groups,
        DataType::Inventory,
    ];

    /// The id used on the command line and in JSON.
    pub const fn as_str(self) -> &'static str {
        match self {
            DataType::Mail => "mail",
            DataType::Calendar => "calendar",
            DataType::Contacts => "contacts",
            DataType::Onedrive => "onedrive",
            DataType::Sharepoint => "sharepoint",
            DataType::TeamsChannels => "teams-channels",
            DataType::Chats => "chats",
            DataType::Groups => "groups",
            DataType::Inventory => "inventory",
        }
    }

    /// A human description, as shown in reports.
    pub const fn label(self) -> &'static str {
        match self {
            DataType::Mail => "Mail",
            DataType::Calendar => "Calendars",
            DataType::Contacts => "Contacts",
            DataType::Onedrive => "OneDrive",
            DataType::Sharepoint => "SharePoint sites",
            DataType::TeamsChannels => "Teams channel messages",
            DataType::Chats => "Teams chats",
            DataType::Groups => "Group and distribution-list members",
            DataType::Inventory => "Inventory (licences, usage)",
        }
    }
}

impl fmt::Display for DataType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An unknown data type name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown data type '{0}': use one or more of {list} (comma-separated), or 'all'", list = DataTypeSet::all().to_string())]
pub struct UnknownDataType(pub String);

impl FromStr for DataType {
    type Err = UnknownDataType;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let wanted = s.trim().to_ascii_lowercase();
        // Accept a few spellings administrators use.
        let alias = match wanted.as_str() {
            "calendars" => "calendar",
            "contact" => "contacts",
            "one-drive" => "onedrive",
            "sites" | "share-point" => "sharepoint",
            "teams" | "channels" | "teams-channel" => "teams-channels",
            "chat" => "chats",
            "group" | "distribution-lists" | "directory" => "groups",
            other => other,
        };
        DataType::ALL
            .into_iter()
            .find(|d| d.as_str() == alias)
            .ok_or_else(|| UnknownDataType(s.trim().to_owned()))
    }
}

/// A set of data types, parsed from `mail,calendar` or `all`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct DataTypeSet(BTreeSet<DataType>);

impl DataTypeSet {
    /// Every data type.
    pub fn all() -> Self {
        DataTypeSet(DataType::ALL.into_iter().collect())
    }

    /// Whether `data_type` is in the set.
    pub fn contains(&self, data_type: DataType) -> bool {
        self.0.contains(&data_type)
    }

    /// The data types in display order.
    pub fn iter(&self) -> impl Iterator<Item = DataType> + '_ {
        self.0.iter().copied()
    }

    /// Whether the set is empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The data types both sets contain.
    pub fn intersection(&self, other: &DataTypeSet) -> DataTypeSet {
        DataTypeSet(self.0.intersection(&other.0).copied().collect())
    }
}

impl FromIterator<DataType> for DataTypeSet {
    fn from_iter<I: IntoIterator<Item = DataType>>(iter: I) -> Self {
        DataTypeSet(iter.into_iter().collect())
    }
}

impl fmt::Display for DataTypeSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = self.0.iter().map(|d| d.as_str()).collect();
        f.write_str(&names.join(","))
    }
}

impl FromStr for DataTypeSet {
    type Err = UnknownDataType;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.trim().eq_ignore_ascii_case("all") {
            return Ok(DataTypeSet::all());
        }
        let set = s
            .split(',')
            .filter(|p| !p.trim().is_empty())
            .map(DataType::from_str)
            .collect::<Result<DataTypeSet, _>>()?;
        if set.is_empty() {
            return Err(UnknownDataType(s.to_owned()));
        }
        Ok(set)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_lists_all_and_aliases() {
        let set: DataTypeSet = "mail, calendars,teams".parse().expect("valid list");
        assert_eq!(set.to_string(), "mail,calendar,teams-channels");
        assert_eq!(
            "all".parse::<DataTypeSet>().map(|s| s.iter().count()).ok(),
            Some(9)
        );
    }

    #[test]
    fn unknown_names_list_the_valid_ones() {
        let err = "mail,faxes".parse::<DataTypeSet>().expect_err("unknown");
        let msg = err.to_string();
        assert!(
            msg.contains("'faxes'") && msg.contains("teams-channels"),
            "{msg}"
        );
        assert!("".parse::<DataTypeSet>().is_err());
    }

    #[test]
    fn ids_round_trip() {
        for d in DataType::ALL {
            assert_eq!(d.as_str().parse::<DataType>().ok(), Some(d));
            let json = serde_json::to_string(&d).expect("serializes");
            assert_eq!(json, format!("\"{}\"", d.as_str()));
        }
    }
}
