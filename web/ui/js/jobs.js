// Queue and history panels (GET /queue, GET /history): cancel running or
// pending prompts, open, re-run or delete finished ones.
import { h } from "./dom.js";
import * as api from "./api.js";

export class JobsPanel {
  constructor({ queueList, historyList, queueSize, onOpen, onRerun, onError }) {
    this.queueList = queueList;
    this.historyList = historyList;
    this.queueSize = queueSize;
    this.onOpen = onOpen;
    this.onRerun = onRerun;
    this.onError = onError;
    this.refreshing = null;
    this.again = false;
  }

  // refresh reloads both lists; calls during a refresh coalesce into one more.
  async refresh() {
    if (this.refreshing) {
      this.again = true;
      return this.refreshing;
    }
    this.refreshing = (async () => {
      do {
        this.again = false;
        try {
          const [queue, history] = await Promise.all([api.getQueue(), api.getHistory(50)]);
          this.renderQueue(queue);
          this.renderHistory(history);
        } catch (err) {
          this.onError(err);
        }
      } while (this.again);
    })();
    try {
      await this.refreshing;
    } finally {
      this.refreshing = null;
    }
  }

  renderQueue(queue) {
    const running = queue.queue_running || [];
    const pending = [...(queue.queue_pending || [])].sort((a, b) => Number(a[0]) - Number(b[0]));
    const items = [
      ...running.map((item) => this.queueItem(item, true)),
      ...pending.map((item) => this.queueItem(item, false)),
    ];
    if (!items.length) items.push(h("li", { class: "empty muted" }, "Nothing queued."));
    this.queueList.replaceChildren(...items);
    this.setSize(running.length + pending.length);
  }

  setSize(n) {
    this.queueSize.textContent = `Queue ${n}`;
    this.queueSize.classList.toggle("muted", n === 0);
  }

  queueItem(item, running) {
    const [number, id, prompt] = item;
    const cancel = h("button", { type: "button", class: "small danger", "aria-label": `${running ? "Stop" : "Cancel"} prompt ${short(id)}` }, running ? "Stop" : "Cancel");
    cancel.addEventListener("click", () => this.act(() => (running ? api.interrupt(id) : api.deletePending([id]))));
    return h("li", { class: `job ${running ? "running" : "pending"}`, "data-prompt": id },
      h("div", { class: "job-main" },
        h("span", { class: "job-state", "data-state": running ? "running" : "pending" }, running ? "running" : `#${number}`),
        h("span", { class: "job-title" }, summary(prompt))),
      h("div", { class: "job-actions" }, cancel));
  }

  renderHistory(history) {
    const entries = Object.entries(history || {}).reverse();
    const items = entries.map(([id, entry]) => this.historyItem(id, entry));
    if (!items.length) items.push(h("li", { class: "empty muted" }, "No finished prompts yet."));
    this.historyList.replaceChildren(...items);
  }

  historyItem(id, entry) {
    const prompt = entry.prompt?.[2] || {};
    const status = entry.status || {};
    const interrupted = (status.messages || []).some(([type]) => type === "execution_interrupted");
    const state = status.status_str === "error" ? (interrupted ? "cancelled" : "failed") : "done";
    const image = Object.values(entry.outputs || {}).flatMap((o) => o.images || [])[0];
    const open = h("button", { type: "button", class: "small", "aria-label": `Open prompt ${short(id)} in the editor` }, "Open");
    const rerun = h("button", { type: "button", class: "small", "aria-label": `Run prompt ${short(id)} again` }, "Re-run");
    const del = h("button", { type: "button", class: "small subtle", "aria-label": `Delete prompt ${short(id)} from history` }, "Delete");
    open.addEventListener("click", () => this.onOpen(prompt, id));
    rerun.addEventListener("click", () => this.onRerun(prompt));
    del.addEventListener("click", () => this.act(() => api.deleteHistory([id])));
    return h("li", { class: `job ${state}`, "data-prompt": id },
      image ? h("img", { class: "thumb", src: api.viewURL(image), alt: "", loading: "lazy" }) : h("span", { class: "thumb none", "aria-hidden": "true" }, "◇"),
      h("div", { class: "job-main" },
        h("span", { class: "job-state", "data-state": state }, state),
        h("span", { class: "job-title" }, summary(prompt)),
        h("span", { class: "muted mono" }, short(id))),
      h("div", { class: "job-actions" }, open, rerun, del));
  }

  async act(fn) {
    try {
      await fn();
    } catch (err) {
      this.onError(err);
    }
    await this.refresh();
  }
}

const short = (id) => String(id).slice(0, 8);

// summary names a prompt by its first text prompt, else by its node types.
function summary(prompt) {
  const nodes = Object.values(prompt || {});
  for (const node of nodes) {
    const text = node?.inputs?.text;
    if (typeof text === "string" && text.trim()) return text.trim().slice(0, 80);
  }
  const types = [...new Set(nodes.map((n) => n?._meta?.title || n?.class_type).filter(Boolean))];
  return types.length ? types.join(", ") : "empty prompt";
}
