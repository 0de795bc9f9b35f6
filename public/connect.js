// Opens the Python engine's WebSocket as the page starts, while the runtime still loads: the
// engine adopts it (bridge.js adopt()) and finds the server's snapshot already here.
import { connectEarly } from "./bridge.js";

const scheme = location.protocol === "https:" ? "wss:" : "ws:";
connectEarly(`${scheme}//${location.host}/ws`);
