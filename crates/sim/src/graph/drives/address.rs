//! Path addressing (`/drives/{id}/root:/a/b.txt:/content`,
//! `/drives/{id}/items/{id}:/rel/path:/createUploadSession`,
//! `/sites/{hostname}:/sites/team:/lists`). Axum cannot route a `:` inside a
//! segment, so before routing the addressed part is folded into one segment
//! (with `%2F` for its slashes, names kept as sent): `root:/a/b.txt:/content`
//! becomes `items/root:%2Fa%2Fb.txt/content`, `items/X:/rel:` becomes
//! `items/X:%2Frel`, `sites/host:/sites/team:` becomes `sites/host:%2Fsites%2Fteam`.
//! Handlers split the key again ([`split_key`]).

/// Folds the path-addressed part of `path` into one segment, or `None` when
/// the path addresses nothing by path.
pub fn fold(path: &str) -> Option<String> {
    let segments: Vec<&str> = path.split('/').collect();
    let open = segments.iter().enumerate().position(|(k, s)| {
        k > 0
            && s.ends_with(':')
            && (s.eq_ignore_ascii_case("root:")
                || segments[k - 1].eq_ignore_ascii_case("items")
                || segments[k - 1].eq_ignore_ascii_case("sites"))
    })?;
    let opener = segments[open];
    let mut folded = opener.to_owned();
    let mut close = segments.len();
    let mut parts: Vec<&str> = Vec::new();
    for (k, s) in segments.iter().enumerate().skip(open + 1) {
        if let Some(last) = s.strip_suffix(':') {
            parts.push(last);
            close = k + 1;
            break;
        }
        parts.push(s);
    }
    for p in &parts {
        folded.push_str("%2F");
        folded.push_str(p);
    }
    let mut out: Vec<String> = segments[..open].iter().map(|s| (*s).to_owned()).collect();
    if opener.eq_ignore_ascii_case("root:") && !segments[open - 1].eq_ignore_ascii_case("items") {
        // `…/root:/x` addresses like `…/items/root:/x`.
        out.push("items".to_owned());
        folded = format!("root:{}", &folded["root:".len()..]);
    }
    out.push(folded);
    out.extend(
        segments[close.min(segments.len())..]
            .iter()
            .map(|s| (*s).to_owned()),
    );
    Some(out.join("/"))
}

/// Splits an item or site key as handlers receive it (decoded): `X:/a/b`
/// gives `("X", ["a", "b"])`; a plain key gives `(key, [])`.
pub fn split_key(key: &str) -> (&str, Vec<&str>) {
    match key.split_once(':') {
        Some((base, rest)) => (base, rest.split('/').filter(|s| !s.is_empty()).collect()),
        None => (key, Vec::new()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_path_addressing() {
        assert_eq!(
            fold("/v1.0/drives/b!x/root:/a/b%20c.txt:/content").as_deref(),
            Some("/v1.0/drives/b!x/items/root:%2Fa%2Fb%20c.txt/content")
        );
        assert_eq!(
            fold("/v1.0/drives/b!x/root:/a/Delta").as_deref(),
            Some("/v1.0/drives/b!x/items/root:%2Fa%2FDelta")
        );
        assert_eq!(
            fold("/v1.0/drives/d/items/01ABC:/new.txt:/createUploadSession").as_deref(),
            Some("/v1.0/drives/d/items/01ABC:%2Fnew.txt/createUploadSession")
        );
        assert_eq!(
            fold("/v1.0/sites/contoso.sharepoint.com:/sites/team:/lists").as_deref(),
            Some("/v1.0/sites/contoso.sharepoint.com:%2Fsites%2Fteam/lists")
        );
        assert_eq!(
            fold("/v1.0/sites/contoso.sharepoint.com:/").as_deref(),
            Some("/v1.0/sites/contoso.sharepoint.com:%2F")
        );
        assert_eq!(
            fold("/v1.0/drives/d/items/root:/a:/content").as_deref(),
            Some("/v1.0/drives/d/items/root:%2Fa/content")
        );
        assert_eq!(fold("/v1.0/drives/d/root/children"), None);
        assert_eq!(fold("/v1.0/users/a/messages"), None);
        assert_eq!(split_key("root:/a/b"), ("root", vec!["a", "b"]));
        assert_eq!(split_key("01X"), ("01X", vec![]));
    }
}
