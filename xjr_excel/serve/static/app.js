// The page: plain JavaScript over the JSON API (/api/...).  Every POST carries the session's CSRF
// token; every text from a file is set as textContent, never as HTML.
"use strict";

const $ = (id) => document.getElementById(id);
let session = null;          // /api/session: user, role, csrf, limits
let checkedFile = null;      // the workbook last validated (for the marked / cleared copies)

function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === "class") e.className = v; else e.setAttribute(k, v);
  }
  for (const c of children) e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return e;
}

// ---------------------------------------------------------------- talking to the server

async function post(url, body, json) {
  const headers = {"X-CSRF-Token": session ? session.csrf : ""};
  if (json) headers["Content-Type"] = "application/json";
  return fetch(url, {method: "POST", body: json ? JSON.stringify(body) : body, headers, credentials: "same-origin"});
}

// A refusal or error as one Chinese sentence with its code; 503: the server is busy, try again later.
async function problem(resp) {
  let data = {};
  try { data = await resp.json(); } catch (e) { /* not JSON: a proxy page */ }
  const msg = data.error || `服务器返回 ${resp.status}，请稍后重试。`;
  const retry = resp.headers.get("Retry-After");
  return {code: data.code || "", message: msg, busy: resp.status === 503, retry, status: resp.status, data};
}

function showProblem(target, p, fileName) {
  target.hidden = false;
  target.className = p.busy ? "status busy" : "refusal";
  target.textContent = "";
  if (fileName) target.append(el("strong", {}, fileName + "："));
  target.append(p.message);
  if (p.busy && p.retry) target.append(`（${p.retry}秒后可重试）`);
  if (p.code) target.append(" ", el("code", {class: "code"}, p.code));
}

function fileNameOf(resp, fallback) {
  const cd = resp.headers.get("Content-Disposition") || "";
  const m = /filename\*=UTF-8''([^;]+)/i.exec(cd);
  return m ? decodeURIComponent(m[1]) : fallback;
}

async function saveBlob(resp, fallback) {
  const blob = await resp.blob();
  const a = el("a", {href: URL.createObjectURL(blob), download: fileNameOf(resp, fallback)});
  document.body.append(a);
  a.click();
  setTimeout(() => { URL.revokeObjectURL(a.href); a.remove(); }, 60000);
  return a.download;
}

// ---------------------------------------------------------------- session and login

async function loadSession() {
  const resp = await fetch("/api/session", {credentials: "same-origin"});
  session = await resp.json();
  const loggedIn = !!session.user;
  $("login").hidden = loggedIn || !session.login_required;
  $("app").hidden = !loggedIn;
  $("who").hidden = !loggedIn;
  $("logout").hidden = !session.login_required;
  if (loggedIn) {
    $("who-name").textContent = `${session.user}（${session.role_label || ""}）`;
    $("merge-role").hidden = session.may_merge;
    $("merge-role").textContent = session.may_merge ? "" : "合并汇总需要省级账户；当前账户为市级，只能校验。";
  }
}

async function login(ev) {
  ev.preventDefault();
  $("login-message").textContent = "正在登录…";
  const resp = await post("/api/login", {user: $("login-user").value, password: $("login-password").value}, true);
  if (!resp.ok) {
    const p = await problem(resp);
    $("login-message").textContent = `${p.message}（${p.code}）`;
    return;
  }
  $("login-password").value = "";
  $("login-message").textContent = "";
  await loadSession();
}

async function logout() {
  await post("/api/logout", null);
  checkedFile = null;
  $("check-result").hidden = true;
  $("merge-result").hidden = true;
  await loadSession();
}

// ---------------------------------------------------------------- tabs

function showTab(name) {
  for (const b of document.querySelectorAll("nav button")) b.setAttribute("aria-selected", b.dataset.tab === name);
  for (const s of document.querySelectorAll(".tab")) s.hidden = s.id !== "tab-" + name;
}

// ---------------------------------------------------------------- 校验

function a1(cell) {           // "AB12" → [row 12, column 28]
  const m = /^([A-Z]+)(\d+)$/.exec(cell || "");
  if (!m) return null;
  let col = 0;
  for (const ch of m[1]) col = col * 26 + ch.charCodeAt(0) - 64;
  return [parseInt(m[2], 10), col];
}

function letters(col) {
  let s = "";
  for (; col > 0; col = Math.floor((col - 1) / 26)) s = String.fromCharCode(65 + (col - 1) % 26) + s;
  return s;
}

const GRID_ROWS = 80, GRID_COLS = 40;

// The sheet's cells from A1 to just past the last finding, errors red and warnings orange as in Excel.
function grid(findings) {
  const marks = new Map();
  let rows = 8, cols = 8, beyond = 0;
  for (const f of findings) {
    const rc = a1(f.cell);
    if (!rc) continue;
    if (rc[0] > GRID_ROWS || rc[1] > GRID_COLS) { beyond++; continue; }
    rows = Math.max(rows, rc[0] + 1); cols = Math.max(cols, rc[1] + 1);
    const key = rc.join(",");
    const m = marks.get(key) || {error: false, text: []};
    m.error = m.error || f.severity === "error";
    m.text.push(`${f.cell} ${f.severity === "error" ? "错误" : "警告"}：${f.message}`);
    marks.set(key, m);
  }
  rows = Math.min(rows, GRID_ROWS); cols = Math.min(cols, GRID_COLS);
  const table = el("table", {class: "grid", "aria-label": "问题位置示意"});
  const head = el("tr", {}, el("th", {}, ""));
  for (let c = 1; c <= cols; c++) head.append(el("th", {}, letters(c)));
  table.append(head);
  for (let r = 1; r <= rows; r++) {
    const tr = el("tr", {}, el("th", {}, r));
    for (let c = 1; c <= cols; c++) {
      const m = marks.get(`${r},${c}`);
      const td = el("td", m ? {class: m.error ? "mark-error" : "mark-warning", title: m.text.join("\n"),
                               "data-cell": letters(c) + r} : {});
      tr.append(td);
    }
    table.append(tr);
  }
  const wrap = el("div", {}, table);
  if (beyond) wrap.append(el("p", {class: "hint"}, `另有 ${beyond} 处在示意范围（${letters(GRID_COLS)}${GRID_ROWS}）以外，见下表。`));
  return wrap;
}

function showFindings(payload) {
  const box = $("check-sheets");
  box.textContent = "";
  const groups = new Map();
  for (const f of payload.findings) {
    const k = f.sheet || "（整个文件）";
    if (!groups.has(k)) groups.set(k, []);
    groups.get(k).push(f);
  }
  for (const [sheet, items] of groups) {
    const errors = items.filter((f) => f.severity === "error").length;
    const section = el("div", {class: "sheet", "data-sheet": sheet},
      el("h3", {}, `${sheet}（错误 ${errors} 处，警告 ${items.length - errors} 处）`));
    if (items.some((f) => a1(f.cell))) section.append(grid(items));
    const tbody = el("tbody");
    for (const f of items) {
      const err = f.severity === "error";
      tbody.append(el("tr", {class: "finding", "data-cell": f.cell, "data-rule": f.rule},
        el("td", {}, f.cell || "—"), el("td", {class: err ? "level-error" : "level-warning"}, err ? "错误" : "警告"),
        el("td", {}, f.field), el("td", {}, f.value), el("td", {}, f.message), el("td", {class: "rule"}, f.rule)));
    }
    section.append(el("table", {class: "findings"},
      el("thead", {}, el("tr", {}, ...["单元格", "级别", "字段", "当前值", "说明", "规则"].map((h) => el("th", {}, h)))),
      tbody));
    box.append(section);
  }
}

async function check(file) {
  if (!file) return;
  checkedFile = null;
  $("check-result").hidden = true;
  $("check-status").className = "status";
  $("check-status").textContent = `正在校验“${file.name}”…`;
  const body = new FormData();
  body.append("file", file);
  const resp = await post("/api/validate", body);
  $("check-status").textContent = "";
  $("check-title").textContent = file.name;
  $("check-result").hidden = false;
  $("check-refusal").hidden = true;
  $("check-sheets").textContent = "";
  $("check-counts").textContent = "";
  $("check-actions").hidden = true;
  if (!resp.ok) {
    const p = await problem(resp);
    if (p.busy) { $("check-result").hidden = true; showProblem($("check-status"), p); return; }
    showProblem($("check-refusal"), p, file.name);
    return;
  }
  const payload = await resp.json();
  checkedFile = file;
  const s = payload.summary;
  const counts = $("check-counts");
  if (!payload.findings.length) counts.append(el("span", {class: "status-ok"}, "✓ 未发现问题"));
  else counts.append("共 ", el("span", {class: "n-error", id: "n-errors"}, s.errors), " 处错误，",
                     el("span", {class: "n-warning", id: "n-warnings"}, s.warnings), " 处警告。",
                     el("span", {class: "legend"}, el("span", {class: "e"}), "错误（红色）", el("span", {class: "w"}), "警告（橙色）"));
  $("check-actions").hidden = false;
  showFindings(payload);
}

async function download(url, fallbackName, statusEl) {
  if (!checkedFile) return;
  statusEl.className = "status";
  statusEl.textContent = "正在生成…";
  const body = new FormData();
  body.append("file", checkedFile);
  const resp = await post(url, body);
  if (!resp.ok) { showProblem(statusEl, await problem(resp), checkedFile.name); return; }
  const name = await saveBlob(resp, fallbackName);
  statusEl.textContent = `已下载：${name}`;
}

// ---------------------------------------------------------------- 合并汇总

const STATUS_CLASS = {"合格": "status-ok", "有错误": "status-errors", "无法读取": "status-unreadable"};

function mergeUpload(body) {       // XMLHttpRequest: fetch cannot report upload progress
  return new Promise((resolve) => {
    const xhr = new XMLHttpRequest();
    xhr.open("POST", "/api/consolidate");
    xhr.setRequestHeader("X-CSRF-Token", session.csrf);
    const bar = $("merge-progress"), status = $("merge-status");
    const started = Date.now();
    let timer = null;
    xhr.upload.onprogress = (e) => {
      if (e.lengthComputable) { bar.max = e.total; bar.value = e.loaded; }
      status.textContent = `正在上传… ${Math.round(100 * e.loaded / (e.total || 1))}%`;
    };
    xhr.upload.onload = () => {
      bar.removeAttribute("value");       // indeterminate: the server reads and checks every file
      timer = setInterval(() => {
        status.textContent = `正在读取并校验各市工作簿… 已用 ${Math.round((Date.now() - started) / 1000)} 秒`;
      }, 500);
    };
    xhr.onloadend = () => {
      clearInterval(timer);
      const headers = new Headers();
      const ra = xhr.getResponseHeader("Retry-After");
      if (ra) headers.set("Retry-After", ra);
      resolve(new Response(xhr.status ? xhr.responseText : "{}", {status: xhr.status || 599, headers}));
    };
    xhr.send(body);
  });
}

async function merge(ev) {
  ev.preventDefault();
  const files = $("merge-files").files;
  if (!files.length) { $("merge-status").textContent = "请先选择各市工作簿或 zip 压缩包。"; return; }
  const body = new FormData();
  for (const f of files) { body.append("files", f); body.append("modified", f.lastModified); }
  body.append("province", $("merge-province").value.trim());
  $("merge-result").hidden = true;
  $("merge-submit").disabled = true;
  $("merge-progress").hidden = false;
  $("merge-status").className = "status";
  const resp = await mergeUpload(body);
  $("merge-submit").disabled = false;
  $("merge-progress").hidden = true;
  if (!resp.ok) { showProblem($("merge-status"), await problem(resp)); return; }
  $("merge-status").textContent = "";
  showMerge(await resp.json());
}

function showMerge(payload) {
  const prov = payload.province;
  const track = payload.form === "track";
  $("merge-title").textContent = track
    ? `${prov.province}重点“小巨人”企业目标完成情况（实施期${prov.period}）：${prov.cities}个市、${prov.enterprises}家企业，`
      + `目标${prov.targets}项，完成${prov.met}项、未完成${prov.missed}项`
    : `${prov.province}汇总：${prov.cities}个市纳入名单，共${prov.enterprises}家重点企业、${prov.platforms}个平台`;
  const dl = $("merge-download");
  dl.hidden = !payload.download;
  if (payload.download) { dl.href = payload.download; dl.setAttribute("download", prov.output || ""); }
  const tbody = document.querySelector("#merge-cities tbody");
  tbody.textContent = "";
  for (const c of payload.cities || []) {
    tbody.append(el("tr", {"data-city": c.city},
      el("td", {}, c.city), el("td", {}, c.file), el("td", {class: STATUS_CLASS[c.status] || ""}, c.status),
      el("td", {}, c.enterprises ?? ""), el("td", {}, c.star ?? ""), el("td", {}, c.platforms ?? ""),
      el("td", {}, c.errors ?? ""), el("td", {}, c.warnings ?? "")));
  }
  const skipped = $("merge-skipped");
  skipped.textContent = "";
  for (const s of payload.skipped || []) {
    const name = s.file.split(/[\\/]/).pop();
    skipped.append(el("li", {"data-file": name}, el("strong", {}, name + "："), s.reason, " ",
                      el("code", {class: "code"}, s.code || "")));
  }
  $("merge-skipped-title").hidden = !(payload.skipped || []).length;
  const notices = $("merge-notices");
  notices.textContent = "";
  for (const n of prov.notices || []) notices.append(el("li", {}, "警告：" + n));
  $("merge-result").hidden = false;
}

// ---------------------------------------------------------------- 模板

async function template(ev) {
  ev.preventDefault();
  const body = new FormData();
  body.append("city", $("template-city").value.trim());
  body.append("batch", $("template-batch").value.trim());
  body.append("year", $("template-year").value.trim());
  $("template-status").className = "status";
  $("template-status").textContent = "正在生成模板…";
  const resp = await post("/api/template", body);
  if (!resp.ok) { showProblem($("template-status"), await problem(resp)); return; }
  $("template-status").textContent = `已下载：${await saveBlob(resp, "申报模板.xlsm")}`;
}

async function trackSheet(ev) {
  ev.preventDefault();
  const file = $("track-file").files[0];
  if (!file) { $("track-status").textContent = "请先选择申报工作簿。"; return; }
  const body = new FormData();
  body.append("file", file);
  body.append("period", $("track-period").value);
  $("track-status").className = "status";
  $("track-status").textContent = "正在生成跟踪表…";
  $("track-download").hidden = true;
  const resp = await post("/api/track", body);
  if (!resp.ok) { showProblem($("track-status"), await problem(resp), file.name); return; }
  const r = await resp.json();
  $("track-status").textContent = `${r.city}，实施期${r.period_label}，${r.enterprises}家企业：${r.output}`;
  const a = $("track-download");
  a.href = r.download; a.setAttribute("download", r.output); a.hidden = false;
}

// ---------------------------------------------------------------- 填报表 (xjr forms) and 回收 (xjr collect)

async function makeForms(ev) {
  ev.preventDefault();
  const file = $("forms-file").files[0];
  if (!file) { $("forms-status").textContent = "请先选择城市工作簿。"; return; }
  const body = new FormData();
  body.append("file", file);
  body.append("format", "json");
  $("forms-status").className = "status";
  $("forms-status").textContent = "正在生成填报表…";
  $("forms-download").hidden = true;
  const notes = $("forms-notes");
  notes.textContent = "";
  const resp = await post("/api/forms", body);
  if (!resp.ok) { showProblem($("forms-status"), await problem(resp), file.name); return; }
  const r = await resp.json();
  $("forms-status").textContent = `已生成${r.forms.length}个填报表` + (r.failed.length ? `，${r.failed.length}个未生成` : "")
    + `：${r.forms.join("、")}`;
  for (const n of r.notes) notes.append(el("li", {}, "警告：" + n));
  for (const f of r.failed) notes.append(el("li", {class: "status-unreadable"}, `错误：${f.name} 的填报表未生成：${f.reason}`));
  const a = $("forms-download");
  a.href = r.download; a.setAttribute("download", r.output); a.hidden = false;
}

const KEPT = {form: "采用填报表的值", city: "保留工作簿原值"};      // a conflict: which value OUT holds
const base = (p) => (p || "").split(/[\\/]/).pop();

async function collectForms(ev) {
  ev.preventDefault();
  const book = $("collect-book").files[0], files = $("collect-files").files;
  if (!book || !files.length) { $("collect-status").textContent = "请选择城市工作簿和交回的填报表。"; return; }
  const body = new FormData();
  body.append("book", book);
  // the file times go along: of several forms for one unit the latest is kept, as `xjr collect` does
  for (const f of files) { body.append("files", f); body.append("modified", f.lastModified); }
  if ($("collect-prefer").checked) body.append("prefer", "forms");
  $("collect-status").className = "status";
  $("collect-status").textContent = `正在回收${files.length}个文件…`;
  $("collect-result").hidden = true;
  $("collect-submit").disabled = true;
  try {
    const resp = await post("/api/collect", body);
    if (!resp.ok) { showProblem($("collect-status"), await problem(resp), book.name); return; }
    $("collect-status").textContent = "";
    showCollect(await resp.json());
  } finally {
    $("collect-submit").disabled = false;
  }
}

function showCollect(p) {
  const s = p.summary;
  $("collect-title").textContent = `回收情况：名单${s.records}个，已交回${s.returned}个，未交回${s.not_returned}个；`
    + `未合并${s.skipped}个文件，被取代${s.superseded}个，冲突${s.conflicts}处，错误${s.errors}个，警告${s.warnings}个`;
  const dl = $("collect-download");
  dl.href = p.download; dl.setAttribute("download", p.output);
  const tbody = document.querySelector("#collect-records tbody");
  tbody.textContent = "";
  for (const r of p.records) {
    tbody.append(el("tr", {"data-name": r.name, "data-returned": r.returned},
      el("td", {}, r.list), el("td", {}, r.name),
      el("td", {class: r.returned ? "status-ok" : "status-errors"}, r.returned ? "是" : "否（未交回）"),
      el("td", {}, base(r.file)), el("td", {class: r.errors ? "status-unreadable" : ""}, r.errors),
      el("td", {class: r.warnings ? "status-errors" : ""}, r.warnings), el("td", {}, r.conflicts),
      el("td", {}, r.superseded.map(base).join("、"))));
  }
  const skipped = $("collect-skipped");
  skipped.textContent = "";
  const notMerged = p.files.filter((f) => f.status !== "merged");
  for (const f of notMerged) {
    skipped.append(el("li", {"data-file": f.name, "data-status": f.status},
      el("strong", {}, f.name + "："), `${f.status_text}。${f.reason || ""} `, el("code", {class: "code"}, f.code || "")));
  }
  $("collect-skipped-title").hidden = !notMerged.length;
  const findings = $("collect-findings");
  findings.textContent = "";
  for (const f of p.files.filter((x) => x.status === "merged")) {
    for (const x of f.findings) {
      const err = x.severity === "error";
      findings.append(el("li", {"data-file": f.name, class: err ? "status-unreadable" : "status-errors"},
        el("strong", {}, `${err ? "错误" : "警告"} `), `${f.name} ${x.sheet}!${x.cell} ${x.field || ""}：${x.message} `,
        el("code", {class: "code"}, x.rule || "")));
    }
  }
  $("collect-findings-title").hidden = !findings.children.length;
  const conflicts = $("collect-conflicts");
  conflicts.textContent = "";
  for (const c of p.conflicts) {
    const kept = KEPT[c.kept] || KEPT.city;
    conflicts.append(el("li", {"data-record": c.record || ""},
      c.note ? `${c.record}：${c.note}`
        : `${c.record} ${c.sheet}!${c.cell} ${c.field}：工作簿“${c.city}”，填报表“${c.form}”`
          + `（${base(c.file)} ${c.form_cell || ""}），${kept}`));
  }
  $("collect-conflicts-title").hidden = !p.conflicts.length;
  $("collect-result").hidden = false;
}

// ---------------------------------------------------------------- wiring

function dropZone(zone, input, onFiles) {
  zone.addEventListener("dragover", (e) => { e.preventDefault(); zone.classList.add("over"); });
  zone.addEventListener("dragleave", () => zone.classList.remove("over"));
  zone.addEventListener("drop", (e) => {
    e.preventDefault();
    zone.classList.remove("over");
    input.files = e.dataTransfer.files;
    onFiles(input.files);
  });
  input.addEventListener("change", () => onFiles(input.files));
}

document.addEventListener("DOMContentLoaded", () => {
  for (const b of document.querySelectorAll("nav button")) b.addEventListener("click", () => showTab(b.dataset.tab));
  $("login-form").addEventListener("submit", login);
  $("logout").addEventListener("click", logout);
  dropZone($("check-drop"), $("check-file"), (files) => check(files[0]));
  dropZone($("merge-drop"), $("merge-files"), (files) => {
    $("merge-chosen").textContent = `已选择 ${files.length} 个文件：` + Array.from(files, (f) => f.name).join("、");
  });
  $("download-marked").addEventListener("click", () => download("/api/annotate", "标记副本.xlsx", $("check-status")));
  $("download-cleared").addEventListener("click", () => download("/api/clear", "清除标记.xlsx", $("check-status")));
  $("merge-form").addEventListener("submit", merge);
  $("template-form").addEventListener("submit", template);
  $("track-form").addEventListener("submit", trackSheet);
  $("forms-form").addEventListener("submit", makeForms);
  dropZone($("collect-drop"), $("collect-files"), (files) => {
    $("collect-chosen").textContent = `已选择 ${files.length} 个文件：` + Array.from(files, (f) => f.name).join("、");
  });
  $("collect-form").addEventListener("submit", collectForms);
  loadSession();
});
