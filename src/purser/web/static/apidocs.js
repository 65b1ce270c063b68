/* A small reader for the app's OpenAPI document; everything is served by this app. */
(function () {
  "use strict";
  function el(tag, text, cls) { var n = document.createElement(tag); if (text) n.textContent = text; if (cls) n.className = cls; return n; }
  function resolve(spec, schema) {
    if (schema && schema.$ref) {
      var parts = schema.$ref.replace(/^#\//, "").split("/");
      var node = spec; parts.forEach(function (p) { node = node && node[p]; });
      return node || schema;
    }
    return schema;
  }
  function schemaBlock(spec, schema) {
    var seen = {};
    function expand(s, depth) {
      s = resolve(spec, s);
      if (!s || depth > 4) return s;
      var out = {};
      Object.keys(s).forEach(function (k) {
        var v = s[k];
        if (k === "properties") { out[k] = {}; Object.keys(v).forEach(function (p) { out[k][p] = expand(v[p], depth + 1); }); }
        else if (k === "items" || k === "additionalProperties") out[k] = expand(v, depth + 1);
        else if (k === "anyOf" || k === "oneOf") out[k] = v.map(function (x) { return expand(x, depth + 1); });
        else out[k] = v;
      });
      return out;
    }
    return el("pre", JSON.stringify(expand(schema, 0), null, 2));
  }
  fetch("/api/openapi.json").then(function (r) { return r.json(); }).then(function (spec) {
    document.getElementById("intro").textContent = spec.info.title + " " + spec.info.version + " — " + (spec.info.description || "");
    var toc = document.getElementById("toc"), ops = document.getElementById("ops");
    Object.keys(spec.paths).forEach(function (path) {
      Object.keys(spec.paths[path]).forEach(function (method) {
        var op = spec.paths[path][method];
        var id = (method + path).replace(/[^a-z0-9]+/gi, "-");
        var li = el("li"); var a = el("a", method.toUpperCase() + " " + path + (op.summary ? " — " + op.summary : "")); a.href = "#" + id; li.appendChild(a); toc.appendChild(li);
        var card = el("section", null, "card"); card.id = id;
        card.appendChild(el("h2", method.toUpperCase() + " " + path));
        if (op.summary) card.appendChild(el("p", op.summary));
        if (op.description) card.appendChild(el("p", op.description, "hint"));
        if (op.security) card.appendChild(el("p", "Needs Authorization: Bearer <admin token>", "hint"));
        if (op.parameters && op.parameters.length) {
          var t = el("table"); var hr = el("tr");
          ["Name", "In", "Required", "Description"].forEach(function (h) { var th = el("th", h); th.scope = "col"; hr.appendChild(th); });
          t.appendChild(hr);
          op.parameters.forEach(function (p) {
            var r = el("tr"); [p.name, p["in"], p.required ? "yes" : "no", p.description || ""].forEach(function (c) { r.appendChild(el("td", c)); }); t.appendChild(r);
          });
          card.appendChild(el("h3", "Parameters")); card.appendChild(t);
        }
        var body = op.requestBody && op.requestBody.content && op.requestBody.content["application/json"];
        if (body) { card.appendChild(el("h3", "Request body")); card.appendChild(schemaBlock(spec, body.schema)); }
        card.appendChild(el("h3", "Responses"));
        Object.keys(op.responses || {}).forEach(function (code) {
          var resp = op.responses[code];
          card.appendChild(el("p", code + " " + (resp.description || "")));
          var json = resp.content && resp.content["application/json"];
          if (json && json.schema && code.charAt(0) === "2") card.appendChild(schemaBlock(spec, json.schema));
        });
        ops.appendChild(card);
      });
    });
  }).catch(function (e) { document.getElementById("intro").textContent = "Could not load the OpenAPI document: " + e.message; });
})();
