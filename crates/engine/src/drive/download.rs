//! Streaming a file from OneDrive or SharePoint into the repository.
//!
//! `GET …/content` answers 302 with a pre-authenticated URL; the bytes are read
//! from there in one stream, and when the connection drops the stream resumes
//! with `Range: bytes=N-` where it broke off. A URL that has expired (401, 403 or
//! 410) is replaced by a new one from Graph. Nothing of the file is held beyond
//! what the store's chunker needs, so a 10 GB file costs what a 10 MB one does.
//! The bytes are checked against the `quickXorHash` and size Graph listed.

use std::time::Duration;

use graph::GraphError;
use model::quickxor::QuickXor;
use reqwest::Method;
use store::{ItemInfo, ItemRecord};

use super::Failure;
use crate::context::{Progress, RunContext, reservation_kib};
use crate::limiter::ResourceUnits;

/// How long a download may go without a byte before it is resumed.
const STALL: Duration = Duration::from_secs(60);
/// The longest one download request may take (a stream that keeps moving is never cut).
const REQUEST_TIMEOUT: Duration = Duration::from_secs(24 * 3600);
/// New download URLs asked for per file before giving up.
const MAX_RENEWALS: u32 = 10;
/// Broken connections per file before giving up.
const MAX_BREAKS: u32 = 20;

/// What Graph said the file holds, to check the bytes against.
#[derive(Debug, Clone, Default)]
pub(crate) struct Expected {
    /// Its size.
    pub size: Option<u64>,
    /// Its QuickXorHash (base64).
    pub quickxor: Option<String>,
}

/// A pre-authenticated URL for `content_path`; `None` when the item is gone.
async fn download_url(
    ctx: &RunContext,
    ru: &ResourceUnits,
    content_path: &str,
) -> Result<Option<String>, GraphError> {
    ru.spend(1).await;
    let response = match ctx.graph.send(Method::GET, content_path, None, &[]).await {
        Ok(r) => r,
        Err(e) if e.status() == Some(404) => return Ok(None),
        Err(e) => return Err(e),
    };
    let location = response
        .headers()
        .get(reqwest::header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    match location {
        Some(url) if response.status().is_redirection() => Ok(Some(url)),
        _ => Err(GraphError::Decode {
            path: content_path.to_owned(),
            message: format!(
                "expected a redirect to a download URL, got status {}",
                response.status().as_u16()
            ),
        }),
    }
}

/// How one pass over the download URL ended.
enum Pass {
    /// Every byte arrived.
    Complete,
    /// The connection broke at the current offset.
    Broken(String),
    /// The URL is no longer valid.
    Expired,
    /// The item is gone.
    Gone,
}

/// Reads the content at `content_path` into the repository as `info`. `Ok(None)`:
/// the item no longer exists.
pub(crate) async fn download(
    ctx: &RunContext,
    ru: &ResourceUnits,
    content_path: &str,
    info: &ItemInfo,
    expected: &Expected,
) -> Result<Option<ItemRecord>, Failure> {
    let kib = reservation_kib(expected.size);
    let Ok(_memory) = ctx.memory.acquire_many(kib).await else {
        return Err(Failure::Fatal(crate::error::EngineError::Task(
            "the download budget was closed".into(),
        )));
    };
    let mut attempt = 0;
    loop {
        attempt += 1;
        let Some(mut url) = download_url(ctx, ru, content_path).await? else {
            return Ok(None);
        };
        let mut item = ctx.writer.item(info.clone());
        let mut hasher = QuickXor::new();
        let mut offset = 0u64;
        let (mut breaks, mut renewals) = (0u32, 0u32);
        loop {
            match pass(ctx, ru, &url, &mut offset, &mut hasher, &mut item, expected).await? {
                Pass::Complete => break,
                Pass::Gone => return Ok(None),
                Pass::Broken(why) => {
                    breaks += 1;
                    if breaks > MAX_BREAKS {
                        return Err(Failure::Resource(GraphError::Transport {
                            url: content_path.to_owned(),
                            message: format!("the download broke off {breaks} times: {why}"),
                            retryable: true,
                        }));
                    }
                    tracing::info!(path = content_path, offset, error = %why, "download broke off; resuming where it stopped");
                    tokio::time::sleep(Duration::from_millis(200 * u64::from(breaks.min(10))))
                        .await;
                }
                Pass::Expired => {
                    renewals += 1;
                    if renewals > MAX_RENEWALS {
                        return Err(Failure::Resource(GraphError::Transport {
                            url: content_path.to_owned(),
                            message: "download URLs kept expiring".into(),
                            retryable: true,
                        }));
                    }
                    tracing::info!(
                        path = content_path,
                        offset,
                        "download URL expired; asking for a new one"
                    );
                    match download_url(ctx, ru, content_path).await? {
                        Some(u) => url = u,
                        None => return Ok(None),
                    }
                }
            }
        }
        let size_ok = expected.size.is_none_or(|s| s == offset);
        let hash_ok = expected
            .quickxor
            .as_deref()
            .is_none_or(|h| h == hasher.finish_base64());
        if size_ok && hash_ok {
            Progress::add(&ctx.progress.items_read, 1);
            return Ok(Some(item.finish_unlisted().await?));
        }
        let message = format!(
            "the downloaded bytes ({offset} bytes) do not match the size ({:?}) or quickXorHash Graph listed",
            expected.size
        );
        if attempt >= 2 {
            return Err(Failure::Resource(GraphError::Decode {
                path: content_path.to_owned(),
                message,
            }));
        }
        tracing::warn!(path = content_path, "{message}; reading the file again");
    }
}

/// One request to the download URL from `offset` on, streamed into `item`.
async fn pass(
    ctx: &RunContext,
    ru: &ResourceUnits,
    url: &str,
    offset: &mut u64,
    hasher: &mut QuickXor,
    item: &mut store::ItemWriter<'_>,
    expected: &Expected,
) -> Result<Pass, Failure> {
    if expected.size.is_some_and(|s| *offset >= s) && *offset > 0 {
        return Ok(Pass::Complete);
    }
    let range = format!("bytes={offset}-");
    let headers: Vec<(&str, &str)> = if *offset > 0 {
        vec![("Range", range.as_str())]
    } else {
        Vec::new()
    };
    ru.spend(1).await;
    let mut response = match ctx.graph.fetch_url(url, &headers, REQUEST_TIMEOUT).await {
        Ok(r) => r,
        Err(e) => {
            return match e.status() {
                Some(401 | 403 | 410) => Ok(Pass::Expired),
                Some(404) => Ok(Pass::Gone),
                Some(416) if expected.size == Some(*offset) => Ok(Pass::Complete),
                Some(_) => Err(Failure::Resource(e)),
                None => Ok(Pass::Broken(e.to_string())),
            };
        }
    };
    // A server that ignored the range sends the whole file: skip what we have.
    let mut skip = if *offset > 0 && response.status() == reqwest::StatusCode::OK {
        *offset
    } else {
        0
    };
    if response.status() == reqwest::StatusCode::PARTIAL_CONTENT {
        let start = response
            .headers()
            .get(reqwest::header::CONTENT_RANGE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("bytes "))
            .and_then(|v| v.split('-').next())
            .and_then(|v| v.parse::<u64>().ok());
        if start != Some(*offset) {
            return Err(Failure::Resource(GraphError::Decode {
                path: url.split('?').next().unwrap_or_default().to_owned(),
                message: format!(
                    "asked for bytes from {offset}, got a range starting at {start:?}"
                ),
            }));
        }
    }
    loop {
        let chunk = match tokio::time::timeout(STALL, response.chunk()).await {
            Ok(Ok(Some(c))) => c,
            Ok(Ok(None)) => break,
            Ok(Err(e)) => return Ok(Pass::Broken(graph::without_url(&e))),
            Err(_) => return Ok(Pass::Broken(format!("no data for {STALL:?}"))),
        };
        let mut bytes = &chunk[..];
        if skip > 0 {
            let n = (skip as usize).min(bytes.len());
            bytes = &bytes[n..];
            skip -= n as u64;
        }
        if bytes.is_empty() {
            continue;
        }
        hasher.update(bytes);
        item.write(bytes).await?;
        *offset += bytes.len() as u64;
        Progress::add(&ctx.progress.bytes_read, bytes.len() as u64);
    }
    match expected.size {
        // The stream ended cleanly but short: resume.
        Some(s) if *offset < s => Ok(Pass::Broken(format!(
            "the response ended at byte {offset} of {s}"
        ))),
        _ => Ok(Pass::Complete),
    }
}
