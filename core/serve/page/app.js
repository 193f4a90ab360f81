// The "needs you" page of `orc serve` (core/serve/app.py). Plain JavaScript, no build step.
// Every string from the room is inserted with textContent, never as markup: agent names,
// questions and screens are hostile text as far as this page is concerned.
"use strict";

const KEY = "orc-token";
const $ = (id) => document.getElementById(id);
let token = localStorage.getItem(KEY) || "";
let socket = null;
let retry = 500;

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

async function api(method, path, body) {
  const response = await fetch(path, {
    method,
    headers: { "Authorization": "Bearer " + token, "Content-Type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
    cache: "no-store",
  });
  if (response.status === 401) { showLogin("the token was refused"); throw new Error("401"); }
  let data = null;
  try { data = await response.json(); } catch (e) { data = null; }
  return { status: response.status, data };
}

function outcome(response) {
  const data = response.data || {};
  if (data.results) return { ok: data.ok, text: data.results.map((r) => r.text).join("; ") };
  return { ok: false, text: data.error || ("HTTP " + response.status) };
}

function showLogin(message) {
  $("room").hidden = true;
  $("login").hidden = false;
  $("login-error").textContent = message || "";
  if (socket) { socket.onclose = null; socket.close(); socket = null; }
  setLive(false);
}

function setLive(on) {
  $("live").className = on ? "on" : "off";
  $("live").textContent = on ? "live" : "offline";
}

function renderNeeds(items) {
  const list = $("needs");
  list.replaceChildren();
  $("empty").hidden = items.length > 0;
  $("count").textContent = items.length ? "· " + items.length + " need you" : "";
  for (const item of items) {
    const li = el("li", "item " + item.state);
    li.dataset.pane = item.pane_id;
    li.dataset.name = item.name;
    li.append(el("div", "who", item.name));
    const since = item.since ? new Date(item.since * 1000).toLocaleTimeString() : "?";
    li.append(el("div", "meta", item.state + " since " + since + (item.team ? " · team " + item.team : "")));
    li.append(el("div", "question", item.question));
    li.append(el("pre", "evidence", item.evidence.join("\n")));
    const options = el("div", "options");
    const result = el("p", "result");
    for (const option of item.options) {
      const button = el("button", "", option.choice + ". " + option.label);
      button.type = "button";
      button.dataset.choice = option.choice;
      button.addEventListener("click", () => answer(item.name, option.choice, result, options));
      options.append(button);
    }
    li.append(options, result);
    list.append(li);
  }
}

async function answer(name, choice, result, options) {
  for (const b of options.querySelectorAll("button")) b.disabled = true;
  result.className = "result";
  result.textContent = "answering " + choice + "…";
  try {
    const shown = outcome(await api("POST", "/api/answer", { target: name, choice }));
    result.className = "result " + (shown.ok ? "good" : "bad");
    result.textContent = shown.text;
  } catch (e) {
    result.textContent = String(e);
  }
  for (const b of options.querySelectorAll("button")) b.disabled = false;
}

async function loadAgents() {
  const { data } = await api("GET", "/api/status");
  const select = $("target");
  const chosen = select.value;
  select.replaceChildren();
  for (const agent of (data && data.agents) || []) {
    if (!agent.name) continue;
    const name = agent.host && agent.host !== "local" ? agent.name + "@" + agent.host : agent.name;
    const option = el("option", "", name + " (" + agent.state + ")");
    option.value = name;
    select.append(option);
  }
  if (chosen) select.value = chosen;
}

function connect() {
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  socket = new WebSocket(scheme + "//" + location.host + "/events", ["orc.bearer", token]);
  socket.onopen = () => { setLive(true); retry = 500; };
  socket.onmessage = (event) => {
    const data = JSON.parse(event.data);
    if (data.event === "needs") renderNeeds(data.items);
    if (data.event === "state") loadAgents().catch(() => {});
  };
  socket.onclose = () => {
    setLive(false);
    socket = null;
    // A refused token shows as a closed socket; the next API call tells which it was.
    setTimeout(() => { if (token) start(); }, retry);
    retry = Math.min(retry * 2, 10000);
  };
}

async function start() {
  try {
    const { data } = await api("GET", "/api/needs-you");
    $("login").hidden = true;
    $("room").hidden = false;
    renderNeeds(data || []);
    await loadAgents();
    if (!socket) connect();
  } catch (e) {
    if (String(e) !== "Error: 401") { setLive(false); setTimeout(start, retry); }
  }
}

$("login").addEventListener("submit", (event) => {
  event.preventDefault();
  token = $("token").value.trim();
  localStorage.setItem(KEY, token);
  $("token").value = "";
  start();
});

$("send").addEventListener("submit", async (event) => {
  event.preventDefault();
  const result = $("send-result");
  const text = $("text").value;
  if (!text) return;
  result.className = "";
  result.textContent = "sending…";
  try {
    const shown = outcome(await api("POST", "/api/send", { target: $("target").value, text }));
    result.className = "result " + (shown.ok ? "good" : "bad");
    result.textContent = shown.text;
    if (shown.ok) $("text").value = "";
  } catch (e) {
    result.textContent = String(e);
  }
});

$("forget").addEventListener("click", () => {
  localStorage.removeItem(KEY);
  token = "";
  showLogin("");
});

if (token) start(); else showLogin("");
