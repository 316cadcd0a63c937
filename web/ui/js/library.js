// The node library: every class from /object_info grouped by category,
// filtered as you type, each with an "Add" button.
import { h } from "./dom.js";
import { categories, displayName } from "./schema.js";

export class Library {
  constructor({ list, search, count, onAdd }) {
    this.list = list;
    this.search = search;
    this.count = count;
    this.onAdd = onAdd;
    this.defs = {};
    search.addEventListener("input", () => this.render());
  }

  setDefs(defs) {
    this.defs = defs;
    this.render();
  }

  render() {
    const terms = this.search.value.toLowerCase().split(/\s+/).filter(Boolean);
    const matches = (def) => {
      const aliases = Array.isArray(def.search_aliases) ? def.search_aliases.join(" ") : "";
      const hay = `${displayName(def)} ${def.name} ${def.category} ${aliases}`.toLowerCase();
      return terms.every((t) => hay.includes(t));
    };
    let shown = 0;
    const groups = [];
    for (const [category, defs] of categories(this.defs)) {
      const hits = defs.filter(matches);
      if (!hits.length) continue;
      shown += hits.length;
      groups.push(h("section", { class: "category" },
        h("h3", {}, category),
        h("ul", {}, hits.map((def) => this.item(def)))));
    }
    if (!groups.length) groups.push(h("p", { class: "muted empty" }, "No node matches."));
    this.list.replaceChildren(...groups);
    const total = Object.keys(this.defs).length;
    this.count.textContent = shown === total ? `${total}` : `${shown} of ${total}`;
  }

  item(def) {
    const add = h("button", { type: "button", class: "small", "aria-label": `Add ${displayName(def)} to the workflow` }, "Add");
    add.addEventListener("click", () => this.onAdd(def.name));
    return h("li", { title: def.description || null },
      h("span", { class: "node-name" }, displayName(def)),
      def.display_name && def.display_name !== def.name ? h("span", { class: "muted mono" }, def.name) : null,
      add);
  }
}
