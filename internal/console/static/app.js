// The console's script: it follows a run or a log that the page shows, through the server's
// events (no polling). Pages work without it; they are only not live then.
(function () {
  'use strict';
  var url = document.body.getAttribute('data-live');
  if (!url || !window.EventSource) {
    return;
  }
  // What a test or a curious person can read: how many updates were applied, and the most any
  // was behind the server when applied.
  var stats = window.consoleLive = { applied: 0, lastSeq: 0, maxLagMs: 0, busyMs: 0, ended: false };
  var source = null;

  // replace swaps a region's HTML and keeps the keyboard focus where it was when the element
  // that had it is still there.
  function replace(el, html) {
    var active = document.activeElement;
    var focusId = active && el.contains(active) ? active.id : '';
    el.innerHTML = html;
    if (focusId) {
      var again = document.getElementById(focusId);
      if (again) { again.focus(); }
    }
  }

  function onUpdate(ev) {
    var began = performance.now();
    var u = JSON.parse(ev.data);
    var status = u.status || {};
    Object.keys(status).forEach(function (id) {
      var el = document.getElementById(id);
      if (!el) { return; }
      el.setAttribute('data-status', status[id]);
      var text = el.querySelector('.pg-action-status, .pg-stage-status');
      if (text) { text.textContent = status[id]; }
    });
    var regions = u.regions || {};
    Object.keys(regions).forEach(function (id) {
      var el = document.getElementById(id);
      if (el) { replace(el, regions[id]); }
    });
    stats.applied++;
    stats.busyMs += performance.now() - began;
    stats.lastSeq = u.seq;
    stats.maxLagMs = Math.max(stats.maxLagMs, Date.now() - u.sent);
    document.body.setAttribute('data-live-seq', String(u.seq));
    if (u.ended) {
      stats.ended = true;
      document.body.setAttribute('data-live-ended', 'true');
    }
  }

  function onLog(ev) {
    var u = JSON.parse(ev.data);
    var pre = document.getElementById('log');
    if (pre) {
      if (typeof u.reset === 'string') {
        pre.textContent = u.reset;
      } else if (u.append) {
        pre.appendChild(document.createTextNode(u.append));
      }
      if (pre.textContent) {
        var empty = document.getElementById('log-empty');
        if (empty) { empty.remove(); }
      }
    }
    var st = document.getElementById('log-status');
    if (st && u.status) {
      st.textContent = u.status;
    }
    stats.applied++;
    if (u.ended) {
      stats.ended = true;
      var live = document.getElementById('log-live');
      if (live) { live.textContent = '· the action ended'; }
      document.body.setAttribute('data-live-ended', 'true');
      disconnect();
    }
  }

  // connect opens the stream. The first time, the server is told what the page shows (the
  // URL's "have"), and sends what changed since; after a pause it sends everything again.
  function connect(again) {
    var u = url;
    if (again) {
      u = url.split('?')[0];
    }
    source = new EventSource(u);
    source.addEventListener('update', onUpdate);
    source.addEventListener('log', onLog);
    // A run that ended sends nothing more: stop, or the browser would reconnect.
    source.addEventListener('end', function () {
      stats.ended = true;
      disconnect();
    });
  }

  function disconnect() {
    if (source) {
      source.close();
      source = null;
    }
  }

  // A hidden page lets its stream go and takes it again when shown: a browser keeps six
  // connections per server over HTTP/1.1, and each following page holds one.
  document.addEventListener('visibilitychange', function () {
    if (document.hidden) {
      disconnect();
    } else if (!source && !stats.ended) {
      connect(true);
    }
  });
  connect(false);
})();
