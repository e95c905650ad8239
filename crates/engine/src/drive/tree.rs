//! A drive's folder tree, rebuilt from the parent references delta gives (delta
//! leaves out paths), so that a renamed or moved folder moves everything under it
//! even though delta does not report the children again.

use std::collections::HashMap;

/// Folders by id: their parent and name.
#[derive(Debug, Default)]
pub(crate) struct Tree {
    folders: HashMap<String, (Option<String>, String)>,
    root: Option<String>,
    /// The root's path: `/` for a OneDrive, `/<library>` for a site's library.
    prefix: String,
}

impl Tree {
    /// An empty tree whose root is at `prefix` (empty or `/`: the resource's root).
    pub(crate) fn new(prefix: &str) -> Self {
        Tree {
            prefix: prefix.trim_end_matches('/').to_owned(),
            ..Tree::default()
        }
    }

    /// Notes the drive's root folder.
    pub(crate) fn set_root(&mut self, id: &str) {
        self.root = Some(id.to_owned());
    }

    /// Adds or moves a folder.
    pub(crate) fn folder(&mut self, id: &str, parent: Option<&str>, name: &str) {
        self.folders
            .insert(id.to_owned(), (parent.map(str::to_owned), name.to_owned()));
    }

    /// The path of every folder that hangs from the root, by id.
    pub(crate) fn paths(&self) -> HashMap<String, String> {
        let mut out: HashMap<String, String> = HashMap::new();
        let root_path = if self.prefix.is_empty() {
            "/".to_owned()
        } else {
            self.prefix.clone()
        };
        if let Some(root) = &self.root {
            out.insert(root.clone(), root_path.clone());
        }
        for id in self.folders.keys() {
            if out.contains_key(id) {
                continue;
            }
            // Walk up to a folder whose path is known, then come back down.
            let mut chain = vec![id.as_str()];
            let mut at = id.as_str();
            let base = loop {
                let Some((parent, _)) = self.folders.get(at) else {
                    break None;
                };
                let Some(parent) = parent.as_deref() else {
                    break None;
                };
                if let Some(p) = out.get(parent) {
                    break Some(p.clone());
                }
                if chain.contains(&parent) || chain.len() > self.folders.len() {
                    break None;
                }
                chain.push(parent);
                at = parent;
            };
            let Some(mut path) = base else {
                continue;
            };
            for folder in chain.into_iter().rev() {
                let name = self.folders.get(folder).map(|f| f.1.as_str()).unwrap_or("");
                path = join(&path, name);
                out.insert(folder.to_owned(), path.clone());
            }
        }
        out
    }
}

/// `parent/name`, without doubling the root's slash.
pub(crate) fn join(parent: &str, name: &str) -> String {
    if parent.ends_with('/') {
        format!("{parent}{name}")
    } else {
        format!("{parent}/{name}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_follow_parents_and_renames() {
        let mut t = Tree::new("");
        t.set_root("r");
        t.folder("b", Some("a"), "B");
        t.folder("a", Some("r"), "A");
        t.folder("c", Some("b"), "C d#%");
        let p = t.paths();
        assert_eq!(p["r"], "/");
        assert_eq!(p["c"], "/A/B/C d#%");
        // Renaming A moves everything under it.
        t.folder("a", Some("r"), "Renamed");
        assert_eq!(t.paths()["c"], "/Renamed/B/C d#%");
    }

    #[test]
    fn library_prefix_and_orphans() {
        let mut t = Tree::new("/Documents");
        t.set_root("r");
        t.folder("a", Some("r"), "A");
        t.folder("x", Some("gone"), "X");
        t.folder("l1", Some("l2"), "L1");
        t.folder("l2", Some("l1"), "L2");
        let p = t.paths();
        assert_eq!(p["a"], "/Documents/A");
        assert!(
            !p.contains_key("x"),
            "a folder whose parent is gone has no path"
        );
        assert!(!p.contains_key("l1"), "a loop has no path");
    }
}
