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
use crate::pages::{account, home, login, not_found::NotFound};
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
                        <Route path=path!("/quote") view={Lazy::<lazy::QuoteRoute>::new()} ssr=SsrMode::Async/>
                        <Route path=path!("/coverage") view={Lazy::<lazy::CoverageRoute>::new()} ssr=SsrMode::Async/>
                        <Route path=path!("/receipt/:no") view={Lazy::<lazy::ReceiptRoute>::new()} ssr=SsrMode::Async/>
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

/// Lazy routes: the browser downloads a page's code (a separate WASM module, `cargo leptos
/// build --split`) the first time the page is visited; the server renders them like any other
/// route and preloads the visited page's module. The main module keeps the shell, home and
/// sign-in pages. 算一算, 我的参保 and the receipt are a module each, so the quote page does
/// not carry the household forms; the staff pages are one module together (one download for
/// staff, and fewer small shared pieces than a module per page).
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

    lazy_page!(QuoteRoute, quote::QuotePage);
    lazy_page!(CoverageRoute, coverage::CoveragePageView);
    lazy_page!(ReceiptRoute, coverage::ReceiptPage);

    macro_rules! staff_pages {
        ($($route:ident => $page:path),* $(,)?) => {
            /// Which staff page a route shows (the one lazily loaded function picks it).
            #[derive(Clone, Copy)]
            #[allow(clippy::enum_variant_names)] // named after the route types they stand for
            pub enum StaffPage {
                $($route),*
            }

            #[lazy]
            async fn staff_page(page: StaffPage) -> AnyView {
                match page {
                    $(StaffPage::$route => $page().into_any()),*
                }
            }

            $(
                pub struct $route;

                impl LazyRoute for $route {
                    fn data() -> Self {
                        $route
                    }

                    async fn view(_this: Self) -> AnyView {
                        staff_page(StaffPage::$route).await
                    }

                    // As `#[lazy_route]` does: hydration waits for the module to arrive.
                    async fn preload() {
                        #[cfg(target_arch = "wasm32")]
                        __preload_staff_page().await;
                    }
                }
            )*
        };
    }

    staff_pages! {
        WorkRoute => work::WorkPage,
        AreasRoute => areas::AreasPage,
        CadreRoute => cadre::CadrePage,
        ReconcileRoute => cadre::ReconcilePage,
        CertificationsRoute => certification::CertificationsPage,
        NewCertificationRoute => certification::NewCertificationPage,
        BulkRoute => certification::BulkPage,
        CertificationDetailRoute => certification::CertificationDetailPage,
        AuditRoute => certification::AuditPage,
        ListsRoute => certification::ListsPage,
        ReviewRoute => certification::ReviewPage,
        ListReportRoute => certification::ListReportPage,
        LedgerRoute => certification::LedgerPage,
        ReportRoute => reports::ReportPage,
        TargetsRoute => reports::TargetsPage,
    }
}
