// Live updates for signed-in members, over server-sent events from
// /api/live/events (forum/views/live.py).
//
// On a thread page showing its latest posts, the list carries
// data-live-thread and data-live-after, and new posts rendered by the server
// are added to it as they arrive. The Notifications link in the header
// carries data-live-unread, and its count follows the member's unread
// notifications. Both changes are announced politely to screen readers.
//
// Without JavaScript, or when the stream is refused, the pages stay as they
// are: reloading shows the same posts and count.

const STREAM_URL = "/api/live/events";

let announcer = null;

/** Return the visually hidden live region, creating it on first use. */
function liveRegion() {
  if (announcer === null) {
    announcer = document.createElement("div");
    announcer.className = "govuk-visually-hidden";
    announcer.setAttribute("aria-live", "polite");
    announcer.setAttribute("aria-atomic", "true");
    announcer.id = "live-announcer";
    document.body.append(announcer);
  }
  return announcer;
}

let pending = [];

/**
 * Ask screen readers to read `text` when they are next idle. Messages that
 * arrive together, such as a new reply and the unread count it raised, are
 * read as one, so that the second does not replace the first.
 */
function announce(text) {
  pending.push(text);
  if (pending.length > 1) {
    return;
  }
  const region = liveRegion();
  region.textContent = "";
  // A separate task, so that the same message twice is still announced twice.
  window.setTimeout(() => {
    region.textContent = pending.join(" ");
    pending = [];
  }, 100);
}

function addPost(list, html) {
  const template = document.createElement("template");
  template.innerHTML = html.trim();
  const item = template.content.firstElementChild;
  if (!(item instanceof HTMLLIElement) || document.getElementById(item.id)) {
    return;
  }
  list.append(item);
  list.dataset.liveAfter = item.id.replace("post-", "");
  const author = item.dataset.postAuthor || "a member";
  announce(`New reply from ${author}.`);
}

function showUnread(link, count) {
  const previous = Number(link.dataset.liveUnreadCount || "0");
  link.dataset.liveUnreadCount = String(count);
  link.querySelectorAll(".forum-count, .forum-count + .govuk-visually-hidden").forEach((node) => {
    node.remove();
  });
  if (count > 0) {
    const badge = document.createElement("span");
    badge.className = "forum-count";
    badge.textContent = String(count);
    const hidden = document.createElement("span");
    hidden.className = "govuk-visually-hidden";
    hidden.textContent = " unread";
    link.append(" ", badge, hidden);
  }
  if (count > previous) {
    announce(`You have ${count} unread notification${count === 1 ? "" : "s"}.`);
  }
}

function start() {
  const list = document.querySelector("[data-live-thread]");
  const unreadLink = document.querySelector("[data-live-unread]");
  if (!list && !unreadLink) {
    return;
  }
  if (unreadLink) {
    const badge = unreadLink.querySelector(".forum-count");
    unreadLink.dataset.liveUnreadCount = badge ? badge.textContent.trim() : "0";
  }

  const params = new URLSearchParams();
  if (list) {
    params.set("thread", list.dataset.liveThread);
    params.set("after", list.dataset.liveAfter || "0");
  }
  const source = new EventSource(`${STREAM_URL}?${params}`);

  if (list) {
    source.addEventListener("post", (event) => addPost(list, event.data));
  }
  if (unreadLink) {
    source.addEventListener("unread", (event) => {
      const count = Number.parseInt(event.data, 10);
      if (Number.isFinite(count)) {
        showUnread(unreadLink, count);
      }
    });
  }
  // The browser reconnects by itself after a dropped connection, sending the
  // last post number in Last-Event-ID. It gives up only when the server
  // refuses the stream, for example with too many tabs open.
  source.addEventListener("error", () => {
    if (source.readyState === EventSource.CLOSED) {
      source.close();
    }
  });
  window.addEventListener("pagehide", () => source.close(), { once: true });
}

if (typeof window.EventSource === "function") {
  liveRegion();
  start();
  // A page restored from the back-forward cache had its stream closed on the
  // way out, so it opens a new one from the last post it shows.
  window.addEventListener("pageshow", (event) => {
    if (event.persisted) {
      start();
    }
  });
}
