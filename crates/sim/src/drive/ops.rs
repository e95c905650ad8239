//! Changes to a drive: folders and files created, contents replaced (a new
//! version), items renamed, moved and deleted. Every change takes a new change
//! sequence number.

use axum::http::StatusCode;
use time::OffsetDateTime;

use super::content::Content;
use super::generate::{blank, unique_name};
use super::{Drive, FileData, Version};
use crate::failure::GraphFailure;

/// `@microsoft.graph.conflictBehavior`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Conflict {
    /// 409 `nameAlreadyExists`.
    Fail,
    /// Replace the existing item (a file gets a new version).
    Replace,
    /// Pick a free name: `name 1.ext`.
    Rename,
}

impl Conflict {
    /// Reads a conflict behaviour; `None` gives `default`.
    pub fn parse(value: Option<&str>, default: Conflict) -> Result<Conflict, GraphFailure> {
        match value.map(str::to_ascii_lowercase).as_deref() {
            None => Ok(default),
            Some("fail") => Ok(Conflict::Fail),
            Some("replace") => Ok(Conflict::Replace),
            Some("rename") => Ok(Conflict::Rename),
            Some(other) => Err(invalid_request(&format!(
                "Invalid value '{other}' for @microsoft.graph.conflictBehavior."
            ))),
        }
    }
}

/// 400 `invalidRequest`.
pub fn invalid_request(message: &str) -> GraphFailure {
    GraphFailure::new(StatusCode::BAD_REQUEST, "invalidRequest", message)
}

/// 409 `nameAlreadyExists`.
pub fn name_exists(name: &str) -> GraphFailure {
    GraphFailure::new(
        StatusCode::CONFLICT,
        "nameAlreadyExists",
        format!("The specified item name already exists. Name: {name}"),
    )
}

/// Client-supplied `fileSystemInfo` timestamps.
#[derive(Debug, Clone, Copy, Default)]
pub struct FsInfo {
    /// `createdDateTime`.
    pub created: Option<OffsetDateTime>,
    /// `lastModifiedDateTime`.
    pub modified: Option<OffsetDateTime>,
}

impl FsInfo {
    /// Reads `fileSystemInfo` from a JSON object (unknown or bad values ignored).
    pub fn from_json(v: Option<&serde_json::Value>) -> FsInfo {
        let parse = |k: &str| {
            v.and_then(|v| v.get(k))
                .and_then(serde_json::Value::as_str)
                .and_then(|s| {
                    OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339).ok()
                })
        };
        FsInfo {
            created: parse("createdDateTime"),
            modified: parse("lastModifiedDateTime"),
        }
    }
}

fn check_name(name: &str) -> Result<(), GraphFailure> {
    match super::names::invalid(name) {
        Some(why) => Err(invalid_request(&format!("Invalid name '{name}': {why}."))),
        None => Ok(()),
    }
}

fn check_folder(d: &Drive, parent: usize) -> Result<(), GraphFailure> {
    if d.items[parent].file.is_some() {
        return Err(invalid_request("The parent is not a folder."));
    }
    Ok(())
}

impl Drive {
    /// Deletes item `i` and everything below it.
    pub fn delete(&mut self, i: usize) {
        let doomed: Vec<usize> = (0..self.items.len())
            .filter(|&k| self.items[k].seqs.live() && self.within(k, i))
            .collect();
        for k in doomed {
            let seq = self.next_seq();
            let old = self.items[k].seqs.last();
            self.items[k].seqs.deleted = Some(seq);
            self.log.record(Some(old), seq, k);
        }
    }

    /// Resolves a name conflict under `parent`: the name to use, and an existing
    /// item to replace.
    fn resolve(
        &mut self,
        parent: usize,
        name: &str,
        conflict: Conflict,
        file: bool,
    ) -> Result<(String, Option<usize>), GraphFailure> {
        check_name(name)?;
        check_folder(self, parent)?;
        let Some(existing) = self.child(parent, name) else {
            return Ok((name.to_owned(), None));
        };
        match conflict {
            Conflict::Fail => Err(name_exists(name)),
            Conflict::Rename => Ok((unique_name(self, parent, name), None)),
            Conflict::Replace if file && self.items[existing].file.is_some() => {
                Ok((self.items[existing].name.clone(), Some(existing)))
            }
            Conflict::Replace => {
                self.delete(existing);
                Ok((name.to_owned(), None))
            }
        }
    }

    /// Creates a folder; returns it and whether it is new.
    pub fn create_folder(
        &mut self,
        parent: usize,
        name: &str,
        conflict: Conflict,
        now: OffsetDateTime,
        fs: FsInfo,
    ) -> Result<usize, GraphFailure> {
        let (name, _) = self.resolve(parent, name, conflict, false)?;
        let mut item = blank(&name, Some(parent), now, 0);
        item.fs_created = fs.created.unwrap_or(now);
        item.fs_modified = fs.modified.unwrap_or(now);
        Ok(self.push(item))
    }

    /// The folder at `path` below `parent`, creating missing folders.
    pub fn ensure_folders(
        &mut self,
        mut parent: usize,
        path: &[&str],
        now: OffsetDateTime,
    ) -> Result<usize, GraphFailure> {
        for name in path.iter().filter(|n| !n.is_empty()) {
            parent = match self.child(parent, name) {
                Some(c) if self.items[c].file.is_none() => c,
                Some(_) => return Err(name_exists(name)),
                None => self.create_folder(parent, name, Conflict::Fail, now, FsInfo::default())?,
            };
        }
        Ok(parent)
    }

    /// Writes a file named `name` under `parent`: a new item, or (with
    /// `replace`) a new version of the existing one. Returns the item and
    /// whether it is new.
    pub fn write_file(
        &mut self,
        parent: usize,
        name: &str,
        content: Content,
        conflict: Conflict,
        now: OffsetDateTime,
        fs: FsInfo,
    ) -> Result<(usize, bool), GraphFailure> {
        let (name, existing) = self.resolve(parent, name, conflict, true)?;
        if let Some(i) = existing {
            self.replace_content(i, content, now, fs);
            return Ok((i, false));
        }
        let mut item = blank(&name, Some(parent), now, 0);
        item.fs_created = fs.created.unwrap_or(now);
        item.fs_modified = fs.modified.unwrap_or(now);
        item.file = Some(FileData {
            content,
            number: 1,
            versions: Vec::new(),
        });
        Ok((self.push(item), true))
    }

    /// Makes `content` the new current version of file `i`.
    pub fn replace_content(&mut self, i: usize, content: Content, now: OffsetDateTime, fs: FsInfo) {
        let it = &mut self.items[i];
        if let Some(f) = &mut it.file {
            let old = std::mem::replace(&mut f.content, content);
            f.versions.push(Version {
                number: f.number,
                content: old,
                modified: it.modified,
                modified_by: it.modified_by,
            });
            f.number += 1;
        }
        it.modified = now;
        it.modified_by = 0;
        it.fs_modified = fs.modified.unwrap_or(now);
        if let Some(c) = fs.created {
            it.fs_created = c;
        }
        it.etag += 1;
        it.ctag += 1;
        self.record(i);
    }

    /// Renames and/or moves item `i`, and sets `fileSystemInfo` timestamps.
    pub fn update(
        &mut self,
        i: usize,
        name: Option<&str>,
        parent: Option<usize>,
        fs: FsInfo,
        now: OffsetDateTime,
    ) -> Result<(), GraphFailure> {
        if i == 0 && (name.is_some() || parent.is_some()) {
            return Err(invalid_request("The root cannot be renamed or moved."));
        }
        let target = parent.unwrap_or_else(|| self.items[i].parent.unwrap_or(0));
        let new_name = name.unwrap_or(&self.items[i].name).to_owned();
        if parent.is_some() {
            check_folder(self, target)?;
            if self.within(target, i) {
                return Err(invalid_request("An item cannot be moved into itself."));
            }
        }
        check_name(&new_name)?;
        if let Some(other) = self.child(target, &new_name)
            && other != i
        {
            return Err(name_exists(&new_name));
        }
        let it = &mut self.items[i];
        it.name = new_name;
        it.parent = Some(target).filter(|_| i != 0);
        if let Some(c) = fs.created {
            it.fs_created = c;
        }
        if let Some(m) = fs.modified {
            it.fs_modified = m;
        }
        it.modified = now;
        it.etag += 1;
        self.record(i);
        Ok(())
    }
}
