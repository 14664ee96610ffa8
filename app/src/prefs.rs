//! Language and 长辈模式 (elder mode), remembered in cookies so the server renders
//! the right version on the first byte (no flash) and hydration sees the same values.

use crate::i18n::{Lang, Texts};
use leptos::prelude::*;

pub const LANG_COOKIE: &str = "canbao_lang";
pub const ELDER_COOKIE: &str = "canbao_elder";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Prefs {
    pub lang: Lang,
    pub elder: bool,
}

impl Prefs {
    /// Reads the preferences from a `Cookie` header value; unknown values fall back to defaults.
    pub fn from_cookie_header(header: &str) -> Prefs {
        let mut prefs = Prefs::default();
        for pair in header.split(';') {
            let Some((name, value)) = pair.trim().split_once('=') else {
                continue;
            };
            match name {
                LANG_COOKIE => prefs.lang = Lang::from_code(value).unwrap_or_default(),
                ELDER_COOKIE => prefs.elder = value == "1",
                _ => {}
            }
        }
        prefs
    }

    pub fn texts(self) -> &'static Texts {
        self.lang.texts()
    }
}

/// The preferences of the current request (server) or document (browser).
pub fn read_prefs() -> Prefs {
    #[cfg(feature = "ssr")]
    {
        use_context::<http::request::Parts>()
            .and_then(|parts| {
                parts
                    .headers
                    .get(http::header::COOKIE)
                    .and_then(|v| v.to_str().ok())
                    .map(Prefs::from_cookie_header)
            })
            .unwrap_or_default()
    }
    #[cfg(all(feature = "hydrate", not(feature = "ssr")))]
    {
        use wasm_bindgen::JsCast;
        web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| d.dyn_into::<web_sys::HtmlDocument>().ok())
            .and_then(|d| d.cookie().ok())
            .map(|c| Prefs::from_cookie_header(&c))
            .unwrap_or_default()
    }
    #[cfg(not(any(feature = "ssr", feature = "hydrate")))]
    {
        Prefs::default()
    }
}

/// The preferences provided by `App`; an island in the browser (outside `App`) reads the
/// cookies, which the server rendered it from.
pub fn use_prefs() -> Prefs {
    use_context::<Prefs>().unwrap_or_else(read_prefs)
}

/// An area's path from the top of the hierarchy, in the reader's language
/// (`山西省 › 吕梁市 › 离石区`), falling back to the Chinese names when no English ones came.
pub fn area_path(zh: &[String], en: &[String]) -> String {
    match use_prefs().lang {
        crate::i18n::Lang::En if en.len() == zh.len() && !en.is_empty() => en.join(" › "),
        _ => zh.join(" › "),
    }
}

/// The interface text in the current language.
pub fn use_texts() -> &'static Texts {
    use_prefs().texts()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_cookie_header() {
        let p = Prefs::from_cookie_header("a=b; canbao_lang=en; canbao_elder=1");
        assert_eq!(
            p,
            Prefs {
                lang: Lang::En,
                elder: true
            }
        );
        let p = Prefs::from_cookie_header("canbao_lang=xx;canbao_elder=0");
        assert_eq!(p, Prefs::default());
        assert_eq!(Prefs::from_cookie_header(""), Prefs::default());
    }
}
