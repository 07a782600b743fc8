// Borders page: each border's current status and its history (GET /borders, /borders/{border}).
import { api, esc, eventHref, live, nav, span } from "./common.js";

const $ = (id) => document.getElementById(id);
const DECISION = { close: "Closed", reopen: "Reopened", restrict: "Restricted", refuse_entry: "Entry refused",
  expel: "Expulsions", seal_off_area: "Area sealed off" };
let cursor = null;
let shown = 0;

const when = (d) => span(d.occurred_start, d.occurred_end);

function effective(d) {
  if (!d.effective_from && !d.effective_until) return "";
  return `effective ${d.effective_from ? "from " + esc(d.effective_from) : ""}${d.effective_until ? " until " + esc(d.effective_until) : ""}`;
}

function historyRows(history) {
  return history.map((d) => `<tr>
    <td><time datetime="${esc(d.occurred_start)}">${esc(when(d))}</time></td>
    <td><span class="decision" data-decision="${esc(d.decision)}">${esc(DECISION[d.decision] || d.decision)}</span></td>
    <td>${esc(d.crossing || "")}</td><td>${effective(d)}</td>
    <td><a href="${eventHref(d.source, d.id)}">${esc(d.summary)}</a></td></tr>`).join("");
}

function strip(history) {
  // The decisions on a time axis, one mark per decision, coloured by decision.
  const width = 600;
  const height = 44;
  const start = d3.min(history, (d) => new Date(d.occurred_start));
  const end = d3.max(history, (d) => new Date(d.occurred_end));
  const x = d3.scaleUtc([start, +end === +start ? d3.utcDay.offset(end, 1) : end], [16, width - 16]);
  const colour = d3.scaleOrdinal(Object.keys(DECISION), d3.schemeTableau10);
  const svg = d3.create("svg").attr("viewBox", `0 0 ${width} ${height}`).attr("width", "100%").attr("role", "img")
    .attr("aria-label", "Decisions over time: " + history.map((d) => `${when(d)} ${DECISION[d.decision] || d.decision}`).join("; "));
  svg.append("g").selectAll("rect").data(history).join("rect").attr("class", "decision-mark")
    .attr("x", (d) => x(new Date(d.occurred_start)) - 3)
    .attr("width", (d) => Math.max(6, x(new Date(d.occurred_end)) - x(new Date(d.occurred_start)) + 6))
    .attr("y", 4).attr("height", 14).attr("fill", (d) => colour(d.decision))
    .append("title").text((d) => `${when(d)}: ${DECISION[d.decision] || d.decision}`);
  svg.append("g").attr("class", "axis").attr("transform", "translate(0,22)").call(d3.axisBottom(x).ticks(5).tickSizeOuter(0));
  return svg.node();
}

async function section(border) {
  const history = await api(`/borders/${encodeURIComponent(border.border)}`);
  const el = document.createElement("section");
  el.className = "border";
  el.dataset.border = border.border;
  const heading = `border-${shown++}`;
  el.setAttribute("aria-labelledby", heading);
  el.innerHTML = `<h2 id="${heading}">${esc(border.border)}</h2>
    <p class="status">Current status: <strong class="decision" data-decision="${esc(border.decision)}">${esc(DECISION[border.decision] || border.decision)}</strong>
      since <time datetime="${esc(border.occurred_start)}">${esc(span(border.occurred_start, border.occurred_start))}</time>${border.crossing ? ` at ${esc(border.crossing)}` : ""}.
      ${esc(border.summary)}</p>
    <table class="figures"><caption>Decisions about ${esc(border.border)}</caption>
      <thead><tr><th scope="col">When</th><th scope="col">Decision</th><th scope="col">Crossing</th><th scope="col">In force</th>
        <th scope="col">Account</th></tr></thead><tbody>${historyRows(history)}</tbody></table>`;
  el.insertBefore(strip(history), el.querySelector("table"));
  return el;
}

async function loadPage(reset) {
  if (reset) {
    cursor = null;
    shown = 0;
    $("borders").replaceChildren();
  }
  const page = await api("/borders", { limit: 50, cursor });
  const sections = await Promise.all(page.items.map(section));
  $("borders").append(...sections);
  if (reset && !page.items.length) $("borders").textContent = "No border decision is known.";
  cursor = page.next_cursor;
  $("more").hidden = !cursor;
}

const fail = (e) => { $("error").textContent = e.message; $("error").hidden = false; };
nav("borders");
$("more").addEventListener("click", () => loadPage(false).catch(fail));
loadPage(true).catch(fail).finally(() => { document.body.dataset.loaded = "true"; });
live((change) => { if (change.type === "border_decision") loadPage(true).catch(fail); });
