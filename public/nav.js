// Canbao's page loader: brings islands to life, and moves between pages without a full reload.
//
// Loaded once, from <head>, as a module (the site's own file, so the CSP's 'self' allows it).
// Two jobs:
//
// 1. Islands. On a page with a <leptos-island> (算一算, the enrolment card) it imports the
//    islands' JS glue and WASM once and hydrates each island; a page without one downloads
//    neither. Islands that arrive with a later page are hydrated the same way.
//
// 2. Navigation. A same-site link or form (GET, or a POST that is not a file upload) is
//    fetched and the new page's <body> replaces this one; the address, title and language
//    follow, the scroll position is restored on back and forward, and a thin bar shows
//    progress on a slow network. <head> stays, and with it this script and what it holds
//    (a marker set on `window` survives). Anything unusual — a download, another site, a
//    non-HTML answer, a new release — falls back to the browser's own full load, and with
//    JavaScript off nothing here runs: every link and form works as plain HTML.
//
// Leptos 0.8's own islands router (islands_routing.js) was not used: it diffs the DOM with
// the server's branch markers, loads the WASM on every page, sends file fields as text,
// drops the clicked button's name, and keeps no scroll position.

// (A module has no `document.currentScript`: the tag is found by its data.)
const config = document.querySelector("script[data-islands-js]").dataset;

// ---- Islands -------------------------------------------------------------------------

let code = null;
const live = new WeakSet();

function hydrateIslands() {
  const waiting = [...document.querySelectorAll("leptos-island")].filter((el) => !live.has(el));
  if (!waiting.length) return;
  code ??= import(config.islandsJs).then(async (m) => {
    await m.default({ module_or_path: config.islandsWasm });
    m.hydrate();
    return m;
  });
  code.then(async (m) => {
    for (const el of waiting) {
      if (!el.isConnected || live.has(el)) continue;
      live.add(el);
      const island = m[el.dataset.component];
      if (island) await island(el);
    }
  });
}

if ("requestIdleCallback" in window) requestIdleCallback(hydrateIslands);
else hydrateIslands();

// ---- Scroll positions, per history entry ---------------------------------------------

history.scrollRestoration = "manual";
const newId = () => Math.random().toString(36).slice(2);
// Storage can be refused (a private window, a full quota): positions then last the visit.
const stored = (() => {
  try {
    return JSON.parse(sessionStorage.getItem("canbao-scroll") || "[]");
  } catch {
    return [];
  }
})();
const positions = new Map(stored);
if (!history.state?.id) history.replaceState({ id: newId() }, "");
else if (positions.has(history.state.id)) scrollTo(0, positions.get(history.state.id));
addEventListener("scroll", () => positions.set(history.state?.id, scrollY), { passive: true });
addEventListener("pagehide", () => {
  try {
    sessionStorage.setItem("canbao-scroll", JSON.stringify([...positions].slice(-50)));
  } catch {
    // Not kept: back after a full reload starts at the top.
  }
});

// ---- Navigation ----------------------------------------------------------------------

const here = () => location.pathname + location.search;
let shown = here();
let inFlight = null;

async function go(url, init, popped) {
  inFlight?.abort();
  const controller = new AbortController();
  inFlight = controller;
  // The bar shows only when the answer is slow to come.
  const bar = setTimeout(() => document.documentElement.classList.add("navigating"), 150);
  try {
    const res = await fetch(url, {
      ...init,
      signal: controller.signal,
      headers: { Accept: "text/html" },
      credentials: "same-origin",
    });
    const type = res.headers.get("content-type") || "";
    if (!type.startsWith("text/html")) return location.assign(res.url);
    const doc = new DOMParser().parseFromString(await res.text(), "text/html");
    if (controller !== inFlight) return;
    // A new release names its files anew: load it whole, so old code never meets new pages.
    const stylesheet = (d) => d.querySelector("link#leptos")?.getAttribute("href");
    if (stylesheet(doc) !== stylesheet(document)) return location.assign(res.url);
    const to = new URL(res.redirected ? res.url : url, location.href);
    if (!popped) positions.set(history.state?.id, scrollY);
    document.title = doc.title;
    document.documentElement.lang = doc.documentElement.lang;
    document.body.replaceWith(document.adoptNode(doc.body));
    if (popped) history.replaceState(history.state, "", to);
    else history.pushState({ id: newId() }, "", to);
    shown = here();
    const anchor = to.hash && document.getElementById(decodeURIComponent(to.hash.slice(1)));
    const focus = document.querySelector("[autofocus]");
    if (anchor) anchor.scrollIntoView();
    else scrollTo(0, popped ? (positions.get(history.state?.id) ?? 0) : 0);
    // A refused form comes back with its field marked autofocus: as on a full load.
    if (focus) focus.focus();
    hydrateIslands();
  } catch (e) {
    // A failed GET is tried as a plain load (its error page, or the network's); a POST is
    // never sent twice.
    if (e.name !== "AbortError" && !init.method) location.assign(url);
    else if (e.name !== "AbortError") console.warn("canbao: navigation failed", e);
  } finally {
    clearTimeout(bar);
    if (controller === inFlight) {
      inFlight = null;
      document.documentElement.classList.remove("navigating");
    }
  }
}

function ours(url) {
  return url.origin === location.origin && !/^\/(api|pkg|sandbox)\//.test(url.pathname);
}

addEventListener("click", (ev) => {
  if (ev.defaultPrevented || ev.button !== 0 || ev.metaKey || ev.ctrlKey || ev.shiftKey || ev.altKey) return;
  const a = ev.target.closest?.("a[href]");
  if (!a || a.target || a.hasAttribute("download") || /\bexternal\b/.test(a.rel) || a.closest("[data-no-nav]")) return;
  const url = new URL(a.getAttribute("href"), location.href);
  if (!ours(url)) return;
  // A link within this page is the browser's own.
  if (url.hash && url.pathname + url.search === shown) return;
  ev.preventDefault();
  go(url.href, {}, false);
});

addEventListener("submit", (ev) => {
  if (ev.defaultPrevented) return;
  const form = ev.target;
  const button = ev.submitter;
  const method = (button?.getAttribute("formmethod") || form.getAttribute("method") || "get").toUpperCase();
  const action = new URL(button?.getAttribute("formaction") || form.getAttribute("action") || location.href, location.href);
  if (form.target || form.enctype === "multipart/form-data" || form.closest("[data-no-nav]")) return;
  if (!ours(action) && !action.pathname.startsWith("/api/")) return;
  if (method !== "GET" && method !== "POST") return;
  // The clicked button's name and value go too, as the browser would send them.
  const data = new URLSearchParams(new FormData(form));
  // (FormData's own submitter argument is missing before Chrome 112 and Safari 16.4.)
  if (button?.name && !button.disabled) data.append(button.name, button.value);
  ev.preventDefault();
  if (method === "GET") {
    action.search = data.toString();
    go(action.href, {}, false);
  } else {
    go(action.href, { method: "POST", body: data }, false);
  }
});

addEventListener("popstate", () => {
  if (here() !== shown) go(location.href, {}, true);
});
