// JSON that keeps integers beyond 2^53 exact. Seeds go up to 2^64-1; a
// plain JSON.parse would round them and the server would then reject or
// silently change the seed. Big integers live as BigInt in memory and are
// written back verbatim.

export function parseJSON(text) {
  return JSON.parse(text, (key, value, context) => {
    if (typeof value === "number" && !Number.isSafeInteger(value) && context && /^-?\d+$/.test(context.source)) {
      return BigInt(context.source);
    }
    return value;
  });
}

export function stringifyJSON(value, space) {
  return JSON.stringify(value, (key, v) => (typeof v === "bigint" ? bigintJSON(v) : v), space);
}

function bigintJSON(v) {
  if (typeof JSON.rawJSON === "function") return JSON.rawJSON(v.toString());
  return Number(v); // older browsers: best effort
}

// toInteger turns an integer field's text into a Number when exact, a
// BigInt otherwise, or null when it is not an integer.
export function toInteger(text) {
  const s = String(text).trim();
  if (!/^-?\d+$/.test(s)) return null;
  const n = Number(s);
  return Number.isSafeInteger(n) ? n : BigInt(s);
}
