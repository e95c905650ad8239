//! Reading messages' MIME while the folder's next pages are listed: a pipeline of
//! downloads that keeps the mailbox's request slots busy across page boundaries.

use std::future::Future;
use std::sync::Arc;

use futures::StreamExt;
use futures::future::BoxFuture;
use futures::stream::FuturesUnordered;
use graph::GraphError;
use reqwest::Method;
use serde_json::Value;
use store::{ItemInfo, ItemRecord};

use super::collection::id_segment;
use super::{Failure, MailboxRun};
use crate::context::{Progress, RunContext, parse_time, reservation_kib};
use crate::limiter::ResourceLimiter;

/// Downloads queued beyond the four in flight before the listing waits for them.
pub(crate) const IN_FLIGHT: usize = 16;

/// A message's metadata and what reading it gave.
pub(crate) type Fetched = (Value, Result<Option<ItemRecord>, Failure>);

/// What a download needs, apart from the mailbox task (which keeps listing).
pub(crate) struct Fetcher<'a> {
    ctx: &'a RunContext,
    limiter: Arc<ResourceLimiter>,
    user_id: String,
    resource: String,
}

impl<'a> MailboxRun<'a> {
    /// What downloads of this mailbox need, borrowing nothing of the task.
    pub(crate) fn fetcher(&self) -> Fetcher<'a> {
        Fetcher {
            ctx: self.ctx,
            limiter: Arc::clone(&self.limiter),
            user_id: self.mailbox.id.clone(),
            resource: self.mailbox.upn.clone(),
        }
    }
}

impl Fetcher<'_> {
    /// Reads one message's MIME into the repository. `None`: it no longer exists.
    async fn fetch(&self, meta: &Value, path: &str) -> Result<Option<ItemRecord>, Failure> {
        let id = meta.get("id").and_then(Value::as_str).unwrap_or_default();
        let url = format!("/users/{}/messages/{}/$value", self.user_id, id_segment(id));
        let info = ItemInfo {
            resource: self.resource.clone(),
            kind: "mail".into(),
            id: id.to_owned(),
            path: path.to_owned(),
            modified: parse_time(meta.get("lastModifiedDateTime")),
            meta: meta.clone(),
        };
        let mut attempt = 0;
        loop {
            attempt += 1;
            let _slot = self.limiter.acquire().await;
            let mut response = match self.ctx.graph.send(Method::GET, &url, None, &[]).await {
                Ok(r) => r,
                Err(e) if e.status() == Some(404) => return Ok(None),
                Err(e) => return Err(Failure::Resource(e)),
            };
            let kib = reservation_kib(response.content_length());
            // The budget is never closed.
            let Ok(_memory) = self.ctx.memory.acquire_many(kib).await else {
                return Err(Failure::Fatal(crate::error::EngineError::Task(
                    "the download budget was closed".into(),
                )));
            };
            let mut item = self.ctx.writer.item(info.clone());
            let mut broken = None;
            loop {
                match response.chunk().await {
                    Ok(Some(bytes)) => {
                        Progress::add(&self.ctx.progress.bytes_read, bytes.len() as u64);
                        item.write(&bytes).await?;
                    }
                    Ok(None) => break,
                    Err(e) => {
                        broken = Some(e);
                        break;
                    }
                }
            }
            match broken {
                None => {
                    Progress::add(&self.ctx.progress.items_read, 1);
                    return Ok(Some(item.finish_unlisted().await?));
                }
                Some(e) if attempt < 3 => {
                    tracing::info!(mailbox = %self.resource, id, error = %e, "message download broke off; reading it again");
                }
                Some(e) => {
                    return Err(Failure::Resource(GraphError::Transport {
                        url: url.clone(),
                        message: e.to_string(),
                        retryable: true,
                    }));
                }
            }
        }
    }
}

/// Downloads in progress, and those finished but not yet listed.
pub(crate) struct Pipeline<'f> {
    fetcher: &'f Fetcher<'f>,
    inflight: FuturesUnordered<BoxFuture<'f, Fetched>>,
    done: Vec<Fetched>,
}

impl<'f> Pipeline<'f> {
    /// An empty pipeline.
    pub(crate) fn new(fetcher: &'f Fetcher<'f>) -> Self {
        Pipeline {
            fetcher,
            inflight: FuturesUnordered::new(),
            done: Vec::new(),
        }
    }

    /// Queues a download (it starts when polled, within the mailbox's limits).
    pub(crate) fn push(&mut self, meta: Value, path: String) {
        let fetcher = self.fetcher;
        self.inflight.push(Box::pin(async move {
            let r = fetcher.fetch(&meta, &path).await;
            (meta, r)
        }));
    }

    /// Runs `fut` while the downloads go on.
    pub(crate) async fn while_running<T>(&mut self, fut: impl Future<Output = T>) -> T {
        tokio::pin!(fut);
        loop {
            tokio::select! {
                biased;
                out = &mut fut => return out,
                Some(done) = self.inflight.next(), if !self.inflight.is_empty() => self.done.push(done),
            }
        }
    }

    /// Waits until at most `n` downloads are left.
    pub(crate) async fn drain_to(&mut self, n: usize) {
        while self.inflight.len() > n {
            match self.inflight.next().await {
                Some(done) => self.done.push(done),
                None => break,
            }
        }
    }

    /// The finished downloads so far.
    pub(crate) fn take_done(&mut self) -> Vec<Fetched> {
        std::mem::take(&mut self.done)
    }
}
