// Renders the workflow as a column of node cards with one control per
// input, and shows per-node state on them: progress, cached/done, and
// validation or execution errors next to the offending input.
import { h, uid } from "./dom.js";
import { inputsOf, outputsOf, linkCompatible, defaultValue } from "./schema.js";
import { createWidget, createLinkField } from "./widgets.js";
import { isLink } from "./workflow.js";

export class Editor {
  constructor(container, { onChange } = {}) {
    this.container = container;
    this.onChange = onChange || (() => {});
    this.cards = new Map(); // node id -> {card, widgets: Map(name -> widget), bar, badge, errors}
    this.workflow = null;
    this.defs = {};
  }

  render(workflow, defs) {
    this.workflow = workflow;
    this.defs = defs;
    this.cards.clear();
    this.container.replaceChildren(...workflow.order().map((id) => this.card(id)));
  }

  rerender() {
    const focused = document.activeElement?.closest?.(".node")?.dataset.node;
    this.render(this.workflow, this.defs);
    if (focused) this.cards.get(focused)?.card.querySelector("h3")?.focus();
  }

  card(id) {
    const node = this.workflow.nodes[id];
    const def = this.defs[node.class_type];
    const titleId = uid("node");
    const bar = h("div", { class: "bar small", role: "progressbar", "aria-label": "Node progress", "aria-valuemin": 0, "aria-valuemax": 100, "aria-valuenow": 0 }, h("span"));
    const badge = h("span", { class: "badge", hidden: true });
    const errors = h("ul", { class: "node-errors", role: "alert", hidden: true });
    const remove = h("button", { type: "button", class: "icon subtle", "aria-label": `Remove node ${id}`, title: "Remove node" }, "✕");
    remove.addEventListener("click", () => {
      this.workflow.removeNode(id);
      this.onChange();
      this.rerender();
    });
    const header = h("header", {},
      h("h3", { id: titleId, tabindex: "-1" }, this.workflow.title(id, this.defs)),
      h("span", { class: "node-id" }, `#${id}`),
      h("span", { class: "class-type" }, node.class_type),
      badge, remove);
    const card = h("article", { class: "node", "data-node": id, "aria-labelledby": titleId }, header, bar, errors);
    const widgets = new Map();
    if (!def) {
      errors.append(h("li", {}, `Unknown node type "${node.class_type}": the server does not provide it.`));
      errors.hidden = false;
      card.classList.add("has-error");
    }
    for (const w of this.fields(id, node, def)) {
      widgets.set(w.row.dataset.input, w);
      card.append(w.row);
    }
    this.cards.set(id, { card, widgets, bar, badge, errors });
    return card;
  }

  // fields builds the controls for a node: declared inputs in order
  // (required ones missing from the workflow get their default), then any
  // extra inputs the schema does not know.
  fields(id, node, def) {
    const out = [];
    const declared = def ? inputsOf(def) : [];
    const set = (name) => (v) => {
      if (v === undefined) delete node.inputs[name];
      else this.workflow.setInput(id, name, v);
      this.onChange();
    };
    for (const input of declared) {
      let value = node.inputs[input.name];
      if (value === undefined && !input.required) continue;
      if (input.kind === "link" || isLink(value)) {
        out.push(createLinkField(input, value, this.sources(id, input.type), set(input.name)));
        continue;
      }
      if (value === undefined) {
        value = defaultValue(input);
        node.inputs[input.name] = value;
      }
      out.push(createWidget(input, value, set(input.name)));
    }
    const names = new Set(declared.map((i) => i.name));
    for (const [name, value] of Object.entries(node.inputs)) {
      if (names.has(name)) continue;
      const input = { name, required: false, type: "*", options: {}, kind: isLink(value) ? "link" : "raw" };
      out.push(input.kind === "link"
        ? createLinkField(input, value, this.sources(id, "*"), set(name))
        : createWidget(input, value, set(name)));
    }
    return out;
  }

  // sources lists the other nodes' outputs that can feed a socket of type.
  sources(selfId, type) {
    const out = [];
    for (const id of this.workflow.order()) {
      if (id === selfId) continue;
      const def = this.defs[this.workflow.nodes[id].class_type];
      for (const o of outputsOf(def)) {
        if (linkCompatible(type, o.type)) out.push({ link: [id, o.slot], label: `${this.workflow.title(id, this.defs)} #${id} → ${o.name}` });
      }
    }
    return out;
  }

  afterQueue() {
    for (const { widgets } of this.cards.values()) for (const w of widgets.values()) w.afterQueue();
  }

  // Node state -------------------------------------------------------

  resetState() {
    for (const c of this.cards.values()) {
      c.card.classList.remove("running", "done", "cached", "has-error");
      c.badge.hidden = true;
      setBar(c.bar, 0);
    }
  }

  setState(id, state, value = 0, max = 1) {
    const c = this.cards.get(String(id));
    if (!c) return;
    c.card.classList.toggle("running", state === "running");
    c.card.classList.toggle("done", state === "finished" || state === "cached");
    c.card.classList.toggle("cached", state === "cached");
    if (state === "error") c.card.classList.add("has-error");
    const labels = { running: "running", finished: "done", cached: "cached", error: "error" };
    c.badge.textContent = labels[state] || "";
    c.badge.dataset.state = state;
    c.badge.hidden = !labels[state];
    setBar(c.bar, state === "finished" || state === "cached" ? 1 : max > 0 ? value / max : 0);
  }

  // settle ends the "running" look of nodes a run left unfinished
  // (interrupt, error elsewhere), marking them with state.
  settle(state) {
    for (const c of this.cards.values()) {
      if (!c.card.classList.contains("running")) continue;
      c.card.classList.remove("running");
      c.badge.textContent = state;
      c.badge.dataset.state = state;
    }
  }

  // showErrors puts node_errors (spec 2.3) on their cards and inputs and
  // returns the id of the first offending node.
  showErrors(nodeErrors) {
    this.clearErrors();
    let first = null;
    for (const [id, entry] of Object.entries(nodeErrors || {})) {
      const c = this.cards.get(id);
      if (!c) continue;
      first ??= id;
      c.card.classList.add("has-error");
      for (const err of entry.errors || []) {
        const name = err.extra_info?.input_name;
        const widget = name && c.widgets.get(name);
        const text = err.details ? `${err.message}: ${err.details}` : err.message;
        if (widget) widget.setError(text);
        else c.errors.append(h("li", {}, text));
      }
      c.errors.hidden = c.errors.childElementCount === 0;
    }
    return first;
  }

  showExecutionError(data) {
    const c = this.cards.get(String(data.node_id));
    if (!c) return;
    this.setState(data.node_id, "error");
    c.errors.append(h("li", {}, `${data.exception_type || "Error"}: ${data.exception_message || "execution failed"}`));
    c.errors.hidden = false;
  }

  clearErrors() {
    for (const c of this.cards.values()) {
      c.card.classList.remove("has-error");
      c.errors.replaceChildren();
      c.errors.hidden = true;
      for (const w of c.widgets.values()) w.setError("");
    }
  }

  focusNode(id) {
    const c = this.cards.get(String(id));
    if (!c) return;
    const target = c.card.querySelector("[aria-invalid=true]") || c.card.querySelector("h3");
    target.focus();
    c.card.scrollIntoView({ block: "nearest", behavior: "smooth" });
  }
}

export function setBar(bar, fraction) {
  const pct = Math.round(Math.max(0, Math.min(1, fraction)) * 100);
  bar.firstElementChild.style.width = `${pct}%`;
  bar.setAttribute("aria-valuenow", String(pct));
}
