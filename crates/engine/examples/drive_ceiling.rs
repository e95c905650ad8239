//! The ceiling of a drive backup: every file of users' OneDrives read over HTTP
//! (`/content`, then the download URL) with no processing at all, 32 at a time,
//! as `bench/drives.sh` compares m365vault against.
//!
//! `drive_ceiling GRAPH_URL AUTHORITY_URL TENANT CLIENT_ID SECRET_FILE UPN[,UPN…]`

use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::StreamExt;
use graph::credential::{AppCredential, Credential};
use graph::identity::IdentityClient;
use graph::{AppTokenSource, GraphClient, HttpOptions};
use model::wire::Page;
use model::{Cloud, Guid, TenantId};
use secrecy::SecretString;
use serde_json::Value;

type Error = Box<dyn std::error::Error + Send + Sync>;

#[tokio::main]
async fn main() -> Result<(), Error> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [graph_url, authority, tenant, client, secret_file, upn] = args.as_slice() else {
        return Err(
            "usage: drive_ceiling GRAPH_URL AUTHORITY_URL TENANT CLIENT_ID SECRET_FILE UPN".into(),
        );
    };
    let cloud = Cloud::from_urls(Some(authority), Some(graph_url))?;
    let http = graph::http::build(&HttpOptions::default())?;
    let credential = AppCredential {
        tenant: TenantId::parse(tenant)?,
        client_id: Guid::parse(client, "client id")?,
        credential: Credential::Secret(SecretString::from(
            std::fs::read_to_string(secret_file)?.trim().to_owned(),
        )),
    };
    let tokens = Arc::new(AppTokenSource::new(
        IdentityClient::new(http.clone(), cloud.clone()),
        credential,
    ));
    let graph = GraphClient::new(http, &cloud, tokens);
    let mut files = Vec::new();
    for upn in upn.split(',') {
        let drive: Value = graph.get(&format!("/users/{upn}/drive")).await?;
        let drive_id = drive["id"].as_str().ok_or("no drive id")?.to_owned();
        let mut link = format!("/drives/{drive_id}/root/delta");
        loop {
            let page: Page<Value> = graph.get(&link).await?;
            for item in page.value {
                if item.get("file").is_some() && item.get("deleted").is_none() {
                    let id = item["id"].as_str().unwrap_or_default().to_owned();
                    files.push((drive_id.clone(), id));
                }
            }
            match page.next_link {
                Some(next) => link = next,
                None => break,
            }
        }
    }
    let start = Instant::now();
    let results: Vec<Result<u64, Error>> = futures::stream::iter(files.iter())
        .map(|(drive_id, id)| {
            let graph = &graph;
            async move {
                let r = graph
                    .send(
                        reqwest::Method::GET,
                        &format!("/drives/{drive_id}/items/{id}/content"),
                        None,
                        &[],
                    )
                    .await?;
                let url = r
                    .headers()
                    .get("location")
                    .and_then(|v| v.to_str().ok())
                    .ok_or("no download URL")?
                    .to_owned();
                let mut body = graph
                    .fetch_url(&url, &[], Duration::from_secs(86_400))
                    .await?;
                let mut n = 0u64;
                while let Some(chunk) = body.chunk().await? {
                    n += chunk.len() as u64;
                }
                Ok(n)
            }
        })
        .buffer_unordered(32)
        .collect()
        .await;
    let seconds = start.elapsed().as_secs_f64();
    let mut bytes = 0;
    for r in results {
        bytes += r?;
    }
    println!(
        "{}",
        serde_json::json!({"files": files.len(), "bytes": bytes, "seconds": seconds})
    );
    Ok(())
}
