/* Live updates for the staff console (progressive enhancement: without it, pages are
   simply as fresh as their last load).

   A region is an element with an id and data-live="incidents", "alerts" or
   "incident:INC0001001" (several, space-separated). When /events reports a change that
   matches a region, the page is fetched again and each matching region is replaced by its
   new version; checked boxes, what the user typed, focus and open <details> inside it are
   kept, and rows with a
   data-key not seen before are highlighted. <time data-countdown datetime="..."> elements
   show the time left until their due time, refreshed every 15 s. */
(function () {
  'use strict';

  var COUNTDOWN_MS = 15000;

  /* --- SLA countdowns --- */

  function twoDigits(n) { return (n < 10 ? '0' : '') + n; }

  function describeLeft(ms) {
    var overdue = ms < 0;
    var minutes = Math.floor(Math.abs(ms) / 60000);
    var text;
    if (minutes < 1) {
      return overdue ? 'just overdue' : 'less than 1 min left';
    }
    if (minutes < 60) {
      text = minutes + ' min';
    } else if (minutes < 24 * 60) {
      text = Math.floor(minutes / 60) + ' h ' + twoDigits(minutes % 60) + ' min';
    } else {
      text = Math.floor(minutes / 1440) + ' d ' + twoDigits(Math.floor(minutes / 60) % 24) + ' h';
    }
    return text + (overdue ? ' overdue' : ' left');
  }

  function updateCountdowns(root) {
    var now = Date.now();
    root.querySelectorAll('time[data-countdown][datetime]').forEach(function (el) {
      var due = Date.parse(el.getAttribute('datetime'));
      if (isNaN(due)) { return; }
      if (!el.hasAttribute('title')) {
        // the server-rendered due time stays readable on hover
        el.setAttribute('title', 'Due ' + el.textContent.trim());
      }
      el.textContent = describeLeft(due - now);
      el.classList.toggle('overdue', due < now);
    });
  }

  updateCountdowns(document);
  if (document.querySelector('time[data-countdown]')) {
    window.setInterval(function () { updateCountdowns(document); }, COUNTDOWN_MS);
  }

  /* --- live regions --- */

  var status = document.getElementById('live-status');
  var FOCUSABLE = 'a[href], button, input, select, textarea, summary, [tabindex]';

  function showStatus(state, text) {
    if (!status) { return; }
    status.hidden = false;
    status.setAttribute('data-state', state);
    status.textContent = text;
  }

  function tokensOf(el) { return (el.getAttribute('data-live') || '').split(/\s+/); }

  function matches(el, change) {
    return tokensOf(el).some(function (token) {
      if (change.kind === 'incident') {
        return token === 'incidents' || token === 'incident:' + change.ref;
      }
      return change.kind === 'alerts' && token === 'alerts';
    });
  }

  var wanted = {};       // ids of the regions the next fetch must replace
  var inFlight = false;  // one fetch at a time; what arrives meanwhile waits for the next

  function want(change) {
    var any = false;
    document.querySelectorAll('[data-live][id]').forEach(function (el) {
      if (!change || matches(el, change)) { wanted[el.id] = true; any = true; }
    });
    if (any) { refresh(); }
  }

  function refresh() {
    if (inFlight) { return; }
    var ids = Object.keys(wanted);
    if (!ids.length) { return; }
    wanted = {};
    inFlight = true;
    fetch(location.href, { headers: { 'X-Tocsin-Live': '1' }, credentials: 'same-origin' })
      .then(function (response) {
        // signed out meanwhile (a redirect to the sign-in page) or an error: keep the page
        if (!response.ok || response.redirected) { return null; }
        return response.text();
      })
      .then(function (html) {
        if (html) { swapAll(new DOMParser().parseFromString(html, 'text/html'), ids); }
      })
      .catch(function () { /* the next change or resync tries again */ })
      .then(function () {
        inFlight = false;
        refresh();
      });
  }

  function swapAll(fresh, ids) {
    ids.forEach(function (id) {
      var current = document.getElementById(id);
      var next = fresh.getElementById(id);
      if (current && next && current.hasAttribute('data-live')) {
        swap(current, document.importNode(next, true));
      }
    });
  }

  function rowKey(el) {
    var row = el.closest('[data-key]');
    return row ? row.getAttribute('data-key') : '';
  }

  // Where an element stands in its region: its id, else its row's key and its place in
  // that row among elements of its kind.
  function placeOf(el, region, selector) {
    if (el.id) { return '#' + el.id; }
    var key = rowKey(el);
    var scope = key ? el.closest('[data-key]') : region;
    return key + '|' + Array.prototype.indexOf.call(scope.querySelectorAll(selector), el);
  }

  function indexBy(region, selector) {
    var found = {};
    region.querySelectorAll(selector).forEach(function (el) { found[placeOf(el, region, selector)] = el; });
    return found;
  }

  var FIELDS = 'textarea, select, input:not([type=checkbox]):not([type=radio]):not([type=hidden])';

  function edited(field) {
    if (field.tagName === 'SELECT') {
      var chosen = field.options[field.selectedIndex];
      return !chosen || !chosen.defaultSelected;
    }
    return field.value !== field.defaultValue;
  }

  function swap(current, next) {
    // ticked boxes, by name and value (a bulk selection survives a refresh)
    var ticked = {};
    current.querySelectorAll('input[type=checkbox], input[type=radio]').forEach(function (box) {
      ticked[box.name + '\u0000' + box.value] = box.checked;
    });
    next.querySelectorAll('input[type=checkbox], input[type=radio]').forEach(function (box) {
      var key = box.name + '\u0000' + box.value;
      if (key in ticked) { box.checked = ticked[key]; }
    });
    // what the user typed or chose in a form that is still open (half-written notes)
    var typed = {};
    current.querySelectorAll(FIELDS).forEach(function (field) {
      if (edited(field)) { typed[placeOf(field, current, FIELDS)] = field.value; }
    });
    var fresh = indexBy(next, FIELDS);
    Object.keys(typed).forEach(function (place) {
      if (fresh[place]) { fresh[place].value = typed[place]; }
    });
    // open or closed <details>
    var before = indexBy(current, 'details');
    var after = indexBy(next, 'details');
    Object.keys(after).forEach(function (place) {
      if (before[place]) { after[place].open = before[place].open; }
    });
    // rows not there before
    var known = {};
    current.querySelectorAll('[data-key]').forEach(function (row) { known[row.getAttribute('data-key')] = true; });
    next.querySelectorAll('[data-key]').forEach(function (row) {
      if (!known[row.getAttribute('data-key')]) { row.classList.add('live-new'); }
    });
    // focus
    var active = document.activeElement;
    var focusPlace = active && current.contains(active) ? placeOf(active, current, FOCUSABLE) : null;
    current.replaceWith(next);
    if (focusPlace) {
      var target = indexBy(next, FOCUSABLE)[focusPlace];
      if (target) { target.focus({ preventScroll: true }); }
    }
    updateCountdowns(next);
    next.dispatchEvent(new CustomEvent('tocsin:live-updated', { bubbles: true }));
  }

  // the pure helpers, for the browser tests
  window.tocsinLive = { describeLeft: describeLeft, swap: swap, updateCountdowns: updateCountdowns };

  if (!document.querySelector('[data-live][id]') || !window.EventSource || !window.DOMParser) {
    return;  // nothing on this page updates live
  }

  var source = new EventSource('/events');
  var everOpen = false;
  source.addEventListener('open', function () {
    if (everOpen) { want(null); }  // what changed while the stream was down
    everOpen = true;
    showStatus('live', 'Live');
  });
  source.addEventListener('error', function () {
    if (source.readyState === EventSource.CLOSED) {
      showStatus('off', 'Live updates off: reload the page');
    } else {
      showStatus('reconnecting', 'Reconnecting…');
    }
  });
  source.addEventListener('change', function (event) {
    var change;
    try { change = JSON.parse(event.data); } catch (e) { return; }
    want(change);
  });
  source.addEventListener('resync', function () { want(null); });
})();
