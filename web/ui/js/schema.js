// Reading /object_info node definitions (spec 2.10): which inputs a node
// has, which of them are widgets and of what kind, and its outputs.

const SEED_NAMES = new Set(["seed", "noise_seed"]);
// The ComfyUI frontend caps random seeds here so they stay exact in JS.
export const RANDOM_SEED_MAX = 1125899906842624;

// inputsOf lists a definition's inputs in declaration order:
// [{name, required, type, options, kind}]; hidden inputs are left out.
export function inputsOf(def) {
  const out = [];
  for (const group of ["required", "optional"]) {
    const specs = def?.input?.[group] || {};
    const order = def?.input_order?.[group] || Object.keys(specs);
    for (const name of order) {
      const spec = specs[name];
      if (!spec) continue;
      const [type, options = {}] = Array.isArray(spec) ? spec : [spec];
      out.push({ name, required: group === "required", type, options: options || {}, kind: kindOf(type, options || {}) });
    }
  }
  return out;
}

// kindOf names the control an input needs: int, float, string, boolean,
// combo, or link (a socket fed by another node's output).
export function kindOf(type, options = {}) {
  if (Array.isArray(type)) return "combo";
  if (options.forceInput) return "link";
  switch (type) {
    case "INT": return "int";
    case "FLOAT": return "float";
    case "STRING": return "string";
    case "BOOLEAN": return "boolean";
    case "COMBO": return "combo";
    default: return "link";
  }
}

export function comboValues(input) {
  if (Array.isArray(input.type)) return input.type;
  return Array.isArray(input.options.options) ? input.options.options : [];
}

// hasSeedControl: ComfyUI adds "control after generate" to INT inputs
// that ask for it, and to seed inputs of nodes that predate the flag.
export function hasSeedControl(input) {
  return input.kind === "int" && (input.options.control_after_generate === true || SEED_NAMES.has(input.name));
}

// defaultValue is the value a fresh widget starts with.
export function defaultValue(input) {
  const o = input.options;
  switch (input.kind) {
    case "int":
    case "float":
      return o.default ?? (o.min > 0 ? o.min : 0);
    case "string":
      return o.default ?? "";
    case "boolean":
      return o.default ?? false;
    case "combo": {
      const values = comboValues(input);
      return o.default ?? values[0] ?? "";
    }
    default:
      return null;
  }
}

// outputsOf lists a definition's outputs: [{slot, type, name}].
export function outputsOf(def) {
  const types = def?.output || [];
  return types.map((type, slot) => ({
    slot,
    type: Array.isArray(type) ? "COMBO" : String(type),
    name: def.output_name?.[slot] ?? String(type),
  }));
}

// linkCompatible applies spec 2.3.1: equal, "*" on either side, or
// comma-separated type sets that intersect.
export function linkCompatible(declared, received) {
  if (Array.isArray(declared)) return received === "COMBO";
  if (declared === received || declared === "*" || received === "*") return true;
  const a = String(declared).split(",").map((s) => s.trim());
  const b = new Set(String(received).split(",").map((s) => s.trim()));
  return a.some((t) => b.has(t));
}

// categories groups definitions by category: [[category, [def…]]] sorted.
export function categories(defs) {
  const groups = new Map();
  for (const def of Object.values(defs)) {
    const cat = def.category || "other";
    if (!groups.has(cat)) groups.set(cat, []);
    groups.get(cat).push(def);
  }
  for (const list of groups.values()) list.sort((x, y) => displayName(x).localeCompare(displayName(y)));
  return [...groups.entries()].sort(([a], [b]) => a.localeCompare(b));
}

export function displayName(def) {
  return def.display_name || def.name;
}
