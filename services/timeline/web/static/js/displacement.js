// Displacement page: the competing figures for one place and period, one series per claimant, never summed.
import { api, esc, eventHref, live, nav, readState, span, writeState } from "./common.js";

const $ = (id) => document.getElementById(id);
const ALL = "all";
const QUANTIFIER = { more_than: "more than", less_than: "less than", exact: "", approximately: "about" };
const POPULATION = { idps: "internally displaced", refugees: "refugees", asylum_seekers: "asylum seekers",
  returnees: "returnees", stranded: "stranded" };
const MAX_GROUPS = 2000;  // four pages of the API; a country or a population narrows the rest
let groups = [];

const placeKey = (g) => [g.country_iso3, g.admin1 || "", g.location_name || "", g.population_type, g.figure_kind].join("|");
const periodKey = (g) => `${g.occurred_start}/${g.occurred_end}`;
const periodLabel = (g) => span(g.occurred_start, g.occurred_end);
const claimant = (f) => (f.claimants && f.claimants.length ? f.claimants.join(", ") : f.reporting_org || "unknown");
const number = d3.format(",");

function placeLabel(g) {
  const where = [g.location_name, g.admin1, g.country_iso3].filter(Boolean).join(", ");
  const kind = g.figure_kind === "flow" ? "newly" : "in total";
  return `${where}: ${POPULATION[g.population_type] || g.population_type} (${kind})`;
}

async function loadGroups(country, population) {
  const all = [];
  let cursor = null;
  do {  // the choice of place and period needs every group of the narrowed set
    const page = await api("/displacement", { country, population_type: population, limit: 500, cursor });
    all.push(...page.items);
    cursor = page.next_cursor;
  } while (cursor && all.length < MAX_GROUPS);
  $("capped").hidden = !cursor;
  $("capped").textContent = cursor ? `The first ${all.length} places and periods: choose a country or a population to see others.` : "";
  return all;
}

function fillPlaces(chosen) {
  const places = new Map();
  for (const g of groups) if (!places.has(placeKey(g))) places.set(placeKey(g), g);
  // Competing claims first: a place whose figures come from more than one claimant.
  const competing = (key) => new Set(groups.filter((g) => placeKey(g) === key).flatMap((g) => g.figures.map(claimant))).size;
  const keys = [...places.keys()].sort((a, b) => competing(b) - competing(a) || a.localeCompare(b));
  $("place").innerHTML = keys.map((k) => `<option value="${esc(k)}">${esc(placeLabel(places.get(k)))}</option>`).join("");
  $("place").value = keys.includes(chosen) ? chosen : keys[0] || "";
}

function fillPeriods(chosen) {
  const periods = groups.filter((g) => placeKey(g) === $("place").value);
  const options = [[ALL, "all periods"], ...periods.map((g) => [periodKey(g), periodLabel(g)])];
  $("period").innerHTML = options.map(([v, l]) => `<option value="${esc(v)}">${esc(l)}</option>`).join("");
  $("period").value = options.some(([v]) => v === chosen) ? chosen : (periods.length === 1 ? periodKey(periods[0]) : ALL);
}

function selected() {
  return groups.filter((g) => placeKey(g) === $("place").value
    && ($("period").value === ALL || periodKey(g) === $("period").value));
}

function figureText(f) {
  const q = QUANTIFIER[f.quantifier] ?? f.quantifier;
  const unit = f.unit === "household" ? " households" : "";
  return `${q ? q + " " : ""}${number(f.figure)}${unit}`;
}

function draw(chosen) {
  const figures = chosen.flatMap((g) => g.figures.map((f) => ({ ...f, period: periodLabel(g), claimant: claimant(f) })));
  const claimants = [...new Set(figures.map((f) => f.claimant))];
  const colour = d3.scaleOrdinal(claimants, d3.schemeTableau10);
  const margin = { top: 12, right: 16, bottom: 32, left: 84 };
  const width = 720;
  const height = 320;
  const figure = d3.select("#chart");
  figure.select("svg").remove();
  const title = chosen.length ? `${placeLabel(chosen[0])}, ${$("period").selectedOptions[0]?.textContent}` : "No figures";
  $("chart-title").textContent = title;
  const svg = figure.insert("svg", "#legend").attr("viewBox", `0 0 ${width} ${height}`).attr("width", "100%")
    .attr("role", "img")
    .attr("aria-label", `${title}. ` + figures.map((f) => `${f.claimant}: ${figureText(f)} (${f.period})`).join("; "));
  const periods = chosen.map(periodLabel);
  const x = d3.scaleBand(periods, [margin.left, width - margin.right]).padding(0.2);
  const inner = d3.scaleBand(claimants, [0, x.bandwidth()]).padding(0.1);
  const y = d3.scaleLinear([0, d3.max(figures, (f) => f.figure) || 1], [height - margin.bottom, margin.top]).nice();
  const series = svg.append("g").selectAll("g").data(claimants).join("g")
    .attr("class", "series").attr("data-claimant", (c) => c).attr("fill", (c) => colour(c));
  series.selectAll("rect").data((c) => figures.filter((f) => f.claimant === c)).join("rect")
    .attr("class", "claim").attr("x", (f) => x(f.period) + inner(f.claimant)).attr("width", inner.bandwidth())
    .attr("y", (f) => y(f.figure)).attr("height", (f) => y(0) - y(f.figure))
    .append("title").text((f) => `${f.claimant}: ${figureText(f)}`);
  series.selectAll("text").data((c) => figures.filter((f) => f.claimant === c)).join("text")
    .attr("class", "value").attr("text-anchor", "middle")
    .attr("x", (f) => x(f.period) + inner(f.claimant) + inner.bandwidth() / 2).attr("y", (f) => y(f.figure) - 4)
    .text((f) => number(f.figure));
  svg.append("g").attr("class", "axis").attr("transform", `translate(0,${height - margin.bottom})`)
    .call(d3.axisBottom(x).tickSizeOuter(0));
  svg.append("g").attr("class", "axis").attr("transform", `translate(${margin.left},0)`)
    .call(d3.axisLeft(y).ticks(6, "~s"));
  $("legend").innerHTML = claimants.map((c) => `<li data-claimant="${esc(c)}">
    <span class="swatch" style="background:${colour(c)}" aria-hidden="true"></span>${esc(c)}</li>`).join("");
  table(figures);
}

function table(figures) {
  $("figures").tBodies[0].innerHTML = figures.map((f) => `<tr>
    <td>${esc(f.period)}</td><td class="claimant">${esc(f.claimant)}</td><td class="num">${esc(figureText(f))}</td>
    <td>${esc(f.term || "")}</td><td>${esc(f.reporting_org || "")}</td><td>${esc((f.publishers || []).join(", "))}</td>
    <td><a href="${eventHref(f.source, f.id)}">${esc(f.id)}</a></td></tr>`).join("");
}

function show() {
  writeState({ country: $("country").value.toUpperCase(), population_type: $("population").value,
    place: $("place").value, period: $("period").value });
  draw(selected());
}

async function load() {
  $("error").hidden = true;
  const state = readState();
  $("country").value = state.country || "";
  $("population").value = state.population_type || "";
  groups = await loadGroups(state.country, state.population_type);
  fillPlaces(state.place);
  fillPeriods(state.period);
  show();
}

nav("displacement");
$("place").addEventListener("change", () => { fillPeriods(null); show(); });
$("period").addEventListener("change", show);
$("narrow").addEventListener("submit", (event) => {
  event.preventDefault();
  writeState({ country: $("country").value.toUpperCase(), population_type: $("population").value });
  load().catch((e) => { $("error").textContent = e.message; $("error").hidden = false; });
});
load().catch((e) => { $("error").textContent = e.message; $("error").hidden = false; })
  .finally(() => { document.body.dataset.loaded = "true"; });
live((change) => { if (change.type === "displacement_report") load().catch(() => {}); });
