//! Hydrates the islands of the server-rendered page in the browser (the WASM's only export
//! besides the islands themselves).

#[cfg(target_arch = "wasm32")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    app::hydrate_islands();
}
