// Form controls for node inputs, chosen from the input's schema (spec
// 2.10): numbers with min/max/step, combos as selects, multiline strings
// as text areas, booleans as checkboxes, seeds with a randomise button and
// ComfyUI's "control after generate" modes, links as source pickers.
import { h, uid } from "./dom.js";
import { toInteger, parseJSON, stringifyJSON } from "./json.js";
import { uploadImage, viewURL } from "./api.js";
import { comboValues, hasSeedControl, RANDOM_SEED_MAX } from "./schema.js";

export const SEED_MODES = ["fixed", "increment", "decrement", "randomize"];

// field wraps a control with its label and an error line. Returns the
// widget object every factory below fills in.
function field(input, control, extras = []) {
  const errorId = uid("err");
  control.setAttribute("aria-describedby", errorId);
  const error = h("p", { class: "field-error", id: errorId, hidden: true });
  const label = h("label", { for: control.id, title: input.options?.tooltip || null }, input.name);
  const row = h("div", { class: `field kind-${input.kind}`, "data-input": input.name }, label, h("div", { class: "control" }, control, ...extras), error);
  return {
    row,
    control,
    setError(message) {
      error.textContent = message || "";
      error.hidden = !message;
      row.classList.toggle("invalid", Boolean(message));
      if (message) control.setAttribute("aria-invalid", "true");
      else control.removeAttribute("aria-invalid");
    },
    afterQueue() {},
  };
}

export function createWidget(input, value, onChange) {
  switch (input.kind) {
    case "int":
    case "float":
      return numberWidget(input, value, onChange);
    case "boolean":
      return booleanWidget(input, value, onChange);
    case "combo":
      return comboWidget(input, value, onChange);
    case "string":
      return stringWidget(input, value, onChange);
    default:
      return rawWidget(input, value, onChange);
  }
}

function numberWidget(input, value, onChange) {
  const o = input.options;
  const isInt = input.kind === "int";
  const control = h("input", {
    id: uid("in"), type: "number", inputmode: isInt ? "numeric" : "decimal",
    min: o.min, max: o.max, step: o.step ?? (isInt ? 1 : "any"), value: String(value ?? ""),
  });
  const extras = [];
  let seedMode = null;
  if (hasSeedControl(input)) {
    control.classList.add("seed-value");
    const dice = h("button", { type: "button", class: "icon", "aria-label": `Randomise ${input.name}`, title: "Randomise" }, "⚄");
    dice.addEventListener("click", () => setValue(randomSeed(o)));
    seedMode = h("select", { id: uid("mode"), class: "seed-mode", "aria-label": `${input.name}: control after queueing`, title: "Control after queueing" },
      SEED_MODES.map((m) => h("option", { value: m, selected: m === "randomize" }, m)));
    extras.push(dice, seedMode);
  }
  const w = field(input, control, extras);
  const parse = (text) => (isInt ? toInteger(text) : text.trim() === "" ? null : Number(text));
  function check(v) {
    if (v === null || Number.isNaN(v)) return isInt ? "Enter a whole number." : "Enter a number.";
    if (o.min !== undefined && v < o.min) return `Must be at least ${o.min}.`;
    if (o.max !== undefined && v > o.max) return `Must be at most ${o.max}.`;
    return "";
  }
  function setValue(v) {
    control.value = String(v);
    w.setError(check(v));
    onChange(v);
  }
  control.addEventListener("input", () => {
    const v = parse(control.value);
    w.setError(check(v));
    if (v !== null && !Number.isNaN(v)) onChange(v);
  });
  if (seedMode) {
    w.seedMode = seedMode;
    w.afterQueue = () => {
      const current = parse(control.value);
      if (current === null) return;
      const mode = seedMode.value;
      if (mode === "randomize") setValue(randomSeed(o));
      else if (mode === "increment") setValue(clamp(add(current, 1), o));
      else if (mode === "decrement") setValue(clamp(add(current, -1), o));
    };
  }
  return w;
}

function add(v, d) {
  return typeof v === "bigint" ? v + BigInt(d) : v + d;
}

function clamp(v, o) {
  if (o.min !== undefined && v < o.min) return o.min;
  if (o.max !== undefined && v > o.max) return typeof o.max === "bigint" ? o.max : Math.min(Number(o.max), Number.MAX_SAFE_INTEGER);
  return v;
}

function randomSeed(o) {
  const min = Math.max(Number(o.min ?? 0), 0);
  const max = Math.min(Number(o.max ?? RANDOM_SEED_MAX), RANDOM_SEED_MAX);
  return min + Math.floor(Math.random() * (max - min + 1));
}

function booleanWidget(input, value, onChange) {
  const o = input.options;
  const control = h("input", { id: uid("in"), type: "checkbox", checked: Boolean(value) });
  const state = h("span", { class: "bool-state", "aria-hidden": "true" });
  const show = () => { state.textContent = control.checked ? (o.label_on || "true") : (o.label_off || "false"); };
  show();
  control.addEventListener("change", () => { show(); onChange(control.checked); });
  return field(input, control, [state]);
}

function comboWidget(input, value, onChange) {
  const values = [...comboValues(input)];
  const control = h("select", { id: uid("in") });
  let known = false;
  values.forEach((v, i) => {
    const selected = v === value;
    known ||= selected;
    control.append(h("option", { value: String(i), selected }, String(v)));
  });
  const upload = input.options.image_upload
    ? imageUpload(input, control, values, { choose: (v) => choose(v), fail: (err) => w.setError(err.message) })
    : null;
  const w = field(input, control, upload ? upload.extras : []);
  if (upload) w.row.append(upload.thumb);
  if (!known && value !== undefined && value !== null) {
    // Keep a value the server does not offer visible instead of silently
    // replacing it; validation will name it.
    control.prepend(h("option", { value: "missing", selected: true }, `${value} (not available)`));
    w.setError(`"${value}" is not offered by the server.`);
  }
  function choose(v) {
    w.setError("");
    upload?.show(v);
    onChange(v);
  }
  control.addEventListener("change", () => {
    if (control.value !== "missing") choose(values[Number(control.value)]);
  });
  upload?.show(known ? value : null);
  return w;
}

// imageUpload adds an "Upload…" button to a combo of input images (LoadImage)
// and a thumbnail of the chosen one.
function imageUpload(input, control, values, { choose, fail }) {
  const file = h("input", { type: "file", accept: "image/png,image/jpeg,image/gif,image/webp", hidden: true, "aria-label": `Upload an image for ${input.name}` });
  const button = h("button", { type: "button", class: "small", "aria-label": `Upload an image for ${input.name}` }, "Upload…");
  const thumb = h("img", { class: "input-thumb", alt: "", hidden: true });
  thumb.addEventListener("error", () => { thumb.hidden = true; });
  button.addEventListener("click", () => file.click());
  file.addEventListener("change", async () => {
    const picked = file.files[0];
    file.value = "";
    if (!picked) return;
    button.disabled = true;
    try {
      const ref = await uploadImage(picked);
      let i = values.indexOf(ref.value);
      if (i < 0) {
        i = values.push(ref.value) - 1;
        control.append(h("option", { value: String(i) }, ref.value));
      }
      control.value = String(i);
      choose(ref.value);
    } catch (err) {
      fail(err);
    } finally {
      button.disabled = false;
    }
  });
  return {
    extras: [button, file],
    thumb,
    show(v) {
      thumb.hidden = !v;
      if (!v) return;
      const slash = v.lastIndexOf("/");
      thumb.src = viewURL({ filename: v.slice(slash + 1), subfolder: v.slice(0, Math.max(slash, 0)), type: "input" });
    },
  };
}

function stringWidget(input, value, onChange) {
  const o = input.options;
  const attrs = { id: uid("in"), placeholder: o.placeholder || null, spellcheck: o.multiline ? "true" : "false" };
  const control = o.multiline ? h("textarea", { ...attrs, rows: 3 }) : h("input", { ...attrs, type: "text" });
  control.value = value ?? "";
  control.addEventListener("input", () => onChange(control.value));
  return field(input, control);
}

// rawWidget edits an input the schema does not describe as JSON text.
function rawWidget(input, value, onChange) {
  const control = h("input", { id: uid("in"), type: "text", class: "mono", spellcheck: "false" });
  control.value = stringifyJSON(value);
  const w = field({ ...input, kind: "raw" }, control);
  control.addEventListener("input", () => {
    try {
      onChange(parseJSON(control.value));
      w.setError("");
    } catch {
      w.setError("Enter a JSON value.");
    }
  });
  return w;
}

// createLinkField picks which node output feeds a socket. sources:
// [{link: [id, slot], label}] of compatible outputs.
export function createLinkField(input, value, sources, onChange) {
  const control = h("select", { id: uid("in"), class: "link" });
  const current = Array.isArray(value) ? `${value[0]}:${value[1]}` : "";
  control.append(h("option", { value: "", selected: current === "" }, input.required ? "— not connected —" : "— none —"));
  let known = current === "";
  for (const s of sources) {
    const key = `${s.link[0]}:${s.link[1]}`;
    known ||= key === current;
    control.append(h("option", { value: key, selected: key === current }, s.label));
  }
  if (!known) control.append(h("option", { value: current, selected: true }, `node ${value[0]} output ${value[1]} (missing)`));
  const typeName = Array.isArray(input.type) ? "COMBO" : input.type;
  const w = field({ ...input, kind: "link" }, control, [h("span", { class: "type-tag" }, typeName)]);
  control.addEventListener("change", () => {
    if (control.value === "") return onChange(undefined);
    const i = control.value.lastIndexOf(":");
    onChange([control.value.slice(0, i), Number(control.value.slice(i + 1))]);
  });
  return w;
}
