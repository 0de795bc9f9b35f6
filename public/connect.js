// Opens the MicroPython engine's WebSocket as the page starts, while the runtime still loads;
// the engine adopts it (bridge.js adopt()) and finds the server's snapshot already here.
//
// A classic script in <head>, so it runs before the body is parsed: as an async module it ran
// only once parsing was done, ~200 ms into a warm start on the busy machine. It hands the
// socket and what it heard to bridge.js on `window.tickscopeEarlySocket`.
"use strict";

(() => {
  // Past this many kept messages, replaying them would cost the engine more than a fresh
  // connection and snapshot (~0.2 ms a message under MicroPython: 250 are ~50 ms): the early
  // socket is closed and the engine opens its own. The default market (~280 msgs/s) stays
  // under it for a start of about a second; a 1400 msgs/s market gives up within 0.2 s.
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
