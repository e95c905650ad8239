//! Ingest benchmark: stores every file under a folder as one item of a run.
//!
//! ```text
//! M365VAULT_PASSPHRASE=… ingest REPO_DIR DATA_DIR [--init] [--concurrency N] [--read-size BYTES]
//!                                 [--skip-unchanged] [--blocking-threads N]
//! ```
//!
//! Each file becomes an item (resource = its first path component, kind `file`, id =
//! its path relative to DATA_DIR). Files are read in pieces of `--read-size` bytes
//! (1 MiB) with `tokio::fs`, and `--concurrency` items (4) are written at once, as the
//! backup engine writes several mailboxes at once; each item is its own tokio task,
//! so chunking runs on every worker thread. The folder is walked lazily, so memory does
//! not grow with the number of files. `--skip-unchanged` reads the latest run's item
//! list and, for a file whose size and modification time are unchanged, adds the old
//! record instead of reading the file (as the engine does for items a delta query does
//! not return, and as restic does with its parent snapshot). Prints one JSON line.
//! `bench/ingest.sh` runs it side by side with restic.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context, bail};
use m365vault_store::backend::fs::FsStore;
use m365vault_store::{
    BlobStore, InitOptions, ItemInfo, ItemRecord, Manifest, Repository, RunWriter, WriteOptions,
};
use secrecy::SecretString;
use time::OffsetDateTime;
use tokio::io::AsyncReadExt;

struct Args {
    repo: PathBuf,
    data: PathBuf,
    init: bool,
    concurrency: usize,
    read_size: usize,
    skip_unchanged: bool,
    blocking_threads: Option<usize>,
}

fn parse_args() -> anyhow::Result<Args> {
    let usage = "usage: ingest REPO_DIR DATA_DIR [--init] [--concurrency N] [--read-size BYTES] [--skip-unchanged] [--blocking-threads N]";
    let mut positional = Vec::new();
    let (mut init, mut concurrency, mut read_size) = (false, 4, 1024 * 1024);
    let (mut skip_unchanged, mut blocking_threads) = (false, None);
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--init" => init = true,
            "--skip-unchanged" => skip_unchanged = true,
            "--blocking-threads" => {
                blocking_threads = Some(args.next().context(usage)?.parse().context(usage)?);
            }
            "--concurrency" => {
                concurrency = args.next().context(usage)?.parse().context(usage)?;
            }
            "--read-size" => read_size = args.next().context(usage)?.parse().context(usage)?,
            "-h" | "--help" => {
                println!("{usage}");
                std::process::exit(0);
            }
            other if other.starts_with("--") => bail!("unknown option {other}\n{usage}"),
            _ => positional.push(PathBuf::from(arg)),
        }
    }
    let [repo, data] = <[PathBuf; 2]>::try_from(positional).map_err(|_| anyhow::anyhow!(usage))?;
    if concurrency == 0 || read_size == 0 || blocking_threads == Some(0) {
        bail!("--concurrency, --read-size and --blocking-threads must be at least 1");
    }
    Ok(Args {
        repo,
        data,
        init,
        concurrency,
        read_size,
        skip_unchanged,
        blocking_threads,
    })
}

/// Walks `root` depth-first in name order on a blocking thread, sending file paths
/// relative to `root` through a bounded channel.
fn walk(root: PathBuf) -> tokio::sync::mpsc::Receiver<anyhow::Result<PathBuf>> {
    let (tx, rx) = tokio::sync::mpsc::channel(256);
    tokio::task::spawn_blocking(move || {
        let mut stack = vec![PathBuf::new()];
        while let Some(rel) = stack.pop() {
            let entries = match std::fs::read_dir(root.join(&rel)) {
                Ok(entries) => entries,
                Err(e) => {
                    let _ = tx.blocking_send(Err(anyhow::anyhow!("{}: {e}", rel.display())));
                    return;
                }
            };
            let mut names: Vec<_> = entries.filter_map(Result::ok).collect();
            names.sort_by_key(|e| e.file_name());
            let mut dirs = Vec::new();
            for entry in names {
                let path = rel.join(entry.file_name());
                let Ok(file_type) = entry.file_type() else {
                    continue;
                };
                if file_type.is_dir() {
                    dirs.push(path);
                } else if file_type.is_file() && tx.blocking_send(Ok(path)).is_err() {
                    return; // the receiver stopped
                }
            }
            stack.extend(dirs.into_iter().rev());
        }
    });
    rx
}

/// The latest run's records by item id, for `--skip-unchanged`.
type Parent = HashMap<String, ItemRecord>;

async fn load_parent(repo: &Repository) -> anyhow::Result<Parent> {
    let mut latest: Option<Manifest> = None;
    for id in repo.list_manifests().await? {
        let manifest = repo.read_manifest(id).await?;
        if latest.as_ref().is_none_or(|l| manifest.started > l.started) {
            latest = Some(manifest);
        }
    }
    let mut parent = HashMap::new();
    if let Some(manifest) = latest {
        let mut items = repo.items(&manifest);
        while let Some(record) = items.next().await? {
            parent.insert(record.id.clone(), record);
        }
    }
    Ok(parent)
}

/// Stores one file; returns its size and whether it was unchanged since the parent run.
async fn store_file(
    run: &RunWriter,
    root: &Path,
    rel: &Path,
    read_size: usize,
    parent: &Parent,
) -> anyhow::Result<(u64, bool)> {
    let full = root.join(rel);
    let mut file = tokio::fs::File::open(&full)
        .await
        .with_context(|| format!("open {}", full.display()))?;
    let meta = file.metadata().await?;
    let modified = meta.modified().ok().map(OffsetDateTime::from);
    let id = rel.to_string_lossy().into_owned();
    if let Some(old) = parent.get(&id)
        && old.size == meta.len()
        && old.modified == modified
        && old.deleted.is_none()
    {
        run.add_record(old).await?;
        return Ok((old.size, true));
    }
    let resource = rel
        .components()
        .next()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut item = run.item(ItemInfo {
        resource,
        kind: "file".into(),
        path: id.clone(),
        id,
        modified,
        ..Default::default()
    });
    // No bigger than the file (plus one byte to see its end): most mails are small.
    let size = usize::try_from(meta.len()).unwrap_or(usize::MAX);
    let mut buf = vec![0u8; read_size.min(size.saturating_add(1))];
    let mut total = 0u64;
    loop {
        // Fill the buffer, so the store sees pieces of `read_size` bytes.
        let mut filled = 0;
        while filled < buf.len() {
            let n = file.read(&mut buf[filled..]).await?;
            if n == 0 {
                break;
            }
            filled += n;
        }
        if filled == 0 {
            break;
        }
        item.write(&buf[..filled]).await?;
        total += filled as u64;
        if filled < buf.len() {
            break;
        }
    }
    item.finish().await?;
    Ok((total, false))
}

fn main() -> anyhow::Result<()> {
    let args = parse_args()?;
    let mut runtime = tokio::runtime::Builder::new_multi_thread();
    runtime.enable_all();
    {
        let n = args
            .blocking_threads
            .unwrap_or_else(m365vault_store::blocking_threads);
        runtime.max_blocking_threads(n);
    }
    runtime.build()?.block_on(ingest(args))
}

async fn ingest(args: Args) -> anyhow::Result<()> {
    let pass = std::env::var("M365VAULT_PASSPHRASE")
        .context("set M365VAULT_PASSPHRASE to the repository's passphrase")?;
    let store: Arc<dyn BlobStore> = Arc::new(FsStore::new(&args.repo));
    let started = Instant::now();
    let repo = if args.init {
        Repository::init(store, SecretString::from(pass), InitOptions::default()).await?
    } else {
        Repository::open(store, SecretString::from(pass)).await?
    };
    let repo = Arc::new(repo);
    let parent = Arc::new(if args.skip_unchanged {
        load_parent(&repo).await?
    } else {
        Parent::new()
    });
    let run_id = format!("bench-{}", OffsetDateTime::now_utc().unix_timestamp());
    let run = Arc::new(
        RunWriter::start(
            Arc::clone(&repo),
            run_id,
            BTreeMap::new(),
            WriteOptions::default(),
        )
        .await?,
    );

    let (mut files, mut bytes, mut skipped) = (0u64, 0u64, 0u64);
    let mut count = |result: Result<anyhow::Result<(u64, bool)>, tokio::task::JoinError>| {
        let (n, unchanged) = result??;
        files += 1;
        bytes += n;
        skipped += u64::from(unchanged);
        anyhow::Ok(())
    };
    let mut tasks = tokio::task::JoinSet::new();
    let mut paths = walk(args.data.clone());
    while let Some(rel) = paths.recv().await {
        let rel = rel?;
        while tasks.len() >= args.concurrency {
            if let Some(done) = tasks.join_next().await {
                count(done)?;
            }
        }
        let (run, parent, root) = (Arc::clone(&run), Arc::clone(&parent), args.data.clone());
        let read_size = args.read_size;
        tasks.spawn(async move { store_file(&run, &root, &rel, read_size, &parent).await });
    }
    while let Some(done) = tasks.join_next().await {
        count(done)?;
    }
    let run = Arc::try_unwrap(run).map_err(|_| anyhow::anyhow!("the run is still in use"))?;
    let (_, manifest) = run.finish().await?;
    let seconds = started.elapsed().as_secs_f64();
    let line = serde_json::json!({
        "files": files,
        "bytes": bytes,
        "unchanged": skipped,
        "seconds": (seconds * 1000.0).round() / 1000.0,
        "mb_per_s": ((bytes as f64 / 1e6 / seconds) * 10.0).round() / 10.0,
        "new_chunks": manifest.stats.new_chunks,
        "new_bytes": manifest.stats.new_bytes,
        "stored_bytes": manifest.stats.stored_bytes,
        "concurrency": args.concurrency,
        "read_size": args.read_size,
    });
    println!("{line}");
    Ok(())
}
