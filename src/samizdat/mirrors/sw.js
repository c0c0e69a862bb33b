// samizdat's service worker (CONFIG above is rendered by mirrors/failover.py).
//
// When the address it came from fails (a network error, no answer within CONFIG.timeout ms,
// a server error, or on the app a page without the site's header: a block page), the worker
// fetches the same file from the mirrors, in order, and serves it only when the mirror's
// manifest.json is signed by the newsroom's key and lists the file's SHA-256. Pages and assets
// read are kept for reading offline; a page never read shows the offline page.
"use strict";

const ROOT = new URL("./", self.location.href).href; // the scope: the site's or copy's root
const PAGES = "samizdat-pages";
const STATE = "samizdat-state";
const TRUST = ROOT + "samizdat-state/trust";
const COUNTS = ROOT + "samizdat-state/counts";
const INDEX = ROOT + "samizdat-state/index";
const SITE_HEADER = "Samizdat-Site";
const MANIFEST_SECONDS = 60;
const TYPES = {
  html: "text/html; charset=utf-8",
  xml: "application/xml; charset=utf-8",
  css: "text/css; charset=utf-8",
  js: "text/javascript; charset=utf-8",
  json: "application/json",
  svg: "image/svg+xml",
  png: "image/png",
  jpg: "image/jpeg",
  jpeg: "image/jpeg",
  webp: "image/webp",
  avif: "image/avif",
  gif: "image/gif",
  woff2: "font/woff2",
  txt: "text/plain; charset=utf-8",
  mp3: "audio/mpeg",
  mp4: "video/mp4",
  vtt: "text/vtt; charset=utf-8",
};

// --- small helpers ------------------------------------------------------------------------

function bytesOf(base64) {
  const text = atob(base64.trim());
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i += 1) bytes[i] = text.charCodeAt(i);
  return bytes;
}

async function sha256(buffer) {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", buffer));
  return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
}

async function verified(keyBase64, data, signatures) {
  // Whether any line of `signatures` is an Ed25519 signature of `data` by the key.
  if (!keyBase64) return false;
  try {
    const key = await crypto.subtle.importKey(
      "raw", bytesOf(keyBase64), { name: "Ed25519" }, false, ["verify"]);
    for (const line of signatures.split("\n")) {
      if (!line.trim()) continue;
      try {
        if (await crypto.subtle.verify({ name: "Ed25519" }, key, bytesOf(line), data)) return true;
      } catch (error) {
        // not base64, or not a signature: the next line may be
      }
    }
  } catch (error) {
    return false;
  }
  return false;
}

function withTimeout(promise) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("timeout")), CONFIG.timeout);
    promise.then(
      (value) => { clearTimeout(timer); resolve(value); },
      (error) => { clearTimeout(timer); reject(error); });
  });
}

function fetchFrom(url) {
  return withTimeout(fetch(url, { credentials: "omit", mode: "cors", cache: "no-cache" }));
}

let queue = Promise.resolve();
function serially(work) {
  // State changes one at a time (several fetches may end together).
  const next = queue.then(work, work);
  queue = next.catch(() => undefined);
  return next;
}

async function readJSON(key, fallback) {
  const cache = await caches.open(STATE);
  const found = await cache.match(key);
  if (!found) return fallback;
  try {
    return await found.json();
  } catch (error) {
    return fallback;
  }
}

async function writeJSON(key, value) {
  const cache = await caches.open(STATE);
  await cache.put(key, new Response(JSON.stringify(value), {
    headers: { "Content-Type": "application/json" },
  }));
}

// The file a copy holds an address in (core/paths.py's index_file).
function fileOf(relative) {
  if (relative !== "" && !relative.endsWith("/")) return relative;
  const parts = relative.replace(/\/$/, "").split("/");
  return relative + (parts.length >= 2 && parts[parts.length - 2] === "feed"
    ? "index.xml" : "index.html");
}

// One cache key per page, whichever way it was asked for (`/en/news/` or its index.html).
function keyOf(url) {
  const parsed = new URL(url);
  parsed.search = "";
  parsed.hash = "";
  return parsed.href.replace(/\/index\.(html|xml)$/, "/");
}

function languageOf(url) {
  const first = new URL(url).href.slice(ROOT.length).split("/")[0];
  return CONFIG.languages.includes(first) ? first : CONFIG.languages[0];
}

function escapeHTML(text) {
  return String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

// --- trust: the key and the mirrors ------------------------------------------------------

async function trust() {
  return readJSON(TRUST, { key: CONFIG.key, mirrors: CONFIG.mirrors, onion: CONFIG.onion });
}

// Adopt the mirror list at `base` when it is signed by the key trusted now; a new key comes
// only that way. Returns whether anything changed.
async function refreshTrust(base) {
  try {
    const [list, signature] = await Promise.all(
      [fetchFrom(base + "mirrors.json"), fetchFrom(base + "mirrors.json.sig")]);
    if (!list.ok || !signature.ok) return false;
    const data = await list.arrayBuffer();
    const signatures = await signature.text();
    return await serially(async () => {
      const current = await trust();
      if (!(await verified(current.key, data, signatures))) return false;
      const adopted = JSON.parse(new TextDecoder().decode(data));
      if (typeof adopted.key !== "string" || !Array.isArray(adopted.mirrors)) return false;
      const next = {
        key: adopted.key,
        mirrors: adopted.mirrors.filter((m) => typeof m === "string" && /^https?:\/\//.test(m)),
        onion: typeof adopted.onion === "string" ? adopted.onion : "",
      };
      if (JSON.stringify(next) === JSON.stringify(current)) return false;
      await writeJSON(TRUST, next);
      manifests.clear();
      return true;
    });
  } catch (error) {
    return false;
  }
}

// --- mirrors -------------------------------------------------------------------------------

const manifests = new Map(); // mirror root -> {at, files: Map(path -> sha256)} (verified)

async function manifestOf(mirror, retried) {
  const known = manifests.get(mirror);
  if (known && Date.now() - known.at < MANIFEST_SECONDS * 1000) return known.files;
  const [body, signature] = await Promise.all(
    [fetchFrom(mirror + "manifest.json"), fetchFrom(mirror + "manifest.json.sig")]);
  if (!body.ok || !signature.ok) return null;
  const data = await body.arrayBuffer();
  const signatures = await signature.text();
  const { key } = await trust();
  if (!(await verified(key, data, signatures))) {
    // Signed by another key: the newsroom may have replaced it. Only a list signed by the
    // key trusted now can bring the new one; then try once more.
    if (!retried && (await refreshTrust(mirror))) return manifestOf(mirror, true);
    return null;
  }
  const files = new Map();
  for (const entry of JSON.parse(new TextDecoder().decode(data)).files || []) {
    files.set(entry.path, entry.sha256);
  }
  manifests.set(mirror, { at: Date.now(), files });
  return files;
}

// The same file from the first mirror whose copy is the newsroom's: {mirror, body, type}.
async function fromMirrors(url) {
  const relative = decodeURIComponent(new URL(url).pathname).slice(new URL(ROOT).pathname.length);
  const file = fileOf(relative);
  const { mirrors } = await trust();
  for (const mirror of mirrors) {
    if (mirror === ROOT) continue;
    try {
      const files = await manifestOf(mirror, false);
      const expected = files && files.get(file);
      if (!expected) continue;
      const answer = await fetchFrom(mirror + file.split("/").map(encodeURIComponent).join("/"));
      if (!answer.ok) continue;
      const body = await answer.arrayBuffer();
      if ((await sha256(body)) !== expected) continue; // never shown; the next mirror
      const extension = file.split(".").pop().toLowerCase();
      const type = TYPES[extension] || answer.headers.get("Content-Type") || "";
      return { mirror, body, type };
    } catch (error) {
      // unreachable, slow or malformed: the next mirror
    }
  }
  return null;
}

function noticeHTML(language, text) {
  const words = CONFIG.notice[language] || CONFIG.notice[CONFIG.languages[0]];
  const parts = [`<aside class="failover-notice" role="status"><p>${escapeHTML(words[text])}</p>`];
  if (CONFIG.onion) {
    const onion = escapeHTML(CONFIG.onion);
    parts.push(`<p>${escapeHTML(words.onion)} <a href="${onion}">${onion}</a></p>`);
  }
  parts.push("</aside>");
  return parts.join("");
}

function withNotice(html, language, text) {
  return html.replace(/<body[^>]*>/i, (tag) => tag + noticeHTML(language, text));
}

function pageHeaders(type) {
  return {
    "Content-Type": type,
    "Content-Security-Policy": CONFIG.pagePolicy,
    "Referrer-Policy": "strict-origin",
    "X-Content-Type-Options": "nosniff",
  };
}

// --- kept for offline ----------------------------------------------------------------------

function isFrontPage(key) {
  return CONFIG.languages.some((code) => key === `${ROOT}${code}/`);
}

async function keep(key, response) {
  // Store a copy; drop the oldest (never the front pages, the offline pages) over the cap.
  const body = await response.arrayBuffer();
  const headers = { "Content-Type": response.headers.get("Content-Type") || "" };
  await serially(async () => {
    const cache = await caches.open(PAGES);
    await cache.put(key, new Response(body, { headers }));
    const index = await readJSON(INDEX, {});
    index[key] = { size: body.byteLength, at: Date.now() };
    let total = Object.values(index).reduce((sum, entry) => sum + entry.size, 0);
    const oldest = Object.keys(index)
      .filter((k) => !isFrontPage(k) && !k.endsWith("/offline/"))
      .sort((a, b) => index[a].at - index[b].at);
    while (total > CONFIG.cacheBytes && oldest.length) {
      const gone = oldest.shift();
      total -= index[gone].size;
      delete index[gone];
      await cache.delete(gone);
    }
    await writeJSON(INDEX, index);
  });
}

async function kept(key) {
  const cache = await caches.open(PAGES);
  return cache.match(key);
}

function offlineAddress(code) {
  return CONFIG.onApp ? `${ROOT}${code}/offline/` : `${ROOT}${code}/offline/index.html`;
}

async function offlinePage(url) {
  const language = languageOf(url);
  const page = await kept(`${ROOT}${language}/offline/`);
  if (!page) return null;
  // Its links are relative to its own address, not to the one asked for.
  const html = (await page.text()).replace(
    /<head[^>]*>/i, (tag) => `${tag}<base href="${escapeHTML(ROOT + language)}/offline/">`);
  return new Response(html, { status: 503, headers: pageHeaders(TYPES.html) });
}

async function precache() {
  // The offline page of each language with what it loads, and the front pages.
  const addresses = [];
  for (const code of CONFIG.languages) {
    addresses.push(offlineAddress(code));
    addresses.push(CONFIG.onApp ? `${ROOT}${code}/` : `${ROOT}${code}/index.html`);
  }
  await Promise.all(addresses.map(async (address) => {
    try {
      const answer = await withTimeout(fetch(address, { credentials: "omit" }));
      if (!answer.ok) return;
      const html = await answer.clone().text();
      await keep(keyOf(address), answer);
      const assets = Array.from(html.matchAll(/(?:href|src)="([^"]+)"/g), (m) => m[1])
        .map((link) => new URL(link.replace(/&amp;/g, "&"), address).href)
        .filter((link) => link.startsWith(`${ROOT}static/`));
      await Promise.all([...new Set(assets)].map(async (asset) => {
        const found = await withTimeout(fetch(asset));
        if (found.ok) await keep(keyOf(asset), found);
      }));
    } catch (error) {
      // offline already, or the copy lacks it: the worker works without
    }
  }));
}

// --- counts for the newsroom ---------------------------------------------------------------

function originOf(url) {
  return new URL(url).origin;
}

async function countFailover(mirror) {
  if (!CONFIG.reachCounts) return;
  const day = new Date().toISOString().slice(0, 10);
  await serially(async () => {
    const counts = await readJSON(COUNTS, {});
    const key = `${day} ${originOf(mirror)}`;
    counts[key] = (counts[key] || 0) + 1;
    await writeJSON(COUNTS, counts);
  });
}

let reporting = false;
async function reportFailovers() {
  // Once the site answers again: how many pages came from which mirror on which day. Nothing
  // else: no path, no time of day, no identifier, no cookie.
  if (!CONFIG.reachCounts || reporting) return;
  const counts = await readJSON(COUNTS, {});
  const keys = Object.keys(counts);
  if (!keys.length) return;
  reporting = true;
  try {
    const failovers = keys.map((key) => {
      const [day, mirror] = key.split(" ");
      return { day, mirror, count: counts[key] };
    });
    const answer = await fetchWithTimeoutTo(`${new URL(ROOT).origin}/reach/failovers/`, {
      method: "POST",
      credentials: "omit",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ failovers }),
    });
    if (answer.ok) {
      await serially(async () => {
        const now = await readJSON(COUNTS, {});
        for (const key of keys) {
          now[key] = (now[key] || 0) - counts[key];
          if (now[key] <= 0) delete now[key];
        }
        await writeJSON(COUNTS, now);
      });
    }
  } catch (error) {
    // kept for the next time the site answers
  } finally {
    reporting = false;
  }
}

function fetchWithTimeoutTo(url, init) {
  return withTimeout(fetch(url, init));
}

// --- the requests --------------------------------------------------------------------------

function siteAnswered(answer, navigation) {
  if (!answer) return false;
  if (answer.type === "opaqueredirect") return true; // the app's redirect
  if (answer.status >= 500) return false;
  // A block page or captive portal answers in the site's place without the site's header;
  // a copy's server (a bucket) cannot always send it, so only the app's worker asks.
  return !(navigation && CONFIG.onApp && !answer.headers.get(SITE_HEADER));
}

let lastRefresh = 0;

async function handle(event, navigation) {
  const request = event.request;
  const network = fetch(request);
  network.catch(() => undefined);
  let answer = null;
  try {
    answer = await withTimeout(network);
  } catch (error) {
    answer = null;
  }
  const key = keyOf(request.url);
  if (siteAnswered(answer, navigation)) {
    if (answer.status === 200 && answer.type === "basic") {
      event.waitUntil(keep(key, answer.clone()).catch(() => undefined));
    }
    if (navigation) {
      event.waitUntil(reportFailovers());
      if (Date.now() - lastRefresh > 3600 * 1000) {
        lastRefresh = Date.now();
        event.waitUntil(refreshTrust(ROOT));
      }
    }
    return answer;
  }
  const found = await fromMirrors(request.url);
  if (found) {
    if (navigation) event.waitUntil(countFailover(found.mirror));
    event.waitUntil(keep(key, new Response(found.body, { headers: { "Content-Type": found.type } }))
      .catch(() => undefined));
    if (navigation && found.type.startsWith("text/html")) {
      const html = withNotice(new TextDecoder().decode(found.body), languageOf(request.url), "text");
      return new Response(html, { headers: pageHeaders(found.type) });
    }
    return new Response(found.body, { headers: { "Content-Type": found.type } });
  }
  const saved = await kept(key);
  if (saved) {
    if (navigation && (saved.headers.get("Content-Type") || "").startsWith("text/html")) {
      const html = withNotice(await saved.text(), languageOf(request.url), "offline");
      return new Response(html, { headers: pageHeaders(saved.headers.get("Content-Type")) });
    }
    return saved;
  }
  try {
    // Slow, not gone (a rendition made on first request, a loaded server): when nothing
    // else has the file, the site's own answer is still the best one.
    const late = await network;
    if (siteAnswered(late, navigation)) return late;
    answer = late;
  } catch (error) {
    // failed for good
  }
  if (navigation) {
    const offline = await offlinePage(request.url);
    if (offline) return offline;
  }
  return answer || Response.error();
}

function handled(request) {
  if (request.method !== "GET" || !request.url.startsWith(ROOT)) return null;
  const relative = request.url.slice(ROOT.length);
  if (/^(?:(?:admin|django-admin|reach|documents)\/|sw\.js|(?:manifest|mirrors)\.json)/.test(relative)) {
    return null;
  }
  if (request.mode === "navigate") return "navigation";
  if (/^(static|media)\//.test(relative)) return "asset";
  return null;
}

self.addEventListener("install", (event) => {
  event.waitUntil((async () => {
    // A new worker (the site's sw.js changed) starts from the key and mirrors it carries.
    await writeJSON(TRUST, { key: CONFIG.key, mirrors: CONFIG.mirrors, onion: CONFIG.onion });
    await precache();
    await self.skipWaiting();
  })());
});

self.addEventListener("activate", (event) => {
  event.waitUntil(self.clients.claim());
});

self.addEventListener("fetch", (event) => {
  const kind = handled(event.request);
  if (kind) event.respondWith(handle(event, kind === "navigation"));
});
