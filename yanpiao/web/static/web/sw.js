// The service worker of Yanpiao (served at /sw.js by yanpiao/web/pwa.py).
//
// It keeps the shell only: the style sheet, the scripts, the icons and the offline page.
// Pages are fetched from the network first; when the network is gone a page is answered with
// the offline page.  Results are never cached: no page, no answer of the API, nothing posted.
"use strict";

var CACHE = "yanpiao-shell-v1";
// The files of the shell, cached when the worker is installed and refreshed whenever fetched.
var SHELL = [
  "/offline/",
  "/static/web/site.css",
  "/static/web/site.js",
  "/static/web/pwa.js",
  "/static/vendor/htmx/htmx.min.js",
  "/static/web/icon.svg",
  "/static/web/icon-192.png",
  "/static/web/icon-512.png",
  "/static/web/icon-maskable-512.png"
];
// Where results and personal data live: never written to a cache, whatever the list above says.
var PRIVATE = ["/verify", "/verifications", "/history", "/api", "/issuer", "/accounts", "/security"];

function isPrivate(path) {
  return PRIVATE.some(function (prefix) {
    return path === prefix || path.indexOf(prefix + "/") === 0;
  });
}

function isShell(url) {
  return url.origin === self.location.origin && SHELL.indexOf(url.pathname) !== -1 && !isPrivate(url.pathname);
}

// The offline page is fetched without cookies: no session's token or links end up in the cache.
function shellRequest(path) {
  return new Request(path, { credentials: "omit" });
}

self.addEventListener("install", function (event) {
  event.waitUntil(
    caches.open(CACHE).then(function (cache) {
      return cache.addAll(SHELL.map(shellRequest));
    }).then(function () {
      return self.skipWaiting();
    })
  );
});

self.addEventListener("activate", function (event) {
  event.waitUntil(
    caches.keys().then(function (names) {
      return Promise.all(names.filter(function (name) {
        return name !== CACHE;
      }).map(function (name) {
        return caches.delete(name);
      }));
    }).then(function () {
      return self.clients.claim();
    })
  );
});

// A page: from the network, never stored; the offline page when the network is gone.
function page(request) {
  return fetch(request).catch(function () {
    return caches.match("/offline/");
  });
}

// A file of the shell: from the network (and the cache refreshed), else from the cache.
function shellFile(request) {
  return fetch(request).then(function (response) {
    if (response.ok) {
      var copy = response.clone();
      caches.open(CACHE).then(function (cache) {
        return cache.put(request, copy);
      });
    }
    return response;
  }).catch(function () {
    return caches.match(request).then(function (hit) {
      return hit || Response.error();
    });
  });
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET") return;
  if (request.mode === "navigate") {
    event.respondWith(page(request));
    return;
  }
  if (isShell(new URL(request.url))) event.respondWith(shellFile(request));
});
