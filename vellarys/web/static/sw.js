// Vellarys service worker: the offline page when the network is gone, and web push.
// Served at /sw.js so that it controls the whole dashboard.
var CACHE = "vellarys-v1";
var OFFLINE = "/offline";
var SHELL = [OFFLINE, "/static/app.css", "/static/mobile.css", "/static/icons/icon-192.png"];

self.addEventListener("install", function (event) {
  event.waitUntil(
    caches.open(CACHE).then(function (cache) { return cache.addAll(SHELL); })
      .then(function () { return self.skipWaiting(); })
  );
});

self.addEventListener("activate", function (event) {
  event.waitUntil(
    caches.keys().then(function (keys) {
      return Promise.all(keys.filter(function (key) { return key !== CACHE; })
        .map(function (key) { return caches.delete(key); }));
    }).then(function () { return self.clients.claim(); })
  );
});

// Pages always come from the server (they are live data); only when it cannot be reached
// does the cached offline page answer. The shell's own files fall back to the cache too.
self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET") {
    return;
  }
  if (request.mode === "navigate") {
    event.respondWith(fetch(request).catch(function () { return caches.match(OFFLINE); }));
    return;
  }
  var path = new URL(request.url).pathname;
  if (SHELL.indexOf(path) !== -1) {
    event.respondWith(fetch(request).catch(function () { return caches.match(path); }));
  }
});

self.addEventListener("push", function (event) {
  var data = {};
  try {
    data = event.data ? event.data.json() : {};
  } catch (error) {
    data = { body: event.data ? event.data.text() : "" };
  }
  event.waitUntil(self.registration.showNotification(data.title || "Vellarys", {
    body: data.body || "",
    tag: data.tag || undefined,
    icon: "/static/icons/icon-192.png",
    badge: "/static/icons/icon-192.png",
    data: { url: data.url || "/" },
  }));
});

self.addEventListener("notificationclick", function (event) {
  event.notification.close();
  var url = (event.notification.data && event.notification.data.url) || "/";
  event.waitUntil(
    self.clients.matchAll({ type: "window", includeUncontrolled: true }).then(function (windows) {
      for (var i = 0; i < windows.length; i += 1) {
        if ("focus" in windows[i]) {
          windows[i].navigate(url);
          return windows[i].focus();
        }
      }
      return self.clients.openWindow(url);
    })
  );
});
