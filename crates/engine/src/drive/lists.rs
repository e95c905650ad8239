//! A SharePoint list: its definition (with columns) and its items, each kept as
//! the canonical JSON of the item Graph returns with `$expand=fields`. Unchanged
//! items (same `eTag`) keep their stored chunks.

use std::collections::HashMap;

use model::wire::Page;
use serde_json::{Value, json};
use store::{ItemInfo, ItemRecord};

use super::{Failure, ResourceRun};
use crate::context::{parse_time, strip_annotations};
use crate::exchange::collection::canonical_json;

impl ResourceRun<'_> {
    /// Backs up the list `list` (Graph JSON) of site `site_id`.
    pub(crate) async fn list(&mut self, site_id: &str, list: Value) -> Result<(), Failure> {
        let ctx = self.ctx;
        let list_id = list
            .get("id")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        let name = list
            .get("displayName")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        let path = format!("/{name}");
        let mut priors: HashMap<String, ItemRecord> = self
            .priors
            .take_where(|p| p.container.as_deref() == Some(list_id.as_str()))
            .into_iter()
            .map(|r| (r.id.clone(), r))
            .collect();
        let base = format!("/sites/{site_id}/lists/{list_id}");
        self.ru.spend(2).await;
        let columns: Vec<Value> = ctx.graph.get_all(&format!("{base}/columns"), &[]).await?;
        let mut meta = strip_annotations(list);
        meta["listId"] = json!(list_id);
        meta["columns"] = Value::Array(columns.into_iter().map(strip_annotations).collect());
        priors.remove(&list_id);
        let record = self.meta_only("list", &list_id, &path, meta);
        self.push(record, false);
        let mut link = format!("{base}/items?$expand=fields&$top=200");
        loop {
            self.ru.spend(2).await;
            let page: Page<Value> = ctx.graph.get(&link).await?;
            for item in page.value {
                let id = item.get("id").and_then(Value::as_str).unwrap_or_default();
                let record_id = format!("{list_id}:{id}");
                let etag = item.get("eTag").and_then(Value::as_str);
                let meta = json!({
                    "id": id,
                    "listId": list_id,
                    "eTag": etag,
                    "createdDateTime": item.get("createdDateTime"),
                    "lastModifiedDateTime": item.get("lastModifiedDateTime"),
                    "webUrl": item.get("webUrl"),
                });
                let prior = priors.remove(&record_id);
                let same = prior.filter(|p| {
                    p.meta.get("eTag").and_then(Value::as_str) == etag
                        && etag.is_some()
                        && self.still_stored(&p.chunks)
                });
                let record = match same {
                    Some(p) => ItemRecord {
                        path: path.clone(),
                        meta,
                        ..p
                    },
                    None => {
                        let info = ItemInfo {
                            resource: self.resource.clone(),
                            kind: "listItem".into(),
                            id: record_id,
                            path: path.clone(),
                            modified: parse_time(item.get("lastModifiedDateTime")),
                            meta,
                        };
                        let mut w = ctx.writer.item(info);
                        w.write(&canonical_json(&item)).await?;
                        let r = w.finish_unlisted().await?;
                        self.journal(&r);
                        r
                    }
                };
                self.push(record, false);
            }
            self.checkpoint().await?;
            match page.next_link {
                Some(next) => link = next,
                None => break,
            }
        }
        for r in priors.into_values() {
            let d = self.deleted(&r);
            self.push(d, false);
        }
        Ok(())
    }
}
