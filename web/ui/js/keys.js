// Keyboard and input-device bindings: Ctrl/Cmd+Enter queues from
// anywhere, Enter queues from single-line fields, and workflows load by
// file picker, paste dialog, clipboard paste or drag and drop.
import { $ } from "./dom.js";
import { Workflow } from "./workflow.js";

const SINGLE_LINE = new Set(["text", "number"]);

export function bindKeys({ queue, loadFile, loadDefault }) {
  document.addEventListener("keydown", (ev) => {
    if (ev.key !== "Enter" || ev.isComposing) return;
    const t = ev.target;
    if (ev.ctrlKey || ev.metaKey) {
      if (t.closest?.("dialog")) return; // the dialog's own submit
      ev.preventDefault();
      queue();
      return;
    }
    if (t instanceof HTMLInputElement && SINGLE_LINE.has(t.type) && t.closest("#nodes")) {
      ev.preventDefault();
      queue();
    }
  });

  const fileInput = $("file-input");
  $("load-file").addEventListener("click", () => fileInput.click());
  fileInput.addEventListener("change", () => {
    if (fileInput.files[0]) loadFile(fileInput.files[0]);
    fileInput.value = "";
  });
  $("load-default").addEventListener("click", () => loadDefault());

  bindPasteDialog(loadFile);

  document.addEventListener("dragover", (ev) => {
    if (ev.dataTransfer?.types.includes("Files")) ev.preventDefault();
  });
  document.addEventListener("drop", (ev) => {
    const file = ev.dataTransfer?.files?.[0];
    if (!file) return;
    ev.preventDefault();
    loadFile(file);
  });

  // Pasting a workflow outside any field loads it.
  document.addEventListener("paste", (ev) => {
    const t = ev.target;
    if (t instanceof HTMLInputElement || t instanceof HTMLTextAreaElement) return;
    const file = [...(ev.clipboardData?.files || [])][0];
    if (file) {
      ev.preventDefault();
      loadFile(file);
      return;
    }
    const text = ev.clipboardData?.getData("text/plain");
    if (text && text.trim().startsWith("{")) {
      ev.preventDefault();
      loadFile(pasted(text));
    }
  });
}

const pasted = (text) => new File([text], "pasted workflow", { type: "application/json" });

function bindPasteDialog(loadFile) {
  const dialog = $("paste-dialog");
  const text = $("paste-text");
  const error = $("paste-error");
  $("load-paste").addEventListener("click", () => {
    error.textContent = "";
    dialog.showModal();
    text.focus();
  });
  $("paste-cancel").addEventListener("click", () => dialog.close());
  $("paste-form").addEventListener("submit", (ev) => {
    try {
      Workflow.fromJSON(text.value); // check before closing
    } catch (err) {
      ev.preventDefault();
      error.textContent = err.message;
      return;
    }
    loadFile(pasted(text.value));
  });
  text.addEventListener("keydown", (ev) => {
    if (ev.key === "Enter" && (ev.ctrlKey || ev.metaKey)) {
      ev.preventDefault();
      $("paste-form").requestSubmit();
    }
  });
}
