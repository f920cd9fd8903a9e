// Registers the service worker (yanpiao/web/pwa.py serves it at /sw.js), where the browser has them.
// The worker caches the site's shell for offline use, never results (see web/sw.js).
if ("serviceWorker" in navigator) {
  window.addEventListener("load", function () {
    navigator.serviceWorker.register("/sw.js", { scope: "/" }).catch(function () {
      // No worker (a private window, an old browser): the site works as before, online only.
    });
  });
}
