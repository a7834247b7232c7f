// The API reference page: draws /openapi.json as a list of operations with curl examples.
// Plain JS, no CDN; every value goes on the page as text.
"use strict";

(() => {
  const root = document.getElementById("reference");
  const label = (name) => root.dataset[name] || name;

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs || {})) node.setAttribute(name, value);
    for (const child of children) {
      if (child === null || child === undefined) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  function example(schema, doc, depth) {
    if (!schema || depth > 6) return null;
    if (schema.$ref) return example(doc.components.schemas[schema.$ref.split("/").pop()], doc, depth + 1);
    if (schema.enum) return schema.enum[0];
    const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
    if (type === "object") {
      const out = {};
      for (const [name, prop] of Object.entries(schema.properties || {})) out[name] = example(prop, doc, depth + 1);
      return out;
    }
    if (type === "array") return [example(schema.items, doc, depth + 1)];
    if (type === "string") return "…";
    if (type === "number") return 0.5;
    if (type === "integer") return 1;
    if (type === "boolean") return false;
    return null;
  }

  // A schema with every $ref replaced by what it names, so a body reads as its fields.
  function expand(schema, doc, depth) {
    if (!schema || typeof schema !== "object" || depth > 6) return schema;
    if (Array.isArray(schema)) return schema.map((item) => expand(item, doc, depth + 1));
    if (schema.$ref) return expand(doc.components.schemas[schema.$ref.split("/").pop()], doc, depth + 1);
    const out = {};
    for (const [key, value] of Object.entries(schema)) out[key] = expand(value, doc, depth + 1);
    return out;
  }

  function curl(method, path, op, doc) {
    const origin = window.location.origin;
    if (op.requestBody) {
      const body = path === "/api/route" ? { text: "er staan vuilniszakken naast de container", lang: "nl" }
        : example(op.requestBody.content["application/json"].schema, doc, 0);
      return "curl -s -X " + method.toUpperCase() + " " + origin + path +
        " -H 'Content-Type: application/json' -d '" + JSON.stringify(body) + "'";
    }
    const query = (op.parameters || []).filter((p) => p.in === "query" && p.required)
      .map((p) => p.name + "=" + encodeURIComponent(p.name === "q" ? "6221AB" : "noord-oost")).join("&");
    const concrete = path.replace(/\{[^}]+\}/g, "noord-oost");
    return "curl -s '" + origin + concrete + (query ? "?" + query : "") + "'";
  }

  function operation(method, path, op, doc) {
    const section = el("section", { class: "op", id: op.operationId || path });
    section.append(el("h2", {}, el("span", { class: "method" }, method.toUpperCase()), " " + path));
    if (op.summary) section.append(el("p", {}, el("strong", {}, op.summary)));
    if (op.description) section.append(el("p", {}, op.description));
    if (op.parameters && op.parameters.length) {
      section.append(el("h3", {}, label("parameters")));
      const table = el("table", {});
      for (const p of op.parameters) {
        table.append(el("tr", {}, el("td", {}, el("code", {}, p.name)), el("td", {}, p.in + (p.required ? ", required" : "")),
          el("td", {}, JSON.stringify(p.schema)), el("td", {}, p.description || "")));
      }
      section.append(table);
    }
    if (op.requestBody) {
      section.append(el("h3", {}, label("body")));
      const body = expand(op.requestBody.content["application/json"].schema, doc, 0);
      section.append(el("pre", {}, JSON.stringify(body, null, 2)));
    }
    section.append(el("h3", {}, label("responses")));
    const list = el("ul", {});
    for (const [status, response] of Object.entries(op.responses || {})) {
      const media = Object.keys(response.content || {})[0] || "";
      const schema = media ? response.content[media].schema : null;
      list.append(el("li", {}, el("code", {}, status), " " + (response.description || "") + " (" + media + ") ",
        schema ? el("code", {}, JSON.stringify(schema)) : null));
    }
    section.append(list);
    section.append(el("h3", {}, label("example")));
    section.append(el("pre", {}, curl(method, path, op, doc)));
    return section;
  }

  function schemas(doc) {
    const section = el("section", { class: "op", id: "schemas" });
    section.append(el("h2", {}, label("schemas")));
    for (const [name, schema] of Object.entries(doc.components.schemas || {})) {
      section.append(el("h3", { id: "schema-" + name }, name));
      if (schema.description) section.append(el("p", {}, schema.description));
      section.append(el("pre", {}, JSON.stringify(schema, null, 2)));
    }
    return section;
  }

  fetch("/openapi.json", { headers: { Accept: "application/json" } })
    .then((response) => response.json())
    .then((doc) => {
      root.replaceChildren();
      root.append(el("p", {}, doc.info.description));
      for (const [path, methods] of Object.entries(doc.paths)) {
        for (const [method, op] of Object.entries(methods)) root.append(operation(method, path, op, doc));
      }
      root.append(schemas(doc));
      document.body.dataset.ready = "true";
    })
    .catch(() => {
      root.replaceChildren(el("p", { role: "alert" }, label("failed")));
    });
})();
