// Wires the UI together: loads node definitions and a workflow, queues
// prompts, and routes WebSocket events to the editor, run panel and
// queue/history panels.
import { $, toast } from "./dom.js";
import * as api from "./api.js";
import { Connection } from "./ws.js";
import { Workflow, WorkflowError, defaultWorkflow, workflowFromFile } from "./workflow.js";
import { stringifyJSON } from "./json.js";
import { Editor } from "./editor.js";
import { Library } from "./library.js";
import { RunPanel } from "./run.js";
import { JobsPanel } from "./jobs.js";
import { bindKeys } from "./keys.js";

const STORAGE_KEY = "comfyd.workflow";

const conn = new Connection();
const run = new RunPanel();
const editor = new Editor($("nodes"), { onChange: () => saveSoon() });
const library = new Library({
  list: $("library-list"), search: $("library-search"), count: $("library-count"),
  onAdd: (name) => addNode(name),
});
const jobs = new JobsPanel({
  queueList: $("queue-list"), historyList: $("history-list"), queueSize: $("queue-size"),
  onOpen: (prompt, id) => setWorkflow(Workflow.fromValue(structuredClone(prompt)), `history ${id.slice(0, 8)}`),
  onRerun: (prompt) => queue(structuredClone(prompt), false),
  onError: (err) => toast(err.message, "error"),
});

let defs = {};
let defsSignature = "";
let workflow = null;
const editorPrompts = new Set(); // prompts queued from the editor: their node ids match the cards
let current = null; // the run shown in the run panel: {id, titles, fromEditor, start}
const pendingPrompts = new Map(); // prompt id -> prompt, for prompts queued and not started yet

// Workflow ---------------------------------------------------------------

function setWorkflow(wf, source) {
  workflow = wf;
  editor.render(wf, defs);
  $("workflow-source").textContent = source ? `· ${source}` : "";
  hideBanner();
  saveSoon();
}

function addNode(name) {
  if (!workflow) return;
  const id = workflow.addNode(name, defs[name]);
  editor.rerender();
  saveSoon();
  editor.focusNode(id);
  toast(`Added ${workflow.title(id, defs)} as #${id}.`);
}

let saveTimer = 0;
function saveSoon() {
  clearTimeout(saveTimer);
  saveTimer = setTimeout(() => {
    if (workflow) localStorage.setItem(STORAGE_KEY, stringifyJSON(workflow.nodes));
  }, 300);
}

async function loadDefault() {
  try {
    setWorkflow(await defaultWorkflow(defs), "default text to image");
  } catch (err) {
    showBanner(err.message);
  }
}

async function loadFile(file) {
  try {
    setWorkflow(await workflowFromFile(file), file.name);
    toast(`Loaded ${file.name}.`);
  } catch (err) {
    showBanner(err instanceof WorkflowError ? err.message : `${file.name}: ${err.message}`);
  }
}

function showBanner(text) {
  const b = $("workflow-errors");
  b.textContent = text;
  b.hidden = false;
}

function hideBanner() {
  $("workflow-errors").hidden = true;
}

// Queueing ---------------------------------------------------------------

async function queue(prompt = workflow?.toPrompt(), fromEditor = true) {
  if (!prompt) return;
  hideBanner();
  if (fromEditor) editor.clearErrors();
  // The id is chosen here so events that overtake the POST's answer (a
  // quick prompt can start before it arrives) are already recognised.
  const id = crypto.randomUUID();
  pendingPrompts.set(id, prompt);
  if (fromEditor) editorPrompts.add(id);
  let res;
  try {
    res = await api.queuePrompt(prompt, conn.clientId, id);
  } catch (err) {
    forget(id);
    showBanner(`Could not reach the server: ${err.message}`);
    return;
  }
  if (!res.ok) {
    forget(id);
    const e = res.error || {};
    showBanner(e.details ? `${e.message}: ${e.details}` : e.message || "The server refused the prompt.");
    if (fromEditor) {
      const first = editor.showErrors(res.node_errors);
      if (first) editor.focusNode(first);
    }
    return;
  }
  if (fromEditor) {
    editor.afterQueue();
    saveSoon();
    if (Object.keys(res.node_errors || {}).length) {
      editor.showErrors(res.node_errors);
      showBanner("Some outputs failed validation and will not run.");
    }
  }
  if (!current && pendingPrompts.has(id)) {
    track(id, prompt, fromEditor);
    run.start(id);
  }
  toast(`Queued (#${res.number}).`);
  jobs.refresh();
}

function forget(id) {
  pendingPrompts.delete(id);
  editorPrompts.delete(id);
}

function track(id, prompt, fromEditor) {
  const titles = {};
  for (const [nid, node] of Object.entries(prompt || {})) {
    titles[nid] = node._meta?.title || defs[node.class_type]?.display_name || node.class_type;
  }
  current = { id, titles, fromEditor, start: performance.now() };
  pendingPrompts.delete(id);
}

// WebSocket events -------------------------------------------------------

const handlers = {
  status(data) {
    const n = data?.status?.exec_info?.queue_remaining;
    if (typeof n === "number") jobs.setSize(n);
    refreshSoon();
  },
  execution_start(data) {
    if (current?.id !== data.prompt_id) {
      // pendingPrompts lacks prompts queued elsewhere (another tab, before
      // a reload): their cards show no titles, only ids.
      track(data.prompt_id, pendingPrompts.get(data.prompt_id), editorPrompts.has(data.prompt_id));
      run.start(data.prompt_id);
    }
    current.start = performance.now();
    if (current.fromEditor) editor.resetState();
    run.setStatus("Running…");
  },
  execution_cached(data) {
    if (!isCurrent(data)) return;
    if (current.fromEditor) for (const id of data.nodes || []) editor.setState(id, "cached");
  },
  executing(data) {
    if (!current || (data.prompt_id && data.prompt_id !== current.id)) return;
    if (data.node === null || data.node === undefined) return;
    const id = data.display_node || data.node;
    if (current.fromEditor) editor.setState(id, "running", 0, 1);
    run.progress(title(id), 0, 1);
  },
  progress_state(data) {
    if (!isCurrent(data) || !current.fromEditor) return;
    for (const [key, n] of Object.entries(data.nodes || {})) {
      editor.setState(n.display_node_id || n.node_id || key, n.state, n.value, n.max);
    }
  },
  progress(data) {
    if (!isCurrent(data)) return;
    run.progress(title(data.node), data.value, data.max);
  },
  executed(data) {
    if (!isCurrent(data)) return;
    const id = data.display_node || data.node;
    run.addOutput(title(id), data.output);
  },
  execution_success(data) {
    if (!isCurrent(data)) return;
    const secs = ((performance.now() - current.start) / 1000).toFixed(1);
    finish(`Done in ${secs} s`, true);
  },
  execution_error(data) {
    if (!isCurrent(data)) return;
    if (current.fromEditor) editor.showExecutionError(data);
    finish(`Failed in ${title(data.node_id)}: ${data.exception_message}`, false);
  },
  execution_interrupted(data) {
    if (!isCurrent(data)) return;
    finish("Stopped", false);
  },
};

const isCurrent = (data) => current && data?.prompt_id === current.id;
const title = (id) => current?.titles?.[id] || (id ? `node ${id}` : "");

function finish(text, ok) {
  if (current.fromEditor) editor.settle(ok ? "done" : "stopped");
  run.finish(text, ok);
  current = null;
  jobs.refresh();
}

let refreshTimer = 0;
function refreshSoon() {
  clearTimeout(refreshTimer);
  refreshTimer = setTimeout(() => jobs.refresh(), 150);
}

conn.addEventListener("message", (ev) => handlers[ev.detail.type]?.(ev.detail.data));
conn.addEventListener("preview", (ev) => {
  const { blob, promptId } = ev.detail;
  if (current && (!promptId || promptId === current.id)) run.setPreview(blob);
});

let everConnected = false;
conn.addEventListener("open", async () => {
  setConn("Connected", "ok");
  if (!everConnected) {
    everConnected = true;
    return;
  }
  toast("Reconnected to the server.");
  await reloadDefs();
  await catchUp();
  jobs.refresh();
});
conn.addEventListener("close", (ev) => {
  setConn(`Reconnecting in ${Math.ceil(ev.detail.retryIn / 1000)} s…`, "warn");
});

function setConn(text, state) {
  const el = $("conn");
  el.textContent = text;
  el.dataset.state = state;
}

// catchUp settles a run whose end was missed while disconnected.
async function catchUp() {
  if (!current) return;
  try {
    const entry = (await api.getHistoryItem(current.id))[current.id];
    if (!entry) return; // still queued or running: events will follow
    for (const [id, output] of Object.entries(entry.outputs || {})) run.addOutput(title(id), output);
    finish(entry.status?.status_str === "success" ? "Done" : "Did not finish", entry.status?.status_str === "success");
  } catch (err) {
    toast(err.message, "error");
  }
}

// Node definitions -------------------------------------------------------

async function reloadDefs() {
  try {
    const next = await api.getObjectInfo();
    const sig = stringifyJSON(next);
    if (sig === defsSignature) return;
    defs = next;
    defsSignature = sig;
    library.setDefs(defs);
    if (workflow) editor.render(workflow, defs);
  } catch (err) {
    showBanner(`Could not load node definitions: ${err.message}`);
  }
}

// Boot -------------------------------------------------------------------

function restoreWorkflow() {
  const saved = localStorage.getItem(STORAGE_KEY);
  if (!saved) return null;
  try {
    return Workflow.fromJSON(saved);
  } catch {
    localStorage.removeItem(STORAGE_KEY);
    return null;
  }
}

async function boot() {
  bindKeys({ queue: () => queue(), loadFile, loadDefault });
  $("queue-btn").addEventListener("click", () => queue());
  $("interrupt-btn").addEventListener("click", () => current && api.interrupt(current.id).catch((e) => toast(e.message, "error")));
  $("history-clear").addEventListener("click", () => jobs.act(() => api.clearHistory()));
  $("save-json").addEventListener("click", downloadWorkflow);
  const details = $("library-details");
  details.open = matchMedia("(min-width: 1100px)").matches;
  conn.connect();
  await reloadDefs();
  const saved = restoreWorkflow();
  if (saved) setWorkflow(saved, "restored");
  else await loadDefault();
  await jobs.refresh();
  document.body.dataset.ready = "true";
}

function downloadWorkflow() {
  if (!workflow) return;
  const blob = new Blob([stringifyJSON(workflow.nodes, 1)], { type: "application/json" });
  const a = document.createElement("a");
  a.href = URL.createObjectURL(blob);
  a.download = "workflow.api.json";
  a.click();
  setTimeout(() => URL.revokeObjectURL(a.href), 1000);
}

boot();
