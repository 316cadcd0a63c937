// HTTP calls to the ComfyUI API (spec comfy-api.md section 2). Paths are
// relative to the page so the UI also works behind a path prefix.
import { parseJSON, stringifyJSON } from "./json.js";

// An API key given as ?token=… in the page URL is sent with every call.
const token = new URLSearchParams(location.search).get("token") || "";

export function apiURL(path, query) {
  const url = new URL(`api/${path}`, document.baseURI);
  for (const [k, v] of Object.entries(query || {})) url.searchParams.set(k, v);
  if (token) url.searchParams.set("token", token);
  return url;
}

export function wsURL(clientId) {
  const url = apiURL("ws", { clientId });
  url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
  return url;
}

export class APIError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

async function call(method, path, { query, body } = {}) {
  const init = { method, headers: {}, cache: "no-store" };
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = stringifyJSON(body);
  }
  const res = await fetch(apiURL(path, query), init);
  const text = await res.text();
  if (!res.ok) throw new APIError(res.status, `${method} ${path}: ${res.status} ${text || res.statusText}`);
  return text ? parseJSON(text) : null;
}

export const getObjectInfo = () => call("GET", "object_info");
export const getQueue = () => call("GET", "queue");
export const getHistory = (maxItems = 50) => call("GET", "history", { query: { max_items: maxItems } });
export const getHistoryItem = (id) => call("GET", `history/${encodeURIComponent(id)}`);
export const deletePending = (ids) => call("POST", "queue", { body: { delete: ids } });
export const deleteHistory = (ids) => call("POST", "history", { body: { delete: ids } });
export const clearHistory = () => call("POST", "history", { body: { clear: true } });
export const interrupt = (promptId) => call("POST", "interrupt", { body: promptId ? { prompt_id: promptId } : {} });

// queuePrompt posts a graph under a client-chosen id. It resolves to {ok: true, prompt_id, number,
// node_errors} or, for a refused prompt, {ok: false, error, node_errors}
// (spec 2.2/2.3; a non-JSON failure is wrapped as the ComfyUI frontend does).
export async function queuePrompt(prompt, clientId, promptId) {
  const res = await fetch(apiURL("prompt"), {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: stringifyJSON({ prompt, client_id: clientId, prompt_id: promptId }),
  });
  const text = await res.text();
  let data;
  try {
    data = parseJSON(text);
  } catch {
    data = { error: { type: "server_error", message: `${res.status} ${res.statusText}`, details: text } };
  }
  if (res.ok) return { ok: true, ...data };
  return { ok: false, error: data.error || { message: `${res.status} ${res.statusText}`, details: "" }, node_errors: data.node_errors || {} };
}

// uploadImage stores a file in the input folder (spec 2.12) and returns
// the name to put in a LoadImage widget.
export async function uploadImage(file) {
  const form = new FormData();
  form.append("image", file, file.name);
  const res = await fetch(apiURL("upload/image"), { method: "POST", body: form });
  const text = await res.text();
  if (!res.ok) throw new APIError(res.status, `upload ${file.name}: ${res.status} ${text || res.statusText}`);
  const ref = JSON.parse(text);
  return { ...ref, value: ref.subfolder ? `${ref.subfolder}/${ref.name}` : ref.name };
}

// viewURL is the /view address of a file reference from a node's output.
export function viewURL(ref) {
  return apiURL("view", { filename: ref.filename, subfolder: ref.subfolder || "", type: ref.type || "output" }).href;
}
