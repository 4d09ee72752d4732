// One change stream per browser, shared by every open tab of the app.
//
// A browser opens at most six HTTP/1.1 connections to one host, and a server-sent-events stream
// holds one for as long as it is open: with a stream per tab, the sixth tab left no connection for
// anything else. This shared worker holds the browser's only stream and relays every change to
// the tabs that joined it.
//
// Messages are plain strings. A tab sends "follow POSITION" (the stream position its page was
// rendered at) and "leave"; the worker sends "state NAME", "change JSON" and "resync" (the tab
// may have missed changes, so it reads its pages again; the stream's own "resync" events end the
// same way). The stream's "database" events become the state "database-down" while the server
// cannot reach its database, and "live" again after.
"use strict";

// Changes kept so that a tab joining later can be caught up from the position of its page.
const KEPT = 500;
// How long to wait after the server refused the stream (it is at its cap of open streams).
const REFUSED_RETRY_MS = 10000;

const tabs = new Set();
let source = null;
let state = "connecting";
// The stream position the kept changes follow on from, and the changes after it in stream order.
let keptAfter = null;
const kept = [];

function tell(message) {
  for (const tab of tabs) tab.postMessage(message);
}

function setState(next) {
  state = next;
  tell(`state ${next}`);
}

function open(after) {
  source = new EventSource(`/api/events?after=${after}`);
  source.onopen = () => setState("live");
  source.onerror = () => {
    // CONNECTING: the browser lost the stream and retries by itself, sending the last event id.
    // CLOSED: the server answered with an error and the browser gave up; ask again later.
    if (source.readyState === EventSource.CLOSED) {
      setState("refused");
      const resume = kept.length > 0 ? kept[kept.length - 1].position : keptAfter;
      setTimeout(() => open(resume), REFUSED_RETRY_MS);
    } else {
      setState("reconnecting");
    }
  };
  source.addEventListener("change", (event) => {
    kept.push({ position: Number(event.lastEventId), data: event.data });
    if (kept.length > KEPT) keptAfter = kept.shift().position;
    tell(`change ${event.data}`);
  });
  // Sent instead of the changes when this browser is further behind than the server sends change
  // by change (many browsers follow it and writes keep coming): the kept changes no longer lead
  // to the present, so every tab reads its pages again.
  source.addEventListener("resync", (event) => {
    keptAfter = Number(event.lastEventId);
    kept.length = 0;
    tell("resync");
  });
  source.addEventListener("database", (event) => {
    setState(event.data === "unreachable" ? "database-down" : "live");
  });
}

// What a tab whose page was rendered at `after` has not seen yet, or null when the worker cannot
// tell: the page is older than the kept changes, or newer than what the stream has brought.
function missedBy(after) {
  if (after === keptAfter) return kept;
  const index = kept.findIndex((change) => change.position === after);
  return index < 0 ? null : kept.slice(index + 1);
}

function join(tab, after) {
  if (source === null) {
    keptAfter = after;
    open(after);
  } else {
    const missed = missedBy(after);
    if (missed === null) {
      tab.postMessage("resync");
    } else {
      for (const change of missed) tab.postMessage(`change ${change.data}`);
    }
  }
  tabs.add(tab);
  tab.postMessage(`state ${state}`);
}

onconnect = (event) => {
  const tab = event.ports[0];
  tab.onmessage = (message) => {
    const [kind, argument] = String(message.data).split(" ");
    if (kind === "follow" && /^\d+$/.test(argument)) {
      join(tab, Number(argument));
    } else if (kind === "leave") {
      tabs.delete(tab);
    }
  };
};
