// Renders /openapi.json as a list of operations: no framework, no CDN.
"use strict";

function resolve(schema, document, depth) {
  if (!schema || depth > 6) return schema;
  if (schema.$ref) {
    const name = schema.$ref.split("/").pop();
    return resolve(document.components.schemas[name], document, depth + 1);
  }
  if (Array.isArray(schema)) return schema.map((item) => resolve(item, document, depth + 1));
  if (typeof schema !== "object") return schema;
  const out = {};
  for (const [key, value] of Object.entries(schema)) out[key] = resolve(value, document, depth + 1);
  return out;
}

function block(title, value) {
  const details = document.createElement("details");
  const summary = document.createElement("summary");
  summary.textContent = title;
  const pre = document.createElement("pre");
  pre.textContent = JSON.stringify(value, null, 2);
  details.append(summary, pre);
  return details;
}

function operation(path, method, op, spec) {
  const section = document.createElement("section");
  section.className = "operation";
  const head = document.createElement("div");
  const verb = document.createElement("span");
  verb.className = "method";
  verb.textContent = method;
  const where = document.createElement("span");
  where.className = "path";
  where.textContent = path;
  head.append(verb, where);
  section.append(head);
  const text = document.createElement("p");
  text.textContent = op.summary || op.description || "";
  section.append(text);
  if (op.requestBody) {
    const content = op.requestBody.content || {};
    for (const [type, media] of Object.entries(content)) {
      section.append(block(`request body (${type})`, resolve(media.schema || media.example, spec, 0)));
      if (media.example) section.append(block("example", media.example));
    }
  }
  if (op.parameters && op.parameters.length) section.append(block("parameters", op.parameters));
  const statuses = document.createElement("p");
  statuses.className = "statuses";
  statuses.textContent = "answers: " + Object.keys(op.responses || {}).join(" ");
  section.append(statuses);
  return section;
}

async function render() {
  const spec = await (await fetch("/openapi.json")).json();
  document.getElementById("title").textContent = `${spec.info.title} ${spec.info.version}`;
  document.getElementById("summary").textContent = spec.info.description || "";
  const main = document.getElementById("operations");
  main.replaceChildren();
  for (const [path, item] of Object.entries(spec.paths)) {
    for (const [method, op] of Object.entries(item)) {
      if (typeof op === "object" && op.responses) main.append(operation(path, method, op, spec));
    }
  }
}

render().catch((error) => {
  document.getElementById("operations").textContent = `could not read /openapi.json: ${error}`;
});
