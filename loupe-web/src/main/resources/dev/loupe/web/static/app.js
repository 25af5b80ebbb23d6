// Loupe explorer: talks to the JSON API of `loupe serve` (see ExplorerServer.java). No dependencies.
"use strict";
const $ = (id) => document.getElementById(id);
// picks: heads overlaid on the tokens, each {layer, head, colour}; focus: the hovered token, pinned: the clicked one
const state = { run: null, tokens: [], layers: 0, heads: 0, patterns: [], active: null, picks: [], hovered: null, pinned: null, direction: "query" };
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
// text colour readable on blue(w): light on the dark end
function ink(w) { return w > 0.55 ? "#fff" : "#111"; }
function cellStyle(w) { const [r, g, b] = blue(w); return `background: rgb(${r},${g},${b}); color: ${ink(w)}`; }
// a sequential scale (dark purple → teal → yellow, viridis-like) for signed-free magnitudes
const VIRIDIS = [[68, 1, 84], [59, 82, 139], [33, 145, 140], [94, 201, 98], [253, 231, 37]];
function viridis(w) {
  const x = Math.min(1, Math.max(0, w)) * (VIRIDIS.length - 1), i = Math.min(VIRIDIS.length - 2, Math.floor(x)), f = x - i;
  return VIRIDIS[i].map((c, k) => Math.round(c + f * (VIRIDIS[i + 1][k] - c)));
}
// a vertical colour bar: scale(w) for w in [0, 1], labelled lo (bottom) and hi (top)
function colourBar(canvas, scale, lo, hi) {
  const W = canvas.width, H = canvas.height, ctx = canvas.getContext("2d");
  ctx.clearRect(0, 0, W, H);
  for (let y = 0; y < H - 16; y++) { const [r, g, b] = scale(1 - y / (H - 17)); ctx.fillStyle = `rgb(${r},${g},${b})`; ctx.fillRect(0, y + 8, 14, 1); }
  ctx.strokeStyle = "#999"; ctx.strokeRect(0.5, 8.5, 13, H - 17);
  ctx.fillStyle = "#333"; ctx.font = "11px monospace"; ctx.textBaseline = "middle";
  ctx.fillText(hi, 18, 9); ctx.fillText(lo, 18, H - 9);
}
function score(x) { return x.toFixed(2); }

async function init() {
  const m = await (await api("/api/model")).json();
  $("model-info").textContent = `${m.name}: ${m.layers} layers × ${m.heads} heads, d_model ${m.d_model}, context ${m.context}, vocabulary ${m.vocab}${m.weights === "bf16" ? ", bfloat16 weights" : ""}`;
  $("accepts").textContent = "The model accepts " + m.accepts + "." + (m.default_prompt_source === "training text"
    ? " The prompt it opens on is a sample of its training text (sample_prompt.txt)." : "");
  if (!$("prompt").value) $("prompt").value = m.default_prompt;
  $("run").addEventListener("click", analyse);
  $("dla-run").addEventListener("click", () => loadDla($("dla-target").value));
  $("circuits-run").addEventListener("click", loadCircuits);
  $("comp-kind").addEventListener("change", drawComposition);
  $("detail").addEventListener("mousemove", hoverDetail);
  $("detail").addEventListener("click", hoverDetail);
  $("composition").addEventListener("mousemove", hoverComposition);
  initTokenView();
  await initFeatures();
  colourBar($("detail-scale"), blue, "0", "1");
  if ($("prompt").value) await analyse();   // open on something: the default prompt (a repeated span)
  document.body.dataset.ready = "true";
}

async function analyse() {
  const t0 = performance.now();
  $("status").textContent = "running…";
  document.body.dataset.pictures = "0";
  $("lens").removeAttribute("data-loaded");       // readiness marks describe the current run only
  $("features").removeAttribute("data-loaded");
  try {
    const a = await (await api("/api/analyze", { method: "POST", headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ prompt: $("prompt").value }) })).json();
    window.loupe.timing.analyzeMs = performance.now() - t0;
    Object.assign(state, { run: a.run, tokens: a.tokens, layers: a.layers, heads: a.heads, patterns: [], active: null, hovered: null, pinned: null, scores: a.head_scores });
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
    highlightTokens();   // picked heads of later layers have their patterns now
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
  $("token-readout").textContent = "";
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
      const s = document.createElement("label");
      s.className = "scores";
      s.title = `overlay L${l}H${h} on the tokens`;
      const pick = document.createElement("input");
      pick.type = "checkbox"; pick.className = "pick"; pick.dataset.layer = l; pick.dataset.head = h;
      pick.addEventListener("change", () => togglePick(l, h, pick.checked));
      s.append(pick, `p${score(p)} d${score(d)} i${score(i)}`);
      cell.append(c, s);
      row.appendChild(cell);
    }
    g.appendChild(row);
  }
  showPicks();
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
  drawAxisLabels();
  $("detail").dataset.layer = l; $("detail").dataset.head = h;
  highlightTokens();
}

// token labels beside the expanded head: queries down the left, keys along the top (every n-th when crowded)
function drawAxisLabels() {
  const T = state.tokens.length, size = $("detail").clientWidth || 420, cell = size / T, every = Math.max(1, Math.ceil(10 / cell));
  const font = `${Math.max(8, Math.min(12, Math.floor(cell)))}px monospace`;
  for (const [id, vertical] of [["detail-queries", false], ["detail-keys", true]]) {
    const c = $(id), ctx = c.getContext("2d");
    ctx.clearRect(0, 0, c.width, c.height);
    ctx.fillStyle = "#333"; ctx.font = font; ctx.textBaseline = "middle"; ctx.textAlign = vertical ? "left" : "right";
    for (let i = 0; i < T; i += every) {
      const label = state.tokens[i].display + " " + i, at = (i + 0.5) * cell;
      ctx.save();
      if (vertical) { ctx.translate(at, c.height - 3); ctx.rotate(-Math.PI / 2); ctx.fillText(label, 0, 0); }
      else ctx.fillText(label, c.width - 3, at);
      ctx.restore();
    }
  }
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

async function loadLens() {
  const t0 = performance.now();
  const lens = await (await api(`/api/runs/${state.run}/lens`)).json();
  let html = "<tr><th></th>" + state.tokens.map((t, i) => `<th title="position ${i}">${esc(t.display)}</th>`).join("") + "</tr>";
  lens.rows.forEach((row, l) => {
    html += `<tr><th>${lens.labels[l]}</th>` + row.map((cell) => {
      const g = cell[0];
      const title = cell.map((c) => `${c.display} ${pct(c.probability)}`).join(", ");
      return `<td style="${cellStyle(g.probability)}" title="${esc(title)}">${esc(g.display)}</td>`;
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
    const comps = d.components.filter((c) => c.kind === "head" || c.kind === "mlp" || c.kind === "expert" || c.kind === "embed" || c.kind === "pos_embed");
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
        const x = v === null ? 0 : v;
        return `<td style="${cellStyle(Math.abs(x))}">${v === null ? "–" : v.toFixed(2)}</td>`;
      }).join("") + "</tr>").join("");
    const det = circuits.detectors, H = circuits.heads;
    $("detectors").innerHTML = det.unavailable ? `<tr><th>head detectors: ${esc(det.unavailable)}</th></tr>` : `<tr><th colspan="${H + 1}">head detectors on ${esc(det.probe)}: previous-token / duplicate-token / induction</th></tr>` +
      "<tr><th></th>" + [...Array(H).keys()].map((h) => `<th>H${h}</th>`).join("") + "</tr>" +
      det.induction.map((row, l) => `<tr><th>L${l}</th>` + row.map((v, h) => {
        return `<td style="${cellStyle(Math.max(det.previous_token[l][h], det.duplicate_token[l][h], v))}">${det.previous_token[l][h].toFixed(2)}/${det.duplicate_token[l][h].toFixed(2)}/${v.toFixed(2)}</td>`;
      }).join("") + "</tr>").join("");
    drawComposition();
    $("circuits-run").textContent = "Circuits computed";
  } catch (e) {
    $("circuits-run").textContent = "error: " + e.message;
  }
}

// composition scores on a canvas with margins: rows = source head (writes), columns = destination head (reads);
// viridis scaled to the largest score (white: not a composition, same or later layer), with a colour bar
const COMP = { margin: 44, size: 300 };
function drawComposition() {
  if (!circuits) return;
  const m = circuits.composition[$("comp-kind").value], n = m.length, H = circuits.heads, c = $("composition");
  const { margin: M, size: S } = COMP, cell = S / n;
  c.width = M + S + 2; c.height = M + S + 2;
  let max = 1e-9;
  for (const row of m) for (const v of row) if (v !== null) max = Math.max(max, v);
  const ctx = c.getContext("2d");
  ctx.clearRect(0, 0, c.width, c.height);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) {
    const v = m[i][j], [r, g, b] = v === null ? [245, 245, 245] : viridis(v / max);
    ctx.fillStyle = `rgb(${r},${g},${b})`;
    ctx.fillRect(M + j * cell, M + i * cell, Math.ceil(cell), Math.ceil(cell));
  }
  ctx.strokeStyle = "#fff"; ctx.lineWidth = 1;
  ctx.fillStyle = "#333"; ctx.font = "10px monospace"; ctx.textAlign = "center"; ctx.textBaseline = "middle";
  for (let l = 0; l * H < n; l++) {
    const at = M + (l * H + H / 2) * cell;
    ctx.fillText(`L${l}`, at, M - 8);
    ctx.save(); ctx.translate(M - 8, at); ctx.rotate(-Math.PI / 2); ctx.fillText(`L${l}`, 0, 0); ctx.restore();
    if (l > 0) { const e = M + l * H * cell; ctx.beginPath(); ctx.moveTo(e, M); ctx.lineTo(e, M + S); ctx.moveTo(M, e); ctx.lineTo(M + S, e); ctx.stroke(); }
  }
  ctx.font = "11px system-ui, sans-serif";
  ctx.fillText("columns: destination head (reads)", M + S / 2, 10);
  ctx.save(); ctx.translate(10, M + S / 2); ctx.rotate(-Math.PI / 2); ctx.fillText("rows: source head (writes)", 0, 0); ctx.restore();
  colourBar($("comp-scale"), viridis, "0", max.toFixed(3));
  c.dataset.max = String(max);
}

function hoverComposition(ev) {
  if (!circuits) return;
  const m = circuits.composition[$("comp-kind").value], n = m.length, H = circuits.heads, c = $("composition"), r = c.getBoundingClientRect();
  const px = (ev.clientX - r.left) * c.width / r.width - COMP.margin, py = (ev.clientY - r.top) * c.height / r.height - COMP.margin;
  const j = Math.floor(px / COMP.size * n), i = Math.floor(py / COMP.size * n);
  if (i < 0 || j < 0 || i >= n || j >= n) return;
  const v = m[i][j];
  $("comp-hover").textContent = `${$("comp-kind").value}-composition, source L${Math.floor(i / H)}H${i % H} → L${Math.floor(j / H)}H${j % H}: ${v === null ? "–" : v.toFixed(4)}`;
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
