// The timeline page: filters in the URL, pages of the cursor API, a d3 time axis on which each
// event is an interval as wide as its date precision, a readable list, the "as known on"
// slider, and live changes while the slider is at "now".
import { api, esc, eventHref, instant, live, nav, readState, showError, span, TYPES, typeStyle, writeState } from "./common.js";

const FILTERS = ["type", "actor", "country", "place", "claimant", "publisher", "q", "from", "to"];
const PAGE = 100;
const HOUR = 3600 * 1000;
const DAY = 24 * HOUR;
const form = document.getElementById("filters");
const slider = document.getElementById("asof");
const sliderLabel = document.getElementById("asof-label");
let state = readState();
let items = [];
let cursor = null;
let earliest = null; // the first recordedtime of any version, in ms
let stopLive = null;
let loading = 0;

const key = (item) => `${item.source}\u0000${item.id}`;
const order = (a, b) => (a.occurred_start < b.occurred_start ? -1 : a.occurred_start > b.occurred_start ? 1 : 0)
  || (a.occurred_end < b.occurred_end ? -1 : a.occurred_end > b.occurred_end ? 1 : 0)
  || (a.source < b.source ? -1 : a.source > b.source ? 1 : 0) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

function query() {
  const params = Object.fromEntries(FILTERS.map((name) => [name, state[name]]));
  if (params.country) params.country = params.country.toUpperCase();
  if (state.as_of) params.as_of = state.as_of;
  return params;
}

async function load() {
  const ticket = ++loading;
  document.body.dataset.loaded = "false";
  showError("error", null);
  try {
    const page = await api("/timeline", { ...query(), limit: PAGE });
    if (ticket !== loading) return;
    items = page.items;
    cursor = page.next_cursor;
    zoomed = null;
  } catch (error) {
    if (ticket !== loading) return;
    items = [];
    cursor = null;
    showError("error", error);
  }
  render();
  document.body.dataset.loaded = "true";
}

async function more() {
  if (!cursor) return;
  const button = document.getElementById("more");
  button.disabled = true;
  try {
    const page = await api("/timeline", { ...query(), limit: PAGE, cursor });
    items = items.concat(page.items);
    cursor = page.next_cursor;
    render();
  } catch (error) {
    showError("error", error);
  } finally {
    button.disabled = false;
  }
}

function badges(item) {
  if (item.retracted) return '<span class="badge-tag retracted">retracted</span>';
  return item.version > 1 ? `<span class="badge-tag" title="version ${item.version}">amended</span>` : "";
}

function symbol(type, size = 90) {
  const style = typeStyle(type);
  const shape = { circle: d3.symbolCircle, triangle: d3.symbolTriangle, square: d3.symbolSquare, diamond: d3.symbolDiamond,
    star: d3.symbolStar, cross: d3.symbolCross, wye: d3.symbolWye }[style.shape];
  return { path: d3.symbol(shape, size)(), color: style.color };
}

function icon(type) {
  const { path, color } = symbol(type, 70);
  return `<svg width="14" height="14" viewBox="-7 -7 14 14" aria-hidden="true"><path d="${path}" fill="${color}"/></svg>`;
}

function renderList(fresh = new Set()) {
  const list = document.getElementById("events");
  list.innerHTML = items.map((item) => `<li data-key="${esc(key(item))}" class="${fresh.has(key(item)) ? "fresh" : ""}">
    <span class="when">${esc(span(item.occurred_start, item.occurred_end))}<br><span class="meta">${esc(item.date_precision)} precision</span></span>
    <span class="type">${icon(item.type)}${esc(typeStyle(item.type).label)}</span>
    <span class="summary"><a href="${eventHref(item.source, item.id)}">${esc(item.summary)}</a>${badges(item)}
      <br><span class="meta">${esc([item.location_name, item.admin1, item.country_iso3].filter(Boolean).join(", "))}
      ${item.claimants.length ? ` · claimed by ${esc(item.claimants.join(", "))}` : ""}</span></span></li>`).join("");
  const shown = `${items.length} event${items.length === 1 ? "" : "s"}${cursor ? ", more follow" : ""}`;
  document.getElementById("count").textContent = state.as_of ? `${shown}, as known on ${instant(state.as_of)}` : shown;
  document.getElementById("more").hidden = !cursor;
}

function renderChart() {
  const chart = document.getElementById("chart");
  chart.innerHTML = "";
  if (!items.length || typeof d3 === "undefined") return;
  const types = TYPES.filter((t) => items.some((i) => i.type === t)).concat([...new Set(items.map((i) => i.type))].filter((t) => !TYPES.includes(t)));
  const width = chart.clientWidth || 1000;
  const margin = { top: 8, right: 16, bottom: 26, left: 150 };
  const lane = 30;
  const height = margin.top + margin.bottom + lane * types.length;
  const start = (i) => new Date(`${i.occurred_start}T00:00:00Z`);
  const end = (i) => new Date(Date.parse(`${i.occurred_end}T00:00:00Z`) + DAY); // the end day included
  const x = d3.scaleUtc().domain([d3.min(items, start), d3.max(items, end)]).nice().range([margin.left, width - margin.right]);
  const y = d3.scaleBand().domain(types).range([margin.top, height - margin.bottom]).padding(0.2);
  const svg = d3.select(chart).append("svg").attr("viewBox", `0 0 ${width} ${height}`).attr("height", height);
  svg.append("g").attr("class", "axis").attr("transform", `translate(0,${height - margin.bottom})`).call(d3.axisBottom(x).ticks(Math.max(2, width / 110)));
  svg.append("g").attr("class", "axis").attr("transform", `translate(${margin.left},0)`)
    .call(d3.axisLeft(y).tickFormat((t) => typeStyle(t).label).tickSize(0)).call((g) => g.select(".domain").remove());
  svg.append("clipPath").attr("id", "plot").append("rect").attr("x", margin.left).attr("y", 0)
    .attr("width", width - margin.left - margin.right).attr("height", height);
  const marks = svg.append("g").attr("clip-path", "url(#plot)").selectAll("a").data(items).join("a")
    .attr("href", (i) => eventHref(i.source, i.id)).attr("tabindex", -1).attr("aria-hidden", "true");
  marks.append("title").text((i) => `${span(i.occurred_start, i.occurred_end)}: ${i.summary}`);
  // the interval: as wide as the date precision says (a week is a band, a day a thin bar)
  const bands = marks.append("rect").attr("class", "band").attr("y", (i) => y(i.type)).attr("height", y.bandwidth())
    .attr("fill", (i) => typeStyle(i.type).color);
  const shapes = marks.append("path").attr("class", "mark").attr("d", (i) => symbol(i.type).path).attr("fill", (i) => typeStyle(i.type).color);
  const flags = marks.filter((i) => i.retracted || i.version > 1).append("text").attr("class", "badge")
    .attr("y", (i) => y(i.type) + 8).text((i) => (i.retracted ? "×" : "✎"));
  const axis = svg.select(".axis");
  // wheel or drag to zoom into a period; the list below is unchanged
  const place = (transform) => {
    const zx = transform.rescaleX(x);
    const middle = (i) => (zx(start(i)) + zx(end(i))) / 2;
    axis.call(d3.axisBottom(zx).ticks(Math.max(2, width / 110)));
    bands.attr("x", (i) => zx(start(i))).attr("width", (i) => Math.max(2, zx(end(i)) - zx(start(i))));
    shapes.attr("transform", (i) => `translate(${middle(i)},${y(i.type) + y.bandwidth() / 2})`);
    flags.attr("x", (i) => middle(i) + 6);
  };
  const zoom = d3.zoom().scaleExtent([1, 2000]).translateExtent([[margin.left, 0], [width - margin.right, height]])
    .extent([[margin.left, 0], [width - margin.right, height]]).on("zoom", (event) => { zoomed = event.transform; place(zoomed); });
  svg.call(zoom).call(zoom.transform, zoomed || d3.zoomIdentity);
}

let zoomed = null; // the chart's zoom, kept while pages are added; reset by a new query

function render(fresh) {
  renderList(fresh);
  renderChart();
}

function legend() {
  document.getElementById("legend").innerHTML = TYPES.map((t) => `<li>${icon(t)}${esc(typeStyle(t).label)}</li>`).join("")
    + '<li><span class="badge-tag">amended</span> <span class="badge-tag retracted">retracted</span></li>';
}

function fillForm() {
  const select = document.getElementById("f-type");
  select.innerHTML = `<option value="">Any type</option>${TYPES.map((t) => `<option value="${t}">${esc(typeStyle(t).label)}</option>`).join("")}`;
  for (const name of FILTERS) form.elements[name].value = state[name] || "";
}

async function describeActor() {
  const hint = document.getElementById("actor-hint");
  if (!state.actor) {
    hint.textContent = "";
    return;
  }
  try {
    const found = await api(`/actors/${encodeURIComponent(state.actor)}`);
    hint.textContent = `Actor “${state.actor}” is ${found.actor.name} (${found.actor.id})`;
  } catch (error) {
    hint.textContent = error.status === 404 ? `No actor is known as “${state.actor}”: events that name it as written` : "";
  }
}

// The slider counts hours from the earliest recordedtime; its last position is "now".
function sliderMax() {
  return Math.max(1, Math.ceil((Date.now() - earliest) / HOUR));
}

function showSlider() {
  if (earliest === null) return;
  slider.max = String(sliderMax());
  slider.value = state.as_of ? String(Math.round((Date.parse(state.as_of) - earliest) / HOUR)) : slider.max;
  labelSlider();
}

function labelSlider() {
  const atNow = Number(slider.value) >= Number(slider.max);
  const text = atNow ? "now" : instant(new Date(earliest + Number(slider.value) * HOUR).toISOString());
  sliderLabel.textContent = text;
  slider.setAttribute("aria-valuetext", text);
}

let sliderTimer = null;
function onSlide() {
  labelSlider();
  clearTimeout(sliderTimer);
  sliderTimer = setTimeout(() => {
    const atNow = Number(slider.value) >= Number(slider.max);
    state.as_of = atNow ? "" : new Date(earliest + Number(slider.value) * HOUR).toISOString().replace(".000Z", "Z");
    writeState(state);
    following();
    load();
  }, 250);
}

// Live changes only while the slider is at "now": the past does not change.
function following() {
  if (state.as_of && stopLive) {
    stopLive();
    stopLive = null;
  } else if (!state.as_of && !stopLive) {
    stopLive = live(queueChange);
  }
}

const pending = new Map();
let draining = false;
function queueChange(change) {
  pending.set(`${change.source}\u0000${change.id}`, change);
  if (!draining) drain();
}

// Each change is asked of the API with the page's own filters, over the days it covers: the
// answer says whether it belongs on this page and gives its row as the list shows rows.
async function drain() {
  draining = true;
  const fresh = new Set();
  while (pending.size) {
    const [name, change] = pending.entries().next().value;
    pending.delete(name);
    const params = { ...query(), from: maxDay(state.from, change.occurred_start), to: minDay(state.to, change.occurred_end), limit: 500 };
    let row = null;
    if (params.from <= params.to) {
      try {
        const page = await api("/timeline", params);
        row = page.items.find((i) => i.source === change.source && i.id === change.id) || null;
      } catch (error) {
        showError("error", error);
      }
    }
    items = items.filter((i) => key(i) !== name);
    if (row && (!cursor || order(row, items[items.length - 1]) <= 0)) {
      items.push(row);
      items.sort(order);
      fresh.add(name);
    }
  }
  render(fresh);
  draining = false;
}

const maxDay = (a, b) => (a && a > b ? a : b);
const minDay = (a, b) => (a && a < b ? a : b);

function apply(event) {
  event.preventDefault();
  state = { ...Object.fromEntries(FILTERS.map((name) => [name, form.elements[name].value.trim()])), as_of: state.as_of };
  writeState(state);
  describeActor();
  load();
}

async function start() {
  nav("timeline");
  legend();
  fillForm();
  form.addEventListener("submit", apply);
  document.getElementById("clear").addEventListener("click", (event) => {
    for (const name of FILTERS) form.elements[name].value = "";
    apply(event);
  });
  const button = document.getElementById("more");
  button.addEventListener("click", more);
  // the next page loads as the end of the list scrolls into view (the button stays for the keyboard)
  new IntersectionObserver((seen) => {
    if (seen.some((e) => e.isIntersecting) && cursor && !button.disabled) more();
  }, { rootMargin: "400px" }).observe(button);
  slider.addEventListener("input", onSlide);
  document.getElementById("asof-now").addEventListener("click", () => {
    slider.value = slider.max;
    onSlide();
  });
  window.addEventListener("resize", () => renderChart());
  api("/ui/known-range").then((range) => {
    earliest = range.earliest ? Date.parse(range.earliest) : Date.now() - HOUR;
    showSlider();
  }).catch((error) => showError("error", error));
  describeActor();
  following();
  await load();
}

start();
