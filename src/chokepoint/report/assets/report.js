/* chokepoint report: the interactive graph (inlined into every report; needs the vendored cytoscape.js).
   Everything shown comes from the JSON block #report-data; text is set with textContent only. */
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("report-data").textContent);
  var state = { scenario: "", selected: null };
  var scenarios = {};
  data.scenarios.forEach(function (s) { scenarios[s.key] = s; });
  var nodeById = {};
  data.nodes.forEach(function (n) { nodeById[n.id] = n; });

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === "text") { node.textContent = attrs[k]; } else if (k === "cls") { node.className = attrs[k]; }
      else { node.setAttribute(k, attrs[k]); }
    });
    (children || []).forEach(function (c) {
      if (c === null || c === undefined) { return; }
      node.appendChild(typeof c === "string" ? document.createTextNode(c) : c);
    });
    return node;
  }
  function pct(v) { return (v === null || v === undefined) ? "" : (100 * v).toFixed(1) + "%"; }
  function num(v) { return (v === null || v === undefined) ? "" : (Math.abs(v) < 1000 ? Number(v.toPrecision(3)).toString() : Math.round(v).toLocaleString("en")); }
  function label(id) { return nodeById[id] ? nodeById[id].label : id; }
  function range(e) {
    if (e.low === null || e.low === undefined) { return ""; }
    return e.low === e.high ? "" : pct(e.low) + "–" + pct(e.high);
  }

  // --- colours ----------------------------------------------------------------------------------
  function hexToRgb(h) { return [1, 3, 5].map(function (i) { return parseInt(h.slice(i, i + 2), 16); }); }
  var stops = data.viridis.map(hexToRgb);
  function viridis(t) {
    if (t === null || t === undefined || isNaN(t)) { return "#bbbbbb"; }
    t = Math.max(0, Math.min(1, t));
    var x = t * (stops.length - 1), i = Math.min(stops.length - 2, Math.floor(x)), f = x - i;
    var c = [0, 1, 2].map(function (k) { return Math.round(stops[i][k] + f * (stops[i + 1][k] - stops[i][k])); });
    return "#" + c.map(function (v) { return (v < 16 ? "0" : "") + v.toString(16); }).join("");
  }
  function availabilityOf(id, key) {
    var s = scenarios[key];
    if (!s) { return null; }
    return Object.prototype.hasOwnProperty.call(s.availability, id) ? s.availability[id] : 1;
  }

  // --- the graph --------------------------------------------------------------------------------
  var elements = [];
  data.nodes.forEach(function (n) {
    elements.push({ group: "nodes", data: { id: n.id, label: n.short, kind: n.kind, shape: n.shape,
      color: data.kind_colors[n.kind], size: n.size }, position: { x: n.x, y: n.y } });
  });
  data.edges.forEach(function (e, i) {
    elements.push({ group: "edges", data: { id: "e" + i, index: i, source: e.from, target: e.to, type: e.type,
      width: e.type === "supplies" ? 1 + 7 * (e.point || 0) : 2 } });
  });
  var cy = cytoscape({
    container: document.getElementById("cy"),
    elements: elements,
    layout: { name: "preset", fit: true, padding: 24 },
    minZoom: 0.02, maxZoom: 4,
    style: [
      { selector: "node", style: { "shape": "data(shape)", "background-color": "data(color)",
        "width": "data(size)", "height": "data(size)", "label": "data(label)", "font-size": 20,
        "text-valign": "bottom", "text-halign": "center", "text-margin-y": 3, "color": "#1f2328",
        "text-wrap": "wrap", "text-max-width": 250,
        "text-background-color": "#ffffff", "text-background-opacity": 0.7, "text-background-padding": 1,
        "min-zoomed-font-size": 6, "border-width": 1.5, "border-color": "#555555" } },
      { selector: "node:selected", style: { "border-width": 4, "border-color": "#000000" } },
      { selector: "edge", style: { "width": "data(width)", "curve-style": "bezier", "opacity": 0.55,
        "line-color": "#9aa5b1", "target-arrow-shape": "triangle", "target-arrow-color": "#9aa5b1",
        "arrow-scale": 1.2 } },
      { selector: "edge[type = 'requires']", style: { "line-color": "#4d4d4d", "target-arrow-color": "#4d4d4d" } },
      { selector: "edge:selected", style: { "line-color": "#000000", "target-arrow-color": "#000000", "opacity": 1 } },
      { selector: ".faded", style: { "opacity": 0.15 } }
    ]
  });

  // --- the detail panel -------------------------------------------------------------------------
  var panel = document.getElementById("detail");
  function citation(e) {
    var parts = [];
    if (e.fact) { parts.push(el("strong", { cls: "fact", text: e.fact })); }
    var src = e.source ? (data.sources[e.source] || {}) : {};
    var title = src.title || e.source_title || "";
    if (title) { parts.push(" · " + title + (e.source ? " (" + e.source + ")" : "")); }
    if (e.in_facts_csv) {
      parts.push(" · facts.csv: report " + e.fact_report + ", seed " + e.seed_file + " line " + e.seed_line);
      var f = data.facts[e.fact];
      if (f && f.note) { parts.push(el("br"), el("span", { cls: "note", text: "“" + f.note + "”" })); }
    } else if (e.fact) {
      parts.push(" · not a facts.csv row (a row of the source's data release)");
    } else {
      parts.push("no fact cited");
    }
    return el("div", { cls: "cite" }, parts);
  }
  function edgeItem(e, other) {
    var facts = [e.share, range(e) ? "(" + range(e) + ")" : "", e.evidence, e.basis, e.year ? String(e.year) : ""]
      .filter(Boolean).join(" · ");
    return el("li", { cls: "supply" }, [el("strong", { text: label(other) }), ": " + facts, citation(e)]);
  }
  function kv(rows) {
    return el("table", {}, [el("tbody", {}, rows.filter(function (r) { return r[1] !== "" && r[1] !== null && r[1] !== undefined; })
      .map(function (r) { return el("tr", {}, [el("th", { scope: "row", text: r[0] }), el("td", { text: String(r[1]) })]); }))]);
  }
  function extras(obj, skip) {
    return Object.keys(obj || {}).filter(function (k) { return skip.indexOf(k) < 0; }).map(function (k) {
      var v = obj[k];
      return [k.replace(/_/g, " "), typeof v === "number" ? (/share|availability|loss|exposure|margin|unknown/.test(k) ? pct(v) : num(v)) : v];
    });
  }
  function showNode(id) {
    var n = nodeById[id];
    if (!n) { return false; }
    state.selected = id;
    panel.textContent = "";
    panel.appendChild(el("h3", { text: n.label }));
    panel.appendChild(kv([["id", n.id], ["kind", n.kind], ["stage", n.stage], ["country", n.country],
      ["needs", n.needs ? (n.needs === "all" ? "all of its inputs" : "any one of its inputs") : ""],
      ["critical mineral", n.critical_mineral ? "yes" : ""], ["stockpile (months)", n.stockpile_months]]));
    if (state.scenario) {
      var s = scenarios[state.scenario], a = availabilityOf(id, state.scenario), x = (s.extra || {})[id] || {};
      var rows = [["availability", pct(a)]];
      if (x.availability_low !== undefined || x.availability_high !== undefined) {
        rows.push(["availability range", pct(x.availability_low) + "–" + pct(x.availability_high)]);
      }
      rows = rows.concat(extras(x, ["availability_low", "availability_high"]));
      panel.appendChild(el("h4", { text: "Under: " + s.label }));
      panel.appendChild(kv(rows));
    }
    var inc = n["in"].map(function (i) { return data.edges[i]; });
    var sup = inc.filter(function (e) { return e.type === "supplies"; });
    if (sup.length) {
      var total = sup.reduce(function (t, e) { return t + (e.point || 0); }, 0);
      panel.appendChild(el("h4", { text: "Supplied by (" + sup.length + "; shares sum to " + pct(total) + ")" }));
      panel.appendChild(el("ul", { id: "detail-supplies" }, sup.map(function (e) { return edgeItem(e, e.from); })));
    } else if (n.kind !== "country" && n.kind !== "facility" && !inc.length) {
      panel.appendChild(el("p", { cls: "note", text: "No suppliers in the graph: its supply is unknown, not safe." }));
    }
    var req = inc.filter(function (e) { return e.type === "requires"; });
    if (req.length) {
      panel.appendChild(el("h4", { text: "Requires (" + (n.needs === "any" ? "any one of" : "all of") + ")" }));
      panel.appendChild(el("ul", {}, req.map(function (e) { return el("li", { text: label(e.from) }); })));
    }
    var out = n.out.map(function (i) { return data.edges[i]; });
    if (out.length) {
      panel.appendChild(el("h4", { text: n.kind === "country" || n.kind === "facility" ? "Supplies" : "Needed by" }));
      panel.appendChild(el("ul", {}, out.map(function (e) {
        return el("li", { text: label(e.to) + (e.type === "supplies" ? ": " + e.share + (e.fact ? " (" + e.fact + ")" : "") : "") });
      })));
    }
    panel.appendChild(el("h4", { text: "Chokepoint score" }));
    if (n.chokepoint) {
      panel.appendChild(kv([["score", num(n.chokepoint.score)], ["knockout loss", pct(n.chokepoint.knockout_loss)],
        ["products hit", n.chokepoint.products_hit], ["exposure", pct(n.chokepoint.exposure)],
        ["worst country", n.chokepoint.worst_country], ["why", n.chokepoint.reason]]
        .concat(extras(n.chokepoint, ["score", "knockout_loss", "products_hit", "exposure", "worst_country", "reason",
          "top_country", "top_share", "hhi", "dominates"]))));
    } else {
      panel.appendChild(el("p", { cls: "note", text: "Countries are not scored (they are what is cut off)." }));
    }
    panel.appendChild(el("h4", { text: "65% target" }));
    if (n.target) {
      var t = n.target;
      panel.appendChild(kv([["status", t.status], ["top country", t.top_country],
        ["top share", pct(t.top_share) + (t.top_share_low !== t.top_share_high ? " (" + pct(t.top_share_low) + "–" + pct(t.top_share_high) + ")" : "")],
        ["margin to 65%", pct(t.margin)], ["unknown share", pct(t.share_unknown)], ["facts", t.facts]]
        .concat(extras(t, ["status", "top_country", "top_share", "top_share_low", "top_share_high", "margin",
          "share_unknown", "facts", "hhi", "capacity_needed", "bases"]))));
    } else {
      panel.appendChild(el("p", { cls: "note", text: n.kind === "country" || n.kind === "facility" ? "Suppliers are not tested." : "Not tested: no supply shares." }));
    }
    if (n.note) { panel.appendChild(el("p", { cls: "note", text: n.note })); }
    return true;
  }
  function showEdge(i) {
    var e = data.edges[i];
    panel.textContent = "";
    panel.appendChild(el("h3", { text: label(e.from) + " → " + label(e.to) }));
    panel.appendChild(kv([["type", e.type], ["share as written", e.share], ["range", range(e)], ["evidence", e.evidence],
      ["basis", e.basis], ["year", e.year]]));
    if (e.type === "supplies") { panel.appendChild(citation(e)); }
    if (e.note) { panel.appendChild(el("p", { cls: "note", text: e.note })); }
  }
  cy.on("tap", "node", function (evt) { showNode(evt.target.id()); });
  cy.on("tap", "edge", function (evt) { showEdge(evt.target.data("index")); });

  // --- scenarios --------------------------------------------------------------------------------
  var select = document.getElementById("scenario");
  var note = document.getElementById("scenario-note");
  var hitBox = document.getElementById("scenario-products");
  function applyScenario(key) {
    if (key && !scenarios[key]) { return false; }
    state.scenario = key || "";
    cy.batch(function () {
      cy.nodes().forEach(function (node) {
        node.data("color", state.scenario ? viridis(availabilityOf(node.id(), state.scenario)) : data.kind_colors[node.data("kind")]);
      });
    });
    document.getElementById("legend-kind").hidden = !!state.scenario;
    document.getElementById("legend-availability").hidden = !state.scenario;
    hitBox.textContent = "";
    note.textContent = "";
    if (state.scenario) {
      var s = scenarios[state.scenario];
      note.textContent = [s.note, s.bases_note].filter(Boolean).join("; ");
      if (s.products_hit.length) {
        hitBox.appendChild(el("table", { id: "scenario-hit" }, [
          el("caption", { text: "Products hit with " + s.label }),
          el("thead", {}, [el("tr", {}, ["product", "availability", "chain"].map(function (h) { return el("th", { text: h }); }))]),
          el("tbody", {}, s.products_hit.map(function (p) {
            return el("tr", {}, [el("td", { text: label(p.id) }), el("td", { cls: "num", text: pct(p.availability) }),
              el("td", { text: (p.path || []).map(label).join(" → ") })]);
          }))]));
      } else {
        hitBox.appendChild(el("p", { cls: "note", text: "No product loses anything with " + s.label + "." }));
      }
    }
    if (state.selected) { showNode(state.selected); }
    return true;
  }
  select.addEventListener("change", function () { applyScenario(select.value); });
  if (select.value) { applyScenario(select.value); }

  window.cy = cy;
  window.chokepointReport = { ready: true, nodeCount: cy.nodes().length, edgeCount: cy.edges().length,
    showNode: showNode, applyScenario: applyScenario, state: state };
}());
