// acta — the live « Aperçu » of an act's form, as progressive enhancement:
// without this script the form is saved, then « Aperçu » shows the draft.
// While the person types, the form (with its CSRF token) is posted to the
// preview address after a pause; acta checks it as a save would, renders its
// pages without storing anything, and the images replace the previous ones.
// An incomplete form is not a failure: the last pages stay, dimmed, and a
// calm sentence says what the preview waits for.
(function () {
  'use strict';
  var form = document.querySelector('form[data-apercu]');
  var box = document.getElementById('apercu-direct');
  if (!form || !box || !window.fetch || !window.URLSearchParams || !window.FormData || !window.URL) return;
  var list = box.querySelector('ol');
  var state = document.getElementById('apercu-direct-etat');
  var address = form.getAttribute('data-apercu');
  var timer = null, running = false, again = false, shown = [];
  var PAUSE_MS = 300;

  function say(text) {
    if (state.textContent !== text) state.textContent = text;
  }

  function encoded() {
    var data = new URLSearchParams();
    new FormData(form).forEach(function (value, name) {
      if (typeof value === 'string') data.append(name, value);
    });
    return data.toString();
  }

  function page(n, body) {
    return fetch(address + '?page=' + n, {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded;charset=UTF-8' },
      body: body
    });
  }

  function show(blobs) {
    shown.forEach(function (u) { URL.revokeObjectURL(u); });
    shown = blobs.map(function (b) { return URL.createObjectURL(b); });
    list.textContent = '';
    shown.forEach(function (u, i) {
      var item = document.createElement('li');
      item.className = 'pages__page';
      var img = document.createElement('img');
      img.className = 'pages__image';
      img.width = 893;
      img.height = 1263;
      img.alt = 'Page ' + (i + 1) + ' sur ' + shown.length + ' de l\u2019aperçu du projet';
      img.src = u;
      item.appendChild(img);
      list.appendChild(item);
    });
    box.classList.remove('live-preview--waiting');
    say(shown.length > 1 ? 'Aperçu à jour (' + shown.length + ' pages).' : 'Aperçu à jour.');
  }

  function waiting(text) {
    box.classList.add('live-preview--waiting');
    say(text);
  }

  function refresh() {
    if (running) { again = true; return; }
    running = true;
    again = false;
    var body = encoded();
    box.setAttribute('aria-busy', 'true');
    page(1, body).then(function (r) {
      if (!r.ok) {
        return r.text().then(function (t) {
          waiting(r.status === 422 ? t : 'L\u2019aperçu n\u2019a pas pu être mis à jour ; il le sera à la prochaine modification.');
        });
      }
      var pages = parseInt(r.headers.get('X-Acta-Pages') || '1', 10);
      var all = [r.blob()];
      for (var n = 2; n <= pages; n++) {
        all.push(page(n, body).then(function (p) { return p.blob(); }));
      }
      return Promise.all(all).then(show);
    }).catch(function () {
      waiting('L\u2019aperçu n\u2019a pas pu être mis à jour ; il le sera à la prochaine modification.');
    }).then(function () {
      running = false;
      box.removeAttribute('aria-busy');
      if (again) refresh();
    });
  }

  function later() {
    clearTimeout(timer);
    timer = setTimeout(refresh, PAUSE_MS);
  }

  box.hidden = false;
  document.documentElement.classList.add('js-live-preview');
  form.addEventListener('input', later);
  form.addEventListener('change', later);
  refresh();
})();
