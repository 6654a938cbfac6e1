// The verification page: loads package verify compiled to WebAssembly and runs it on the file
// the visitor chooses or drops. The file is read locally and never sent anywhere.
"use strict";

const statusEl = document.getElementById("status");

function setStatus(state, it, en) {
  statusEl.dataset.state = state;
  statusEl.textContent = it + " — " + en;
}

async function loadVerifier() {
  const go = new Go();
  const result = await WebAssembly.instantiateStreaming(fetch("/verify/verify.wasm"), go.importObject);
  go.run(result.instance); // defines sportelloVerify, then waits for calls
  setStatus("ready", "Pronto: scegli un file.", "Ready: choose a file.");
}

function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

function show(name, report) {
  const verdict = document.getElementById("verdict");
  const checks = document.getElementById("checks");
  const notes = document.getElementById("notes");
  checks.replaceChildren();
  notes.replaceChildren();
  document.getElementById("file-name").textContent = name;
  if (report.ok) {
    verdict.className = "ok";
    verdict.textContent = "Verificato — verified";
  } else {
    verdict.className = "failed";
    verdict.textContent = "Non verificato — not verified: " + report.failed.join("; ");
  }
  for (const c of report.checks) {
    const li = el("li", c.ok ? "ok" : "failed");
    li.dataset.name = c.name;
    const outcome = c.ok ? "superato — passed" : "non superato — failed";
    li.append(el("strong", "", c.name_it), " ", el("span", "", "(" + c.name + ")"), ": " + outcome);
    const detail = c.ok ? c.detail : c.error;
    if (detail) li.append(el("span", "detail", detail));
    checks.append(li);
  }
  for (const n of report.notes) {
    const li = el("li", "note");
    li.dataset.id = n.id;
    li.append(el("span", "", n.text_it), el("span", "detail", n.text));
    notes.append(li);
  }
  document.getElementById("result").hidden = false;
  setStatus("done", "Verifica conclusa.", "Verification done.");
}

async function verifyFile(file) {
  if (typeof sportelloVerify !== "function") {
    setStatus("error", "Il verificatore non è ancora pronto.", "The verifier is not ready yet.");
    return;
  }
  setStatus("working", "Verifica in corso…", "Verifying…");
  const bytes = new Uint8Array(await file.arrayBuffer());
  // Let the status paint before the synchronous verification runs.
  await new Promise((resolve) => setTimeout(resolve, 0));
  const report = JSON.parse(sportelloVerify(bytes, {
    fingerprint: document.getElementById("fingerprint").value.trim(),
    tsaFingerprint: document.getElementById("tsa-fingerprint").value.trim(),
  }));
  show(file.name, report);
}

const input = document.getElementById("file");
input.addEventListener("change", () => {
  if (input.files.length > 0) verifyFile(input.files[0]);
});
const drop = document.getElementById("drop");
drop.addEventListener("dragover", (e) => { e.preventDefault(); drop.classList.add("over"); });
drop.addEventListener("dragleave", () => drop.classList.remove("over"));
drop.addEventListener("drop", (e) => {
  e.preventDefault();
  drop.classList.remove("over");
  if (e.dataTransfer.files.length > 0) verifyFile(e.dataTransfer.files[0]);
});

loadVerifier().catch((err) => {
  setStatus("error", "Impossibile caricare il verificatore: " + err, "Cannot load the verifier: " + err);
});
