//! A Graph client for a connector: app-only tokens from its credential, renewed
//! before they expire.

use std::sync::Arc;

use graph::credential::AppCredential;
use graph::identity::IdentityClient;
use graph::{AppTokenSource, GraphClient, GraphError, HttpOptions};

use crate::ConnectorSpec;

/// A Graph client that signs in as the connector's app.
pub fn graph_client(
    spec: &ConnectorSpec,
    credential: AppCredential,
) -> Result<GraphClient, GraphError> {
    let http = graph::http::build(&HttpOptions {
        ca_pem: spec.ca_pem.clone(),
        ..HttpOptions::default()
    })?;
    let identity = IdentityClient::new(http.clone(), spec.cloud.clone());
    let tokens = Arc::new(AppTokenSource::new(identity, credential));
    Ok(GraphClient::new(http, &spec.cloud, tokens))
}
