//! Export: a mailbox of a run as standard files that other clients read — one
//! `.eml` per message, or one mboxrd file per folder; one iCalendar file per
//! calendar; one vCard file per contact folder — and a OneDrive or site as its
//! tree of files ([`files`]).

pub mod conversations;
pub mod files;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Serialize;
use store::{ItemRecord, Manifest, Repository};
use time::OffsetDateTime;
use tokio::io::AsyncWriteExt;

use crate::browse::each_item;
use crate::context::parse_time;
use crate::error::EngineError;

/// The file format of an export.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ExportFormat {
    /// One RFC 5322 file per message.
    Eml,
    /// One mboxrd file per folder.
    Mbox,
    /// One iCalendar (RFC 5545) file per calendar.
    Ics,
    /// One vCard 4.0 (RFC 6350) file per contact folder.
    Vcf,
    /// A drive's or site's files as they were, with `.m365vault-metadata.json`.
    Files,
}

impl ExportFormat {
    /// The item kind the format holds.
    pub fn kind(self) -> &'static str {
        match self {
            ExportFormat::Eml | ExportFormat::Mbox => "mail",
            ExportFormat::Ics => "event",
            ExportFormat::Vcf => "contact",
            ExportFormat::Files => "file",
        }
    }
}

impl std::str::FromStr for ExportFormat {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "eml" => Ok(ExportFormat::Eml),
            "mbox" => Ok(ExportFormat::Mbox),
            "ics" => Ok(ExportFormat::Ics),
            "vcf" => Ok(ExportFormat::Vcf),
            "files" | "zip" => Ok(ExportFormat::Files),
            other => Err(format!(
                "unknown export format '{other}'; use eml or mbox (mail), ics (calendars), vcf (contacts), or files or zip (OneDrive, SharePoint)"
            )),
        }
    }
}

/// What was exported.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ExportSummary {
    /// Files written.
    pub files: u64,
    /// Items exported.
    pub items: u64,
    /// Bytes of item content exported.
    pub bytes: u64,
}

/// A folder path as a relative file-system path: each segment made safe.
fn folder_dir(path: &str) -> PathBuf {
    let mut out = PathBuf::new();
    for seg in path.split('/').filter(|s| !s.is_empty()) {
        out.push(safe_name(&seg.replace("%2F", "-").replace("%25", "%")));
    }
    out
}

/// A file or directory name without separators, control characters or Windows'
/// reserved names.
fn safe_name(name: &str) -> String {
    let mut s: String = name
        .chars()
        .map(|c| match c {
            '/' | '\\' | ':' | '*' | '?' | '"' | '<' | '>' | '|' => '_',
            c if c.is_control() => '_',
            c => c,
        })
        .collect();
    s = s.trim_matches([' ', '.']).to_owned();
    let upper = s.to_ascii_uppercase();
    let stem = upper.split('.').next().unwrap_or_default();
    let reserved = matches!(stem, "CON" | "PRN" | "AUX" | "NUL")
        || ((stem.starts_with("COM") || stem.starts_with("LPT"))
            && stem.len() == 4
            && stem.as_bytes()[3].is_ascii_digit());
    if s.is_empty() || reserved {
        s = format!("_{s}");
    }
    s.chars().take(120).collect()
}

fn received(r: &ItemRecord) -> OffsetDateTime {
    parse_time(r.meta.get("receivedDateTime"))
        .or(r.modified)
        .unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

fn sender(r: &ItemRecord) -> String {
    r.meta
        .pointer("/from/emailAddress/address")
        .and_then(serde_json::Value::as_str)
        .unwrap_or("MAILER-DAEMON")
        .to_owned()
}

/// Exports the items of `resource` in `manifest` that `format` holds to directory
/// `out`, or, when `out` ends in `.zip`, into that zip file (written whole, then
/// renamed into place).
pub async fn export(
    repo: &Repository,
    manifest: &Manifest,
    resource: &str,
    format: ExportFormat,
    out: &Path,
) -> Result<ExportSummary, EngineError> {
    let is_zip = out
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("zip"));
    if !is_zip {
        return export_dir(repo, manifest, resource, format, out).await;
    }
    let parent = match out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_owned(),
        _ => PathBuf::from("."),
    };
    tokio::fs::create_dir_all(&parent)
        .await
        .map_err(EngineError::io(format!("creating {}", parent.display())))?;
    let staging = tempfile::Builder::new()
        .prefix(".m365vault-export-")
        .tempdir_in(&parent)
        .map_err(EngineError::io(format!(
            "creating a folder in {}",
            parent.display()
        )))?;
    let summary = export_dir(repo, manifest, resource, format, staging.path()).await?;
    let (root, target) = (staging.path().to_owned(), out.to_owned());
    tokio::task::spawn_blocking(move || zip_tree(&root, &target))
        .await
        .map_err(|e| EngineError::Task(e.to_string()))??;
    Ok(ExportSummary {
        files: 1,
        ..summary
    })
}

/// Writes every file under `root` into the zip file `out` (deflated).
fn zip_tree(root: &Path, out: &Path) -> Result<(), EngineError> {
    let what = || format!("writing {}", out.display());
    let partial = out.with_extension("zip.partial");
    let file = std::fs::File::create(&partial).map_err(EngineError::io(what()))?;
    let mut zip = zip::ZipWriter::new(std::io::BufWriter::new(file));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .large_file(true);
    let mut stack = vec![root.to_owned()];
    let mut files = Vec::new();
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).map_err(EngineError::io(what()))? {
            let path = entry.map_err(EngineError::io(what()))?.path();
            if path.is_dir() {
                stack.push(path);
            } else {
                files.push(path);
            }
        }
    }
    files.sort();
    for path in files {
        let name = path
            .strip_prefix(root)
            .unwrap_or(&path)
            .components()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect::<Vec<_>>()
            .join("/");
        zip.start_file(name, options)
            .map_err(|e| EngineError::io(what())(std::io::Error::other(e)))?;
        let mut input = std::fs::File::open(&path).map_err(EngineError::io(what()))?;
        std::io::copy(&mut input, &mut zip).map_err(EngineError::io(what()))?;
    }
    let writer = zip
        .finish()
        .map_err(|e| EngineError::io(what())(std::io::Error::other(e)))?;
    let file = writer
        .into_inner()
        .map_err(|e| EngineError::io(what())(e.into_error()))?;
    file.sync_all().map_err(EngineError::io(what()))?;
    std::fs::rename(&partial, out).map_err(EngineError::io(what()))
}

async fn export_dir(
    repo: &Repository,
    manifest: &Manifest,
    resource: &str,
    format: ExportFormat,
    out: &Path,
) -> Result<ExportSummary, EngineError> {
    let resource = resource.to_ascii_lowercase();
    if format == ExportFormat::Files {
        return files::export_tree(repo, manifest, &resource, out).await;
    }
    let mut by_folder: BTreeMap<String, Vec<ItemRecord>> = BTreeMap::new();
    let mut any = false;
    each_item(repo, manifest, |r| {
        if r.resource == resource {
            any = true;
            if r.kind == format.kind() {
                by_folder.entry(r.path.clone()).or_default().push(r);
            }
        }
    })
    .await?;
    if !any {
        return Err(EngineError::NotFound(format!(
            "run {} holds no mailbox '{resource}'; `m365vault ls {}` lists its mailboxes",
            manifest.run_id, manifest.run_id
        )));
    }
    tokio::fs::create_dir_all(out)
        .await
        .map_err(EngineError::io(format!("creating {}", out.display())))?;
    let mut summary = ExportSummary::default();
    for (folder, mut records) in by_folder {
        records.sort_by_key(received);
        match format {
            ExportFormat::Eml => {
                let dir = out.join(folder_dir(&folder));
                tokio::fs::create_dir_all(&dir)
                    .await
                    .map_err(EngineError::io(format!("creating {}", dir.display())))?;
                for r in &records {
                    let subject = r.meta.get("subject").and_then(serde_json::Value::as_str);
                    let name = formats::eml::eml_file_name(subject, received(r), &r.id);
                    let mut mime = Vec::with_capacity(r.size as usize);
                    repo.restore_item(r, &mut mime).await?;
                    let path = dir.join(name);
                    tokio::fs::write(&path, &mime)
                        .await
                        .map_err(EngineError::io(format!("writing {}", path.display())))?;
                    summary.files += 1;
                    summary.items += 1;
                    summary.bytes += mime.len() as u64;
                }
            }
            ExportFormat::Ics | ExportFormat::Vcf => {
                let mut entities = Vec::with_capacity(records.len());
                for r in &records {
                    let mut bytes = Vec::with_capacity(r.size as usize);
                    repo.restore_item(r, &mut bytes).await?;
                    summary.bytes += bytes.len() as u64;
                    let v: serde_json::Value = serde_json::from_slice(&bytes).map_err(|e| {
                        EngineError::NotFound(format!(
                            "item {} of {resource} is not JSON in the backup: {e}",
                            r.id
                        ))
                    })?;
                    entities.push(v);
                }
                let name = folder
                    .rsplit('/')
                    .next()
                    .map(|n| n.replace("%2F", "/").replace("%25", "%"))
                    .unwrap_or_default();
                let (text, problems, ext) = if format == ExportFormat::Ics {
                    let (t, p) = formats::ics::calendar_to_ics_lenient(&name, &entities);
                    (t, p, "ics")
                } else {
                    let (t, p) = formats::vcf::contacts_to_vcf_lenient(&entities);
                    (t, p, "vcf")
                };
                for p in &problems {
                    tracing::warn!(error = %p, "an item could not be exported and was left out");
                }
                let mut path = out.join(folder_dir(&folder));
                let file_name = format!(
                    "{}.{ext}",
                    path.file_name()
                        .map(|n| n.to_string_lossy().into_owned())
                        .unwrap_or_else(|| "items".into())
                );
                path.set_file_name(file_name);
                if let Some(parent) = path.parent() {
                    tokio::fs::create_dir_all(parent)
                        .await
                        .map_err(EngineError::io(format!("creating {}", parent.display())))?;
                }
                tokio::fs::write(&path, text.as_bytes())
                    .await
                    .map_err(EngineError::io(format!("writing {}", path.display())))?;
                summary.files += 1;
                summary.items += (entities.len() - problems.len()) as u64;
            }
            ExportFormat::Files => {}
            ExportFormat::Mbox => {
                let rel = folder_dir(&folder);
                let mut path = out.join(&rel);
                let file_name = format!(
                    "{}.mbox",
                    rel.file_name()
                        .map(|n| n.to_string_lossy().into_owned())
                        .unwrap_or_else(|| "mailbox".into())
                );
                path.set_file_name(file_name);
                if let Some(parent) = path.parent() {
                    tokio::fs::create_dir_all(parent)
                        .await
                        .map_err(EngineError::io(format!("creating {}", parent.display())))?;
                }
                let mut file = tokio::fs::File::create(&path)
                    .await
                    .map_err(EngineError::io(format!("creating {}", path.display())))?;
                for r in &records {
                    let mut mime = Vec::with_capacity(r.size as usize);
                    repo.restore_item(r, &mut mime).await?;
                    let mut w = formats::mbox::MboxWriter::new(Vec::with_capacity(mime.len() + 64));
                    w.add(&mime, &sender(r), received(r))
                        .map_err(EngineError::io("formatting mbox"))?;
                    let bytes = w.finish().map_err(EngineError::io("formatting mbox"))?;
                    file.write_all(&bytes)
                        .await
                        .map_err(EngineError::io(format!("writing {}", path.display())))?;
                    summary.items += 1;
                    summary.bytes += mime.len() as u64;
                }
                file.flush()
                    .await
                    .map_err(EngineError::io(format!("writing {}", path.display())))?;
                summary.files += 1;
            }
        }
    }
    Ok(summary)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_safe() {
        assert_eq!(safe_name("a/b:c"), "a_b_c");
        assert_eq!(safe_name("CON"), "_CON");
        assert_eq!(safe_name("com1.txt"), "_com1.txt");
        assert_eq!(safe_name(" .. "), "_");
        assert_eq!(
            folder_dir("/Inbox/a%2Fb"),
            PathBuf::from("Inbox").join("a-b")
        );
    }
}
