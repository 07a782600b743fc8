// What every page shares: reading the API, the navigation, filters in the URL, the live feed,
// the look of each event type, and HTML escaping. Reads use the session cookie (same origin);
// no key is ever held by the page.

/** Read `path` of the API with query `params` (empty values left out); the JSON answer, or an
 * Error carrying the API's own message (its `detail`). */
export async function api(path, params = {}) {
  const query = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) {
    if (value === undefined || value === null || value === "") continue;
    for (const one of Array.isArray(value) ? value : [value]) query.append(name, one);
  }
  const url = path + (query.toString() ? `?${query}` : "");
  const response = await fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } });
  if (response.status === 401) {
    location.assign(`/ui/login?next=${encodeURIComponent(location.pathname + location.search)}`);
  }
  const body = await response.json().catch(() => null);
  if (!response.ok) {
    const detail = body && body.detail;
    const text = Array.isArray(detail) ? detail.map((d) => d.msg || JSON.stringify(d)).join("; ") : detail;
    const error = new Error(text || `${response.status} ${response.statusText}`);
    error.status = response.status;
    throw error;
  }
  return body;
}

const PAGES = [
  ["timeline", "/ui/", "Timeline"],
  ["map", "/ui/map", "Map"],
  ["displacement", "/ui/displacement", "Displacement"],
  ["borders", "/ui/borders", "Borders"],
];

/** The shared navigation, rendered into `<nav id="nav">`; `active` names the current page. */
export function nav(active) {
  const element = document.getElementById("nav");
  if (!element) return;
  element.setAttribute("aria-label", "Pages");
  element.innerHTML = `<a class="brand" href="/ui/">Conflict timeline</a><ul>${PAGES.map(([name, href, label]) =>
    `<li><a href="${href}"${name === active ? ' aria-current="page"' : ""}>${label}</a></li>`).join("")}</ul>
    <span id="live-status" class="live-status" role="status" aria-live="polite"></span>`;
}

/** The filters in the URL's query string, as an object of strings. */
export function readState() {
  return Object.fromEntries(new URLSearchParams(location.search));
}

/** Put `state` in the URL's query string (empty values left out), without a new history entry. */
export function writeState(state) {
  const query = new URLSearchParams();
  for (const [name, value] of Object.entries(state)) {
    if (value !== undefined && value !== null && value !== "") query.set(name, value);
  }
  const search = query.toString();
  history.replaceState(null, "", location.pathname + (search ? `?${search}` : ""));
}

/** Follow the change feed: `onChange(message)` for each change ({kind: created|amended|retracted,
 * source, id, version, type, known_at, occurred_start, occurred_end, summary, country_iso3,
 * actor_ids, ...}). Returns a function that stops following. `document.body.dataset.live` is
 * "on" once the feed is read from its end. */
export function live(onChange) {
  const source = new EventSource("/ui/live", { withCredentials: true });
  const status = () => document.getElementById("live-status");
  source.addEventListener("ready", () => {
    document.body.dataset.live = "on";
    if (status()) status().textContent = "● Live";
  });
  source.onmessage = (message) => {
    try {
      onChange(JSON.parse(message.data));
    } catch (error) {
      console.error("change not shown", error);
    }
  };
  source.onerror = () => {
    document.body.dataset.live = "off";
    if (status()) status().textContent = "Reconnecting…";
  };
  return () => {
    source.close();
    document.body.dataset.live = "off";
    if (status()) status().textContent = "";
  };
}

// One colour (Okabe-Ito, distinguishable with colour blindness) and one shape per event type.
const STYLES = {
  offensive_escalation: { color: "#D55E00", shape: "triangle", label: "Offensive / escalation" },
  statement: { color: "#0072B2", shape: "circle", label: "Statement" },
  border_decision: { color: "#CC79A7", shape: "square", label: "Border decision" },
  displacement_report: { color: "#E69F00", shape: "diamond", label: "Displacement report" },
  agreement: { color: "#009E73", shape: "star", label: "Agreement" },
  territorial_change: { color: "#56B4E9", shape: "cross", label: "Territorial change" },
  support_change: { color: "#332288", shape: "wye", label: "Support change" },
};
const OTHER = { color: "#666666", shape: "circle", label: null };

/** Colour, shape (a d3.symbol name: circle, triangle, square, diamond, star, cross, wye) and
 * label of an event type, the same on every page. */
export function typeStyle(type) {
  const style = STYLES[type] || OTHER;
  return { ...style, label: style.label || String(type).replace(/_/g, " ") };
}

/** The event types with a style of their own, in a stable order. */
export const TYPES = Object.keys(STYLES);

/** `text` safe to put into HTML. */
export function esc(text) {
  return String(text ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
}

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/** A day as written in the pages, the same in every locale: 2018-06-19 → "19 Jun 2018". */
export function day(iso) {
  if (!iso) return "";
  const [year, month, date] = String(iso).slice(0, 10).split("-").map(Number);
  return `${date} ${MONTHS[month - 1]} ${year}`;
}

/** An interval of days as written: one day, or "start – end". */
export function span(start, end) {
  return !end || start === end ? day(start) : `${day(start)} – ${day(end)}`;
}

/** An instant as written, in UTC: "26 Jun 2018, 12:00 UTC". */
export function instant(iso) {
  if (!iso) return "";
  const t = new Date(iso).toISOString();
  return `${day(t)}, ${t.slice(11, 16)} UTC`;
}

/** The link to an event's page. */
export function eventHref(source, id) {
  return `/ui/event?source=${encodeURIComponent(source)}&id=${encodeURIComponent(id)}`;
}

/** Show `error` (or clear it with null) in the page's `[role=alert]` element `id`. */
export function showError(id, error) {
  const element = document.getElementById(id);
  if (element) element.textContent = error ? `Could not load: ${error.message || error}` : "";
}
