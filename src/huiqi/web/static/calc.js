/* 政策计算器: builds the years and events parts of the form from the vocabulary, collects the form into a
   profile, saves it (POST /api/shares) and opens the result page; shows field errors beside the fields. */
(function () {
  "use strict";
  var vocab = JSON.parse(document.getElementById("vocab-data").textContent);
  var profile = JSON.parse(document.getElementById("profile-data").textContent) || {};
  var form = document.getElementById("calc-form");
  var yearsBox = document.getElementById("years");
  var eventsBox = document.getElementById("events");
  var fieldsByName = {};
  vocab.event_base.concat(vocab.event_fields).forEach(function (f) { fieldsByName[f.name] = f; });
  var eventsByName = {};
  vocab.events.forEach(function (e) { eventsByName[e.name] = e; });

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === "text") node.textContent = attrs[k];
      else if (attrs[k] !== null && attrs[k] !== undefined && attrs[k] !== false) node.setAttribute(k, attrs[k]);
    });
    (children || []).forEach(function (c) { if (c) node.appendChild(c); });
    return node;
  }

  function option(value, label, selected) {
    var o = el("option", { value: value, text: label });
    if (selected) o.selected = true;
    return o;
  }

  function wanHint(input) {
    var hint = input.parentNode.querySelector(".wan");
    if (!hint) { hint = el("small", { "class": "wan" }); input.after(hint); }
    var n = Number(String(input.value).replace(/,/g, ""));
    hint.textContent = input.value && isFinite(n) ? "＝ " + (n / 10000).toLocaleString("zh-CN", { maximumFractionDigits: 4 }) + " 万元" : "";
  }

  /* One input for a fact (the same markup as the server's fact_input macro). */
  function factInput(f, key, value, opts) {
    opts = opts || {};
    var label = el("label", { "class": "field" });
    var head = el("span", { "class": "label", text: (opts.label || f.label) + (f.unit ? "（" + f.unit + "）" : "") });
    label.appendChild(head);
    var input;
    var v = value === undefined || value === null ? "" : value;
    if (f.type === "bool") {
      input = el("select", { "data-type": "bool" }, [option("", "未填", v === ""), option("true", "是", v === true), option("false", "否", v === false)]);
    } else if (opts.values || f.values) {
      var values = opts.values || f.values;
      input = el("select", { "data-type": "enum" }, [option("", "未填", false)]);
      values.forEach(function (x) { input.appendChild(option(x, x, String(v) === x)); });
    } else if (f.type === "date") {
      input = el("input", { type: "date", "data-type": "date", value: v });
    } else if (f.type === "money" || f.type === "decimal" || f.type === "integer") {
      input = el("input", { type: "text", inputmode: "decimal", "data-type": f.type, value: v });
      if (f.type === "money") { input.setAttribute("data-wan", ""); }
    } else {
      input = el("input", { type: "text", "data-type": f.type, value: v });
    }
    input.setAttribute("data-k", key);
    label.appendChild(input);
    if (f.description && !opts.noHint) label.appendChild(el("small", { "class": "hint", text: f.description }));
    return label;
  }

  /* ---- years ---- */
  function addYear(year, figures) {
    year = String(year);
    if (!/^\d{4}$/.test(year) || yearsBox.querySelector('[data-year="' + year + '"]')) return;
    var box = el("fieldset", { "class": "year", "data-year": year });
    var remove = el("button", { type: "button", "class": "ghost small", text: "删除", "aria-label": "删除 " + year + " 年" });
    remove.addEventListener("click", function () { box.remove(); });
    box.appendChild(el("legend", {}, [document.createTextNode(year + " 年 "), remove]));
    var grid = el("div", { "class": "grid" });
    vocab.years.forEach(function (f) { grid.appendChild(factInput(f, f.name, (figures || {})[f.name])); });
    box.appendChild(grid);
    var after = Array.prototype.find.call(yearsBox.children, function (c) { return c.getAttribute("data-year") > year; });
    yearsBox.insertBefore(box, after || null);
  }

  /* ---- events ---- */
  function eventRow(data) {
    data = data || {};
    var row = el("div", { "class": "event" });
    var typeSelect = el("select", { "data-k": "type", "aria-label": "事项类型" }, [option("", "选择事项类型…", !data.type)]);
    vocab.events.forEach(function (e) { typeSelect.appendChild(option(e.name, e.verb + " · " + e.label, e.name === data.type)); });
    var title = el("b", { "class": "event-no" });
    var remove = el("button", { type: "button", "class": "ghost small", text: "删除" });
    remove.addEventListener("click", function () { row.remove(); renumber(); });
    row.appendChild(el("div", { "class": "event-head" }, [title, remove]));
    var typeLabel = el("label", { "class": "field wide" }, [el("span", { "class": "label", text: "事项类型" }), typeSelect]);
    row.appendChild(typeLabel);
    var body = el("div", { "class": "grid" });
    row.appendChild(body);
    function fill(values) {
      body.innerHTML = "";
      var type = eventsByName[typeSelect.value];
      if (!type) return;
      body.appendChild(factInput(fieldsByName.date, "date", values.date, { noHint: true }));
      if (type.levels.length) body.appendChild(factInput(fieldsByName.level, "level", values.level, { values: type.levels, noHint: true }));
      body.appendChild(factInput(fieldsByName.subject, "subject", values.subject, { noHint: true }));
      body.appendChild(factInput(fieldsByName.first_time, "first_time", values.first_time, { noHint: true }));
      type.fields.forEach(function (name) { body.appendChild(factInput(fieldsByName[name], name, values[name])); });
      if (type.description) body.appendChild(el("p", { "class": "hint wide", text: type.description }));
      body.querySelectorAll("[data-wan]").forEach(wanHint);
    }
    typeSelect.addEventListener("change", function () { fill(readEvent(row)); });
    fill(data);
    eventsBox.appendChild(row);
    renumber();
    return row;
  }

  function renumber() {
    eventsBox.querySelectorAll(".event").forEach(function (row, i) {
      row.querySelector(".event-no").textContent = "事项 " + (i + 1);
    });
  }

  /* ---- collecting ---- */
  function valueOf(input) {
    var raw = input.value.trim();
    if (raw === "") return undefined;
    var type = input.getAttribute("data-type");
    if (type === "bool") return raw === "true";
    if (type === "money" || type === "decimal" || type === "integer") {
      var n = Number(raw.replace(/,/g, ""));
      return isFinite(n) && raw.replace(/,/g, "") !== "" ? n : raw;
    }
    return raw;
  }

  function readEvent(row) {
    var out = {};
    row.querySelectorAll("[data-k]").forEach(function (input) {
      var v = valueOf(input);
      if (v !== undefined) out[input.getAttribute("data-k")] = v;
    });
    return out;
  }

  function collect() {
    var out = {};
    Object.keys(profile).forEach(function (k) { if (k !== "firm" && k !== "years" && k !== "events" && k !== "as_of") out[k] = profile[k]; });
    out.firm = {};
    form.querySelectorAll("[data-path^='firm.']").forEach(function (input) {
      var v = valueOf(input);
      if (v !== undefined) out.firm[input.getAttribute("data-path").slice(5)] = v;
      input.closest(".field").setAttribute("data-field", input.getAttribute("data-path"));
    });
    out.years = {};
    yearsBox.querySelectorAll(".year").forEach(function (box) {
      var year = box.getAttribute("data-year"), figures = {};
      box.querySelectorAll("[data-k]").forEach(function (input) {
        var v = valueOf(input);
        if (v !== undefined) figures[input.getAttribute("data-k")] = v;
        input.closest(".field").setAttribute("data-field", "years." + year + "." + input.getAttribute("data-k"));
      });
      out.years[year] = figures;
    });
    out.events = [];
    eventsBox.querySelectorAll(".event").forEach(function (row, i) {
      row.setAttribute("data-field", "events[" + i + "]");
      row.querySelectorAll("[data-k]").forEach(function (input) {
        input.closest(".field").setAttribute("data-field", "events[" + i + "]." + input.getAttribute("data-k"));
      });
      out.events.push(readEvent(row));
    });
    return out;
  }

  /* ---- errors ---- */
  function clearErrors() {
    form.querySelectorAll(".field-error").forEach(function (n) { n.remove(); });
    form.querySelectorAll(".invalid").forEach(function (n) { n.classList.remove("invalid"); });
    var box = document.getElementById("form-errors");
    box.hidden = true;
    box.innerHTML = "";
  }

  function showErrors(error) {
    var box = document.getElementById("form-errors");
    box.appendChild(el("p", { text: error.message || "输入有误" }));
    var list = el("ul");
    (error.fields || []).forEach(function (f) {
      var field = f.field.replace(/^profile\./, "");
      var target = form.querySelector('[data-field="' + field.replace(/"/g, '\\"') + '"]');
      if (target) {
        target.classList.add("invalid");
        target.appendChild(el("small", { "class": "field-error", text: f.message }));
      }
      list.appendChild(el("li", { text: f.field + "：" + f.message }));
    });
    box.appendChild(list);
    box.hidden = false;
    box.scrollIntoView({ behavior: "smooth", block: "start" });
  }

  form.addEventListener("submit", function (ev) {
    ev.preventDefault();
    clearErrors();
    var button = document.getElementById("calc-submit");
    button.disabled = true;
    button.textContent = "计算中…";
    var body = { profile: collect(), include_drafts: document.getElementById("include_drafts").checked };
    var asOf = document.getElementById("as_of").value;
    if (asOf) body.as_of = asOf;
    fetch("/api/shares", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) })
      .then(function (r) { return r.json().then(function (data) { return { ok: r.ok, data: data }; }); })
      .then(function (res) {
        if (res.ok) { window.location.href = res.data.url + "#result"; return; }
        showErrors(res.data.error || { message: "计算失败" });
      })
      .catch(function () { showErrors({ message: "无法连接服务器，请稍后重试" }); })
      .finally(function () { button.disabled = false; button.textContent = "计算"; });
  });

  document.getElementById("add-year").addEventListener("click", function () {
    var input = document.getElementById("new-year");
    addYear(input.value || String(new Date().getFullYear() - 1), {});
    input.value = "";
  });
  document.getElementById("add-event").addEventListener("click", function () {
    eventRow({}).querySelector("select").focus();
  });
  document.getElementById("demo").addEventListener("change", function () {
    window.location.href = this.value ? "/calc?demo=" + encodeURIComponent(this.value) : "/calc";
  });
  form.addEventListener("input", function (ev) { if (ev.target.hasAttribute("data-wan")) wanHint(ev.target); });

  Object.keys(profile.years || {}).sort().forEach(function (y) { addYear(y, profile.years[y]); });
  (profile.events || []).forEach(function (e) { eventRow(e); });
  if (!(profile.events || []).length) eventRow({});
  form.querySelectorAll("[data-wan]").forEach(wanHint);
})();
