//! Starting and stopping a simulator: bind, generate the tenant, serve HTTP or HTTPS.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderValue, StatusCode, Uri};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto::Builder;
use hyper_util::service::TowerToHyperService;
use rustls_pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::config::SimConfig;
use crate::credentials::{AppCredentials, Credentials};
use crate::crypto::{self, CryptoError};
use crate::failure::{GraphFailure, REQUEST, RequestContext};
use crate::graph::{self, ByAppId};
use crate::identity::{self, IdentityState, signing::SigningKey};
use crate::state::{AppState, SimState};
use crate::support;
use crate::tenant::{self, Tenant};

/// Why a simulator could not start.
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    /// The address could not be bound.
    #[error(
        "cannot listen on {addr}: {source}; choose another address with --addr (127.0.0.1:0 picks a free port)"
    )]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// Why.
        source: std::io::Error,
    },
    /// Key or certificate generation failed.
    #[error(transparent)]
    Crypto(#[from] CryptoError),
    /// TLS could not be set up.
    #[error("cannot set up TLS: {0}")]
    Tls(String),
    /// A worker thread failed.
    #[error("simulator start-up failed: {0}")]
    Startup(String),
}

/// A running simulator.
pub struct SimServer {
    /// The bound address.
    pub addr: SocketAddr,
    /// `http://127.0.0.1:PORT` (or `https://…` with TLS).
    pub base_url: String,
    /// What a client needs to sign in.
    pub credentials: Credentials,
    /// The shared state (for tests that look inside).
    pub state: AppState,
    shutdown: Mutex<Option<oneshot::Sender<()>>>,
    task: Mutex<Option<JoinHandle<()>>>,
}

impl SimServer {
    /// Generates the tenant and starts serving on `addr`.
    pub async fn start(config: SimConfig, addr: SocketAddr) -> Result<SimServer, SimError> {
        let clock = config.clock();
        let now = clock.now();
        let (seed, users, tls) = (config.seed, config.users, config.tls);
        // RSA key generation is CPU work: keep it off the async workers.
        let (tenant, secrets, signing, tls_material) = tokio::task::spawn_blocking(move || {
            let (tenant, secrets) = tenant::generate(seed, users, now)?;
            let signing = SigningKey::generate(now)?;
            let tls_material = if tls {
                Some(crypto::tls_material(now)?)
            } else {
                None
            };
            Ok::<_, CryptoError>((tenant, secrets, signing, tls_material))
        })
        .await
        .map_err(|e| SimError::Startup(e.to_string()))??;

        let listener = TcpListener::bind(addr)
            .await
            .map_err(|source| SimError::Bind { addr, source })?;
        let addr = listener
            .local_addr()
            .map_err(|source| SimError::Bind { addr, source })?;
        let scheme = if tls_material.is_some() {
            "https"
        } else {
            "http"
        };
        let base_url = format!("{scheme}://{addr}");

        let credentials = credentials(
            &tenant,
            &secrets,
            &base_url,
            tls_material.as_ref().map(|m| m.ca_pem.clone()),
        );
        let identity = IdentityState {
            signing,
            flows: Default::default(),
        };
        let state: AppState = Arc::new(SimState::new(config, clock, tenant, identity));
        state.set_base_url(base_url.clone());
        let router = build_router(state.clone());
        state.set_router(router.clone());

        let acceptor = match tls_material {
            Some(m) => Some(tls_acceptor(&m)?),
            None => None,
        };
        let (tx, rx) = oneshot::channel();
        let task = tokio::spawn(serve(listener, router, acceptor, rx));
        tracing::info!(%base_url, "simulator listening");
        Ok(SimServer {
            addr,
            base_url,
            credentials,
            state,
            shutdown: Mutex::new(Some(tx)),
            task: Mutex::new(Some(task)),
        })
    }

    /// Stops accepting connections.
    pub async fn stop(&self) {
        let tx = self
            .shutdown
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take();
        if let Some(tx) = tx {
            let _ = tx.send(());
        }
        let task = self.task.lock().unwrap_or_else(|e| e.into_inner()).take();
        if let Some(task) = task {
            let _ = task.await;
        }
    }
}

impl Drop for SimServer {
    fn drop(&mut self) {
        if let Some(task) = self.task.lock().unwrap_or_else(|e| e.into_inner()).take() {
            task.abort();
        }
    }
}

fn credentials(
    t: &Tenant,
    secrets: &tenant::GeneratedSecrets,
    base_url: &str,
    ca_pem: Option<String>,
) -> Credentials {
    let mut apps = std::collections::BTreeMap::new();
    for a in &t.apps {
        let Some(name) = &a.name else { continue };
        let secret = a.secrets.first();
        let find = |list: &Vec<(String, String)>| {
            list.iter().find(|(n, _)| n == name).map(|(_, v)| v.clone())
        };
        apps.insert(
            name.clone(),
            AppCredentials {
                client_id: a.app_id.to_string(),
                client_secret: secret.map(|s| s.value.clone()),
                secret_id: secret.map(|s| s.key_id.to_string()),
                certificate_pem: find(&secrets.certificates),
                private_key_pem: find(&secrets.private_keys),
            },
        );
    }
    Credentials {
        tenant_id: t.id.to_string(),
        tenant_domain: t.domain.clone(),
        authority_url: base_url.to_owned(),
        graph_url: base_url.to_owned(),
        ca_pem,
        admin_user: t
            .users
            .first()
            .map(|u| u.user_principal_name.clone())
            .unwrap_or_default(),
        apps,
    }
}

fn tls_acceptor(m: &crypto::TlsMaterial) -> Result<tokio_rustls::TlsAcceptor, SimError> {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| SimError::Tls(e.to_string()))?
        .with_no_client_auth()
        .with_single_cert(
            vec![CertificateDer::from(m.server_cert_der.clone())],
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(m.server_key_der.clone())),
        )
        .map_err(|e| SimError::Tls(e.to_string()))?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(tokio_rustls::TlsAcceptor::from(Arc::new(config)))
}

async fn serve(
    listener: TcpListener,
    router: Router,
    tls: Option<tokio_rustls::TlsAcceptor>,
    mut shutdown: oneshot::Receiver<()>,
) {
    let service = tower::util::MapRequest::new(router, normalize::<hyper::body::Incoming>);
    // Responses marked by fault injection become connections dropped unanswered.
    let service = tower::ServiceExt::map_result(service, crate::faults::reset_to_error);
    loop {
        let (stream, _) = tokio::select! {
            _ = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    tracing::warn!(error = %e, "accept failed");
                    continue;
                }
            },
        };
        let service = TowerToHyperService::new(service.clone());
        let tls = tls.clone();
        tokio::spawn(async move {
            let builder = Builder::new(TokioExecutor::new());
            let result = match tls {
                Some(acceptor) => match acceptor.accept(stream).await {
                    Ok(s) => builder.serve_connection(TokioIo::new(s), service).await,
                    Err(e) => {
                        tracing::debug!(error = %e, "TLS handshake failed");
                        return;
                    }
                },
                None => {
                    builder
                        .serve_connection(TokioIo::new(stream), service)
                        .await
                }
            };
            if let Err(e) = result {
                tracing::debug!(error = %e, "connection ended with an error");
            }
        });
    }
}

/// Rewrites the path so routing matches Graph's case-insensitive segments and
/// `(appId='…')` alternate keys.
pub fn normalize<B>(mut req: axum::http::Request<B>) -> axum::http::Request<B> {
    let (path, by_app_id) = graph::normalize_path(req.uri().path());
    if path != req.uri().path() {
        let pq = match req.uri().query() {
            Some(q) => format!("{path}?{q}"),
            None => path,
        };
        if let Ok(uri) = pq.parse::<Uri>() {
            *req.uri_mut() = uri;
        }
    }
    if by_app_id {
        req.extensions_mut().insert(ByAppId);
    }
    req
}

/// The whole application: identity platform, Graph, `/_sim`.
pub fn build_router(state: AppState) -> Router {
    Router::new()
        .merge(identity::routes())
        .nest("/v1.0", graph::routes(state.clone()))
        .nest("/_sim", support::routes())
        .merge(crate::mailbox::upload::routes())
        .merge(crate::drive::download::routes())
        .merge(crate::drive::upload::routes())
        .merge(crate::reports::download::routes())
        .fallback(fallback)
        .layer(middleware::from_fn_with_state(
            state.clone(),
            crate::faults::layer,
        ))
        .layer(middleware::from_fn_with_state(state.clone(), record))
        .layer(middleware::from_fn(request_context))
        .with_state(state)
}

async fn fallback(uri: Uri) -> Response {
    if uri.path().starts_with("/v1.0/") {
        let segment = uri
            .path()
            .trim_start_matches("/v1.0/")
            .split('/')
            .next()
            .unwrap_or_default()
            .to_owned();
        return GraphFailure::new(
            StatusCode::BAD_REQUEST,
            "BadRequest",
            format!("Resource not found for the segment '{segment}'."),
        )
        .into_response();
    }
    (StatusCode::NOT_FOUND, "not found").into_response()
}

async fn request_context(req: Request, next: Next) -> Response {
    let ctx = RequestContext::from_headers(req.headers());
    let (request_id, client_request_id) = (ctx.request_id.clone(), ctx.client_request_id.clone());
    let mut response = REQUEST.scope(ctx, next.run(req)).await;
    let headers = response.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&request_id) {
        headers.insert("request-id", v);
    }
    if let Ok(v) = HeaderValue::from_str(&client_request_id) {
        headers.insert("client-request-id", v);
    }
    response
}

async fn record(
    State(state): State<AppState>,
    matched: Option<MatchedPath>,
    req: Request,
    next: Next,
) -> Response {
    let path = req.uri().path().to_owned();
    let method = req.method().clone();
    let response = next.run(req).await;
    if !path.starts_with("/_sim") {
        let endpoint = match matched {
            Some(m) => format!("{method} {}", m.as_str()),
            None => format!("{method} (unmatched)"),
        };
        state.stats.record(endpoint, response.status().as_u16());
    }
    response
}
