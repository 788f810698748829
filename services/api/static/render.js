// Worklist rows, built with DOM calls only: names and descriptions come from DICOM headers
// and are never parsed as HTML.

const PRIORITY_WORDS = {
  critical: "Critical",
  urgent: "Urgent",
  elevated: "Elevated",
  routine: "Routine",
};
const STATUS_WORDS = {
  receiving: "Receiving",
  queued: "Queued",
  analyzing: "Analyzing",
  done: "Done",
  failed: "Failed",
  not_applicable: "Not applicable",
};
const NO_FINDING_WORDS = {
  receiving: "Awaiting analysis",
  queued: "Awaiting analysis",
  analyzing: "Being analysed",
  done: "No mass found",
  failed: "Not analysed",
  not_applicable: "Not analysed",
};
const MINUTE_MS = 60000;

export function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  const { dataset = {}, ...rest } = props;
  Object.assign(node, rest);
  Object.assign(node.dataset, dataset);
  node.append(...children.filter((child) => child !== null && child !== undefined));
  return node;
}

export function renderRows(tbody, items, user, now) {
  tbody.replaceChildren(...items.map((item) => row(item, user, now)));
}

function row(item, user, now) {
  const classes = [`priority-${item.priority}`];
  if (item.read_by) classes.push("is-read");
  if (item.dismissal) classes.push("is-dismissed");
  return el(
    "tr",
    { className: classes.join(" "), dataset: { studyUid: item.study_instance_uid } },
    el("td", {}, priorityBadge(item)),
    el("td", { className: "finding" }, ...findings(item)),
    el(
      "td",
      { className: "patient" },
      el("span", { className: "name" }, item.patient_name || "(no name)"),
      el("span", { className: "accession" }, item.accession_number ? `Acc ${item.accession_number}` : ""),
    ),
    el(
      "td",
      { className: "study" },
      el("span", { className: "modality" }, item.modality || "?"),
      " ",
      item.study_description || "",
    ),
    el("td", {}, arrival(item.received_at, now)),
    el("td", { className: "status" }, statusText(item)),
    el("td", { className: "claimed" }, claimedText(item, user)),
    el("td", { className: "actions" }, ...actions(item, user)),
  );
}

function priorityBadge(item) {
  const word = PRIORITY_WORDS[item.priority] || item.priority;
  const badge = el("span", { className: `badge badge-${item.priority}` }, word);
  if (!item.dismissal) return badge;
  return el("span", {}, badge, el("span", { className: "dismissed-word" }, "flag dismissed"));
}

function findings(item) {
  if (!item.summary.length) return [el("span", { className: "quiet" }, NO_FINDING_WORDS[item.status])];
  const parts = item.summary.map((sentence, index) =>
    el(
      "button",
      {
        type: "button",
        className: "finding-link",
        title: "Show the key image",
        dataset: { action: "image", index: String(index) },
      },
      sentence,
    ),
  );
  if (item.dismissal) {
    const note = `Dismissed by ${item.dismissal.by}: ${item.dismissal.reason}`;
    parts.push(el("span", { className: "dismissal-note" }, note));
  }
  return parts;
}

function arrival(receivedAt, now) {
  const time = el("time", { dateTime: receivedAt, title: new Date(receivedAt).toLocaleString() });
  time.dataset.relative = "";
  time.textContent = ago(receivedAt, now);
  return time;
}

export function ago(iso, now) {
  const minutes = Math.max(0, Math.floor((now - Date.parse(iso)) / MINUTE_MS));
  if (minutes < 1) return "just now";
  if (minutes < 60) return `${minutes} min ago`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours} h ${minutes % 60} min ago`;
  return `${Math.floor(hours / 24)} days ago`;
}

export function refreshTimes(root, now) {
  for (const time of root.querySelectorAll("time[data-relative]")) {
    time.textContent = ago(time.dateTime, now);
  }
}

function statusText(item) {
  const word = STATUS_WORDS[item.status] || item.status;
  const parts = [el("span", { className: `status-word status-${item.status}` }, word)];
  if (item.status === "receiving" && item.instances) parts.push(` (${item.instances} images)`);
  if (item.reason) parts.push(el("span", { className: "reason" }, item.reason));
  if (item.read_by) parts.push(el("span", { className: "read-by" }, `Read by ${item.read_by}`));
  return el("span", {}, ...parts);
}

function claimedText(item, user) {
  if (!item.claimed_by) return "";
  return item.claimed_by === user ? `${item.claimed_by} (you)` : item.claimed_by;
}

function actions(item, user) {
  const heldByOther = Boolean(item.claimed_by) && item.claimed_by !== user;
  const buttons = [];
  if (item.read_by || heldByOther) return buttons;
  const who = item.patient_name || item.accession_number || "this study";
  if (item.claimed_by === user) buttons.push(button("release", "Release", who));
  else buttons.push(button("claim", "Claim", who));
  buttons.push(button("read", "Mark read", who));
  if (item.findings.length && !item.dismissal) buttons.push(button("dismiss", "Dismiss flag", who));
  return buttons;
}

function button(action, label, who) {
  return el(
    "button",
    { type: "button", className: `action action-${action}`, ariaLabel: `${label}: ${who}`, dataset: { action } },
    label,
  );
}
