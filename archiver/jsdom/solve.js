// Answers Zhihu's __zse_ck challenge the way its page does: the challenge script runs in a DOM
// built from the challenge page itself, and the cookie it writes is caught and printed.
//
// Input (stdin, JSON): {page, script, url, userAgent, waitMs}. Output (stdout, JSON): {cookie}
// with the `__zse_ck=...` cookie string the script wrote, or {error}. Nothing else is printed.
//
// The archiver runs this file in a sandbox (see archiver/challenge.py): its own process with no
// secrets in its environment, Node's permission model (read this folder only, no writes, no
// child processes, no workers), a memory cap, a time limit, and no network namespace where the
// system allows one. Inside, the script sees a jsdom window and nothing of Node: no `require`,
// no `process`, and the window's own ways to the network are removed.
"use strict";

const fs = require("node:fs");
const { JSDOM, VirtualConsole } = require("jsdom");

const NO_NETWORK = ["XMLHttpRequest", "WebSocket", "EventSource", "fetch", "Worker", "SharedWorker"];

function respond(result) {
  process.stdout.write(JSON.stringify(result));
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

function catchCookie(window, found) {
  Object.defineProperty(window.document, "cookie", {
    configurable: true,
    get: () => "",
    set: (value) => {
      if (String(value).startsWith("__zse_ck=")) {
        found(String(value));
      }
    },
  });
}

function main() {
  const input = JSON.parse(fs.readFileSync(0, "utf8"));
  const window = windowFor(input);
  let cookie = null;
  catchCookie(window, (value) => {
    cookie = value;
  });
  // The browser's TextEncoder/TextDecoder, made inside the window's own realm: an object of
  // Node's realm handed to the script would be a way out of it.
  window.eval(
    "if (typeof TextEncoder === 'undefined') {" +
      "  globalThis.TextEncoder = class { encode(s) { const b = unescape(encodeURIComponent(String(s)));" +
      "    return Uint8Array.from(b, (c) => c.charCodeAt(0)); } };" +
      "  globalThis.TextDecoder = class { decode(a) { let s = '';" +
      "    for (const x of new Uint8Array(a || [])) s += String.fromCharCode(x);" +
      "    return decodeURIComponent(escape(s)); } };" +
      "}",
  );
  try {
    window.eval(input.script);
  } catch (error) {
    respond({ error: `the script failed: ${String(error && error.message).slice(0, 200)}` });
    process.exit(0);
  }
  // WebAssembly is asynchronous: wait for the cookie, up to the time given.
  const started = Date.now();
  const poll = setInterval(() => {
    if (cookie !== null) {
      clearInterval(poll);
      respond({ cookie });
      process.exit(0);
    }
    if (Date.now() - started > input.waitMs) {
      clearInterval(poll);
      respond({ error: "the script wrote no __zse_ck cookie" });
      process.exit(0);
    }
  }, 10);
}

main();
