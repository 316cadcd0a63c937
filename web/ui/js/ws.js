// The /ws connection (spec section 3): keeps one socket open, reconnecting
// with exponential backoff, and turns frames into DOM events:
//   "open" / "close"            connection state
//   "message"  detail {type, data}  every JSON message
//   "preview"  detail {blob, nodeId, promptId}  latent previews (binary 1 and 4)
import { wsURL } from "./api.js";

const PREVIEW_IMAGE = 1;
const PREVIEW_IMAGE_WITH_METADATA = 4;
const IMAGE_FORMATS = { 1: "image/jpeg", 2: "image/png" };
const MIN_DELAY = 300;
const MAX_DELAY = 8000;

// The client id survives reloads of this tab so a reload still receives
// the events of a prompt it queued.
function clientId() {
  let id = sessionStorage.getItem("comfyd.clientId");
  if (!id) {
    id = crypto.randomUUID().replaceAll("-", "");
    sessionStorage.setItem("comfyd.clientId", id);
  }
  return id;
}

export class Connection extends EventTarget {
  constructor() {
    super();
    this.clientId = clientId();
    this.socket = null;
    this.delay = MIN_DELAY;
    this.timer = 0;
    this.connected = false;
    addEventListener("online", () => this.reconnectNow());
  }

  connect() {
    clearTimeout(this.timer);
    const socket = new WebSocket(wsURL(this.clientId));
    socket.binaryType = "arraybuffer";
    this.socket = socket;
    socket.addEventListener("open", () => {
      this.delay = MIN_DELAY;
      this.connected = true;
      // Ask for previews with metadata (binary type 4) so each preview
      // names its node.
      socket.send(JSON.stringify({ type: "feature_flags", data: { supports_preview_metadata: true } }));
      this.emit("open");
    });
    socket.addEventListener("message", (ev) => this.receive(ev.data));
    socket.addEventListener("close", () => {
      if (this.socket !== socket) return;
      const wasConnected = this.connected;
      this.connected = false;
      this.emit("close", { wasConnected, retryIn: this.delay });
      this.timer = setTimeout(() => this.connect(), this.delay);
      this.delay = Math.min(this.delay * 2, MAX_DELAY);
    });
  }

  reconnectNow() {
    if (this.connected) return;
    this.delay = MIN_DELAY;
    this.connect();
  }

  emit(type, detail) {
    this.dispatchEvent(new CustomEvent(type, { detail }));
  }

  receive(data) {
    if (typeof data === "string") {
      let msg;
      try {
        msg = JSON.parse(data);
      } catch {
        return; // not ours to judge; the server only sends JSON text
      }
      if (msg && typeof msg.type === "string") this.emit("message", msg);
      return;
    }
    const preview = decodePreview(data);
    if (preview) this.emit("preview", preview);
  }
}

// decodePreview parses a binary frame; other frame types yield null.
export function decodePreview(buffer) {
  if (buffer.byteLength < 8) return null;
  const view = new DataView(buffer);
  const type = view.getUint32(0);
  if (type === PREVIEW_IMAGE) {
    const mime = IMAGE_FORMATS[view.getUint32(4)] || "image/jpeg";
    return { blob: new Blob([buffer.slice(8)], { type: mime }), nodeId: null, promptId: null };
  }
  if (type === PREVIEW_IMAGE_WITH_METADATA) {
    const length = view.getUint32(4);
    if (8 + length > buffer.byteLength) return null;
    let meta;
    try {
      meta = JSON.parse(new TextDecoder().decode(buffer.slice(8, 8 + length)));
    } catch {
      return null;
    }
    return {
      blob: new Blob([buffer.slice(8 + length)], { type: meta.image_type || "image/jpeg" }),
      nodeId: meta.display_node_id || meta.node_id || null,
      promptId: meta.prompt_id || null,
    };
  }
  return null;
}
