// The worklist page: what a radiologist keeps open on a reading-room monitor.

import { Api, ApiError, Unauthorized, takeTokenFromAddress } from "./api.js";
import { EventStream } from "./events.js";
import { renderRows, refreshTimes } from "./render.js";

const USER_KEY = "spinetriage.user";
const TIMES_EVERY_MS = 30000;
const MESSAGE_MS = 8000;
const LIVE_WORDS = {
  connecting: "Connecting…",
  live: "Live",
  reconnecting: "Reconnecting…",
  token: "Token needed",
};

const $ = (id) => document.getElementById(id);
const api = new Api();
const state = { items: [], loading: null, again: false, messageTimer: 0 };
const stream = new EventStream(api, {
  hello: () => refresh(),
  change: () => refresh(),
  state: showLiveState,
});

function user() {
  return localStorage.getItem(USER_KEY) || "";
}

// Change events come in bursts (a study's instances, an analysis): one fetch at a time, and
// one more after it when anything changed meanwhile.
async function refresh() {
  if (state.loading) {
    state.again = true;
    return state.loading;
  }
  state.loading = load();
  try {
    await state.loading;
  } finally {
    state.loading = null;
  }
  if (state.again) {
    state.again = false;
    await refresh();
  }
}

async function load() {
  try {
    const page = await api.worklist();
    state.items = page.items;
    render();
  } catch (error) {
    handleError(error);
  }
}

function render() {
  const hideRead = $("hide-read").checked;
  const shown = hideRead ? state.items.filter((item) => !item.read_by) : state.items;
  const focused = document.activeElement;
  const focusKey = focused && focused.closest("tr") ? focusKeyOf(focused) : null;
  renderRows($("rows"), shown, user(), Date.now());
  $("empty").hidden = shown.length > 0;
  $("count").textContent = `${shown.length} ${shown.length === 1 ? "study" : "studies"}, most urgent first`;
  if (focusKey) restoreFocus(focusKey);
}

function focusKeyOf(element) {
  const uid = element.closest("tr").dataset.studyUid;
  return { uid, action: element.dataset.action, index: element.dataset.index };
}

function restoreFocus({ uid, action, index }) {
  for (const candidate of $("rows").querySelectorAll("[data-action]")) {
    const key = focusKeyOf(candidate);
    if (key.uid === uid && key.action === action && key.index === index) {
      candidate.focus();
      return;
    }
  }
}

function showLiveState(name) {
  const live = $("live");
  live.dataset.state = name;
  live.textContent = LIVE_WORDS[name];
  if (name === "token") askForToken();
}

function showMessage(text) {
  const box = $("message");
  box.textContent = text;
  box.hidden = false;
  clearTimeout(state.messageTimer);
  state.messageTimer = setTimeout(() => {
    box.hidden = true;
  }, MESSAGE_MS);
}

function handleError(error) {
  if (error instanceof Unauthorized) askForToken();
  else if (error instanceof ApiError) showMessage(error.message);
  else showMessage("The worklist server is not answering; retrying.");
}

function askForToken() {
  const dialog = $("token-dialog");
  if (!dialog.open) dialog.showModal();
}

function askForUser() {
  $("user-input").value = user();
  $("user-dialog").showModal();
}

async function act(uid, action, body) {
  try {
    await api.act(uid, action, { user: user(), ...body });
  } catch (error) {
    handleError(error);
  }
  await refresh();
}

async function showKeyImage(uid, index, caption) {
  try {
    const blob = await api.keyImage(uid, index);
    const image = $("key-image");
    URL.revokeObjectURL(image.src);
    image.src = URL.createObjectURL(blob);
    image.alt = `Key image: ${caption}`;
    $("image-caption").textContent = caption;
    $("image-dialog").showModal();
  } catch (error) {
    handleError(error);
  }
}

function onRowClick(event) {
  const target = event.target.closest("button[data-action]");
  if (!target) return;
  const uid = target.closest("tr").dataset.studyUid;
  const action = target.dataset.action;
  if (action === "image") {
    showKeyImage(uid, Number(target.dataset.index), target.textContent);
  } else if (!user()) {
    askForUser();
  } else if (action === "dismiss") {
    const form = $("dismiss-form");
    form.reset();
    form.dataset.studyUid = uid;
    $("dismiss-dialog").showModal();
  } else {
    act(uid, action, {});
  }
}

function wireDialogs() {
  $("token-form").addEventListener("submit", () => {
    api.token = $("token-input").value.trim();
    $("token-input").value = "";
    refresh();
    stream.start();
  });
  $("user-form").addEventListener("submit", () => {
    localStorage.setItem(USER_KEY, $("user-input").value.trim());
    $("user-name").textContent = user();
    render();
  });
  $("dismiss-form").addEventListener("submit", (event) => {
    if (event.submitter && event.submitter.value === "cancel") return;
    act(event.target.dataset.studyUid, "dismiss", { reason: $("dismiss-reason").value.trim() });
  });
  $("image-dialog").addEventListener("close", () => URL.revokeObjectURL($("key-image").src));
}

function start() {
  takeTokenFromAddress();
  wireDialogs();
  $("rows").addEventListener("click", onRowClick);
  $("change-user").addEventListener("click", askForUser);
  $("hide-read").addEventListener("change", render);
  $("user-name").textContent = user() || "—";
  setInterval(() => refreshTimes($("rows"), Date.now()), TIMES_EVERY_MS);
  if (!user()) askForUser();
  refresh();
  stream.start();
}

start();
