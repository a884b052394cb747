// Answers Zhihu's __zse_ck challenge the way its page does: the challenge script runs in a DOM
// built from the challenge page itself, and the cookie it writes is caught and printed.
//
// Input (stdin, JSON): {page, script, url, userAgent, waitMs}. Output (stdout, JSON): {cookie}
// with the `__zse_ck=...` cookie string the script wrote, or {error}. Nothing else is printed.
//
// The archiver runs this file in a sandbox (see archiver/solver.py): bubblewrap's namespaces (no
// network, no other process, nothing of the file system but /usr and this folder, read-only),
// Node's permission model, an address-space limit, a byte cap on what it prints and a time limit.
// Inside, the script sees a jsdom window and nothing of Node: no `require`, no `process`, and the
// window's own ways to the network are removed. jsdom alone is no sandbox (the window's
// constructor leads to Node's `process`): the sandbox around this process is the wall.
"use strict";

const fs = require("node:fs");
const { JSDOM, VirtualConsole } = require("jsdom");

const NO_NETWORK = ["XMLHttpRequest", "WebSocket", "EventSource", "fetch", "Worker", "SharedWorker"];
const COOKIE = /^\s*__zse_ck\s*=\s*[^;\s]/;

function respond(result) {
  process.stdout.write(JSON.stringify(result));
  process.exit(0);
}

function describe(error) {
  const text = error && typeof error === "object" && "message" in error ? error.message : error;
  const name = error && typeof error === "object" && typeof error.name === "string" ? error.name : "";
  return `${name ? `${name}: ` : ""}${String(text)}`.slice(0, 300);
}

function windowFor(input) {
  const dom = new JSDOM(input.page, {
    url: input.url,
    runScripts: "outside-only", // the page's own <script> tags are not run, only the given one
    pretendToBeVisual: true,
    virtualConsole: new VirtualConsole(), // the script's console output goes nowhere
  });
  const window = dom.window;
  for (const name of NO_NETWORK) {
    delete window[name];
  }
  // The crawl's User-Agent (the token is bound to it). jsdom takes one only through a resource
  // loader, which would also fetch the page's images and styles: set on navigator instead.
  Object.defineProperty(window.navigator, "userAgent", { get: () => input.userAgent });
  Object.defineProperty(window.navigator, "webdriver", { get: () => false });
  window.__g = {};
  return window;
}

// The browser's TextEncoder and TextDecoder, for a window that has none (jsdom has not). This
// function is evaluated inside the window's own realm: an object of Node's realm handed to the
// script would be a way out of it. Like a browser's, decode takes an ArrayBuffer or any view of
// one (Go's WebAssembly glue hands it DataViews) and replaces malformed UTF-8 with U+FFFD.
function installCodecs() {
  if (typeof globalThis.TextDecoder !== "undefined") {
    return;
  }
  const bytesOf = (input) => {
    if (input === undefined) return new Uint8Array(0);
    if (ArrayBuffer.isView(input)) {
      return new Uint8Array(input.buffer, input.byteOffset, input.byteLength);
    }
    return new Uint8Array(input);
  };
  const decodeUtf8 = (bytes) => {
    let out = "";
    for (let i = 0; i < bytes.length; ) {
      const b = bytes[i];
      const need = b < 0x80 ? 0 : b >= 0xc2 && b < 0xe0 ? 1 : b >= 0xe0 && b < 0xf0 ? 2 : b >= 0xf0 && b < 0xf5 ? 3 : -1;
      let code = need === 0 ? b : need === 1 ? b & 0x1f : need === 2 ? b & 0x0f : b & 0x07;
      let n = 0;
      while (need > 0 && n < need && i + 1 + n < bytes.length && (bytes[i + 1 + n] & 0xc0) === 0x80) {
        code = (code << 6) | (bytes[i + 1 + n] & 0x3f);
        n++;
      }
      const min = [0, 0x80, 0x800, 0x10000][need];
      if (need < 0 || n < need || code < min || code > 0x10ffff || (code >= 0xd800 && code < 0xe000)) {
        out += "\ufffd";
        i += 1 + n; // the lead byte and the continuation bytes that fitted
        continue;
      }
      out += String.fromCodePoint(code);
      i += 1 + need;
    }
    return out;
  };
  globalThis.TextEncoder = class TextEncoder {
    get encoding() {
      return "utf-8";
    }
    encode(text = "") {
      const binary = unescape(encodeURIComponent(String(text).toWellFormed()));
      return Uint8Array.from(binary, (c) => c.charCodeAt(0));
    }
  };
  globalThis.TextDecoder = class TextDecoder {
    get encoding() {
      return "utf-8";
    }
    decode(input) {
      return decodeUtf8(bytesOf(input));
    }
  };
}

function main() {
  const input = JSON.parse(fs.readFileSync(0, "utf8"));
  const window = windowFor(input);
  let cookie = null;
  let lastError = null;
  // A browser reports a promise rejection nobody handles and goes on; Node would end the process.
  // Zhihu's script writes its cookie while it is evaluated, then its WebAssembly part traps
  // (`RuntimeError: unreachable`) in a promise nobody awaits: the cookie written counts.
  process.on("unhandledRejection", (reason) => {
    lastError = reason;
  });
  Object.defineProperty(window.document, "cookie", {
    configurable: true,
    get: () => "",
    set: (value) => {
      const text = String(value);
      // Another cookie, or the script clearing __zse_ck before it writes the new one, is not it.
      if (!COOKIE.test(text)) {
        return;
      }
      if (cookie === null) {
        setTimeout(() => respond({ cookie }), 0); // the last one written in the same turn
      }
      cookie = text;
    },
  });
  window.eval(`(${installCodecs.toString()})()`);
  try {
    window.eval(input.script);
  } catch (error) {
    if (cookie === null) {
      respond({ error: `the script failed: ${describe(error)}` });
    }
    return; // its cookie, written before it failed, is answered
  }
  // WebAssembly is asynchronous: wait for the cookie, up to the time given.
  setTimeout(() => {
    const why = lastError === null ? "" : ` (it failed: ${describe(lastError)})`;
    respond({ error: `the script wrote no __zse_ck cookie${why}` });
  }, input.waitMs);
}

main();
