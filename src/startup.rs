//! The composition root: [`Application::build`] turns [`Settings`] into a
//! running service (core opened, interrupted sealings finished, listener
//! bound). `main`, the CLI and the tests all start acta through it.

use std::net::SocketAddr;
use std::sync::Arc;

use tokio::net::TcpListener;

use crate::config::{HttpSettings, Settings};
use crate::http;
use crate::service::{Acta, OpenError, ServiceError};
use crate::web;

/// The service could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    /// A part of the core could not be opened.
    #[error(transparent)]
    Open(#[from] OpenError),
    /// Finishing interrupted sealings failed.
    #[error("recovery of interrupted sealings failed: {0}")]
    Recover(#[from] ServiceError),
    /// The accounts could not be read.
    #[error("user accounts: {0}")]
    Accounts(#[from] crate::auth::UserError),
    /// The listen address is unusable.
    #[error("cannot listen on {addr}")]
    Bind {
        /// Address.
        addr: SocketAddr,
        /// Cause.
        source: std::io::Error,
    },
}

/// A built, not yet running, HTTP service.
#[derive(Debug)]
pub struct Application {
    listener: TcpListener,
    acta: Arc<Acta>,
    web: Arc<web::Web>,
    max_body_bytes: usize,
    http: HttpSettings,
}

impl Application {
    /// Open the core, finish interrupted sealings and bind the listener.
    pub async fn build(settings: Settings) -> Result<Self, StartupError> {
        let mut acta = Acta::open(&settings)?;
        let caps = acta.check_store(settings.single_writer).await.map_err(OpenError::Store)?;
        tracing::info!(store = acta.store().location(), %caps, "object store probed");
        let acta = Arc::new(acta);
        let finished = acta.recover().await?;
        if finished > 0 {
            tracing::warn!(finished, "completed sealings interrupted by a previous stop");
        }
        // Leaves appended before a stop are integrated into the signed tree
        // now; new ones by the background integrator.
        let checkpoint = acta.integrate_log().await?;
        tracing::info!(size = checkpoint.size, vkey = acta.log_verifier_key(), "register log checkpoint");
        acta.spawn_log_integrator();
        acta.start_following_log().await?;
        // The index is derived data: acts it missed (a crash before a commit,
        // acts sealed by another process sharing the store) are indexed now; a
        // failure is logged and never prevents serving.
        match acta.catch_up_index().await {
            Ok(0) => {}
            Ok(n) => tracing::info!(indexed = n, "search index caught up with the store"),
            Err(e) => tracing::error!(error = %e, "search index catch-up failed; run `acta reindex`"),
        }
        acta.spawn_index_follower();
        acta.spawn_index_committer();
        crate::campaign::upload::spawn_sweeper(Arc::clone(&acta));
        let listener = TcpListener::bind(settings.listen)
            .await
            .map_err(|source| StartupError::Bind { addr: settings.listen, source })?;
        let web = Arc::new(web::Web::new(Arc::clone(&acta), &settings));
        let bound =
            listener.local_addr().map_err(|source| StartupError::Bind { addr: settings.listen, source })?;
        if let Some(link) = web.first_run_link(bound).await? {
            // On the console only (stdout), never in the logs: the link is a secret.
            println!(
                "\nAucun compte n'existe encore. Pour créer le compte administrateur, ouvrez ce lien \
                 (valable {} minutes, une seule fois) :\n\n    {link}\n",
                settings.web.setup_link_minutes
            );
        }
        Ok(Self { listener, acta, web, max_body_bytes: settings.max_body_bytes, http: settings.http })
    }

    /// The bound address (useful when the port was 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.listener.local_addr().expect("a bound listener has an address")
    }

    /// The core, for callers that also want to use it directly.
    pub fn acta(&self) -> Arc<Acta> {
        Arc::clone(&self.acta)
    }

    /// Serve until Ctrl-C or SIGTERM, then finish in-flight requests.
    /// Connections are bounded in number and time (`http` settings, see
    /// [`http::server`]).
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        // The pages get the same catch-panic answer as the API (whose router
        // has its own, inside its outer layers).
        let app = http::router(self.acta, self.max_body_bytes)
            .merge(web::router(self.web))
            .layer(tower_http::catch_panic::CatchPanicLayer::custom(http::panic_problem));
        tracing::info!(addr = %self.listener.local_addr()?, "acta listening");
        http::server::serve(self.listener, app, &self.http, shutdown_signal()).await
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
}
