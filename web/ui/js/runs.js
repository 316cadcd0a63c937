// Follows prompts through the WebSocket events of spec 3.3/3.4 and shows
// the one running (or last queued) on the run panel and, when it was
// queued from the editor, on the node cards.
import * as api from "./api.js";

export class RunTracker {
  // titleOf(prompt, id) names a node for status lines.
  constructor({ editor, run, jobs, titleOf }) {
    this.editor = editor;
    this.run = run;
    this.jobs = jobs;
    this.titleOf = titleOf;
    this.current = null; // {id, titles, fromEditor, start}
    this.pending = new Map(); // prompt id -> {prompt, fromEditor}, queued and not started
  }

  // expect registers a prompt before it is posted: a quick prompt can
  // start before the POST answers, and its events must be recognised.
  expect(id, prompt, fromEditor) {
    this.pending.set(id, { prompt, fromEditor });
  }

  forget(id) {
    this.pending.delete(id);
  }

  // accepted: the server queued it. Shown at once when nothing else is.
  accepted(id) {
    if (!this.current && this.pending.has(id)) {
      this.track(id);
      this.run.start(id);
    }
  }

  track(id) {
    const { prompt, fromEditor = false } = this.pending.get(id) || {};
    const titles = {};
    for (const nid of Object.keys(prompt || {})) titles[nid] = this.titleOf(prompt, nid);
    this.current = { id, titles, fromEditor, start: performance.now() };
    this.pending.delete(id);
  }

  isCurrent(data) {
    return this.current !== null && data?.prompt_id === this.current.id;
  }

  title(id) {
    return this.current?.titles?.[id] || (id ? `node ${id}` : "");
  }

  // handle applies one JSON message of the run being followed.
  handle(type, data) {
    const fn = this.handlers[type];
    if (fn) fn.call(this, data || {});
  }

  preview({ blob, promptId }) {
    if (this.current && (!promptId || promptId === this.current.id)) this.run.setPreview(blob);
  }

  interrupt() {
    return this.current ? api.interrupt(this.current.id) : Promise.resolve();
  }

  finish(text, ok) {
    if (this.current.fromEditor) this.editor.settle(ok ? "done" : "stopped");
    this.run.finish(text, ok);
    this.current = null;
    this.jobs.refresh();
  }

  // catchUp settles a run whose end was missed while disconnected.
  async catchUp() {
    if (!this.current) return;
    const id = this.current.id;
    const entry = (await api.getHistoryItem(id))[id];
    if (!entry || this.current?.id !== id) return; // still queued or running: events will follow
    for (const [nid, output] of Object.entries(entry.outputs || {})) this.run.addOutput(this.title(nid), output);
    const ok = entry.status?.status_str === "success";
    this.finish(ok ? "Done" : "Did not finish", ok);
  }
}

RunTracker.prototype.handlers = {
  execution_start(data) {
    if (this.current?.id !== data.prompt_id) {
      // Prompts queued elsewhere (another tab, before a reload) are not
      // pending here: their status lines name node ids only.
      this.track(data.prompt_id);
      this.run.start(data.prompt_id);
    }
    this.current.start = performance.now();
    if (this.current.fromEditor) this.editor.resetState();
    this.run.setStatus("Running…");
  },
  execution_cached(data) {
    if (!this.isCurrent(data) || !this.current.fromEditor) return;
    for (const id of data.nodes || []) this.editor.setState(id, "cached");
  },
  executing(data) {
    if (!this.current || (data.prompt_id && data.prompt_id !== this.current.id)) return;
    if (data.node === null || data.node === undefined) return; // the run's end; execution_* settles it
    const id = data.display_node || data.node;
    if (this.current.fromEditor) this.editor.setState(id, "running", 0, 1);
    this.run.progress(this.title(id), 0, 1);
  },
  progress_state(data) {
    if (!this.isCurrent(data) || !this.current.fromEditor) return;
    for (const [key, n] of Object.entries(data.nodes || {})) {
      this.editor.setState(n.display_node_id || n.node_id || key, n.state, n.value, n.max);
    }
  },
  progress(data) {
    if (this.isCurrent(data)) this.run.progress(this.title(data.node), data.value, data.max);
  },
  executed(data) {
    if (this.isCurrent(data)) this.run.addOutput(this.title(data.display_node || data.node), data.output);
  },
  execution_success(data) {
    if (!this.isCurrent(data)) return;
    const secs = ((performance.now() - this.current.start) / 1000).toFixed(1);
    this.finish(`Done in ${secs} s`, true);
  },
  execution_error(data) {
    if (!this.isCurrent(data)) return;
    if (this.current.fromEditor) this.editor.showExecutionError(data);
    this.finish(`Failed in ${this.title(data.node_id)}: ${data.exception_message}`, false);
  },
  execution_interrupted(data) {
    if (this.isCurrent(data)) this.finish("Stopped", false);
  },
};
