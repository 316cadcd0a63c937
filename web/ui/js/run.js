// The run panel: what is executing now, its progress, the live latent
// preview and the finished outputs (images via /view, links to saved
// latents).
import { h, $ } from "./dom.js";
import { viewURL } from "./api.js";
import { setBar } from "./editor.js";

export class RunPanel {
  constructor() {
    this.status = $("run-status");
    this.bar = $("run-bar");
    this.preview = $("preview");
    this.previewImg = $("preview-img");
    this.outputs = $("outputs");
    this.stop = $("interrupt-btn");
    this.previewURL = "";
    this.promptId = null;
  }

  start(promptId) {
    this.promptId = promptId;
    this.outputs.replaceChildren();
    this.clearPreview();
    setBar(this.bar, 0);
    delete this.status.dataset.state;
    this.setStatus("Queued…");
    this.stop.hidden = false;
  }

  setStatus(text) {
    this.status.textContent = text;
  }

  progress(label, value, max) {
    setBar(this.bar, max > 0 ? value / max : 0);
    this.setStatus(max > 1 ? `${label} — ${value}/${max}` : label);
  }

  setPreview(blob) {
    const url = URL.createObjectURL(blob);
    this.previewImg.src = url;
    if (this.previewURL) URL.revokeObjectURL(this.previewURL);
    this.previewURL = url;
    this.preview.hidden = false;
  }

  clearPreview() {
    if (this.previewURL) URL.revokeObjectURL(this.previewURL);
    this.previewURL = "";
    this.previewImg.removeAttribute("src");
    this.preview.hidden = true;
  }

  // addOutput shows one node's UI output (spec 5.1).
  addOutput(title, output) {
    if (!output) return;
    for (const ref of output.images || []) {
      const src = viewURL(ref);
      this.outputs.append(h("figure", { class: "result" },
        h("a", { href: src, target: "_blank", rel: "noopener" },
          h("img", { src, alt: `${title}: ${ref.filename}`, loading: "lazy" })),
        h("figcaption", {}, ref.filename)));
    }
    for (const ref of output.latents || []) {
      this.outputs.append(h("p", { class: "latent" },
        h("a", { href: viewURL(ref), download: ref.filename }, `⤓ ${ref.filename}`), " ", h("span", { class: "muted" }, "latent")));
    }
    for (const text of output.text || []) {
      this.outputs.append(h("pre", { class: "text-output" }, Array.isArray(text) ? text.join("\n") : String(text)));
    }
  }

  finish(text, ok) {
    this.stop.hidden = true;
    this.setStatus(text);
    this.status.dataset.state = ok ? "ok" : "error";
    if (ok) setBar(this.bar, 1);
    // The final image replaces the preview once one has arrived.
    if (this.outputs.querySelector("img")) this.clearPreview();
  }
}
