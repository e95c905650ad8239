//! Catalog locations: parsing `postgres://…`, `sqlite://…` and plain paths, and showing
//! them without their password.

use std::path::PathBuf;

use sqlx::ConnectOptions as _;
use sqlx::postgres::PgConnectOptions;

use crate::error::CatalogError;

/// A parsed catalog location.
pub(crate) enum Location {
    /// An SQLite file.
    Sqlite(PathBuf),
    /// A PostgreSQL database.
    Postgres(Box<PgConnectOptions>),
}

/// Parses a catalog location: `postgres://…` or `postgresql://…` (PostgreSQL), `sqlite://PATH`,
/// `sqlite:PATH` or a plain path (SQLite).
pub(crate) fn parse(location: &str) -> Result<Location, CatalogError> {
    let invalid = |reason: String| CatalogError::InvalidLocation {
        location: redact(location),
        reason,
    };
    let trimmed = location.trim();
    if trimmed.is_empty() {
        return Err(invalid("it is empty".into()));
    }
    let lower = trimmed.to_ascii_lowercase();
    if lower.starts_with("postgres://") || lower.starts_with("postgresql://") {
        // `url` and sqlx describe what is wrong without repeating the input.
        let url =
            url::Url::parse(trimmed).map_err(|e| invalid(format!("not a valid URL ({e})")))?;
        let options = PgConnectOptions::from_url(&url).map_err(|e| invalid(e.to_string()))?;
        return Ok(Location::Postgres(Box::new(options)));
    }
    if lower.starts_with("sqlite:") {
        let path = &trimmed["sqlite:".len()..];
        let path = path.strip_prefix("//").unwrap_or(path);
        if path.contains('?') {
            return Err(invalid(
                "query parameters are not supported for SQLite; give only the file path".into(),
            ));
        }
        if path.is_empty() {
            return Err(invalid("it names no file".into()));
        }
        return Ok(Location::Sqlite(PathBuf::from(path)));
    }
    if let Some((scheme, _)) = trimmed.split_once("://") {
        return Err(invalid(format!(
            "the scheme {scheme:?} is not supported (only postgres, postgresql and sqlite)"
        )));
    }
    Ok(Location::Sqlite(PathBuf::from(trimmed)))
}

/// A location safe to show: the password, query string and fragment of a URL are removed
/// (`postgres://user:secret@host/db?password=x` becomes `postgres://user@host/db`). Plain
/// paths and `sqlite:` locations are returned unchanged. Even a malformed URL is redacted.
pub fn redact(location: &str) -> String {
    let Some((scheme, rest)) = location.split_once("://") else {
        return location.to_owned();
    };
    if scheme.eq_ignore_ascii_case("sqlite") {
        return location.to_owned();
    }
    let (user, remainder) = match rest.rfind('@') {
        Some(at) => {
            let userinfo = &rest[..at];
            let end = userinfo
                .find([':', '?', '/', '#'])
                .unwrap_or(userinfo.len());
            (Some(&userinfo[..end]), &rest[at + 1..])
        }
        None => (None, rest),
    };
    let remainder = remainder.split(['?', '#']).next().unwrap_or_default();
    match user {
        Some(user) if !user.is_empty() => format!("{scheme}://{user}@{remainder}"),
        _ => format!("{scheme}://{remainder}"),
    }
}

/// Whether a repository location holds a secret: a URL password, or a query parameter
/// whose name suggests a credential.
pub(crate) fn has_secret(location: &str) -> bool {
    let Ok(url) = url::Url::parse(location) else {
        return false;
    };
    url.password().is_some()
        || url.query_pairs().any(|(key, _)| {
            let key = key.to_ascii_lowercase();
            ["pass", "secret", "key", "token", "sig", "credential"]
                .iter()
                .any(|word| key.contains(word))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redact_removes_passwords_everywhere() {
        assert_eq!(
            redact("postgres://alice:s3cret@db.example:5432/cat?sslmode=require"),
            "postgres://alice@db.example:5432/cat"
        );
        assert_eq!(redact("postgres://h/db?password=s3cret"), "postgres://h/db");
        assert_eq!(redact("postgres://u:pa?ss@h/db"), "postgres://u@h/db");
        assert_eq!(redact("postgres://u:p@ss:w@h/db"), "postgres://u@h/db");
        assert_eq!(redact("postgres://h/db?password=x@y"), "postgres://h@y");
        assert_eq!(
            redact("/var/lib/m365vault/catalog.db"),
            "/var/lib/m365vault/catalog.db"
        );
        assert_eq!(redact("sqlite:///a@b/c.db"), "sqlite:///a@b/c.db");
    }

    #[test]
    fn secrets_in_repository_locations_are_found() {
        assert!(has_secret("s3://k:secret@bucket/prefix"));
        assert!(has_secret("azblob://container/p?account_key=abc"));
        assert!(has_secret("s3://bucket/p?X-Amz-Signature=abc"));
        assert!(!has_secret("s3://bucket/prefix?region=eu-west-1"));
        assert!(!has_secret("/srv/backups/repo"));
        assert!(!has_secret("C:\\backups\\repo"));
    }

    #[test]
    fn parse_recognises_the_forms() {
        assert!(matches!(
            parse("postgres://u@h/db"),
            Ok(Location::Postgres(_))
        ));
        assert!(matches!(
            parse("PostgreSQL://u@h/db"),
            Ok(Location::Postgres(_))
        ));
        let Ok(Location::Sqlite(p)) = parse("sqlite:///tmp/x.db") else {
            panic!("sqlite URL not parsed");
        };
        assert_eq!(p, PathBuf::from("/tmp/x.db"));
        let Ok(Location::Sqlite(p)) = parse("sqlite://rel/x.db") else {
            panic!("relative sqlite URL not parsed");
        };
        assert_eq!(p, PathBuf::from("rel/x.db"));
        let Ok(Location::Sqlite(p)) = parse("data/catalog.db") else {
            panic!("path not parsed");
        };
        assert_eq!(p, PathBuf::from("data/catalog.db"));
        for bad in [
            "",
            "mysql://u:pw@h/db",
            "sqlite://",
            "sqlite://x.db?mode=ro",
            "postgres://u:pw@[::1/db",
        ] {
            assert!(
                matches!(parse(bad), Err(CatalogError::InvalidLocation { .. })),
                "{bad:?} accepted"
            );
        }
    }
}
