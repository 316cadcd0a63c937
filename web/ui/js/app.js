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
import { RunTracker } from "./runs.js";
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

const runs = new RunTracker({ editor, run, jobs, titleOf: (prompt, id) => nodeTitle(prompt[id]) });

let defs = {};
let defsSignature = "";
let workflow = null;

function nodeTitle(node) {
  return node._meta?.title || defs[node.class_type]?.display_name || node.class_type;
}

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
  runs.expect(id, prompt, fromEditor);
  let res;
  try {
    res = await api.queuePrompt(prompt, conn.clientId, id);
  } catch (err) {
    runs.forget(id);
    showBanner(`Could not reach the server: ${err.message}`);
    return;
  }
  if (!res.ok) {
    runs.forget(id);
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
  runs.accepted(id);
  toast(`Queued (#${res.number}).`);
  jobs.refresh();
}

let refreshTimer = 0;
function refreshSoon() {
  clearTimeout(refreshTimer);
  refreshTimer = setTimeout(() => jobs.refresh(), 150);
}

conn.addEventListener("message", (ev) => {
  const { type, data } = ev.detail;
  if (type === "status") {
    const n = data?.status?.exec_info?.queue_remaining;
    if (typeof n === "number") jobs.setSize(n);
    refreshSoon();
  }
  runs.handle(type, data);
});
conn.addEventListener("preview", (ev) => runs.preview(ev.detail));

let everConnected = false;
conn.addEventListener("open", async () => {
  setConn("Connected", "ok");
  if (!everConnected) {
    everConnected = true;
    return;
  }
  toast("Reconnected to the server.");
  await reloadDefs();
  await runs.catchUp().catch((err) => toast(err.message, "error"));
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
  $("interrupt-btn").addEventListener("click", () => runs.interrupt().catch((e) => toast(e.message, "error")));
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
