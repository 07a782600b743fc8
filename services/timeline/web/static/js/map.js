// Map page: the events of /timeline.geojson (with the timeline's filters from the URL) over Natural Earth
// country outlines (world-atlas, served from our origin). Each point is a link to its event, reachable with
// the keyboard, and listed beside the map.
import { api, esc, eventHref, live, nav, readState, span, typeStyle } from "./common.js";

const $ = (id) => document.getElementById(id);
const WIDTH = 800;
const HEIGHT = 520;
const MAX_POINTS = 500;  // the API's largest page
let world = null;

const href = (p) => eventHref(p.source, p.id);
const when = (p) => span(p.occurred_start, p.occurred_end);

function filters() {
  const state = { ...readState() };
  delete state.cursor;
  return { ...state, limit: MAX_POINTS };
}

function symbolOf(type) {
  // The type's shape (a d3.symbol name), the same as on the timeline.
  const name = typeStyle(type).shape || "circle";
  const shape = d3[`symbol${name[0].toUpperCase()}${name.slice(1)}`] || d3.symbolCircle;
  return d3.symbol(shape, 110)();
}

function icon(type) {
  return `<svg class="icon" width="14" height="14" viewBox="-7 -7 14 14" aria-hidden="true">
    <path d="${symbolOf(type)}" fill="${esc(typeStyle(type).color)}" transform="scale(0.8)"></path></svg>`;
}

function legend(features) {
  const types = [...new Set(features.map((f) => f.properties.type))].sort();
  $("map-legend").innerHTML = types.map((t) => `<li>${icon(t)}${esc(typeStyle(t).label)}</li>`).join("");
}

function projectionFor(features) {
  if (!features.length) return d3.geoNaturalEarth1().fitSize([WIDTH, HEIGHT], { type: "Sphere" });
  const xs = features.map((f) => f.geometry.coordinates[0]);
  const ys = features.map((f) => f.geometry.coordinates[1]);
  const pad = Math.max(4, 0.4 * Math.max(d3.max(xs) - d3.min(xs), d3.max(ys) - d3.min(ys)));
  const box = { type: "MultiPoint", coordinates: [[d3.min(xs) - pad, Math.max(-80, d3.min(ys) - pad)],
    [d3.max(xs) + pad, Math.min(80, d3.max(ys) + pad)]] };
  return d3.geoMercator().fitExtent([[10, 10], [WIDTH - 10, HEIGHT - 10]], box);
}

function spread(features, projection) {
  // Events at the same coordinates are placed on a small spiral around them, so that each can be clicked.
  const seen = new Map();
  return features.map((f) => {
    const [x, y] = projection(f.geometry.coordinates);
    const key = `${Math.round(x)},${Math.round(y)}`;
    const n = seen.get(key) || 0;
    seen.set(key, n + 1);
    const angle = n * 2.4;
    const radius = n ? 5 + 3 * Math.sqrt(n) : 0;
    return { feature: f, x: x + radius * Math.cos(angle), y: y + radius * Math.sin(angle) };
  });
}

function draw(features) {
  const projection = projectionFor(features);
  const path = d3.geoPath(projection);
  const figure = d3.select("#map");
  figure.select("svg").remove();
  const svg = figure.insert("svg", "figcaption").attr("viewBox", `0 0 ${WIDTH} ${HEIGHT}`).attr("width", "100%")
    .attr("aria-labelledby", "points-title");
  svg.append("rect").attr("class", "sea").attr("width", WIDTH).attr("height", HEIGHT);
  const countries = topojson.feature(world, world.objects.countries);
  svg.append("g").attr("class", "countries").attr("aria-hidden", "true").selectAll("path")
    .data(countries.features).join("path").attr("class", "country").attr("d", path);
  svg.append("path").attr("class", "country-border").attr("aria-hidden", "true")
    .attr("d", path(topojson.mesh(world, world.objects.countries, (a, b) => a !== b)));
  const points = svg.append("g").attr("class", "points").selectAll("a").data(spread(features, projection)).join("a")
    .attr("class", "point").attr("href", (d) => href(d.feature.properties))
    .attr("aria-label", (d) => `${when(d.feature.properties)}: ${d.feature.properties.summary}`)
    .attr("data-id", (d) => d.feature.properties.id);
  points.append("path").attr("transform", (d) => `translate(${d.x},${d.y})`)
    .attr("d", (d) => symbolOf(d.feature.properties.type)).attr("fill", (d) => typeStyle(d.feature.properties.type).color);
  points.append("title").text((d) => `${when(d.feature.properties)}: ${d.feature.properties.summary}`);
}

function list(features) {
  $("points").innerHTML = features.map(({ properties: p }) => `<li class="event" data-type="${esc(p.type)}">
    ${icon(p.type)}
    <span class="when">${esc(when(p))}</span> <a href="${href(p)}">${esc(p.summary)}</a>
    <span class="where">${esc([p.location_name, p.country_iso3].filter(Boolean).join(", "))}</span></li>`).join("")
    || "<li>No event with coordinates matches these filters.</li>";
}

async function load() {
  if (!world) world = await fetch("/ui/vendor/countries-110m.json").then((r) => r.json());
  const collection = await api("/timeline.geojson", filters());
  const features = collection.features.filter((f) => f.geometry && f.geometry.coordinates);
  draw(features);
  legend(features);
  list(features);
  $("map-summary").textContent = `${features.length} event${features.length === 1 ? "" : "s"} with coordinates`
    + (features.length >= MAX_POINTS ? ` (the first ${MAX_POINTS}; narrow the filters to see others)` : "")
    + ", over country outlines (Natural Earth).";
}

const fail = (e) => { $("error").textContent = e.message; $("error").hidden = false; };
nav("map");
load().catch(fail).finally(() => { document.body.dataset.loaded = "true"; });
let pending = null;  // a burst of changes redraws once
live(() => { clearTimeout(pending); pending = setTimeout(() => load().catch(fail), 500); });
