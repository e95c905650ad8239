//! Export of a OneDrive or a site as plain files: the tree as it was at the run,
//! each file with its bytes and modification time, each list item as JSON, and
//! the metadata Graph gave (ids, sharing, versions, columns) in one
//! `.m365vault-metadata.json` at the root (see docs/export-formats.md).

use std::path::{Path, PathBuf};

use serde_json::{Value, json};
use store::{ItemRecord, Manifest, Repository};
use tokio::io::AsyncWriteExt;

use super::ExportSummary;
use crate::browse::each_item;
use crate::context::parse_time;
use crate::error::EngineError;

/// The name of the metadata file at the root of a files export.
pub const METADATA_FILE: &str = ".m365vault-metadata.json";

/// A OneDrive or SharePoint name as a file name: kept as it is, except what no
/// file system takes (`/`, NUL, control characters, `.` and `..`), and cut to 255
/// bytes keeping the extension.
pub(crate) fn file_name(name: &str) -> String {
    let mut s: String = name
        .chars()
        .map(|c| {
            if c == '/' || c == '\\' || c.is_control() {
                '_'
            } else {
                c
            }
        })
        .collect();
    if s.is_empty() || s == "." || s == ".." {
        s = format!("_{s}");
    }
    if s.len() > 255 {
        let (stem, ext) = match s.rsplit_once('.') {
            Some((a, b)) if b.len() < 16 => (a.to_owned(), format!(".{b}")),
            _ => (s.clone(), String::new()),
        };
        let mut cut = 255 - ext.len();
        while !stem.is_char_boundary(cut.min(stem.len())) {
            cut -= 1;
        }
        s = format!("{}{ext}", &stem[..cut.min(stem.len())]);
    }
    s
}

/// A path of the resource (`/a/b`) as a relative file-system path.
fn relative(path: &str) -> PathBuf {
    path.split('/')
        .filter(|s| !s.is_empty())
        .map(file_name)
        .collect()
}

fn name_of(r: &ItemRecord) -> &str {
    r.meta
        .get("name")
        .and_then(Value::as_str)
        .unwrap_or(r.id.as_str())
}

/// Exports the files (and lists) of drive resource `resource` in `manifest` into
/// directory `out`.
pub(crate) async fn export_tree(
    repo: &Repository,
    manifest: &Manifest,
    resource: &str,
    out: &Path,
) -> Result<ExportSummary, EngineError> {
    let mut records = Vec::new();
    each_item(repo, manifest, |r| {
        if r.resource == resource && r.deleted.is_none() {
            records.push(r);
        }
    })
    .await?;
    if records.is_empty() {
        return Err(EngineError::NotFound(format!(
            "run {} holds nothing of '{resource}'; `m365vault ls {}` lists what it holds",
            manifest.run_id, manifest.run_id
        )));
    }
    records.sort_by(|a, b| (&a.kind, &a.path, &a.id).cmp(&(&b.kind, &b.path, &b.id)));
    let io = |what: String| EngineError::io(what);
    tokio::fs::create_dir_all(out)
        .await
        .map_err(io(format!("creating {}", out.display())))?;
    let mut summary = ExportSummary::default();
    let mut entries: Vec<Value> = Vec::new();
    for r in records.iter().filter(|r| r.kind == "folder") {
        let dir = out.join(relative(&r.path));
        tokio::fs::create_dir_all(&dir)
            .await
            .map_err(io(format!("creating {}", dir.display())))?;
        entries.push(json!({"kind": "folder", "path": r.path, "id": r.id, "meta": r.meta}));
    }
    for r in &records {
        let (rel, kind) = match r.kind.as_str() {
            "file" => (relative(&r.path).join(file_name(name_of(r))), "file"),
            "listItem" => {
                let id = r.meta.get("id").and_then(Value::as_str).unwrap_or(&r.id);
                (
                    relative(&r.path).join(format!("{}.json", file_name(id))),
                    "listItem",
                )
            }
            "fileVersion" | "list" | "site" | "driveItem" => {
                entries.push(json!({
                    "kind": r.kind, "path": r.path, "id": r.id, "size": r.size, "meta": r.meta,
                }));
                continue;
            }
            _ => continue,
        };
        let path = out.join(&rel);
        if let Some(parent) = path.parent() {
            tokio::fs::create_dir_all(parent)
                .await
                .map_err(io(format!("creating {}", parent.display())))?;
        }
        let mut file = tokio::fs::File::create(&path)
            .await
            .map_err(io(format!("creating {}", path.display())))?;
        if kind == "listItem" {
            let mut bytes = Vec::with_capacity(r.size as usize);
            repo.restore_item(r, &mut bytes).await?;
            let pretty = serde_json::from_slice::<Value>(&bytes)
                .ok()
                .and_then(|v| serde_json::to_vec_pretty(&v).ok())
                .unwrap_or(bytes);
            file.write_all(&pretty)
                .await
                .map_err(io(format!("writing {}", path.display())))?;
        } else {
            let mut w = tokio::io::BufWriter::with_capacity(1 << 20, &mut file);
            repo.restore_item(r, &mut w).await?;
            w.flush()
                .await
                .map_err(io(format!("writing {}", path.display())))?;
        }
        file.flush()
            .await
            .map_err(io(format!("writing {}", path.display())))?;
        let modified =
            parse_time(r.meta.pointer("/fileSystemInfo/lastModifiedDateTime")).or(r.modified);
        let std_file = file.into_std().await;
        if let Some(t) = modified {
            let when = std::time::SystemTime::from(t);
            // Timestamps are a courtesy: a file system that refuses them keeps the bytes.
            let _ = tokio::task::spawn_blocking(move || std_file.set_modified(when)).await;
        }
        summary.files += 1;
        summary.items += 1;
        summary.bytes += r.size;
        let rel_text = rel
            .components()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect::<Vec<_>>()
            .join("/");
        entries.push(json!({
            "kind": kind, "file": rel_text, "path": r.path, "id": r.id, "size": r.size, "meta": r.meta,
        }));
    }
    let metadata = json!({
        "format": "m365vault-export-metadata",
        "version": 1,
        "run": manifest.run_id,
        "resource": resource,
        "items": entries,
    });
    let path = out.join(METADATA_FILE);
    let bytes = serde_json::to_vec_pretty(&metadata).unwrap_or_default();
    tokio::fs::write(&path, bytes)
        .await
        .map_err(io(format!("writing {}", path.display())))?;
    summary.files += 1;
    Ok(summary)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_kept_unless_no_file_system_takes_them() {
        assert_eq!(
            file_name("Résumé #1 & {x} ~+,;=[].docx"),
            "Résumé #1 & {x} ~+,;=[].docx"
        );
        assert_eq!(file_name("a/b"), "a_b");
        assert_eq!(file_name(".."), "_..");
        let long = format!("{}.txt", "é".repeat(200));
        let cut = file_name(&long);
        assert!(cut.len() <= 255 && cut.ends_with(".txt"), "{cut}");
        assert_eq!(relative("/A/B c"), PathBuf::from("A").join("B c"));
    }
}
