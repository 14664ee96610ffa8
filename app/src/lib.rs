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
pub mod services;
#[cfg(feature = "ssr")]
pub mod store;

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, MetaTags, Stylesheet, Title};
use leptos_router::components::{Route, Router, Routes};
use leptos_router::path;
use leptos_router::SsrMode;

use leptos_router::Lazy;

use crate::components::layout::{Footer, Header, ShellProvider};
use crate::pages::{account, coverage, home, login, not_found::NotFound, quote};
use crate::prefs::read_prefs;

/// The HTML document the server sends; language and elder mode come from cookies.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    let prefs = read_prefs();
    let body_class = if prefs.elder { "elder" } else { "" };
    view! {
        <!DOCTYPE html>
        <html lang=prefs.lang.html_lang()>
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <meta name="theme-color" content="#0b5cad"/>
                <link rel="icon" href="/favicon.svg" type="image/svg+xml"/>
                <link rel="apple-touch-icon" href="/icon-192.png"/>
                <link rel="manifest" href="/manifest.webmanifest"/>
                <AutoReload options=options.clone()/>
                <HydrationScripts options/>
                <MetaTags/>
            </head>
            <body class=body_class>
                <App/>
            </body>
        </html>
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    let prefs = read_prefs();
    provide_context(prefs);
    let t = prefs.texts();

    view! {
        <Stylesheet id="leptos" href="/pkg/canbao.css"/>
        <Title text=t.app_name/>
        <Router>
            <ShellProvider>
                <Header/>
                <main class="page">
                    <Routes fallback=|| view! { <NotFound/> }>
                        <Route path=path!("") view=home::HomePage ssr=SsrMode::Async/>
                        <Route path=path!("/login/resident") view=login::ResidentLogin ssr=SsrMode::Async/>
                        <Route path=path!("/login/resident/verify") view=login::ResidentVerify ssr=SsrMode::Async/>
                        <Route path=path!("/login/staff") view=login::StaffLogin ssr=SsrMode::Async/>
                        <Route path=path!("/account") view=account::AccountPage ssr=SsrMode::Async/>
                        <Route path=path!("/work") view={Lazy::<lazy::WorkRoute>::new()} ssr=SsrMode::Async/>
                        <Route path=path!("/areas") view={Lazy::<lazy::AreasRoute>::new()} ssr=SsrMode::Async/>
                        <Route path=path!("/quote") view=quote::QuotePage ssr=SsrMode::Async/>
                        <Route path=path!("/coverage") view=coverage::CoveragePageView ssr=SsrMode::Async/>
                        <Route path=path!("/receipt/:no") view=coverage::ReceiptPage ssr=SsrMode::Async/>
                        <Route path=path!("/cadre") view={Lazy::<lazy::CadreRoute>::new()} ssr=SsrMode::Async/>
                        <Route path=path!("/reconcile") view={Lazy::<lazy::ReconcileRoute>::new()} ssr=SsrMode::Async/>
                        <Route path=path!("/certifications") view={Lazy::<lazy::CertificationsRoute>::new()} ssr=SsrMode::Async/>
                        <Route path=path!("/certifications/new") view={Lazy::<lazy::NewCertificationRoute>::new()} ssr=SsrMode::Async/>
                        <Route path=path!("/certifications/bulk") view={Lazy::<lazy::BulkRoute>::new()} ssr=SsrMode::Async/>
                        <Route path=path!("/certifications/:id") view={Lazy::<lazy::CertificationDetailRoute>::new()} ssr=SsrMode::Async/>
                        <Route path=path!("/audit") view={Lazy::<lazy::AuditRoute>::new()} ssr=SsrMode::Async/>
                        <Route path=path!("/lists") view={Lazy::<lazy::ListsRoute>::new()} ssr=SsrMode::Async/>
                        <Route path=path!("/lists/review") view={Lazy::<lazy::ReviewRoute>::new()} ssr=SsrMode::Async/>
                        <Route path=path!("/lists/:id") view={Lazy::<lazy::ListReportRoute>::new()} ssr=SsrMode::Async/>
                        <Route path=path!("/ledger") view={Lazy::<lazy::LedgerRoute>::new()} ssr=SsrMode::Async/>
                        <Route path=path!("/reports") view={Lazy::<lazy::ReportRoute>::new()} ssr=SsrMode::Async/>
                        <Route path=path!("/reports/:kind") view={Lazy::<lazy::ReportRoute>::new()} ssr=SsrMode::Async/>
                        <Route path=path!("/targets") view={Lazy::<lazy::TargetsRoute>::new()} ssr=SsrMode::Async/>
                    </Routes>
                </main>
                <Footer/>
            </ShellProvider>
        </Router>
    }
}

/// Staff pages as lazy routes: the browser downloads their code (a separate WASM chunk,
/// `cargo leptos build --split`) only when one is visited, so residents' phones never load it.
/// The server renders them like any other route.
mod lazy {
    use leptos::prelude::*;
    use leptos_router::{lazy_route, LazyRoute};

    use crate::pages::*;

    macro_rules! lazy_page {
        ($route:ident, $page:path) => {
            pub struct $route;

            #[lazy_route]
            impl LazyRoute for $route {
                fn data() -> Self {
                    $route
                }

                fn view(_this: Self) -> AnyView {
                    $page().into_any()
                }
            }
        };
    }

    lazy_page!(WorkRoute, work::WorkPage);
    lazy_page!(AreasRoute, areas::AreasPage);
    lazy_page!(CadreRoute, cadre::CadrePage);
    lazy_page!(ReconcileRoute, cadre::ReconcilePage);
    lazy_page!(CertificationsRoute, certification::CertificationsPage);
    lazy_page!(NewCertificationRoute, certification::NewCertificationPage);
    lazy_page!(BulkRoute, certification::BulkPage);
    lazy_page!(CertificationDetailRoute, certification::CertificationDetailPage);
    lazy_page!(AuditRoute, certification::AuditPage);
    lazy_page!(ListsRoute, certification::ListsPage);
    lazy_page!(ReviewRoute, certification::ReviewPage);
    lazy_page!(ListReportRoute, certification::ListReportPage);
    lazy_page!(LedgerRoute, certification::LedgerPage);
    lazy_page!(ReportRoute, reports::ReportPage);
    lazy_page!(TargetsRoute, reports::TargetsPage);
}
