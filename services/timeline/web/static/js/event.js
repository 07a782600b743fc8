// One event: its current text, every version side by side with what each correction changed
// (a word diff of the summary), who corrected it, when and why; its sources with their
// Admiralty grades; and the other accounts of the same happening.
import { api, esc, eventHref, instant, nav, showError, span, typeStyle } from "./common.js";

const RELIABILITY = { A: "completely reliable", B: "usually reliable", C: "fairly reliable", D: "not usually reliable", E: "unreliable", F: "reliability cannot be judged" };
const CREDIBILITY = { 1: "confirmed by other sources", 2: "probably true", 3: "possibly true", 4: "doubtful", 5: "improbable", 6: "truth cannot be judged" };

/** The words of `after` against `before`: kept, removed (<del>) and added (<ins>), by longest common subsequence. */
function diff(before, after) {
  const a = before.split(/(\s+)/);
  const b = after.split(/(\s+)/);
  const table = Array.from({ length: a.length + 1 }, () => new Uint32Array(b.length + 1));
  for (let i = a.length - 1; i >= 0; i--) {
    for (let j = b.length - 1; j >= 0; j--) {
      table[i][j] = a[i] === b[j] ? table[i + 1][j + 1] + 1 : Math.max(table[i + 1][j], table[i][j + 1]);
    }
  }
  const out = [];
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    if (a[i] === b[j]) { out.push(esc(a[i])); i++; j++; }
    else if (table[i + 1][j] >= table[i][j + 1]) { out.push(`<del>${esc(a[i])}</del>`); i++; }
    else { out.push(`<ins>${esc(b[j])}</ins>`); j++; }
  }
  while (i < a.length) out.push(`<del>${esc(a[i++])}</del>`);
  while (j < b.length) out.push(`<ins>${esc(b[j++])}</ins>`);
  return out.join("");
}

function grade(source) {
  const reliability = source.reliability ? `${source.reliability} (${RELIABILITY[source.reliability] || "?"})` : "not graded";
  const credibility = source.credibility ? `${source.credibility} (${CREDIBILITY[source.credibility] || "?"})` : "not graded";
  return `${esc(reliability)}, ${esc(credibility)}`;
}

function sourcesTable(sources) {
  if (!sources || !sources.length) return '<p class="muted">No source named.</p>';
  return `<table><thead><tr><th scope="col">Publisher</th><th scope="col">Original claimant</th><th scope="col">Admiralty grade</th><th scope="col">Published</th></tr></thead><tbody>
    ${sources.map((s) => `<tr><td>${s.url ? `<a href="${esc(s.url)}" rel="noreferrer">${esc(s.publisher)}</a>` : esc(s.publisher)}</td>
      <td>${esc(s.original_claimant || "")}</td><td>${grade(s)}</td><td>${esc(s.published_at || "")}</td></tr>`).join("")}</tbody></table>`;
}

function facts(payload, location) {
  const place = [payload.location?.location_name, payload.location?.admin1, payload.location?.country_iso3].filter(Boolean).join(", ");
  const actors = (payload.actors || []).map((a) => `${esc(a.name)}${a.role ? ` <span class="muted">(${esc(a.role)})</span>` : ""}`).join(", ");
  return `<dl class="facts">
    <dt>When</dt><dd>${esc(span(payload.occurred_start, payload.occurred_end))} <span class="muted">(${esc(payload.date_precision || "")} precision)</span></dd>
    <dt>Where</dt><dd>${esc(place)}${location ? ` <span class="muted">(${esc(location)})</span>` : ""}</dd>
    ${actors ? `<dt>Who</dt><dd>${actors}</dd>` : ""}</dl>`;
}

function versionCard(version, previous) {
  const corrected = version.version > 1;
  const text = previous ? diff(previous.summary, version.summary) : esc(version.summary);
  return `<article class="card version" aria-label="Version ${version.version}">
    <h3>Version ${version.version}${version.retracted ? ' <span class="badge-tag retracted">retracted</span>' : ""}</h3>
    <p class="meta">Known from ${esc(instant(version.known_at))}</p>
    <p class="text">${text}</p>
    ${corrected ? `<dl class="facts"><dt>Change</dt><dd>${esc(version.action)}</dd>
      <dt>Corrected by</dt><dd>${esc(version.change_source)} <span class="muted">${esc(version.change_id)}</span></dd>
      <dt>Reason</dt><dd class="reason">${esc(version.reason || "none given")}</dd></dl>` : '<p class="meta">First published.</p>'}
  </article>`;
}

async function claims(about, source, id) {
  const found = await api(`/claims/${encodeURIComponent(about)}`);
  document.getElementById("claims-section").hidden = false;
  const disputed = found.disputed.length ? `<p class="meta">They differ on: ${esc(found.disputed.join(", "))}</p>` : "";
  document.getElementById("claims").innerHTML = found.accounts.map((a) => `<article class="card" aria-label="Account ${esc(a.id)}">
    <h3>${a.source === source && a.id === id ? "This account" : `<a href="${eventHref(a.source, a.id)}">${esc(typeStyle(a.type).label)}</a>`}</h3>
    <p>${esc(a.summary)}</p><p class="meta">${esc(span(a.occurred_start, a.occurred_end))} · claimed by ${esc(a.claimants.join(", "))}</p>
    <dl class="facts">${Object.entries(a.details).filter(([k]) => found.disputed.includes(k))
      .map(([k, v]) => `<dt>${esc(k)}</dt><dd>${esc(typeof v === "object" ? JSON.stringify(v) : v)}</dd>`).join("")}</dl>
    ${sourcesTable(a.sources)}</article>`).join("") + disputed;
}

async function start() {
  nav("event");
  const params = new URLSearchParams(location.search);
  const source = params.get("source");
  const id = params.get("id");
  if (!source || !id) {
    showError("error", new Error("give an event's source and id"));
    return;
  }
  try {
    const history = await api(`/events/${encodeURIComponent(id)}`, { source });
    const payload = history.current.payload;
    document.title = `${history.current.summary.slice(0, 60)} · Conflict timeline`;
    document.getElementById("title").textContent = `Event of ${span(payload.occurred_start, payload.occurred_end)}`;
    document.getElementById("current").innerHTML = `<p>${esc(history.current.summary)}${history.current.retracted ? ' <span class="badge-tag retracted">retracted</span>' : ""}</p>
      ${facts(payload, history.place ? history.place.name : "")}<p class="meta">${esc(source)} · ${esc(id)} · version ${history.current.version}</p>`;
    document.getElementById("versions").innerHTML = history.versions.map((v, n) => versionCard(v, history.versions[n - 1])).join("");
    document.getElementById("sources").innerHTML = sourcesTable(payload.sources);
    if (payload.about) await claims(payload.about, source, id);
  } catch (error) {
    showError("error", error);
  }
  document.body.dataset.loaded = "true";
}

start();
