// Actor page: profile and aliases, activity by role and by month (d3), and the actor's own timeline.
import { api, esc, eventHref, live, nav, span, typeStyle } from "./common.js";

const PAGE = 100;
const $ = (id) => document.getElementById(id);
const name = new URLSearchParams(location.search).get("id");
let actorId = null;
let cursor = null;

function period(row) {
  return `<time datetime="${esc(row.occurred_start)}">${esc(span(row.occurred_start, row.occurred_end))}</time>`;
}

function eventItem(row) {
  const style = typeStyle(row.type);
  const retracted = row.retracted ? ' <span class="badge">retracted</span>' : "";
  return `<li class="event" data-type="${esc(row.type)}">
    <span class="when">${period(row)}</span>
    <span class="type" style="border-color:${esc(style.color)}">${esc(style.label)}</span>
    <a href="${eventHref(row.source, row.id)}">${esc(row.summary)}</a>${retracted}</li>`;
}

function showError(message) {
  $("error").textContent = message;
  $("error").hidden = false;
}

function renderProfile(actor, activity) {
  document.title = `${actor.name} · Conflict timeline`;
  $("actor-name").textContent = actor.name;
  $("registered").textContent = actor.registered ? "In the actor registry" : "Not in the actor registry (registered: false)";
  $("registered").dataset.registered = String(actor.registered);
  const facts = [["Id", actor.id], ["Type", actor.actor_type], ["Country", actor.country_iso3],
    ["Wikidata", actor.wikidata], ["ACLED inter code", actor.acled_inter]].filter(([, v]) => v != null && v !== "");
  $("facts").innerHTML = facts.map(([k, v]) => `<dt>${esc(k)}</dt><dd>${esc(String(v))}</dd>`).join("");
  $("aliases").innerHTML = (actor.aliases || []).map((a) => `<li>${esc(a)}</li>`).join("") || "<li>none</li>";
  $("written").innerHTML = (activity.names_as_written || []).map((a) => `<li>${esc(a)}</li>`).join("") || "<li>none</li>";
  $("profile").hidden = false;
}

function svgFor(figure, width, height, label) {
  d3.select(figure).select("svg").remove();
  return d3.select(figure).append("svg")
    .attr("viewBox", `0 0 ${width} ${height}`).attr("width", "100%")
    .attr("role", "img").attr("aria-label", label);
}

function roleChart(roles) {
  const data = Object.entries(roles).sort((a, b) => b[1] - a[1]);
  const margin = { top: 8, right: 40, bottom: 8, left: 90 };
  const width = 420;
  const height = margin.top + margin.bottom + 24 * Math.max(data.length, 1);
  const label = "Events by role: " + data.map(([r, n]) => `${r} ${n}`).join(", ");
  const svg = svgFor($("by-role"), width, height, label);
  const y = d3.scaleBand(data.map((d) => d[0]), [margin.top, height - margin.bottom]).padding(0.2);
  const x = d3.scaleLinear([0, d3.max(data, (d) => d[1]) || 1], [margin.left, width - margin.right]);
  const bar = svg.append("g").selectAll("g").data(data).join("g").attr("class", "bar-row");
  bar.append("rect").attr("class", "bar").attr("x", x(0)).attr("y", (d) => y(d[0]))
    .attr("width", (d) => x(d[1]) - x(0)).attr("height", y.bandwidth());
  bar.append("text").attr("class", "value").attr("x", (d) => x(d[1]) + 4)
    .attr("y", (d) => y(d[0]) + y.bandwidth() / 2).attr("dy", "0.35em").text((d) => d[1]);
  svg.append("g").attr("class", "axis").attr("transform", `translate(${margin.left},0)`)
    .call(d3.axisLeft(y).tickSizeOuter(0));
}

function monthChart(byMonth) {
  const months = Object.keys(byMonth).sort();
  const data = months.map((m) => ({ month: m, start: new Date(`${m}-01T00:00:00Z`), count: byMonth[m] }));
  const margin = { top: 8, right: 12, bottom: 28, left: 36 };
  const width = 520;
  const height = 200;
  const label = "Events by month: " + data.map((d) => `${d.month} ${d.count}`).join(", ");
  const svg = svgFor($("by-month"), width, height, label);
  if (!data.length) return;
  const first = data[0].start;
  const end = d3.utcMonth.offset(data[data.length - 1].start, 1);
  const x = d3.scaleUtc([first, end], [margin.left, width - margin.right]);
  const y = d3.scaleLinear([0, d3.max(data, (d) => d.count)], [height - margin.bottom, margin.top]).nice();
  svg.append("g").selectAll("rect").data(data).join("rect").attr("class", "bar month")
    .attr("x", (d) => x(d.start))
    .attr("width", (d) => Math.max(3, x(d3.utcMonth.offset(d.start, 1)) - x(d.start) - 1))
    .attr("y", (d) => y(d.count)).attr("height", (d) => y(0) - y(d.count))
    .append("title").text((d) => `${d.month}: ${d.count}`);
  svg.append("g").attr("class", "axis").attr("transform", `translate(0,${height - margin.bottom})`)
    .call(d3.axisBottom(x).ticks(6).tickSizeOuter(0));
  svg.append("g").attr("class", "axis").attr("transform", `translate(${margin.left},0)`)
    .call(d3.axisLeft(y).ticks(Math.min(5, d3.max(data, (d) => d.count))).tickFormat(d3.format("d")));
}

function activityTable(activity) {
  const rows = [];
  for (const [label, counts] of [["role", activity.roles], ["type", activity.by_type], ["month", activity.by_month]]) {
    for (const [value, n] of Object.entries(counts || {})) rows.push([label, value, n]);
  }
  $("activity-table").tBodies[0].innerHTML = rows
    .map(([k, v, n]) => `<tr><td>${esc(k)}</td><td>${esc(v)}</td><td class="num">${n}</td></tr>`).join("");
}

async function loadEvents(reset) {
  if (reset) {
    cursor = null;
    $("actor-events").innerHTML = "";
  }
  const page = await api(`/actors/${encodeURIComponent(actorId)}/timeline`, { limit: PAGE, cursor });
  $("actor-events").insertAdjacentHTML("beforeend", page.items.map(eventItem).join(""));
  if (!page.items.length && reset) $("actor-events").innerHTML = "<li>No events name this actor.</li>";
  cursor = page.next_cursor;
  $("more").hidden = !cursor;
  $("own-timeline").hidden = false;
}

async function load() {
  const profile = await api(`/actors/${encodeURIComponent(name)}`);
  actorId = profile.actor.id;
  renderProfile(profile.actor, profile);
  roleChart(profile.roles || {});
  monthChart(profile.by_month || {});
  activityTable(profile);
  $("activity").hidden = false;
  await loadEvents(true);
}

nav("actor");
$("actor-input").value = name || "";
$("more").addEventListener("click", () => loadEvents(false).catch((e) => showError(e.message)));
if (name) {
  load().then(() => {
    document.body.dataset.loaded = "true";
    live((change) => {
      if ((change.actor_ids || []).includes(actorId)) load().catch((e) => showError(e.message));
    });
  }).catch((e) => {
    showError(e.message);
    document.body.dataset.loaded = "true";
  });
} else {
  document.body.dataset.loaded = "true";
}
