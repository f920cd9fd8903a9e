// Registers the service worker (yanpiao/web/pwa.py serves it at /sw.js).
