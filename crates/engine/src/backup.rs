//! A backup run: resume or start, read every mailbox in scope in parallel, write
//! the manifest, then record the run, its item versions and its cursors in the
//! catalog. A run interrupted at any point is resumed by the next one.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::sync::Arc;
use std::time::Instant;

use catalog::{Catalog, CursorRecord, RunFilter, RunRecord, RunStatus};
use futures::StreamExt;
use graph::GraphClient;
use serde::Serialize;
use store::manifest::FailedItem;
use store::{ManifestId, Repository, RunOutcome, RunWriter, WriteOptions};
use time::OffsetDateTime;

use crate::baseline::{Baseline, data_kind};
use crate::checkpoint::Checkpointer;
use crate::context::{BackupOptions, Progress, RunContext};
use crate::directory::{DIRECTORY, DirectoryOutcome, backup_directory};
use crate::drive::{DriveOutcome, Site, backup_onedrive, onedrive_resource, site_resource};
use crate::error::EngineError;
use crate::exchange::{MailboxOutcome, backup_mailbox};
use crate::limiter::{Limits, ResourceUnits, Scheduler};
use crate::scope::Mailbox;
use crate::teams::channels::backup_team;
use crate::teams::chats::{backup_chat, discover as discover_chats};
use crate::teams::{
    ChatRef, Finished, SharedPacer, Team, TeamsPacer, chat_resource, team_resource,
};

/// What a backup run did (`backup run --json`).
#[derive(Debug, Clone, Serialize)]
pub struct BackupSummary {
    /// The run.
    pub run_id: String,
    /// `complete`, `partial` or `failed`.
    pub status: &'static str,
    /// Items listed in the run.
    pub items: u64,
    /// Their bytes.
    pub bytes: u64,
    /// Items (or whole parts of mailboxes) that could not be read.
    pub failed_items: u64,
    /// Graph responses that were 429 or 503.
    pub throttled: u64,
    /// Graph requests sent.
    pub requests: u64,
    /// Items read from Microsoft 365 (the rest were unchanged since the previous run).
    pub items_read: u64,
    /// Bytes new to the repository after deduplication and compression.
    pub stored_bytes: u64,
    /// Mailboxes backed up.
    pub mailboxes: u64,
    /// Requests sent to the busiest mailbox (what bounds the run under Microsoft's limits).
    pub busiest_mailbox_requests: u64,
    /// Seconds requests waited for their mailbox's budget on our side.
    pub limiter_wait_seconds: f64,
    /// Users in scope without an Exchange Online mailbox.
    pub without_mailbox: Vec<String>,
    /// OneDrives backed up.
    pub onedrives: u64,
    /// Users in scope without a OneDrive.
    pub without_onedrive: Vec<String>,
    /// SharePoint sites backed up (those that failed included).
    pub sites: u64,
    /// SharePoint and OneDrive resource units spent.
    pub resource_units: u64,
    /// The resource units per minute the run planned with.
    pub resource_units_per_minute: u32,
    /// Teams backed up.
    pub teams: u64,
    /// Chats backed up (each once, however many of its members are in scope).
    pub chats: u64,
    /// Users, groups and memberships recorded from the directory.
    pub directory_objects: u64,
    /// Whether this run continued an interrupted one.
    pub resumed: bool,
    /// Seconds the run took.
    pub seconds: f64,
    /// What failed, with Graph's error.
    pub failures: Vec<FailedItem>,
}

fn new_run_id(now: OffsetDateTime) -> String {
    let stamp = format!(
        "{:04}{:02}{:02}T{:02}{:02}{:02}Z",
        now.year(),
        u8::from(now.month()),
        now.day(),
        now.hour(),
        now.minute(),
        now.second()
    );
    format!("{stamp}-{:08x}", rand::random::<u32>())
}

/// Orders mailboxes by size, largest first: by the previous run's records where there
/// is one, otherwise by the item counts of their top-level mail folders (one request
/// each).
async fn largest_first(
    graph: &GraphClient,
    scheduler: &Scheduler,
    mailboxes: Vec<Mailbox>,
    baseline: &Baseline,
) -> Vec<Mailbox> {
    let sized: Vec<(u64, Mailbox)> = futures::stream::iter(mailboxes)
        .map(|m| async move {
            if let Some(w) = baseline.weight(&m.upn) {
                // About 300 bytes of item list per item.
                return (w / 300, m);
            }
            let url = format!(
                "/users/{}/mailFolders?$select=totalItemCount&$top=250",
                m.id
            );
            // Charged to the mailbox's budget like every other request to it.
            let limiter = scheduler.resource(&m.id);
            let _slot = limiter.acquire().await;
            let count = match graph
                .get::<model::wire::Page<serde_json::Value>>(&url)
                .await
            {
                Ok(page) => page
                    .value
                    .iter()
                    .filter_map(|f| f.get("totalItemCount").and_then(serde_json::Value::as_u64))
                    .sum(),
                Err(_) => 0,
            };
            (count, m)
        })
        .buffer_unordered(16)
        .collect()
        .await;
    let mut sized = sized;
    sized.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.upn.cmp(&b.1.upn)));
    sized.into_iter().map(|(_, m)| m).collect()
}

/// The manifest run `run_id` wrote, if it got that far.
async fn find_manifest(
    repo: &Repository,
    run_id: &str,
) -> Result<Option<(ManifestId, store::Manifest)>, EngineError> {
    for id in repo.list_manifests().await? {
        let m = repo.read_manifest(id).await?;
        if m.run_id == run_id {
            return Ok(Some((id, m)));
        }
    }
    Ok(None)
}

/// Where a backup writes.
pub struct Target {
    /// The repository.
    pub repo: Arc<Repository>,
    /// Its location as shown to people (recorded in the catalog).
    pub location: String,
    /// The catalog.
    pub catalog: Arc<dyn Catalog>,
}

/// Backs up `mailboxes`; `progress` is updated as it goes.
pub async fn backup(
    graph: GraphClient,
    target: &Target,
    mailboxes: Vec<Mailbox>,
    options: BackupOptions,
    progress: Arc<Progress>,
) -> Result<BackupSummary, EngineError> {
    let clock = Instant::now();
    let before = graph.counters();
    let catalog = Arc::clone(&target.catalog);
    let repo = Arc::clone(&target.repo);
    catalog::sync::record_repository(catalog.as_ref(), &repo, &target.location).await?;
    let repository_id = repo.config().id.to_hex();
    let runs = catalog
        .list_runs(&RunFilter {
            repository_id: Some(repository_id.clone()),
            connector: Some(options.connector.clone()),
            limit: Some(50),
            ..RunFilter::default()
        })
        .await?;
    let unfinished = runs
        .first()
        .filter(|r| r.kind == "backup" && r.manifest_id.is_none())
        .cloned();
    let now = OffsetDateTime::now_utc();
    // A run interrupted after its manifest was written but before the catalog heard of
    // it is finished: record it, and start a new run.
    let unfinished = match unfinished {
        Some(r) => match find_manifest(&repo, &r.id).await? {
            Some((id, manifest)) => {
                tracing::info!(run = %r.id, "the interrupted run had finished; recording it");
                catalog::sync::record_run(catalog.as_ref(), &repo, id, &manifest).await?;
                catalog.delete_job_checkpoints(&r.id).await?;
                None
            }
            None => Some(r),
        },
        None => None,
    };
    // The runs this one builds on, newest first (listed again: the interrupted run may
    // just have been recorded).
    let previous: Vec<ManifestId> = catalog
        .list_runs(&RunFilter {
            repository_id: Some(repository_id.clone()),
            connector: Some(options.connector.clone()),
            limit: Some(50),
            ..RunFilter::default()
        })
        .await?
        .into_iter()
        .filter(|r| matches!(r.status, RunStatus::Success | RunStatus::Partial))
        .filter_map(|r| {
            let hex = r.manifest_id?;
            match hex.parse::<ManifestId>() {
                Ok(id) => Some(id),
                Err(_) => {
                    tracing::warn!(manifest = hex, "the catalog names a manifest id that is not one; `m365vault repo rebuild-catalog` repairs it");
                    None
                }
            }
        })
        .collect();
    let resumed = unfinished.is_some();
    let (run_id, started) = match unfinished {
        Some(r) => {
            tracing::info!(run = %r.id, "resuming the interrupted run");
            (r.id, r.started_at)
        }
        None => {
            let run = RunRecord {
                id: new_run_id(now),
                repository_id: repository_id.clone(),
                connector: Some(options.connector.clone()),
                tenant_id: Some(options.tenant_id.clone()),
                kind: "backup".into(),
                status: RunStatus::Running,
                started_at: now,
                finished_at: None,
                manifest_id: None,
                stats: serde_json::json!({}),
            };
            catalog.insert_run(&run).await?;
            (run.id, now)
        }
    };
    let data = options.data;
    let mut resources: HashSet<String> = HashSet::new();
    if data.exchange() {
        resources.extend(mailboxes.iter().map(|m| m.upn.clone()));
    }
    if data.onedrive {
        resources.extend(mailboxes.iter().map(|m| onedrive_resource(&m.upn)));
    }
    let sites: Vec<Site> = if data.sharepoint {
        options.sites.clone()
    } else {
        Vec::new()
    };
    resources.extend(sites.iter().map(|s| site_resource(&s.id)));
    let pacer: SharedPacer = Arc::new(TeamsPacer::default());
    let teams: Vec<Team> = if data.teams {
        options.teams.clone()
    } else {
        Vec::new()
    };
    resources.extend(teams.iter().map(|t| team_resource(&t.id)));
    let (chats, chat_failures) = if data.chats {
        let users = options.chat_users.as_ref().unwrap_or(&mailboxes);
        discover_chats(&graph, &pacer, users).await
    } else {
        (Vec::new(), Vec::new())
    };
    resources.extend(chats.iter().map(|c| chat_resource(&c.id)));
    if data.directory {
        resources.insert(DIRECTORY.to_owned());
    }
    let baseline = Baseline::load_runs(&repo, &previous, &resources).await?;
    let mut labels = BTreeMap::new();
    labels.insert("connector".to_owned(), options.connector.clone());
    labels.insert("tenant".to_owned(), options.tenant_id.clone());
    labels.insert("kind".to_owned(), "backup".to_owned());
    // The kinds of data this run covers: the next runs take each kind's records from
    // the newest run that backed it up.
    let kinds: BTreeSet<&str> = resources.iter().map(|r| data_kind(r)).collect();
    labels.insert(
        "data".to_owned(),
        kinds.into_iter().collect::<Vec<_>>().join(","),
    );
    let writer = RunWriter::start_at(
        Arc::clone(&repo),
        run_id.clone(),
        labels,
        WriteOptions::default(),
        started,
    )
    .await?;
    let resource_units = Arc::new(if data.onedrive || data.sharepoint {
        resource_unit_budget(&graph, options.resource_units_per_minute).await
    } else {
        ResourceUnits::for_licences(0)
    });
    // Every request backs off together when SharePoint refuses one.
    let graph = graph.with_pacer(Arc::clone(&resource_units) as Arc<dyn graph::Pacer>);
    // The biggest mailboxes first: the run cannot end before the busiest one does.
    let scheduler = Scheduler::new(Limits::OUTLOOK);
    let mut tasks: Vec<Task> = Vec::new();
    let onedrives: Vec<Mailbox> = if data.onedrive {
        let mut users = mailboxes.clone();
        users.sort_by_key(|m| {
            std::cmp::Reverse(baseline.weight(&onedrive_resource(&m.upn)).unwrap_or(0))
        });
        users
    } else {
        Vec::new()
    };
    if data.exchange() {
        let mailboxes = largest_first(&graph, &scheduler, mailboxes, &baseline).await;
        tasks.extend(mailboxes.into_iter().map(Task::Mailbox));
    }
    tasks.extend(sites.iter().cloned().map(Task::Site));
    tasks.extend(teams.into_iter().map(Task::Team));
    tasks.extend(chats.into_iter().map(Task::Chat));
    if data.directory {
        tasks.push(Task::Directory);
    }
    tasks.extend(onedrives.into_iter().map(Task::OneDrive));
    progress
        .resources
        .store(tasks.len() as u64, std::sync::atomic::Ordering::Relaxed);
    let at_once = options.mailboxes_at_once.max(1);
    let ctx = RunContext {
        graph: graph.clone(),
        repo: Arc::clone(&repo),
        writer,
        catalog: Arc::clone(&catalog),
        run_id: run_id.clone(),
        baseline,
        checkpointer: Checkpointer::new(options.checkpoint_interval),
        scheduler,
        resource_units: Arc::clone(&resource_units),
        options: options.clone(),
        progress: Arc::clone(&progress),
        memory: Arc::new(tokio::sync::Semaphore::new(
            crate::context::MEMORY_BUDGET_KIB as usize,
        )),
        pacer: Arc::clone(&pacer),
    };
    let outcomes: Vec<(Task, Result<Outcome, EngineError>)> = futures::stream::iter(tasks)
        .map(|task| {
            let ctx = &ctx;
            async move {
                let r = task.run(ctx).await;
                (task, r)
            }
        })
        .buffer_unordered(at_once)
        .collect()
        .await;
    let mut failures: Vec<FailedItem> = chat_failures
        .into_iter()
        .map(|(upn, e)| FailedItem {
            resource: upn,
            id: "chats".into(),
            error: e.to_string(),
        })
        .collect();
    let mut cursors = Vec::new();
    let (mut team_count, mut chat_count, mut directory_objects) = (0, 0, 0);
    let mut without_mailbox = Vec::new();
    let mut without_onedrive = Vec::new();
    let (mut mailbox_count, mut onedrive_count, mut site_count) = (0, 0, 0);
    for (task, r) in outcomes {
        let resource = task.resource();
        match r {
            Ok(Outcome::Mailbox(o)) if o.no_mailbox => without_mailbox.push(resource),
            Ok(Outcome::Mailbox(o)) => {
                mailbox_count += 1;
                failures.extend(o.failed);
                cursors.extend(o.cursors.into_iter().map(|(s, c)| (resource.clone(), s, c)));
            }
            Ok(Outcome::Drive(o)) if o.missing => {
                if let Task::OneDrive(m) = &task {
                    without_onedrive.push(m.upn.clone());
                }
            }
            Ok(Outcome::Drive(o)) => {
                match task {
                    Task::Site(_) => site_count += 1,
                    _ => onedrive_count += 1,
                }
                failures.extend(o.failed);
                cursors.extend(o.cursors.into_iter().map(|(s, c)| (resource.clone(), s, c)));
            }
            Ok(Outcome::Conversation(o)) => {
                match task {
                    Task::Team(_) => team_count += 1,
                    _ => chat_count += 1,
                }
                failures.extend(o.failed);
                cursors.extend(o.cursors.into_iter().map(|(s, c)| (resource.clone(), s, c)));
            }
            Ok(Outcome::Directory(o)) => {
                directory_objects += o.items;
                failures.extend(o.failed);
            }
            Err(e) => {
                // The run cannot be completed; its checkpoints stay for the next one.
                let _ = catalog
                    .finish_run(
                        &run_id,
                        RunStatus::Failed,
                        OffsetDateTime::now_utc(),
                        None,
                        &serde_json::json!({"error": e.to_string()}),
                    )
                    .await;
                return Err(EngineError::RunFailed {
                    run_id: run_id.clone(),
                    source: Box::new(e),
                });
            }
        }
    }
    let busiest = ctx.scheduler.busiest().map(|(_, n)| n).unwrap_or(0);
    let limiter_wait = (ctx.scheduler.waited() + ctx.pacer.waited()).as_secs_f64();
    let RunContext { writer, .. } = ctx;
    for f in &failures {
        writer.add_failed(f.clone());
    }
    let (manifest_id, manifest) = writer.finish().await?;
    catalog::sync::record_run(catalog.as_ref(), &repo, manifest_id, &manifest).await?;
    let saved = OffsetDateTime::now_utc();
    for (resource, scope, cursor) in cursors {
        catalog
            .put_cursor(
                &options.connector,
                &resource,
                &scope,
                &CursorRecord {
                    cursor,
                    run_id: Some(run_id.clone()),
                    updated_at: saved,
                },
            )
            .await?;
    }
    catalog.delete_job_checkpoints(&run_id).await?;
    let after = graph.counters();
    Ok(BackupSummary {
        run_id,
        status: match manifest.outcome {
            RunOutcome::Complete => "complete",
            RunOutcome::Partial => "partial",
        },
        items: manifest.stats.items,
        bytes: manifest.stats.bytes,
        failed_items: manifest.failed.len() as u64,
        throttled: after.throttled - before.throttled,
        requests: after.requests - before.requests,
        items_read: Progress::get(&progress.items_read),
        stored_bytes: manifest.stats.stored_bytes,
        mailboxes: mailbox_count,
        busiest_mailbox_requests: busiest,
        limiter_wait_seconds: limiter_wait,
        without_mailbox,
        onedrives: onedrive_count,
        without_onedrive,
        sites: site_count,
        resource_units: resource_units.spent(),
        resource_units_per_minute: resource_units.per_minute(),
        teams: team_count,
        chats: chat_count,
        directory_objects,
        resumed,
        seconds: clock.elapsed().as_secs_f64(),
        failures: manifest.failed,
    })
}

/// One resource's task.
enum Task {
    Mailbox(Mailbox),
    OneDrive(Mailbox),
    Site(Site),
    Team(Team),
    Chat(ChatRef),
    Directory,
}

/// What a task produced.
enum Outcome {
    Mailbox(MailboxOutcome),
    Drive(DriveOutcome),
    Conversation(Finished),
    Directory(DirectoryOutcome),
}

impl Task {
    /// The resource's name in the run.
    fn resource(&self) -> String {
        match self {
            Task::Mailbox(m) => m.upn.clone(),
            Task::OneDrive(m) => onedrive_resource(&m.upn),
            Task::Site(s) => site_resource(&s.id),
            Task::Team(t) => team_resource(&t.id),
            Task::Chat(c) => chat_resource(&c.id),
            Task::Directory => DIRECTORY.to_owned(),
        }
    }

    async fn run(&self, ctx: &RunContext) -> Result<Outcome, EngineError> {
        let ru = ctx.resource_units.as_ref();
        match self {
            Task::Mailbox(m) => backup_mailbox(ctx, m).await.map(Outcome::Mailbox),
            Task::OneDrive(m) => backup_onedrive(ctx, ru, m).await.map(Outcome::Drive),
            Task::Site(s) => crate::drive::sites::backup_site(ctx, ru, s)
                .await
                .map(Outcome::Drive),
            Task::Team(t) => backup_team(ctx, &ctx.pacer, t)
                .await
                .map(Outcome::Conversation),
            Task::Chat(c) => backup_chat(ctx, &ctx.pacer, c)
                .await
                .map(Outcome::Conversation),
            Task::Directory => backup_directory(ctx).await.map(Outcome::Directory),
        }
    }
}

/// The tenant's SharePoint and OneDrive budget: `per_minute` when given, otherwise
/// the tier of its licence count (the enabled units of its subscriptions).
async fn resource_unit_budget(graph: &GraphClient, per_minute: Option<u32>) -> ResourceUnits {
    if let Some(m) = per_minute {
        return ResourceUnits::new(m, u64::from(m) * 960);
    }
    match graph
        .get::<model::wire::Page<serde_json::Value>>("/subscribedSkus")
        .await
    {
        Ok(page) => {
            let licences: u64 = page
                .value
                .iter()
                .filter_map(|s| {
                    s.pointer("/prepaidUnits/enabled")
                        .and_then(serde_json::Value::as_u64)
                })
                .sum();
            let budget = ResourceUnits::for_licences(licences);
            tracing::info!(
                licences,
                per_minute = budget.per_minute(),
                "SharePoint and OneDrive resource units sized from the tenant's licences"
            );
            budget
        }
        Err(e) => {
            tracing::warn!(error = %e, "cannot read the tenant's licences (/subscribedSkus); planning with the smallest SharePoint budget (1,250 resource units a minute)");
            ResourceUnits::for_licences(0)
        }
    }
}
