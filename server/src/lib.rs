//! Canbao's server as a library, so tests can start it on port 0.

pub mod api_doc;
pub mod assets;
pub mod config;
pub mod forms;
pub mod hardening;
pub mod limits;
pub mod openapi;
pub mod rest;
pub mod sandbox;
pub mod telemetry;

use std::net::SocketAddr;
use std::sync::Arc;

use app::services::{seed, AppState, Clock, OutboxSms, Settings};
use app::store::Db;
use axum::extract::{FromRef, Request};
use axum::http::{header, Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::Router;
use leptos::config::LeptosOptions;
use leptos::prelude::provide_context;
use leptos_axum::{generate_route_list, LeptosRoutes};
use tokio::net::TcpListener;
use tower_http::trace::TraceLayer;

use crate::config::Config;

/// State shared by the axum handlers: Leptos options for rendering, the app's services.
#[derive(Clone, FromRef)]
pub struct ServerState {
    pub leptos_options: LeptosOptions,
    pub app: AppState,
    pub limits: Arc<limits::Limits>,
    pub assets: Arc<assets::Assets>,
}

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Database(#[from] app::store::ConnectError),
    #[error("loading reference data failed: {0}")]
    Seed(String),
    #[error("CANBAO_POLICY_DIR: {0}")]
    Policy(String),
    #[error("LEPTOS_SITE_ADDR: cannot listen on {0}: {1}")]
    Bind(SocketAddr, std::io::Error),
    #[error(
        "CANBAO_DEMO: the database holds demo account {0:?} with the published demo password; \
         a production server will not start until it is removed or its password changed"
    )]
    DemoAccount(String),
}

pub struct Application {
    listener: TcpListener,
    router: Router,
    state: AppState,
    limits: Arc<limits::Limits>,
}

impl Application {
    /// Connects and migrates the database, loads reference (and demo) data, binds the port.
    pub async fn build(config: Config) -> Result<Application, StartError> {
        let db = Db::connect(&config.database_url).await?;
        db.migrate().await?;
        let clock = config.today.map_or_else(Clock::system, Clock::pinned);
        seed::load_areas(&db)
            .await
            .map_err(|e| StartError::Seed(e.to_string()))?;
        seed::load_hospitals(&db)
            .await
            .map_err(|e| StartError::Seed(e.to_string()))?;
        if config.demo {
            seed::load_demo(&db, clock.now())
                .await
                .map_err(|e| StartError::Seed(e.to_string()))?;
        } else if let Some(username) = seed::demo_account_with_published_password(&db)
            .await
            .map_err(|e| StartError::Seed(e.to_string()))?
        {
            // A database once run as a demo would let anyone in as admin with a password in
            // the README: production refuses it rather than serving it.
            return Err(StartError::DemoAccount(username));
        }
        let mut policies = app::services::policies::PolicyRegistry::embedded();
        if let Some(dir) = &config.policy_dir {
            let n = policies.load_dir(dir).map_err(StartError::Policy)?;
            tracing::info!(dir = %dir.display(), packs = n, "policy packs loaded from directory");
        }
        // Config::from_lookup has refused production without both secrets; only the demo
        // falls back to a random pepper and a payment key derived from it.
        use secrecy::ExposeSecret;
        let secret = config
            .secret
            .as_ref()
            .map_or_else(|| app::secrets::random_token(32), |s| s.expose_secret().to_owned());
        let payment_secret = config.payment_secret.as_ref().map_or_else(
            || app::secrets::sha256_hex(&[&secret, "payment-callback"]),
            |s| s.expose_secret().to_owned(),
        );
        let sandbox = Arc::new(app::services::payments::SandboxProvider::new(payment_secret.as_bytes()));
        let state = AppState {
            payments: sandbox.clone(),
            sandbox_signer: sandbox,
            reference: Default::default(),
            batches: Arc::new(app::services::Batches::new(&db)),
            typed: Default::default(),
            sms: Arc::new(OutboxSms::new(db.clone())),
            policies: Arc::new(app::services::policies::Policies::new(policies)),
            db,
            clock,
            settings: Arc::new(Settings {
                demo: config.demo,
                secret: secret.into(),
                secure_cookies: config.secure_cookies,
                session_hours: config.session_hours,
                session_idle_minutes: config.session_idle_minutes,
                order_minutes: config.order_minutes,
            }),
        };
        // Packs the bureau published, on top of the seed packs; re-read every minute so a
        // pack published through another server over the same database is offered here too.
        state
            .policies
            .refresh(&state.db)
            .await
            .map_err(|e| StartError::Policy(e.to_string()))?;
        {
            let (policies, db) = (state.policies.clone(), state.db.clone());
            tokio::spawn(async move {
                let mut every = tokio::time::interval(std::time::Duration::from_secs(60));
                every.tick().await;
                loop {
                    every.tick().await;
                    if let Err(e) = policies.refresh(&db).await {
                        tracing::error!("policy packs not refreshed: {e}");
                    }
                }
            });
        }
        if config.demo && config.demo_population > 0 {
            app::services::generate::demo(&state, config.demo_population)
                .await
                .map_err(|e| StartError::Seed(e.to_string()))?;
        }
        let listener = TcpListener::bind(config.site_addr)
            .await
            .map_err(|e| StartError::Bind(config.site_addr, e))?;
        let addr = listener
            .local_addr()
            .map_err(|e| StartError::Bind(config.site_addr, e))?;
        let leptos_options = LeptosOptions::builder()
            .output_name("canbao")
            .site_root(config.site_root.as_str())
            .site_pkg_dir("pkg")
            .site_addr(addr)
            .build();
        tracing::info!(
            backend = state.db.backend(),
            demo = config.demo,
            today = %state.clock.today(),
            pinned = state.clock.is_pinned(),
            "started"
        );
        let limits = Arc::new(limits::Limits::new(&config.rate_limits, config.trusted_proxies.clone()));
        // Compressed once here (brotli at its best setting), off the async workers.
        let site_root = std::path::PathBuf::from(config.site_root.as_str());
        let assets = tokio::task::spawn_blocking(move || assets::Assets::load(&site_root))
            .await
            .unwrap_or_default();
        let router = router(ServerState {
            leptos_options,
            app: state.clone(),
            limits: limits.clone(),
            assets: Arc::new(assets),
        });
        Ok(Application {
            listener,
            router,
            state,
            limits,
        })
    }

    pub fn addr(&self) -> SocketAddr {
        self.listener.local_addr().expect("a bound listener has an address")
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serves until `shutdown` resolves, then finishes in-flight requests and closes the pool.
    pub async fn run_until_stopped(
        self,
        shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let service = self.router.into_make_service_with_connect_info::<SocketAddr>();
        let janitor = tokio::spawn(janitor(self.state.clone(), self.limits.clone()));
        // TCP_NODELAY on every connection: a streamed body (static files) goes out as a header
        // write then a body write, and with Nagle's algorithm the second waits for the
        // client's delayed ACK (~40 ms on Linux), which held static files to ~1,000 req/s at
        // 32 ms each against 28,000 for /api/v1/health (docs/benchmarks.md).
        use axum::serve::ListenerExt;
        let listener = self.listener.tap_io(|tcp| {
            if let Err(e) = tcp.set_nodelay(true) {
                tracing::debug!(error = %e, "TCP_NODELAY not set");
            }
        });
        let served = axum::serve(listener, service).with_graceful_shutdown(shutdown).await;
        janitor.abort();
        served?;
        self.state.db.close().await;
        tracing::info!("stopped");
        Ok(())
    }
}

/// Every minute: purge expired sessions and codes, blank expired codes in the SMS outbox.
async fn janitor(state: AppState, limits: Arc<limits::Limits>) {
    let mut every = tokio::time::interval(std::time::Duration::from_secs(60));
    loop {
        every.tick().await;
        limits.forget_idle();
        if let Err(e) = app::services::audit::seal(&state.db, state.clock.now()).await {
            tracing::warn!(error = %e, "sealing the audit log failed; the next round retries");
        }
        match app::services::auth::purge_expired(&state).await {
            Ok(p) if p != Default::default() => tracing::info!(
                sessions = p.sessions,
                codes = p.codes,
                messages = p.messages,
                "purged expired sign-in data"
            ),
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "purging expired sign-in data failed"),
        }
    }
}

pub fn router(state: ServerState) -> Router {
    // Route generation renders the app in a special mode; do it once per process, so that
    // several servers in one process (the tests) never run it beside a live render.
    static ROUTES: std::sync::OnceLock<Vec<leptos_axum::AxumRouteListing>> = std::sync::OnceLock::new();
    let routes = ROUTES.get_or_init(|| generate_route_list(app::App)).clone();
    let app_state = state.app.clone();
    let fallback_state = state.app.clone();
    let options = state.leptos_options.clone();
    // The pages link to the static files by their content-addressed names (see assets.rs).
    let files = app::site::SiteFiles(Arc::new(state.assets.versioned()));
    let fallback_files = files.clone();
    let mut router = Router::new()
        .nest(
            "/api/v1",
            rest::routes().merge(openapi::routes()).fallback(rest::unknown_endpoint),
        )
        .route("/prefs", axum::routing::post(rest::sessions::set_prefs));
    // The sandbox payment app stands in for a provider's own pages: demo only, so in
    // production nobody can mark an order paid without a signed callback (404 there).
    if state.app.settings.demo {
        router = router.route(
            "/sandbox/pay/{order_no}",
            axum::routing::get(sandbox::show).post(sandbox::act),
        );
    }
    router
        .leptos_routes_with_context(
            &state,
            routes,
            move || {
                provide_context(app_state.clone());
                provide_context(files.clone());
            },
            move || app::shell(options.clone()),
        )
        .fallback(leptos_axum::file_and_error_handler_with_context::<ServerState, _>(
            move || {
                provide_context(fallback_state.clone());
                provide_context(fallback_files.clone());
            },
            app::shell,
        ))
        // Innermost first: a server function's body is limited after the origin check
        // passed; every answer then gets the 413 shape, the timeout, the security headers;
        // a panic anywhere inside becomes a 500 and the server keeps serving.
        .layer(middleware::from_fn_with_state(state.app.clone(), forms::keep_typed))
        .layer(middleware::from_fn(hardening::limit_server_fn_body))
        .layer(middleware::from_fn(check_origin))
        .layer(middleware::from_fn_with_state(state.limits.clone(), limits::limit))
        .layer(middleware::from_fn(hardening::json_413))
        .layer(middleware::from_fn(hardening::timeout))
        // Static files before anything else that costs: a map lookup (see assets.rs).
        .layer(middleware::from_fn_with_state(state.assets.clone(), serve_asset))
        .layer(middleware::from_fn_with_state(
            state.app.settings.secure_cookies,
            hardening::security_headers,
        ))
        .layer(tower_http::catch_panic::CatchPanicLayer::custom(hardening::on_panic))
        // Pages and JSON compressed on the way out (static files come precompressed and
        // carry their Content-Encoding, which this layer leaves alone).
        .layer(tower_http::compression::CompressionLayer::new())
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

async fn serve_asset(
    axum::extract::State(assets): axum::extract::State<Arc<assets::Assets>>,
    req: Request,
    next: Next,
) -> Response {
    match assets.respond(req.method(), req.uri().path(), req.headers()) {
        Some(res) => res,
        None => next.run(req).await,
    }
}

/// CSRF defence: a state-changing request that names an `Origin` must come from this host.
/// Browsers always send `Origin` on cross-site POSTs; server-to-server callers send none.
async fn check_origin(req: Request, next: Next) -> Response {
    let unsafe_method = !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    if unsafe_method {
        if let Some(origin) = req.headers().get(header::ORIGIN).and_then(|v| v.to_str().ok()) {
            let host = req
                .headers()
                .get(header::HOST)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("");
            let origin_host = origin
                .strip_prefix("http://")
                .or_else(|| origin.strip_prefix("https://"));
            if origin_host != Some(host) {
                tracing::warn!(origin, host, path = req.uri().path(), "cross-origin request refused");
                let err = app::error::AppError::forbidden(
                    "cross_origin",
                    "请求来源不被允许，请从本站页面提交",
                    "Cross-site request refused; please submit from this site's pages",
                );
                return (StatusCode::FORBIDDEN, err).into_response();
            }
        }
    }
    next.run(req).await
}

/// `server create-admin`: connects to `DATABASE_URL` (migrating it and loading the area
/// tree, as a start would) and creates an administrator scoped to the whole system.
pub async fn create_admin(username: &str, password: &secrecy::SecretString) -> Result<(), String> {
    use secrecy::ExposeSecret;
    let url = config::database_url(&|k| std::env::var(k).ok()).map_err(|e| e.to_string())?;
    let db = Db::connect(&url).await.map_err(|e| e.to_string())?;
    db.migrate().await.map_err(|e| e.to_string())?;
    seed::load_areas(&db).await.map_err(|e| e.to_string())?;
    let result = app::services::auth::create_admin(&db, chrono::Utc::now(), username, password.expose_secret()).await;
    db.close().await;
    result.map(|_| ()).map_err(|e| match e.field() {
        Some(field) => format!("{field}: {e}"),
        None => e.to_string(),
    })
}

/// `server verify-audit`: seals what is pending and checks the audit log's hash chain.
pub async fn verify_audit() -> Result<app::services::audit::ChainReport, String> {
    let url = config::database_url(&|k| std::env::var(k).ok()).map_err(|e| e.to_string())?;
    let db = Db::connect(&url).await.map_err(|e| e.to_string())?;
    db.migrate().await.map_err(|e| e.to_string())?;
    let report = app::services::audit::verify_chain(&db, chrono::Utc::now()).await;
    db.close().await;
    report.map_err(|e| e.to_string())
}

/// Resolves on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    tracing::info!("shutdown signal received");
}
