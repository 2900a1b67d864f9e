// discmeta review: the page's script. Plain DOM, no framework, no build; every text goes through
// textContent (never innerHTML), and every request carries the session token.

const TOKEN = document.querySelector('meta[name="discmeta-token"]')?.getAttribute("content") ?? "";

const FILTERS = [
  ["all", "All"],
  ["review", "Needs review"],
  ["change", "Will change"],
  ["unchanged", "Unchanged"],
  ["failed", "Failed"],
];
const CERTAINTY = {
  strong: ["Sure", "rec-strong"],
  medium: ["Likely", "rec-medium"],
  low: ["Uncertain", "rec-low"],
  none: ["No match", "rec-none"],
};
const STATUS = {
  review: "Needs review",
  change: "Will change",
  unchanged: "Up to date",
  failed: "Failed",
};

const ui = {
  state: null,
  text: "",
  filter: "all",
  selected: null,
  idDraft: "",
  notice: null,
};

/** An element with attributes and children (strings become text nodes). */
function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else if (k === "style") Object.assign(el.style, v);
    else if (k === "class") el.className = v;
    else el.setAttribute(k, v === true ? "" : String(v));
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    el.append(typeof c === "string" || typeof c === "number" ? document.createTextNode(String(c)) : c);
  }
  return el;
}

async function api(path, body) {
  const init = { headers: { "x-discmeta-token": TOKEN }, credentials: "same-origin" };
  if (body !== undefined) {
    init.method = "POST";
    init.headers["content-type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  const res = await fetch(path, init);
  const json = await res.json().catch(() => ({ message: `HTTP ${res.status}` }));
  if (!res.ok) throw new Error(json.message || `HTTP ${res.status}`);
  return json;
}

function notify(message, kind = "error") {
  ui.notice = message ? { message, kind } : null;
  const el = document.getElementById("notice");
  el.hidden = !message;
  el.className = `notice ${kind}`;
  el.textContent = message ?? "";
}

function visibleRows() {
  const rows = ui.state?.rows ?? [];
  return ui.filter === "all" ? rows : rows.filter((r) => r.status === ui.filter);
}

function selectedRow() {
  return (ui.state?.rows ?? []).find((r) => r.id === ui.selected) ?? null;
}

/** Rows whose accepted changes are not written yet. */
function pendingRows(state) {
  return state.rows.filter(
    (r) =>
      r.decision.kind === "accept" &&
      r.files.some((f) => f.changes.length > 0 && f.status !== "failed" && f.result?.status !== "written"),
  );
}

function decisionText(row) {
  const d = row.decision;
  if (d.kind === "undecided" && row.status === "unchanged") return "Nothing to do";
  if (d.kind === "undecided" && row.status === "failed") return "Cannot be written";
  if (d.kind === "accept") return d.auto ? "Accepted (sure match)" : `Accepted: release ${d.releaseId}`;
  if (d.kind === "skip") return "Skipped";
  return "Undecided";
}

function renderToolbar(state) {
  document.getElementById("folder").textContent = state.folder;
  const p = document.getElementById("progress");
  p.replaceChildren();
  const t = state.tally;
  if (state.phase === "matching" || state.phase === "applying") {
    const verb = state.phase === "matching" ? "Matching" : "Writing";
    const pct = state.progress.total ? (100 * state.progress.done) / state.progress.total : 0;
    p.append(
      h("span", {}, `${verb} ${state.progress.done} of ${state.progress.total} files…`),
      h("div", { class: "bar" }, h("div", { style: { width: `${pct.toFixed(1)}%` } })),
    );
  } else if (state.phase === "failed") {
    p.append(h("span", { class: "error" }, `Matching failed: ${state.error}`));
  } else {
    const parts = [
      `${t.review} need review`,
      `${t.change} will change`,
      `${t.unchanged} unchanged`,
      `${t.failed} failed`,
      `· ${t.accepted} accepted, ${t.skipped} skipped, ${t.undecided} undecided`,
    ];
    p.append(h("span", { id: "tally" }, parts.join(" · ").replace(" · ·", " ·")));
    if (state.applied)
      p.append(
        h(
          "div",
          { id: "applied", class: "small" },
          `Applied: ${state.applied.written} written, ${state.applied.unchanged} unchanged, ${state.applied.failed} failed`,
        ),
      );
  }
  const filters = document.getElementById("filters");
  filters.replaceChildren(
    ...FILTERS.map(([key, label]) =>
      h(
        "button",
        {
          type: "button",
          "data-filter": key,
          "aria-pressed": ui.filter === key ? "true" : "false",
          onclick: () => setFilter(key),
        },
        key === "all" ? label : `${label} (${t[key] ?? 0})`,
      ),
    ),
  );
  const pending = pendingRows(state).length;
  const apply = document.getElementById("apply");
  apply.disabled = state.phase !== "ready" && state.phase !== "done" ? true : pending === 0;
  apply.textContent = pending ? `Apply ${pending} accepted` : "Apply";
}

function factsOf(m) {
  return [m.year, m.country, m.format, [m.label, m.catno].filter(Boolean).join(" ")].filter(
    (x) => x !== null && x !== "",
  );
}

function renderRow(row) {
  const cert = CERTAINTY[row.recommendation ?? "none"];
  const m = row.match;
  const cover =
    m?.cover === true
      ? h("img", {
          class: "cover",
          src: `/api/rows/${row.id}/cover`,
          alt: `Cover of ${m.album ?? ""}`,
          loading: "lazy",
        })
      : h("div", { class: "nocover", "aria-hidden": "true" });
  const names = row.files.map((f) => f.name);
  const tr = h(
    "tr",
    {
      class: `row status-${row.status}`,
      "data-id": row.id,
      "aria-selected": row.id === ui.selected ? "true" : "false",
      onclick: () => select(row.id),
    },
    h("td", {}, cover),
    h(
      "td",
      {},
      h("div", {}, row.kind === "album" ? `${row.files.length} files` : names[0]),
      row.kind === "album"
        ? h("div", { class: "small muted" }, names[0], names.length > 1 ? " …" : "")
        : null,
    ),
    h(
      "td",
      { class: "match" },
      m
        ? [
            h("div", {}, `${m.artist ?? "?"} – ${m.album ?? "?"}`),
            h("div", { class: "small muted" }, [...factsOf(m), `r${m.releaseId}`].join(" · ")),
          ]
        : h("span", { class: "muted" }, "No Discogs match"),
    ),
    h(
      "td",
      {},
      h("span", { class: `badge ${cert[1]}`, "data-recommendation": row.recommendation ?? "none" }, cert[0]),
      m
        ? h("div", { class: "small muted", title: "confidence" }, `${Math.round(row.confidence * 100)}%`)
        : null,
    ),
    h("td", { class: `status status-${row.status}` }, STATUS[row.status]),
    h("td", { class: "decision" }, row.busy ? "Fetching the release…" : decisionText(row)),
  );
  return tr;
}

function renderDetail(row) {
  const m = row.match;
  const body = h("div", {});
  body.append(h("div", { class: "small" }, row.reason ? `Why: ${row.reason}` : ""));
  if (m)
    body.append(
      h(
        "div",
        { class: "small" },
        "Discogs: ",
        h("a", { href: m.url, target: "_blank", rel: "noreferrer noopener" }, `release ${m.releaseId}`),
      ),
    );
  if (row.reasons.length > 0)
    body.append(
      h("h3", {}, "What differs"),
      h(
        "ul",
        { class: "reasons", "data-section": "reasons" },
        row.reasons.map((r) => h("li", { class: r.severity, title: `${r.penalty} ${r.value}` }, r.text)),
      ),
    );
  if (row.error) body.append(h("p", { class: "error" }, row.error));

  const fileRows = [];
  for (const f of row.files) {
    const result = f.result
      ? f.result.status === "failed"
        ? h("span", { class: "error" }, `failed: ${f.result.reason ?? ""}`)
        : h(
            "span",
            {},
            f.result.status === "written" ? `written (${f.result.changes} fields)` : f.result.status,
          )
      : f.error
        ? h("span", { class: "error" }, f.error)
        : h("span", { class: "muted" }, f.changes.length ? `${f.changes.length} changes` : "up to date");
    fileRows.push(h("tr", { class: "file" }, h("th", { colspan: "3" }, f.name, " — ", result)));
    for (const c of f.changes)
      fileRows.push(
        h(
          "tr",
          { class: "change" },
          h("td", {}, c.field),
          h("td", { class: "from" }, c.from.join("; ")),
          h("td", { class: "to" }, c.to.join("; ")),
        ),
      );
  }
  body.append(
    h("h3", {}, "Tags: now → new"),
    h("table", { "data-section": "diff" }, h("tbody", {}, fileRows)),
  );

  if (row.candidates.length > 0) {
    body.append(
      h("h3", {}, "Candidates"),
      h(
        "table",
        { "data-section": "candidates" },
        h(
          "thead",
          {},
          h(
            "tr",
            {},
            ["#", "Release", "Year", "Country", "Format", "Label", "Cat#", "Distance", "Why", ""].map((x) =>
              h("th", {}, x),
            ),
          ),
        ),
        h(
          "tbody",
          {},
          row.candidates.map((c, i) =>
            h(
              "tr",
              { "data-release": c.releaseId },
              h("td", {}, String(i + 1)),
              h(
                "td",
                {},
                h(
                  "a",
                  { href: c.url, target: "_blank", rel: "noreferrer noopener" },
                  `${c.artist} – ${c.album}`,
                ),
              ),
              h("td", {}, c.year ?? ""),
              h("td", {}, c.country ?? ""),
              h("td", {}, c.format ?? ""),
              h("td", {}, c.label ?? ""),
              h("td", {}, c.catno ?? ""),
              h("td", {}, c.distance.toFixed(3)),
              h("td", { class: "small" }, c.reasons.map((r) => r.text).join(", ")),
              h(
                "td",
                {},
                h(
                  "button",
                  {
                    type: "button",
                    "data-action": `choose-${i + 1}`,
                    onclick: () => decide(row.id, c.releaseId),
                  },
                  m?.releaseId === c.releaseId && row.decision.kind === "accept"
                    ? "Chosen"
                    : `Choose (${i + 1})`,
                ),
              ),
            ),
          ),
        ),
      ),
    );
  }

  const input = h("input", {
    id: "release-id",
    type: "text",
    placeholder: "Discogs release id or URL",
    value: ui.idDraft,
    "aria-label": "Discogs release id or URL",
    oninput: (e) => {
      ui.idDraft = e.target.value;
    },
  });
  const form = h(
    "form",
    {
      class: "decide",
      onsubmit: (e) => {
        e.preventDefault();
        const v = ui.idDraft.trim();
        if (v) decide(row.id, v);
      },
    },
    h(
      "button",
      { type: "button", "data-action": "accept", onclick: () => decide(row.id, "accept"), disabled: !m },
      "Accept (a)",
    ),
    h("button", { type: "button", "data-action": "skip", onclick: () => decide(row.id, "skip") }, "Skip (s)"),
    h(
      "button",
      { type: "button", "data-action": "undecide", onclick: () => decide(row.id, "undecided") },
      "Undecide (u)",
    ),
    input,
    h("button", { type: "submit", "data-action": "use-id" }, "Use release"),
  );
  body.append(form);
  return h("tr", { class: "detail", "data-detail": row.id }, h("td", { colspan: "6" }, body));
}

function render() {
  const state = ui.state;
  if (!state) return;
  renderToolbar(state);
  const rows = visibleRows();
  if (ui.selected && !rows.some((r) => r.id === ui.selected)) ui.selected = rows[0]?.id ?? null;
  if (!ui.selected && rows.length > 0) ui.selected = rows[0].id;
  const focused = document.activeElement?.id === "release-id";
  const tbody = document.getElementById("rows");
  tbody.replaceChildren(
    ...rows.flatMap((r) => (r.id === ui.selected ? [renderRow(r), renderDetail(r)] : [renderRow(r)])),
  );
  if (focused) {
    const input = document.getElementById("release-id");
    input?.focus();
    input?.setSelectionRange(input.value.length, input.value.length);
  }
  const empty = document.getElementById("empty");
  const settled =
    (state.phase === "ready" || state.phase === "done") &&
    state.tally.undecided === 0 &&
    pendingRows(state).length === 0;
  empty.hidden = !(rows.length === 0 || settled);
  empty.textContent =
    state.phase === "matching"
      ? "Matching the folder…"
      : settled
        ? "Nothing to do: every file is up to date, accepted and written, or skipped."
        : "No rows match this filter.";
  empty.dataset.settled = settled ? "true" : "false";
}

async function refresh() {
  try {
    const state = await api("/api/state");
    const text = JSON.stringify(state);
    ui.state = state;
    if (text !== ui.text) {
      ui.text = text;
      render();
    }
  } catch (err) {
    notify(`Lost the review server: ${err.message}`);
  }
  const busy =
    ui.state &&
    (ui.state.phase === "matching" || ui.state.phase === "applying" || ui.state.rows.some((r) => r.busy));
  setTimeout(refresh, busy ? 300 : 2000);
}

async function decide(id, choice) {
  notify(null);
  try {
    ui.state = await api(`/api/rows/${encodeURIComponent(id)}/decision`, { choice });
    ui.text = JSON.stringify(ui.state);
    if (typeof choice === "string" && choice !== "accept" && choice !== "skip" && choice !== "undecided")
      ui.idDraft = "";
    render();
  } catch (err) {
    notify(err.message);
  }
}

async function apply() {
  notify(null);
  try {
    ui.state = await api("/api/apply", {});
    ui.text = JSON.stringify(ui.state);
    render();
  } catch (err) {
    notify(err.message);
  }
}

function select(id) {
  if (ui.selected !== id) ui.idDraft = "";
  ui.selected = id;
  render();
  document.querySelector(`tr.row[data-id="${CSS.escape(id)}"]`)?.scrollIntoView({ block: "nearest" });
}

function setFilter(key) {
  ui.filter = key;
  render();
}

function move(step) {
  const rows = visibleRows();
  if (rows.length === 0) return;
  const at = rows.findIndex((r) => r.id === ui.selected);
  const next = Math.min(rows.length - 1, Math.max(0, at + step));
  select(rows[next].id);
}

document.addEventListener("keydown", (e) => {
  if (e.ctrlKey || e.metaKey || e.altKey) return;
  const typing = e.target instanceof HTMLInputElement;
  if (typing) {
    if (e.key === "Escape") e.target.blur();
    return;
  }
  const row = selectedRow();
  const key = e.key;
  if (key === "j") move(1);
  else if (key === "k") move(-1);
  else if (key === "a" && row) decide(row.id, "accept");
  else if (key === "s" && row) decide(row.id, "skip");
  else if (key === "u" && row) decide(row.id, "undecided");
  else if (/^[1-5]$/.test(key) && row) {
    const c = row.candidates[Number(key) - 1];
    if (c) decide(row.id, c.releaseId);
  } else if (key === "i") {
    e.preventDefault();
    document.getElementById("release-id")?.focus();
  } else if (key === "w") apply();
  else if (key === "f") {
    const i = FILTERS.findIndex(([k]) => k === ui.filter);
    setFilter(FILTERS[(i + 1) % FILTERS.length][0]);
  } else if (key === "?") {
    const help = document.getElementById("help");
    help.hidden = !help.hidden;
  } else return;
  e.preventDefault();
});

document.getElementById("apply").addEventListener("click", apply);
document.getElementById("help-toggle").addEventListener("click", () => {
  const help = document.getElementById("help");
  help.hidden = !help.hidden;
});
refresh();
