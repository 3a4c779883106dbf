// The reelgate playground: the HTTP API of the server that serves this page, nothing else.
// JSON requests only; the API key lives in sessionStorage and travels in a header, never in a URL.

const $ = (id) => document.getElementById(id);
const HISTORY = "reelgate-history";
const KEY = "reelgate-api-key";
let models = [];
let defaults = { duration_seconds: 5, aspect_ratio: "9:16" }; // the API's, from /video/models
let current = null; // the job shown: {job_id, abort}

function headers(json) {
  const h = {};
  if (json) h["Content-Type"] = "application/json";
  const key = sessionStorage.getItem(KEY);
  if (key) h["Authorization"] = `Bearer ${key}`;
  return h;
}

async function api(path, options = {}) {
  const answer = await fetch(path, { ...options, headers: headers(options.body !== undefined) });
  let body = null;
  try { body = await answer.json(); } catch { body = null; }
  if (!answer.ok) {
    const message = body && body.error ? body.error.message : `the server answered ${answer.status}`;
    throw new Error(message);
  }
  return body;
}

function showError(message, where = "error") {
  const box = $(where);
  box.textContent = message;
  box.hidden = !message;
}

function nearest(values, wanted) {
  // the offered value nearest the default (the smaller of two as near), as the API picks
  return values.reduce((best, v) => (Math.abs(v - wanted) < Math.abs(best - wanted) ? v : best));
}

function showNotice(message) {
  $("notice").textContent = message;
  $("notice").hidden = !message;
}

function fill(select, values, chosen) {
  select.replaceChildren(...values.map((value) => {
    const option = document.createElement("option");
    option.value = String(value);
    option.textContent = String(value);
    option.selected = String(value) === String(chosen);
    return option;
  }));
}

function priceWords(price) {
  if (!price) return "price unknown";
  const words = (r) => (r.usd_per_second !== undefined ? `$${r.usd_per_second}/s` : `$${r.usd_per_million_tokens}/M tokens`);
  return price.rates.map((r) => `${words(r)}${r.resolution ? " " + r.resolution : ""}`).join(", ");
}

function modelChanged() {
  const model = models.find((m) => m.id === $("model").value);
  if (!model) return;
  const caps = model.capabilities;
  fill($("duration"), caps.durations, nearest(caps.durations, defaults.duration_seconds));
  const aspect = caps.aspect_ratios.includes(defaults.aspect_ratio) ? defaults.aspect_ratio : caps.aspect_ratios[0];
  fill($("aspect"), caps.aspect_ratios, aspect);
  $("resolution-box").hidden = !caps.resolutions;
  if (caps.resolutions) fill($("resolution"), caps.resolutions, model.default_resolution || caps.resolutions[0]);
  $("audio-box").hidden = !caps.audio;
  $("audio").checked = false;
  $("image-file").disabled = $("image-url").disabled = !caps.kinds.includes("image");
  const images = (caps.references || {}).image || 0;
  $("references").disabled = images === 0;
  $("references-info").textContent = images ? `${model.id} takes up to ${images}` : `${model.id} takes none`;
  $("model-info").textContent = `${model.provider} · ${priceWords(model.price)}`;
}

async function loadModels() {
  try {
    const report = await api("/video/models");
    models = report.models;
    defaults = report.request_defaults;
    const select = $("model");
    select.replaceChildren(...models.map((m) => {
      const option = document.createElement("option");
      option.value = m.id;
      option.disabled = !m.configured;
      option.textContent = m.configured ? m.id : `${m.id} (not configured)`;
      option.selected = m.default && m.configured;
      return option;
    }));
    if (select.selectedOptions.length === 0 || select.selectedOptions[0].disabled) {
      const ready = models.find((m) => m.configured);
      if (ready) select.value = ready.id;
    }
    modelChanged();
    showNotice("");
  } catch (error) {
    showNotice(`The models could not be listed: ${error.message}`);
  }
}

function readImage(file) {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(reader.result);
    reader.onerror = () => reject(new Error("the image could not be read"));
    reader.readAsDataURL(file);
  });
}

async function requestBody() {
  const model = models.find((m) => m.id === $("model").value);
  const video = {
    model: $("model").value,
    duration_seconds: Number($("duration").value),
    aspect_ratio: $("aspect").value,
  };
  if (model && model.capabilities.resolutions) video.resolution = $("resolution").value;
  if (model && model.capabilities.audio) video.generate_audio = $("audio").checked;
  const body = { prompt: $("prompt").value, customer_id: $("customer").value, settings: { video } };
  const file = $("image-file").files[0];
  if (file && !$("image-file").disabled) body.input_image_url = await readImage(file);
  else if ($("image-url").value && !$("image-url").disabled) body.input_image_url = $("image-url").value;
  const references = $("references").value.split("\n").map((line) => line.trim()).filter(Boolean);
  if (references.length && !$("references").disabled) {
    body.references = references.map((url) => ({ type: "image", url }));
  }
  return body;
}

function remember(jobId, prompt) {
  const items = JSON.parse(localStorage.getItem(HISTORY) || "[]").filter((i) => i.job_id !== jobId);
  items.unshift({ job_id: jobId, prompt, at: new Date().toISOString() });
  localStorage.setItem(HISTORY, JSON.stringify(items.slice(0, 20)));
  renderHistory();
}

function rememberThumbnail(jobId, url) {
  const items = JSON.parse(localStorage.getItem(HISTORY) || "[]");
  const item = items.find((i) => i.job_id === jobId);
  if (!item || !url || item.thumbnail_url === url) return;
  item.thumbnail_url = url;
  localStorage.setItem(HISTORY, JSON.stringify(items));
  renderHistory();
}

function renderHistory() {
  const items = JSON.parse(localStorage.getItem(HISTORY) || "[]");
  $("history").replaceChildren(...items.map((item) => {
    const li = document.createElement("li");
    const button = document.createElement("button");
    button.type = "button";
    button.textContent = "Open";
    button.setAttribute("aria-label", `Open the job "${item.prompt}"`);
    button.addEventListener("click", () => follow(item.job_id));
    if (item.thumbnail_url) {
      const image = document.createElement("img");
      image.src = item.thumbnail_url;
      image.alt = `thumbnail of "${item.prompt}"`;
      image.width = 96;
      image.className = "thumbnail";
      image.addEventListener("error", () => image.remove());  // a signed URL that expired
      li.append(image);
    }
    li.append(button, ` ${item.prompt} · ${new Date(item.at).toLocaleString()}`);
    return li;
  }));
}

async function start(body) {
  const answer = await api("/video/jobs", { method: "POST", body: JSON.stringify(body) });
  remember(answer.data.job_id, body.prompt);
  await follow(answer.data.job_id);
}

function showStatus(status) {
  const words = [status.status, status.step].filter(Boolean).join(": ");
  $("status").textContent = words;
  const percent = status.status === "succeeded" ? 100 : Math.round((status.progress || 0) * 100);
  $("progress").value = percent;
  $("cancel").hidden = ["succeeded", "failed", "cancelled"].includes(status.status);
}

function showResult(jobId, envelope) {
  $("cancel").hidden = true;
  const data = envelope.data || {};
  if (envelope.success && data.video_url) {
    const video = $("video");
    video.poster = data.poster_url || "";
    video.src = data.video_url;
    video.hidden = false;
    rememberThumbnail(jobId, data.thumbnail_url);
    $("extend-form").hidden = false;
    $("status").textContent = `succeeded: ${data.model}, ${data.duration} s`;
    $("progress").value = 100;
    document.body.dataset.jobState = "succeeded";
    return;
  }
  const cancelled = Boolean(envelope.error) && envelope.error.type === "cancelled";
  showError(cancelled ? "The job was cancelled." : envelope.error.message);
  $("status").textContent = cancelled ? "cancelled" : "failed";
  document.body.dataset.jobState = "ended";
}

async function follow(jobId) {
  if (current) current.abort.abort();
  const abort = new AbortController();
  current = { job_id: jobId, abort };
  $("job").hidden = false;
  $("video").hidden = true;
  $("video").removeAttribute("src");
  $("extend-form").hidden = true;
  showError("");
  document.body.dataset.jobState = "running";
  $("job-title").textContent = `Job ${jobId}`;
  try {
    const answer = await fetch(`/video/jobs/${jobId}/events`, { headers: headers(false), signal: abort.signal });
    if (!answer.ok) {
      const body = await answer.json().catch(() => null);
      throw new Error(body && body.error ? body.error.message : `the server answered ${answer.status}`);
    }
    const reader = answer.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer = (buffer + value).replace(/\r\n/g, "\n"); // Litestar ends lines with CRLF
      let cut;
      while ((cut = buffer.indexOf("\n\n")) >= 0) {
        const block = buffer.slice(0, cut);
        buffer = buffer.slice(cut + 2);
        let event = "message", data = "";
        for (const line of block.split("\n")) {
          if (line.startsWith("event:")) event = line.slice(6).trim();
          else if (line.startsWith("data:")) data += line.slice(5).trim();
        }
        if (!data) continue;
        const payload = JSON.parse(data);
        if (event === "status") showStatus(payload);
        if (event === "result") showResult(jobId, payload);
      }
    }
  } catch (error) {
    if (error.name !== "AbortError") {
      showError(error.message);
      document.body.dataset.jobState = "ended";
    }
  }
}

function init() {
  $("api-key").value = sessionStorage.getItem(KEY) || "";
  $("api-key").addEventListener("change", () => {
    sessionStorage.setItem(KEY, $("api-key").value);
    loadModels();
  });
  $("model").addEventListener("change", modelChanged);
  $("job-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    $("submit").disabled = true;
    showError("", "form-error");
    try {
      await start(await requestBody());
    } catch (error) {
      showError(error.message, "form-error"); // beside the button that was refused
      document.body.dataset.jobState = "refused";
    } finally {
      $("submit").disabled = false;
    }
  });
  $("cancel").addEventListener("click", async () => {
    if (!current) return;
    try { await api(`/video/jobs/${current.job_id}`, { method: "DELETE" }); } catch (error) { showError(error.message); }
  });
  $("storyboard-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    showError("", "storyboard-error");
    const prompts = $("shots").value.split("\n").map((line) => line.trim()).filter(Boolean);
    try {
      const { settings } = await requestBody();
      const body = {
        customer_id: $("customer").value, continuity: $("continuity").value, settings,
        title: prompts[0], shots: prompts.map((prompt) => ({ prompt })),
      };
      const answer = await api("/video/storyboards", { method: "POST", body: JSON.stringify(body) });
      remember(answer.data.job_id, `storyboard: ${prompts.join(" / ")}`);
      await follow(answer.data.job_id);
    } catch (error) {
      showError(error.message, "storyboard-error");
      document.body.dataset.jobState = "refused";
    }
  });
  $("extend-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!current) return;
    const body = {
      prompt: $("extend-prompt").value, customer_id: $("customer").value,
      video_id: current.job_id, settings: { video: {} },
    };
    showError("", "extend-error");
    try { await start(body); } catch (error) { showError(error.message, "extend-error"); document.body.dataset.jobState = "refused"; }
  });
  renderHistory();
  loadModels();
}

init();
