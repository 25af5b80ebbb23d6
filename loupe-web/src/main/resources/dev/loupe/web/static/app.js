// Loupe explorer: talks to the JSON API of `loupe serve` (see ExplorerServer.java). No dependencies.
"use strict";
const $ = (id) => document.getElementById(id);
const state = { run: null, tokens: [], layers: 0, heads: 0, patterns: [], active: null, selected: null };
window.loupe = { timing: {}, state };

async function api(path, options) {
  const r = await fetch(path, options);
  if (!r.ok) {
    let msg = r.status + " " + r.statusText;
    try { msg = (await r.json()).error || msg; } catch (e) { /* not JSON */ }
    throw new Error(msg);
  }
  return r;
}

function esc(s) { return String(s).replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]); }
function pct(p) { return (100 * p).toFixed(1) + "%"; }
function blue(w) { const v = Math.round(255 * (1 - Math.min(1, Math.max(0, w)))); return [v, v, 255]; }

async function init() {
  const m = await (await api("/api/model")).json();
  $("model-info").textContent = `${m.name}: ${m.layers} layers × ${m.heads} heads, d_model ${m.d_model}, context ${m.context}, vocabulary ${m.vocab}`;
  $("run").addEventListener("click", analyse);
  $("dla-run").addEventListener("click", () => loadDla($("dla-target").value));
  $("circuits-run").addEventListener("click", loadCircuits);
  $("comp-kind").addEventListener("change", drawComposition);
  $("detail").addEventListener("mousemove", hoverDetail);
  $("detail").addEventListener("click", hoverDetail);
  $("composition").addEventListener("mousemove", hoverComposition);
  await initFeatures();
  document.body.dataset.ready = "true";
}

async function analyse() {
  const t0 = performance.now();
  $("status").textContent = "running…";
  document.body.dataset.pictures = "0";
  try {
    const a = await (await api("/api/analyze", { method: "POST", headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ prompt: $("prompt").value }) })).json();
    window.loupe.timing.analyzeMs = performance.now() - t0;
    Object.assign(state, { run: a.run, tokens: a.tokens, layers: a.layers, heads: a.heads, patterns: [], active: null, selected: null, scores: a.head_scores });
    $("notice").hidden = !a.truncated;
    $("notice").textContent = a.notice || "";
    renderTokens();
    renderPredictions(a.predictions);
    buildGrid();
    for (let l = 0; l < a.layers; l++) {
      const buf = await (await api(`/api/runs/${a.run}/attention/${l}`)).arrayBuffer();
      state.patterns[l] = new Float32Array(buf);
      drawLayer(l);
      if (l === 0) {
        window.loupe.timing.firstPictureMs = performance.now() - t0;
        selectHead(0, 0);
      }
    }
    window.loupe.timing.allPicturesMs = performance.now() - t0;
    document.body.dataset.pictures = String(a.layers);
    $("status").textContent = `${a.tokens.length} tokens; first picture after ${Math.round(window.loupe.timing.firstPictureMs)} ms, all ${a.layers} layers after ${Math.round(window.loupe.timing.allPicturesMs)} ms`;
    // one at a time (the model runs one pass at a time): the attribution (one pass) before the lens
    // (one pass and n_layer + 1 unembeddings: the slowest panel on a large vocabulary)
    $("lens").innerHTML = "<tr><td>computing the logit lens…</td></tr>";
    await loadDla("");
    await loadLens();
    await loadFeatures();
  } catch (e) {
    $("status").textContent = "error: " + e.message;
  }
}

function renderTokens() {
  $("tokens").innerHTML = state.tokens.map((t, i) => `<span class="tok" data-pos="${i}" title="position ${i}, id ${t.id}">${esc(t.display)}</span>`).join("");
  for (const el of $("tokens").children) el.addEventListener("click", () => selectToken(+el.dataset.pos));
}

function renderPredictions(preds) {
  $("predictions").innerHTML = "<tr><th>token</th><th>id</th><th>probability</th></tr>" +
    preds.map((p) => `<tr><td>${esc(p.display)}</td><td>${p.id}</td><td>${pct(p.probability)}</td></tr>`).join("");
}

function buildGrid() {
  const g = $("attention");
  g.innerHTML = "";
  for (let l = 0; l < state.layers; l++) {
    const row = document.createElement("div");
    row.className = "layer-row";
    row.innerHTML = `<span class="layer-label">L${l}</span>`;
    for (let h = 0; h < state.heads; h++) {
      const cell = document.createElement("div");
      cell.className = "head-cell";
      const c = document.createElement("canvas");
      c.className = "thumb";
      c.dataset.layer = l; c.dataset.head = h;
      const sc = state.scores, p = sc.previous_token[l][h], d = sc.duplicate_token[l][h], i = sc.induction[l][h];
      c.title = `L${l}H${h} on this prompt: previous-token ${p.toFixed(3)}, duplicate-token ${d.toFixed(3)}, induction ${i.toFixed(3)}`;
      c.addEventListener("click", () => selectHead(l, h));
      const s = document.createElement("div");
      s.className = "scores";
      s.textContent = `p${p.toFixed(2).slice(1)} d${d.toFixed(2).slice(1)} i${i.toFixed(2).slice(1)}`;
      cell.append(c, s);
      row.appendChild(cell);
    }
    g.appendChild(row);
  }
}

function weight(l, h, q, k) { const T = state.tokens.length; return state.patterns[l][(h * T + q) * T + k]; }

function paint(canvas, l, h) {
  const T = state.tokens.length;
  canvas.width = T; canvas.height = T;
  const ctx = canvas.getContext("2d");
  const img = ctx.createImageData(T, T);
  for (let q = 0; q < T; q++) for (let k = 0; k < T; k++) {
    const o = 4 * (q * T + k), [r, g, b] = blue(weight(l, h, q, k));
    img.data[o] = r; img.data[o + 1] = g; img.data[o + 2] = b; img.data[o + 3] = 255;
  }
  ctx.putImageData(img, 0, 0);
}

function drawLayer(l) {
  for (const c of document.querySelectorAll(`canvas.thumb[data-layer="${l}"]`)) {
    paint(c, l, +c.dataset.head);
    c.dataset.drawn = "true";
  }
}

function selectHead(l, h) {
  state.active = [l, h];
  for (const c of document.querySelectorAll("canvas.thumb")) c.classList.toggle("active", +c.dataset.layer === l && +c.dataset.head === h);
  const sc = state.scores;
  $("detail-title").textContent = `Head L${l}H${h}: previous-token ${sc.previous_token[l][h].toFixed(3)}, duplicate-token ${sc.duplicate_token[l][h].toFixed(3)}, induction ${sc.induction[l][h].toFixed(3)} (on this prompt)`;
  paint($("detail"), l, h);
  $("detail").dataset.layer = l; $("detail").dataset.head = h;
  highlightTokens();
}

function hoverDetail(ev) {
  if (!state.active) return;
  const c = $("detail"), r = c.getBoundingClientRect(), T = state.tokens.length;
  const k = Math.min(T - 1, Math.floor((ev.clientX - r.left) / r.width * T));
  const q = Math.min(T - 1, Math.floor((ev.clientY - r.top) / r.height * T));
  if (q < 0 || k < 0) return;
  const [l, h] = state.active, w = weight(l, h, q, k);
  const hv = $("hover");
  hv.textContent = `L${l}H${h}: query ${q} ${state.tokens[q].display} → key ${k} ${state.tokens[k].display}: ${w.toFixed(4)}`;
  Object.assign(hv.dataset, { layer: l, head: h, query: q, key: k, weight: String(w) });
}

function selectToken(pos) {
  state.selected = pos;
  highlightTokens();
}

function highlightTokens() {
  const els = $("tokens").children;
  for (let i = 0; i < els.length; i++) {
    const el = els[i];
    el.classList.toggle("selected", i === state.selected);
    el.style.background = ""; el.style.boxShadow = "";
    if (state.selected === null || !state.active) continue;
    const [l, h] = state.active;
    const to = i <= state.selected ? weight(l, h, state.selected, i) : 0;    // the selected token attends to i
    const from = i >= state.selected ? weight(l, h, i, state.selected) : 0;  // i attends to the selected token
    const [r, g, b] = blue(to);
    el.style.background = `rgb(${r},${g},${b})`;
    if (from > 0.01) el.style.boxShadow = `inset 0 -3px 0 rgba(230,120,0,${Math.min(1, from)})`;
    el.dataset.attendsTo = String(to); el.dataset.attendedBy = String(from);
  }
}

async function loadLens() {
  const t0 = performance.now();
  const lens = await (await api(`/api/runs/${state.run}/lens`)).json();
  let html = "<tr><th></th>" + state.tokens.map((t, i) => `<th title="position ${i}">${esc(t.display)}</th>`).join("") + "</tr>";
  lens.rows.forEach((row, l) => {
    html += `<tr><th>${lens.labels[l]}</th>` + row.map((cell) => {
      const g = cell[0], [r, gg, b] = blue(g.probability);
      const title = cell.map((c) => `${c.display} ${pct(c.probability)}`).join(", ");
      return `<td style="background: rgb(${r},${gg},${b})" title="${esc(title)}">${esc(g.display)}</td>`;
    }).join("") + "</tr>";
  });
  $("lens").innerHTML = html;
  $("lens").dataset.loaded = "true";
  window.loupe.timing.lensMs = performance.now() - t0;
}

async function loadDla(text) {
  const q = text ? `?text=${encodeURIComponent(text)}` : "";
  try {
    const d = await (await api(`/api/runs/${state.run}/dla${q}`)).json();
    const comps = d.components.filter((c) => c.kind === "head" || c.kind === "mlp" || c.kind === "embed" || c.kind === "pos_embed");
    const max = Math.max(1e-9, ...comps.map((c) => Math.abs(c.attribution)));
    $("dla").innerHTML = `<div>target ${esc(d.target.display)} (id ${d.target.id}), logit ${d.logit.toFixed(4)}</div>` + comps.map((c) => {
      const w = 150 * Math.abs(c.attribution) / max, left = c.attribution >= 0 ? 150 : 150 - w;
      return `<div class="bar-row" title="${esc(c.label)}: ${c.attribution.toFixed(4)}"><span class="bar-label">${esc(c.label)}</span>` +
        `<span class="bar-track"><span class="bar ${c.attribution >= 0 ? "pos" : "neg"}" style="left:${left}px;width:${w}px"></span></span>` +
        `<span>${c.attribution.toFixed(3)}</span></div>`;
    }).join("");
  } catch (e) {
    $("dla").textContent = "error: " + e.message;
  }
}

let circuits = null;
async function loadCircuits() {
  $("circuits-run").disabled = true;
  $("circuits-run").textContent = "computing…";
  try {
    circuits = await (await api("/api/circuits")).json();
    $("copying").innerHTML = "<tr><th></th>" + [...Array(circuits.heads).keys()].map((h) => `<th>H${h}</th>`).join("") + "</tr>" +
      circuits.copying.map((row, l) => `<tr><th>L${l}</th>` + row.map((v) => {
        const x = v === null ? 0 : v, [r, g, b] = blue(Math.abs(x));
        return `<td style="background: rgb(${r},${g},${b})">${v === null ? "–" : v.toFixed(2)}</td>`;
      }).join("") + "</tr>").join("");
    const det = circuits.detectors, H = circuits.heads;
    $("detectors").innerHTML = det.unavailable ? `<tr><th>head detectors: ${esc(det.unavailable)}</th></tr>` : `<tr><th colspan="${H + 1}">head detectors on ${esc(det.probe)}: previous-token / duplicate-token / induction</th></tr>` +
      "<tr><th></th>" + [...Array(H).keys()].map((h) => `<th>H${h}</th>`).join("") + "</tr>" +
      det.induction.map((row, l) => `<tr><th>L${l}</th>` + row.map((v, h) => {
        const [r, g, b] = blue(Math.max(det.previous_token[l][h], det.duplicate_token[l][h], v));
        return `<td style="background: rgb(${r},${g},${b})">${det.previous_token[l][h].toFixed(2)}/${det.duplicate_token[l][h].toFixed(2)}/${v.toFixed(2)}</td>`;
      }).join("") + "</tr>").join("");
    drawComposition();
    $("circuits-run").textContent = "Circuits computed";
  } catch (e) {
    $("circuits-run").textContent = "error: " + e.message;
  }
}

function drawComposition() {
  if (!circuits) return;
  const m = circuits.composition[$("comp-kind").value], n = m.length, c = $("composition");
  c.width = n; c.height = n;
  let max = 1e-9;
  for (const row of m) for (const v of row) if (v !== null) max = Math.max(max, v);
  const ctx = c.getContext("2d"), img = ctx.createImageData(n, n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) {
    const v = m[i][j], o = 4 * (i * n + j), [r, g, b] = v === null ? [235, 235, 235] : blue(v / max);
    img.data[o] = r; img.data[o + 1] = g; img.data[o + 2] = b; img.data[o + 3] = 255;
  }
  ctx.putImageData(img, 0, 0);
}

function hoverComposition(ev) {
  if (!circuits) return;
  const m = circuits.composition[$("comp-kind").value], n = m.length, H = circuits.heads, r = $("composition").getBoundingClientRect();
  const j = Math.floor((ev.clientX - r.left) / r.width * n), i = Math.floor((ev.clientY - r.top) / r.height * n);
  if (i < 0 || j < 0 || i >= n || j >= n) return;
  const v = m[i][j];
  $("comp-hover").textContent = `${$("comp-kind").value}-composition L${Math.floor(i / H)}H${i % H} → L${Math.floor(j / H)}H${j % H}: ${v === null ? "–" : v.toFixed(4)}`;
}

init();

// ---- Features view (loupe serve --sae DIR): which SAE features fire on each token; a feature's page
async function initFeatures() {
  const f = await (await api("/api/features")).json();
  state.features = f;
  if (!f.enabled) return;
  $("features-section").hidden = false;
  $("features-info").textContent = `${f.d_sae} ${f.architecture} features at ${f.hook_name}` +
    (f.error_term ? ", error term added back" : ", spliced in (the model runs on the reconstruction)") + "; the 5 strongest per token; click one";
}

async function loadFeatures() {
  if (!state.features || !state.features.enabled) return;
  const r = await (await api("/api/features", { method: "POST", headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ prompt: $("prompt").value, k: 5 }) })).json();
  const rows = r.positions.map((p) => {
    const chips = p.features.map((f) => {
      const a = Math.min(1, f.activation / (r.max_activation || 1));
      return `<span class="feat" data-index="${f.index}" data-activation="${f.activation}" style="background: rgba(255,140,0,${(0.15 + 0.85 * a).toFixed(2)})">#${f.index} ${f.activation.toFixed(2)}</span>`;
    }).join(" ");
    return `<tr class="feat-pos" data-pos="${p.position}"><td>${p.position}</td><td class="tokcell">${esc(p.token)}</td><td>${p.active}</td><td>${chips}</td></tr>`;
  });
  $("features").innerHTML = "<tr><th>pos</th><th>token</th><th>active</th><th>strongest features</th></tr>" + rows.join("");
  for (const el of document.querySelectorAll("#features .feat")) el.addEventListener("click", () => loadFeature(+el.dataset.index));
  $("features").dataset.loaded = "true";
}

async function loadFeature(i) {
  const f = await (await api(`/api/features/${i}`)).json();
  const table = (title, list) => `<table><tr><th colspan="2">${title}</th></tr>` +
    list.map((l) => `<tr><td>${esc(l.token)}</td><td>${(l.effect >= 0 ? "+" : "") + l.effect.toFixed(3)}</td></tr>`).join("") + "</table>";
  const d = f.dashboard;
  let html = `<h3>feature ${i}</h3>`;
  if (d && d.density !== undefined) html += `<div>density ${pct(d.density)} on the dashboard's tokens</div>`;
  html += `<div class="columns">${table("raises logits", f.logits_positive)}${table("lowers logits", f.logits_negative)}</div>`;
  if (state.features.dashboard) html += `<button id="feature-open">open its dashboard</button>`;
  $("feature-detail").innerHTML = html;
  $("feature-detail").dataset.index = String(i);
  if (state.features.dashboard) {
    $("feature-open").addEventListener("click", () => {
      const frame = $("feature-dashboard");
      frame.hidden = false;
      frame.src = `/api/features/dashboard#${i}`;
    });
  }
}
