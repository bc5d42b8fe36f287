/* kg viewer: draws the graph in #kg-data with vis-network and wires search, filters, focus and
 * the evidence panel. Text from the graph is only ever written with textContent / text nodes. */
(function () {
  "use strict";
  const data = JSON.parse(document.getElementById("kg-data").textContent);
  const $ = (id) => document.getElementById(id);
  const ents = data.entities;
  const props = data.properties;
  const classes = data.classes;

  /** An element with text content, a class, event handlers and children (strings become text). */
  function h(tag, opts, children) {
    const el = document.createElement(tag);
    for (const [k, v] of Object.entries(opts || {})) {
      if (k === "text") el.textContent = v;
      else if (k === "class") el.className = v;
      else if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
      else el.setAttribute(k, v); // only fixed attribute names with values made here
    }
    for (const c of children || []) if (c !== null && c !== undefined) el.append(c);
    return el;
  }
  const glyph = (cls) => { const g = h("span", { class: "glyph", text: cls.glyph }); g.style.color = cls.color; return g; };
  const docName = (i) => { const d = data.docs[i]; return d ? (d.date ? d.title + " · " + d.date : d.title) : "?"; };

  // ------------------------------------------------------------------ state and indexes
  const edgeById = new Map(data.edges.map((e) => [e.id, e]));
  const incident = ents.map(() => []);
  for (const e of data.edges) { incident[e.from].push(e); if (e.to !== e.from) incident[e.to].push(e); }
  const state = {
    classes: new Set(classes.map((_, i) => i)),
    props: new Set(props.map((_, i) => i)),
    doc: -1,
    focus: null, // Set of node ids, or null
    selected: null,
  };
  const classOk = (id) => state.classes.has(ents[id].c);
  const docOk = (id) => state.doc < 0 || ents[id].d.includes(state.doc);
  const nodeOk = (id) => classOk(id) && docOk(id) && (state.focus === null || state.focus.has(id));
  function edgeOk(e) {
    if (!state.props.has(e.p) || !nodeOk(e.from) || !nodeOk(e.to)) return false;
    return state.doc < 0 || e.d.length === 0 || e.d.includes(state.doc);
  }

  // ------------------------------------------------------------------ the network
  const nodes = new vis.DataSet(data.nodes);
  const edges = new vis.DataSet(data.edges.map((e) => {
    const { ev, d, p, ...visible } = e; // evidence stays out of vis-network
    return visible;
  }));
  const nodeView = new vis.DataView(nodes, { filter: (n) => nodeOk(n.id) });
  const edgeView = new vis.DataView(edges, { filter: (e) => edgeOk(edgeById.get(e.id)) });
  const network = new vis.Network($("net"), { nodes: nodeView, edges: edgeView }, data.options);

  function ready() {
    $("loading").hidden = true;
    window.__kgReady = true;
    document.body.dataset.ready = "1";
    document.dispatchEvent(new Event("kg:ready"));
    if (data.meta.focusLabel) {
      const f = data.meta.focusLabel;
      let i = ents.findIndex((e) => e.label === f);
      if (i < 0) i = ents.findIndex((e) => e.aliases.includes(f));
      if (i >= 0) select(i, false);
    }
  }
  if (data.meta.physics && data.nodes.length > 0) {
    network.on("stabilizationProgress", (p) => {
      $("loading").textContent = "布局中 Laying out… " + Math.round((100 * p.iterations) / p.total) + "%";
    });
    network.once("stabilizationIterationsDone", () => {
      network.setOptions({ physics: { enabled: false } });
      ready();
    });
  } else {
    network.once("afterDrawing", ready);
  }

  function refresh() {
    nodeView.refresh();
    edgeView.refresh();
    $("status").textContent = "显示 Showing " + nodeView.length + " / " + ents.length + " 实体 entities · " +
      edgeView.length + " / " + data.edges.length + " 关系 relations";
  }

  // ------------------------------------------------------------------ title bar
  (function titleBar() {
    const docs = data.docs;
    if (docs.length === 1) $("docs").append("来自 Built from: " + docName(0));
    else if (docs.length > 1) {
      $("docs").append(h("details", {}, [
        h("summary", { text: "来自 " + docs.length + " 篇文档 Built from " + docs.length + " documents" }),
        h("ol", {}, docs.map((_, i) => h("li", { text: docName(i) }))),
      ]));
    }
    const drawn = data.meta.entityCount === ents.length ? "" : " / " + data.meta.entityCount;
    $("counts").textContent = ents.length + drawn + " 实体 entities · " + data.edges.length + " 关系 relations";
  })();

  // ------------------------------------------------------------------ legend and filters
  function checkbox(checked, onchange, children) {
    const box = h("input", { type: "checkbox", onchange: (ev) => onchange(ev.target.checked) });
    box.checked = checked;
    return h("label", { class: "check" }, [box, ...children]);
  }
  const classCount = classes.map(() => 0);
  for (const e of ents) classCount[e.c] += 1;
  classes.forEach((cls, i) => {
    if (!classCount[i]) return;
    $("legend").append(checkbox(true, (on) => { on ? state.classes.add(i) : state.classes.delete(i); refresh(); },
      [glyph(cls), cls.zh + " " + cls.en + " ", h("span", { class: "n", text: "(" + classCount[i] + ")" })]));
  });
  const propCount = props.map(() => 0);
  for (const e of data.edges) propCount[e.p] += 1;
  props.forEach((p, i) => {
    if (!propCount[i]) return;
    const swatch = h("span", { class: "swatch" });
    swatch.style.background = p.color;
    $("props").append(checkbox(true, (on) => { on ? state.props.add(i) : state.props.delete(i); refresh(); },
      [swatch, p.zh + " " + p.en + " ", h("span", { class: "n", text: "(" + propCount[i] + ")" })]));
  });
  data.docs.forEach((_, i) => $("docfilter").append(h("option", { value: String(i), text: docName(i) })));
  $("docfilter").addEventListener("change", (ev) => { state.doc = Number(ev.target.value); refresh(); });

  // ------------------------------------------------------------------ focus
  function focusOn(id, depth) {
    const dist = new Map([[id, 0]]);
    const queue = [id];
    state.focus = null; // search the whole filtered graph
    for (let k = 0; k < queue.length; k++) {
      const v = queue[k];
      if (dist.get(v) >= depth) continue;
      for (const e of incident[v]) {
        const w = e.from === v ? e.to : e.from;
        if (!dist.has(w) && edgeOk(e)) { dist.set(w, dist.get(v) + 1); queue.push(w); }
      }
    }
    state.focus = new Set(dist.keys());
    refresh();
    relax(Array.from(state.focus));
  }
  // A large graph's layout comes from Python with physics off: a focused neighbourhood gets a
  // short force layout of its own, and its nodes go back home when everything is shown again.
  const home = new Map();
  function relax(ids) {
    const done = () => { network.fit({ nodes: ids, animation: false }); document.dispatchEvent(new Event("kg:relaxed")); };
    if (data.meta.physics || ids.length < 2 || ids.length > 300) { done(); return; }
    const pos = network.getPositions(ids);
    for (const id of ids) if (!home.has(id)) home.set(id, pos[id]);
    network.once("stabilizationIterationsDone", () => { network.setOptions({ physics: { enabled: false } }); done(); });
    network.setOptions({ physics: { enabled: true } });
    network.stabilize(100);
  }
  function goHome() {
    for (const [id, p] of home) network.moveNode(id, p.x, p.y);
    home.clear();
  }
  $("focus").addEventListener("click", () => {
    if (state.selected !== null) focusOn(state.selected, Math.max(0, Number($("depth").value) || 0));
  });
  $("depth").addEventListener("change", () => { if (state.focus !== null) $("focus").click(); });
  function showAll() {
    state.focus = null;
    state.doc = -1;
    $("docfilter").value = "-1";
    state.classes = new Set(classes.map((_, i) => i));
    state.props = new Set(props.map((_, i) => i));
    for (const box of document.querySelectorAll("#tools input[type=checkbox]")) box.checked = true;
    refresh();
    goHome();
    network.fit({ animation: false });
  }
  $("reset").addEventListener("click", showAll);

  // ------------------------------------------------------------------ evidence panel
  function sentence(sid, ranges, extra) {
    const [doc, text] = data.sentences[sid];
    const p = h("p", { class: "sent" }, [h("span", { class: "src", text: doc >= 0 ? docName(doc) : "" })]);
    let pos = 0;
    for (const [a, b] of ranges) {
      if (a < pos) continue;
      p.append(text.slice(pos, a), h("mark", { text: text.slice(a, b) }));
      pos = b;
    }
    p.append(text.slice(pos));
    if (extra) p.append(extra);
    return p;
  }
  function evidenceList(ev, limit) {
    const box = h("div", { class: "evidence" });
    const show = (n) => {
      box.replaceChildren(...ev.slice(0, n).map(([sid, ranges]) => sentence(sid, ranges)));
      if (ev.length > n) box.append(h("button", { type: "button", text: "显示全部 Show all " + ev.length, onclick: () => show(ev.length) }));
    };
    show(limit);
    return box;
  }
  const panel = $("panel");
  const closeButton = () => h("button", { class: "close", type: "button", title: "关闭 Close", text: "×", onclick: closePanel });
  /** Show or hide the panel; the canvas takes the width it frees or gives up at once. */
  function showPanel(on) {
    if (panel.hidden !== on) return;
    panel.hidden = !on;
    network.setSize("100%", "100%");
  }
  const closePanel = () => showPanel(false);
  const relLabel = (e) => props[e.p].zh + " " + props[e.p].en;
  function relationItem(e, id) {
    const out = e.from === id;
    const other = out ? e.to : e.from;
    return h("li", {}, [
      out ? relLabel(e) + " → " : "← ",
      h("button", { class: "rel", type: "button", text: ents[other].label, onclick: () => select(other, true) }),
      out ? "" : " " + relLabel(e),
      h("span", { class: "muted", text: " (" + e.ev.length + ")" }),
    ]);
  }
  function openEntity(id) {
    const ent = ents[id];
    const cls = classes[ent.c];
    const rels = incident[id];
    panel.replaceChildren(
      closeButton(),
      h("h2", { text: ent.label }),
      h("div", {}, [glyph(cls), cls.zh + " · " + cls.en]),
      h("div", { class: "iri", text: ent.iri }),
      h("h3", { text: "别名 Aliases" }),
      ent.aliases.length ? h("ul", {}, ent.aliases.map((a) => h("li", { text: a }))) : h("div", { class: "muted", text: "—" }),
      h("h3", { text: "关系 Relations (" + rels.length + ")" }),
      rels.length ? h("ul", {}, rels.map((e) => relationItem(e, id))) : h("div", { class: "muted", text: "—" }),
      h("h3", { text: "证据 Evidence (" + ent.ev.length + ")" }),
      evidenceList(ent.ev, 20),
      h("h3", { text: "文档 Documents" }),
      h("ul", {}, ent.d.map((i) => h("li", { text: docName(i) }))),
    );
    showPanel(true);
    panel.scrollTop = 0;
  }
  function openEdge(eid) {
    const e = edgeById.get(eid);
    panel.replaceChildren(
      closeButton(),
      h("h2", { text: relLabel(e) }),
      h("div", {}, [
        h("button", { class: "rel", type: "button", text: ents[e.from].label, onclick: () => select(e.from, true) }),
        " → ",
        h("button", { class: "rel", type: "button", text: ents[e.to].label, onclick: () => select(e.to, true) }),
      ]),
      h("h3", { text: "证据 Evidence (" + e.ev.length + ")" }),
      evidenceList(e.ev, 20),
    );
    showPanel(true);
  }
  function select(id, move) {
    if (!nodeOk(id)) showAll();
    state.selected = id;
    $("focus").disabled = false;
    network.selectNodes([id]);
    openEntity(id);
    if (move) network.focus(id, { scale: Math.max(network.getScale(), 1), animation: false });
  }
  network.on("click", (p) => {
    if (p.nodes.length) select(p.nodes[0], false);
    else if (p.edges.length) openEdge(p.edges[0]);
  });
  document.addEventListener("keydown", (ev) => { if (ev.key === "Escape") closePanel(); });

  // ------------------------------------------------------------------ hover tooltips
  const tip = $("tip");
  function showTip(children, pointer) {
    tip.replaceChildren(...children);
    const r = $("net").getBoundingClientRect();
    tip.style.left = Math.min(r.left + pointer.x + 14, window.innerWidth - 430) + "px";
    tip.style.top = r.top + pointer.y + 14 + "px";
    tip.hidden = false;
  }
  network.on("hoverEdge", (p) => {
    const e = edgeById.get(p.edge);
    const first = e.ev[0];
    showTip([
      h("div", { class: "head", text: relLabel(e) }),
      h("div", { text: ents[e.from].label + " → " + ents[e.to].label }),
      first ? sentence(first[0], first[1], e.ev.length > 1 ? h("span", { class: "muted", text: " (+" + (e.ev.length - 1) + ")" }) : null)
        : h("div", { class: "muted", text: "无证据句 No evidence sentence" }),
    ], p.pointer.DOM);
  });
  network.on("hoverNode", (p) => {
    const ent = ents[p.node];
    const cls = classes[ent.c];
    showTip([
      h("div", { class: "head", text: ent.label }),
      h("div", {}, [glyph(cls), cls.zh + " · " + cls.en]),
      ent.aliases.length ? h("div", { class: "muted", text: "别名 " + ent.aliases.join("、") }) : null,
    ], p.pointer.DOM);
  });
  for (const ev of ["blurEdge", "blurNode", "dragStart", "zoom", "click"]) network.on(ev, () => { tip.hidden = true; });

  // ------------------------------------------------------------------ search
  const haystack = ents.map((e) => [e.label, ...e.aliases].map((s) => s.toLowerCase()));
  function search(query) {
    const q = query.trim().toLowerCase();
    if (!q) return [];
    const hits = [];
    haystack.forEach((names, i) => {
      const k = names.findIndex((s) => s.includes(q));
      if (k < 0) return;
      const rank = names[k] === q ? 0 : names[k].startsWith(q) ? 1 : 2;
      hits.push([rank, k > 0 ? 1 : 0, ents[i].label.length, ents[i].label, i, k]);
    });
    hits.sort((a, b) => a[0] - b[0] || a[1] - b[1] || a[2] - b[2] || (a[3] < b[3] ? -1 : a[3] > b[3] ? 1 : 0));
    return hits.map((x) => ({ id: x[4], alias: x[5] > 0 ? ents[x[4]].aliases[x[5] - 1] : null }));
  }
  function showResults() {
    const hits = search($("search").value);
    const items = hits.slice(0, 50).map((hit) => {
      const ent = ents[hit.id];
      return h("li", {}, [h("button", { type: "button", onclick: () => select(hit.id, true) }, [
        glyph(classes[ent.c]), ent.label,
        hit.alias ? h("span", { class: "muted", text: " (" + hit.alias + ")" }) : null,
      ])]);
    });
    if (hits.length > 50) items.push(h("li", { class: "more", text: "… " + (hits.length - 50) + " more" }));
    if ($("search").value.trim() && !hits.length) items.push(h("li", { class: "more", text: "无结果 No match" }));
    $("results").replaceChildren(...items);
  }
  $("search").addEventListener("input", showResults);
  $("search").addEventListener("keydown", (ev) => {
    if (ev.key === "Enter") { const hits = search($("search").value); if (hits.length) select(hits[0].id, true); }
  });

  refresh();
  window.kgViewer = { network, nodes, edges, nodeView, edgeView, data, search, select, focusOn, showAll, openEdge };
})();
