//! Hydrates the server-rendered page in the browser (the WASM's only export).

#[cfg(target_arch = "wasm32")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    // Lazy routes (staff pages) load their own WASM chunks on first visit.
    leptos::mount::hydrate_lazy(app::App);
}
