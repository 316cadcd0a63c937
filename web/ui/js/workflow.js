// The API-format workflow being edited ({"<id>": {class_type, inputs,
// _meta}}, spec 2.2) and the ways to load one: the built-in default, JSON
// text, a .json file, or a PNG carrying it in its "prompt" text chunk.
import { parseJSON } from "./json.js";
import { readPNGText, PNGError } from "./png.js";
import { inputsOf, defaultValue } from "./schema.js";

export class WorkflowError extends Error {}

export const isLink = (v) => Array.isArray(v) && v.length === 2 && (typeof v[0] === "string" || typeof v[0] === "number") && Number.isInteger(v[1]);

export class Workflow {
  constructor(nodes) {
    this.nodes = nodes;
  }

  // fromValue checks the shape of a parsed API-format graph.
  static fromValue(value) {
    if (!value || typeof value !== "object" || Array.isArray(value)) {
      throw new WorkflowError("A workflow must be a JSON object of nodes keyed by id.");
    }
    if (Array.isArray(value.nodes) && Array.isArray(value.links)) {
      throw new WorkflowError("This is a UI-format workflow (nodes and links). Export it from ComfyUI with \"Export (API)\" and load that file.");
    }
    if (value.prompt && typeof value.prompt === "object" && !value.class_type) {
      return Workflow.fromValue(value.prompt); // a POST /prompt body
    }
    const ids = Object.keys(value);
    if (ids.length === 0) throw new WorkflowError("The workflow has no nodes.");
    const nodes = {};
    for (const id of ids) {
      const node = value[id];
      if (!node || typeof node !== "object" || typeof node.class_type !== "string") {
        throw new WorkflowError(`Node ${id} has no class_type: this is not an API-format workflow.`);
      }
      const inputs = node.inputs && typeof node.inputs === "object" ? node.inputs : {};
      nodes[id] = { class_type: node.class_type, inputs: { ...inputs }, ...(node._meta ? { _meta: node._meta } : {}) };
    }
    return new Workflow(nodes);
  }

  static fromJSON(text) {
    let value;
    try {
      value = parseJSON(text);
    } catch (err) {
      throw new WorkflowError(`Not valid JSON: ${err.message}`);
    }
    return Workflow.fromValue(value);
  }

  title(id, defs) {
    const node = this.nodes[id];
    return node._meta?.title || defs[node.class_type]?.display_name || node.class_type;
  }

  // order lists node ids sources-first (Kahn's algorithm, ties by id) so
  // the editor reads top to bottom like the graph runs.
  order() {
    const ids = Object.keys(this.nodes).sort(compareIds);
    const pending = new Map(ids.map((id) => [id, new Set()]));
    for (const id of ids) {
      for (const v of Object.values(this.nodes[id].inputs)) {
        if (isLink(v) && pending.has(String(v[0])) && String(v[0]) !== id) pending.get(id).add(String(v[0]));
      }
    }
    const out = [];
    while (pending.size) {
      const ready = [...pending.keys()].filter((id) => [...pending.get(id)].every((d) => !pending.has(d)));
      const next = ready.length ? ready[0] : pending.keys().next().value; // a cycle: take the lowest id
      out.push(next);
      pending.delete(next);
    }
    return out;
  }

  setInput(id, name, value) {
    this.nodes[id].inputs[name] = value;
  }

  // addNode appends a node with default widget values; its links start
  // unconnected.
  addNode(classType, def) {
    const next = Math.max(0, ...Object.keys(this.nodes).map(Number).filter(Number.isFinite)) + 1;
    const id = String(next);
    const inputs = {};
    for (const input of inputsOf(def)) {
      if (input.kind !== "link" && input.required) inputs[input.name] = defaultValue(input);
    }
    this.nodes[id] = { class_type: classType, inputs, _meta: { title: def.display_name || classType } };
    return id;
  }

  // removeNode deletes a node and disconnects the inputs it fed.
  removeNode(id) {
    delete this.nodes[id];
    for (const node of Object.values(this.nodes)) {
      for (const [name, v] of Object.entries(node.inputs)) {
        if (isLink(v) && String(v[0]) === id) delete node.inputs[name];
      }
    }
  }

  // toPrompt is the graph to POST: a deep copy.
  toPrompt() {
    return structuredClone(this.nodes);
  }
}

function compareIds(a, b) {
  const na = Number(a);
  const nb = Number(b);
  if (Number.isFinite(na) && Number.isFinite(nb) && na !== nb) return na - nb;
  return a.localeCompare(b);
}

// defaultWorkflow is ComfyUI's text-to-image graph pointed at the first
// checkpoint the server lists.
export async function defaultWorkflow(defs) {
  const res = await fetch(new URL("workflows/default_t2i.api.json", document.baseURI));
  if (!res.ok) throw new WorkflowError(`The default workflow could not be read (${res.status}).`);
  const wf = Workflow.fromJSON(await res.text());
  const ckpts = defs.CheckpointLoaderSimple?.input?.required?.ckpt_name?.[0];
  for (const node of Object.values(wf.nodes)) {
    if (node.class_type === "CheckpointLoaderSimple" && Array.isArray(ckpts) && ckpts.length) {
      node.inputs.ckpt_name = ckpts[0];
    }
  }
  return wf;
}

// workflowFromFile reads a .json file or a PNG saved by ComfyUI/comfyd.
export async function workflowFromFile(file) {
  const buffer = await file.arrayBuffer();
  const head = new Uint8Array(buffer.slice(0, 4));
  if (head[0] === 0x89 && head[1] === 0x50) {
    let text;
    try {
      text = await readPNGText(buffer);
    } catch (err) {
      if (err instanceof PNGError) throw new WorkflowError(`${file.name}: ${err.message}`);
      throw err;
    }
    if (!text.prompt) {
      throw new WorkflowError(`${file.name} carries no API-format workflow (no "prompt" text chunk).`);
    }
    return Workflow.fromJSON(text.prompt);
  }
  return Workflow.fromJSON(new TextDecoder().decode(buffer));
}
