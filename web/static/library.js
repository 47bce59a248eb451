// briefing-qa library: list documents, upload with a progress bar, delete with a confirmation.
// Text from the server is only ever set with textContent.
"use strict";

(function () {
  const body = document.getElementById("documents");
  if (!body) return;
  const signedIn = body.dataset.signedIn === "true";
  const showCollections = body.dataset.collections === "true";
  const meta = document.querySelector("meta[name=csrf-token]");
  const csrf = meta ? meta.content : "";
  const picker = document.getElementById("collection");
  const form = document.getElementById("upload-form");
  const input = document.getElementById("files");
  const progress = document.getElementById("upload-progress");
  const status = document.getElementById("upload-status");
  let polling = null;

  // ---- words in the reader's language (words.js)
  const { t, numbers, percents } = window.briefingWords;
  const STATUS = { indexed: t("indexed"), pending: t("pending"), failed: t("failed") };

  function cell(text, className) {
    const td = document.createElement("td");
    if (className) td.className = className;
    td.textContent = text;
    return td;
  }

  function row(doc) {
    const tr = document.createElement("tr");
    tr.dataset.id = doc.id;
    tr.dataset.status = doc.status;
    const name = document.createElement("td");
    const link = document.createElement("a");
    link.href = "/documents/" + encodeURIComponent(doc.id);
    link.textContent = doc.title;
    link.dir = "auto";
    name.appendChild(link);
    if (doc.filename && doc.filename !== doc.title) {
      const file = document.createElement("div");
      file.className = "muted";
      file.dir = "auto";
      file.textContent = doc.filename;
      name.appendChild(file);
    }
    tr.appendChild(name);
    if (showCollections) tr.appendChild(cell(doc.collection || "default", "doc-collection"));
    const shown = STATUS[doc.status] || doc.status;
    const state = cell(shown, "doc-status status-" + doc.status);
    if (doc.error) state.title = doc.error;
    if (doc.error) state.textContent = shown + " — " + doc.error;
    tr.appendChild(state);
    tr.appendChild(cell(doc.pages ? numbers.format(doc.pages) : "–"));
    tr.appendChild(cell(numbers.format(doc.passages)));
    if (signedIn) {
      const actions = document.createElement("td");
      const remove = document.createElement("button");
      remove.type = "button";
      remove.className = "secondary delete";
      remove.textContent = t("Delete");
      remove.setAttribute("aria-label", t("Delete %(title)s", { title: doc.title }));
      remove.addEventListener("click", () => removeDocument(doc));
      actions.appendChild(remove);
      tr.appendChild(actions);
    }
    return tr;
  }

  async function refresh() {
    const response = await fetch("/api/documents", { credentials: "same-origin" });
    const docs = response.ok ? await response.json() : [];
    body.replaceChildren(...docs.map(row));
    const busy = docs.some((d) => d.status === "pending");
    if (busy && !polling) polling = setInterval(refresh, 1000);
    if (!busy && polling) {
      clearInterval(polling);
      polling = null;
      if (progress) progress.hidden = true;
    }
    if (!busy && status && status.dataset.waiting === "true") {
      status.textContent = t("Indexed. You can ask about it in the chat.");
      status.dataset.waiting = "false";
    }
  }

  async function removeDocument(doc) {
    if (!window.confirm(t("Delete “%(title)s”? It will no longer be cited.", { title: doc.title }))) return;
    const response = await fetch("/api/documents/" + encodeURIComponent(doc.id), {
      method: "DELETE",
      credentials: "same-origin",
      headers: csrf ? { "X-CSRF-Token": csrf } : {},
    });
    if (status) {
      status.textContent = response.ok ? t("Deleted %(title)s.", { title: doc.title }) : t("Could not delete.");
    }
    setTimeout(refresh, 300);
  }

  function upload(files) {
    if (!files.length) return;
    const data = new FormData();
    for (const file of files) data.append("file", file, file.name);
    if (picker) data.append("collection", picker.value);
    const request = new XMLHttpRequest();
    request.open("POST", "/api/documents");
    request.withCredentials = true;
    if (csrf) request.setRequestHeader("X-CSRF-Token", csrf);
    progress.hidden = false;
    progress.value = 0;
    status.textContent = t("Uploading…");
    request.upload.addEventListener("progress", (event) => {
      if (event.lengthComputable) progress.value = Math.round((event.loaded / event.total) * 90);
    });
    request.addEventListener("load", () => {
      let result = {};
      try {
        result = JSON.parse(request.responseText);
      } catch (_) {
        /* not JSON: reported below */
      }
      if (request.status !== 202) {
        const message = (result.error && result.error.message) || t("the upload failed");
        status.textContent = t("Upload refused: %(reason)s", { reason: message });
        progress.hidden = true;
        return;
      }
      progress.value = 95;
      const refused = (result.rejected || []).map((r) => r.filename + ": " + r.reason);
      const listed = refused.length ? t("Refused — %(files)s", { files: refused.join("; ") }) : "";
      status.textContent = (result.accepted || []).length
        ? t("Indexing…") + (listed ? " " + listed : "")
        : listed;
      status.dataset.waiting = (result.accepted || []).length ? "true" : "false";
      if (!(result.accepted || []).length) progress.hidden = true;
      refresh();
    });
    request.addEventListener("error", () => {
      status.textContent = t("The upload could not reach the server.");
      progress.hidden = true;
    });
    request.send(data);
  }

  if (form && input) {
    input.addEventListener("change", () => upload(Array.from(input.files || [])));
    form.addEventListener("dragover", (event) => {
      event.preventDefault();
      form.classList.add("dragging");
    });
    form.addEventListener("dragleave", () => form.classList.remove("dragging"));
    form.addEventListener("drop", (event) => {
      event.preventDefault();
      form.classList.remove("dragging");
      upload(Array.from(event.dataTransfer.files || []));
    });
    form.addEventListener("submit", (event) => event.preventDefault());
  }

  // ---- the second, multilingual build phase (issue #32): its progress as it comes, from
  // /health (the same figures the page was rendered with), until it is ready.
  const multilingual = document.getElementById("multilingual-status");
  async function followMultilingual() {
    try {
      const response = await fetch("/health", { credentials: "same-origin" });
      const phase = response.ok ? (await response.json()).multilingual : null;
      if (!phase) return;
      if (phase.ready) {
        multilingual.textContent = t("Questions in other languages: ready.");
        multilingual.dataset.ready = "true";
        return;
      }
      multilingual.textContent = t(
        "Questions in other languages: being prepared (%(percent)s done).",
        { percent: percents.format(phase.percent / 100) });
    } catch (_) {
      // The server restarting or unreachable: try again on the next tick.
    }
    setTimeout(followMultilingual, 2000);
  }
  if (multilingual && multilingual.dataset.ready !== "true") setTimeout(followMultilingual, 2000);
  refresh();
})();
