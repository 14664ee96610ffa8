//! Canbao's web application: Leptos components, routes and server functions,
//! plus (under `ssr`) the services and storage they call.
#![recursion_limit = "512"]

pub use ::domain;

pub mod api;
pub mod components;
pub mod error;
pub mod i18n;
pub mod model;
pub mod pages;
pub mod prefs;

#[cfg(feature = "ssr")]
pub mod secrets;
#[cfg(feature = "ssr")]
pub mod services;
pub mod site;
#[cfg(feature = "ssr")]
pub mod store;

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, MetaTags, Stylesheet, Title};
use leptos_router::components::{Route, Router, Routes};
use leptos_router::path;
use leptos_router::SsrMode;

use crate::components::layout::{Footer, Header, ShellProvider};
use crate::pages::{
    account, areas, cadre, certification, coverage, home, ledger, lists, login, not_found::NotFound,
    payment_exceptions, policies, quote, reports, work,
};
use crate::prefs::read_prefs;

/// The HTML document the server sends; language and elder mode come from cookies.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    #[cfg(feature = "ssr")]
    content_security_policy();
    let prefs = read_prefs();
    let body_class = if prefs.elder { "elder" } else { "" };
    view! {
        <!DOCTYPE html>
        <html lang=prefs.lang.html_lang()>
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <meta name="theme-color" content="#0b5cad"/>
                <link rel="icon" href=site::asset_url("/favicon.svg") type="image/svg+xml"/>
                <link rel="apple-touch-icon" href=site::asset_url("/icon-192.png")/>
                <link rel="manifest" href="/manifest.webmanifest"/>
                <AutoReload options/>
                <site::IslandLoader/>
                <MetaTags/>
            </head>
            <body class=body_class>
                <App/>
            </body>
        </html>
    }
}

/// The page's Content-Security-Policy: scripts only from this site or carrying this
/// response's nonce (leptos_axum puts one on the hydration and streaming scripts), WASM
/// compiled from this site, no plugins, no framing, no foreign base or form targets.
#[cfg(feature = "ssr")]
fn content_security_policy() {
    let (Some(nonce), Some(res)) = (
        leptos::nonce::use_nonce(),
        use_context::<leptos_axum::ResponseOptions>(),
    ) else {
        return;
    };
    // cargo-leptos's live reload (development only) talks over a websocket.
    let connect = if std::env::var_os("LEPTOS_WATCH").is_some() {
        "'self' ws: wss:"
    } else {
        "'self'"
    };
    let policy = format!(
        "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; \
         style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src {connect}; \
         object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
    );
    if let Ok(v) = http::HeaderValue::from_str(&policy) {
        res.insert_header(http::header::CONTENT_SECURITY_POLICY, v);
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    let prefs = read_prefs();
    provide_context(prefs);
    // What was typed into a form the server just refused, for the inputs of this page.
    #[cfg(feature = "ssr")]
    provide_context(crate::api::ssr::take_typed());
    let t = prefs.texts();

    view! {
        <Stylesheet id="leptos" href=site::asset_url("/pkg/canbao.css")/>
        <Title text=t.app_name/>
        <Router>
            <ShellProvider>
                <Header/>
                <main class="page">
                    <crate::components::forms::ErrorSummary/>
                    <Routes fallback=|| view! { <NotFound/> }>
                        <Route path=path!("") view=home::HomePage ssr=SsrMode::Async/>
                        <Route path=path!("/login/resident") view=login::ResidentLogin ssr=SsrMode::Async/>
                        <Route path=path!("/login/resident/verify") view=login::ResidentVerify ssr=SsrMode::Async/>
                        <Route path=path!("/login/staff") view=login::StaffLogin ssr=SsrMode::Async/>
                        <Route path=path!("/account") view=account::AccountPage ssr=SsrMode::Async/>
                        <Route path=path!("/work") view=work::WorkPage ssr=SsrMode::Async/>
                        <Route path=path!("/areas") view=areas::AreasPage ssr=SsrMode::Async/>
                        <Route path=path!("/quote") view=quote::QuotePage ssr=SsrMode::Async/>
                        <Route path=path!("/coverage") view=coverage::CoveragePageView ssr=SsrMode::Async/>
                        <Route path=path!("/receipt/:no") view=coverage::ReceiptPage ssr=SsrMode::Async/>
                        <Route path=path!("/cadre") view=cadre::CadrePage ssr=SsrMode::Async/>
                        <Route path=path!("/reconcile") view=cadre::ReconcilePage ssr=SsrMode::Async/>
                        <Route path=path!("/payment-exceptions") view=payment_exceptions::PaymentExceptionsPage ssr=SsrMode::Async/>
                        <Route path=path!("/certifications") view=certification::CertificationsPage ssr=SsrMode::Async/>
                        <Route path=path!("/certifications/new") view=certification::NewCertificationPage ssr=SsrMode::Async/>
                        <Route path=path!("/certifications/bulk") view=certification::BulkPage ssr=SsrMode::Async/>
                        <Route path=path!("/certifications/:id") view=certification::CertificationDetailPage ssr=SsrMode::Async/>
                        <Route path=path!("/audit") view=certification::AuditPage ssr=SsrMode::Async/>
                        <Route path=path!("/lists") view=lists::ListsPage ssr=SsrMode::Async/>
                        <Route path=path!("/lists/review") view=lists::ReviewPage ssr=SsrMode::Async/>
                        <Route path=path!("/lists/:id") view=lists::ListReportPage ssr=SsrMode::Async/>
                        <Route path=path!("/ledger") view=ledger::LedgerPage ssr=SsrMode::Async/>
                        <Route path=path!("/reports") view=reports::ReportPage ssr=SsrMode::Async/>
                        <Route path=path!("/reports/:kind") view=reports::ReportPage ssr=SsrMode::Async/>
                        <Route path=path!("/targets") view=reports::TargetsPage ssr=SsrMode::Async/>
                        <Route path=path!("/policies/drafts") view=policies::DraftsListPage ssr=SsrMode::Async/>
                        <Route path=path!("/policies/drafts/:id") view=policies::DraftPage ssr=SsrMode::Async/>
                    </Routes>
                </main>
                <Footer/>
            </ShellProvider>
        </Router>
    }
}

/// The browser entry point: hydrates the islands on the page (the live quote forms); the
/// rest of every page is server-rendered HTML whose forms post to their server functions.
#[cfg(feature = "hydrate")]
pub fn hydrate_islands() {
    leptos::mount::hydrate_islands();
}
