// Opens the MicroPython engine's WebSocket as the page starts, while the runtime still loads;
// the engine adopts it (bridge.js adopt()) and finds the server's snapshot already here.
//
// A classic script in <head>, so it runs before the body is parsed: as an async module it ran
// only once parsing was done, a good part of a warm start later. It hands the socket and what
// it heard to bridge.js on `window.tickscopeEarlySocket`.
"use strict";

(() => {
  // Past this many kept messages, replaying them would cost the engine more than a fresh
  // connection and snapshot: the early socket is closed and the engine opens its own. The
  // default market stays under it for a start of about a second; a fast one gives up at once
  // (figures in docs/performance.md).
  const MESSAGES_KEPT = 250;
  const NORMAL_CLOSURE = 1000;
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  const url = `${scheme}//${location.host}/ws`;
  const socket = new WebSocket(url);
  const events = []; // [kind, event or data, receipt time], in the order they happened
  const early = { url, socket, events };
  window.tickscopeEarlySocket = early;
  let messages = 0;
  socket.onopen = (event) => events.push(["open", event]);
  socket.onclose = (event) => events.push(["close", event]);
  socket.onmessage = (event) => {
    events.push(["message", event.data, event.timeStamp]);
    messages += 1;
    if (messages > MESSAGES_KEPT && window.tickscopeEarlySocket === early) {
      delete window.tickscopeEarlySocket;
      socket.onmessage = socket.onopen = socket.onclose = null;
      socket.close(NORMAL_CLOSURE);
    }
  };
})();
