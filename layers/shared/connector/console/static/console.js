/* The console's page script: signs in, loads each screen's HTML from the server with the
   console session header, and sends the merchant's actions to the merchant API. */
(function () {
  "use strict";
  var body = document.body;
  var view = document.getElementById("view");
  var notice = document.getElementById("notice");
  var KEY = "tts-console-session";
  var state = { session: null, connection: null, timer: null, shown: "" };

  function say(text, bad) {
    notice.textContent = text || "";
    notice.className = text ? (bad ? "bad" : "good") : "";
    notice.setAttribute("role", bad ? "alert" : "status");
  }

  function remember(session, connection) {
    state.session = session;
    state.connection = connection;
    try { sessionStorage.setItem(KEY, JSON.stringify({ s: session, c: connection })); } catch (e) { /* private mode */ }
  }

  function forget() {
    state.session = null;
    try { sessionStorage.removeItem(KEY); } catch (e) { /* private mode */ }
  }

  function request(method, url, payload) {
    var headers = { "X-Console-Session": state.session || "" };
    if (payload !== undefined) { headers["Content-Type"] = "application/json"; }
    return fetch(url, { method: method, headers: headers, credentials: "omit",
                        body: payload === undefined ? undefined : JSON.stringify(payload) });
  }

  function expired() {
    forget();
    document.getElementById("nav").hidden = true;
    if (body.dataset.mode === "admin") {
      view.innerHTML = "";
      var h = document.createElement("h1");
      h.textContent = "Your session has expired";
      var p = document.createElement("p");
      p.textContent = "Open the app again from your store's admin.";
      view.appendChild(h); view.appendChild(p);
    } else {
      location.hash = "";
      location.reload();
    }
  }

  function route() {
    var hash = location.hash.replace(/^#\/?/, "") || "dashboard";
    var parts = hash.split("?");
    return { screen: parts[0] || "dashboard", query: parts[1] || "" };
  }

  function markNav(screen) {
    var links = document.querySelectorAll("#nav a");
    for (var i = 0; i < links.length; i++) {
      var target = links[i].getAttribute("href").slice(2);
      var current = screen === target || screen === target.replace(/s$/, "") ||
                    (target === "categories" && screen === "category");
      if (current) { links[i].setAttribute("aria-current", "page"); } else { links[i].removeAttribute("aria-current"); }
    }
  }

  function show(keepNotice) {
    clearTimeout(state.timer);
    var r = route();
    var key = r.screen + "?" + r.query;
    if (!keepNotice && key !== state.shown) { say(""); }
    var moved = key !== state.shown;
    state.shown = key;
    markNav(r.screen);
    return request("GET", "/console/view/" + encodeURIComponent(r.screen) + (r.query ? "?" + r.query : ""))
      .then(function (response) {
        if (response.status === 401) { expired(); return; }
        return response.text().then(function (text) {
          if (route().screen + "?" + route().query !== key) { return; }
          view.innerHTML = text;
          view.setAttribute("aria-busy", "false");
          if (moved) { view.focus({ preventScroll: true }); }
          var live = view.querySelector("[data-refresh]");
          if (live) { state.timer = setTimeout(function () { show(true); }, parseInt(live.dataset.refresh, 10)); }
        });
      })
      .catch(function () { say("The console could not reach the server. Try again.", true); });
  }

  function answer(response, then) {
    return response.text().then(function (text) {
      var data = {};
      try { data = text ? JSON.parse(text) : {}; } catch (e) { data = {}; }
      if (response.status === 401) { expired(); return; }
      if (!response.ok) {
        say((data.message || "The request was refused") + ".", true);
        return;
      }
      if (data.task_id) {
        say("Started: " + (data.kind || "task").replace(/_/g, " ") + ".");
        location.hash = "#/task?id=" + encodeURIComponent(data.task_id);
        return;
      }
      if (then === "ended") { ended(); return; }
      if (typeof data.changed === "number") {
        say((data.excluded ? "Excluded from sync: " : "Included in sync: ") + data.changed + " product(s).");
        show(true);
        return;
      }
      say("Done.");
      if (then !== "none") { show(true); }
    });
  }

  // A disconnect ends every session of the connection (and the connection token): nothing can be
  // read any more, so the console says what happened instead of reloading the screen.
  function ended() {
    forget();
    document.getElementById("nav").hidden = true;
    view.innerHTML = "";
    var h = document.createElement("h1");
    h.textContent = "Store disconnected";
    var p = document.createElement("p");
    p.appendChild(document.createTextNode("The connection is "));
    var badge = document.createElement("span");
    badge.className = "badge conn-disconnected";
    badge.id = "connection-state";
    badge.textContent = "disconnected";
    p.appendChild(badge);
    p.appendChild(document.createTextNode(
      ". Its tokens were deleted and every session ended. To sync again, install the app again."));
    view.appendChild(h); view.appendChild(p);
    say("Disconnected.");
  }

  function act(url, payload, then) {
    return request("POST", url, payload).then(function (r) { return answer(r, then); })
      .catch(function () { say("The console could not reach the server. Try again.", true); });
  }

  // A change to every product runs a page at a time: the next request carries the page token
  // the last answer gave, until there is none.
  function everyPage(url, token, total) {
    var payload = { all: true };
    if (token) { payload.page_token = token; }
    return request("POST", url, payload).then(function (response) {
      if (response.status === 401) { expired(); return; }
      return response.json().then(function (data) {
        if (!response.ok) { say((data.message || "The request was refused") + ".", true); return; }
        total += data.changed || 0;
        if (data.next_page_token) {
          say("Working: " + total + " product(s) changed so far.");
          return everyPage(url, data.next_page_token, total);
        }
        say((data.excluded ? "Excluded from sync: " : "Included in sync: ") + total + " product(s).");
        show(true);
      });
    }).catch(function () { say("The console could not reach the server. Try again.", true); });
  }

  // TikTok's consent page opens in a tab of its own, through a two-minute link: the OAuth state
  // is bound to the browser by a cookie, which only a page of its own (not a fetch, not a frame
  // inside the store's admin) can set.
  function reauthorize(url) {
    var tab = window.open("", "_blank");
    return request("POST", url).then(function (response) {
      if (response.status === 401) { if (tab) { tab.close(); } expired(); return; }
      return response.json().then(function (data) {
        if (!response.ok || !data.url) {
          if (tab) { tab.close(); }
          say((data.message || "The request was refused") + ".", true);
          return;
        }
        if (tab) { tab.opener = null; tab.location.href = data.url; } else { window.location.href = data.url; }
        say("TikTok Shop's consent page opened in a new tab: approve it there, then check the connection.");
      });
    }).catch(function () { if (tab) { tab.close(); } say("The console could not reach the server. Try again.", true); });
  }

  function saveProduct(form) {
    var payload = { sync_overrides: {}, override_values: {} };
    var rules = form.querySelectorAll("[data-rule]");
    for (var i = 0; i < rules.length; i++) { payload.sync_overrides[rules[i].dataset.rule] = rules[i].value; }
    var values = form.querySelectorAll("[data-value]");
    for (var j = 0; j < values.length; j++) {
      if (values[j].value.trim()) { payload.override_values[values[j].dataset.value] = values[j].value.trim(); }
    }
    if (!Object.keys(payload.override_values).length) { delete payload.override_values; }
    payload.low_stock_threshold = form.querySelector("[name=low_stock_threshold]").value.trim();
    payload.low_stock_action = form.querySelector("[name=low_stock_action]").value;
    payload.brand_id = form.querySelector("[name=brand_id]").value.trim();
    var error = form.querySelector("[data-error-for=form]");
    error.textContent = "";
    request("PUT", form.dataset.put, payload).then(function (response) {
      if (response.status === 401) { expired(); return; }
      return response.json().then(function (data) {
        if (!response.ok) {
          error.textContent = data.message || "Not saved.";
          say("The product's choices were not saved.", true);
          return;
        }
        say("Product choices saved.");
        show(true);
      });
    }).catch(function () { say("The console could not reach the server. Try again.", true); });
  }

  function fields(form) {
    var out = {};
    var inputs = form.querySelectorAll("input[name], select[name], textarea[name]");
    for (var i = 0; i < inputs.length; i++) {
      var el = inputs[i];
      if (el.type === "checkbox") { out[el.name] = el.checked; } else { out[el.name] = el.value; }
    }
    return out;
  }

  function picked() {
    var boxes = view.querySelectorAll("input[name=pick]:checked");
    var ids = [];
    for (var i = 0; i < boxes.length; i++) { ids.push(boxes[i].value); }
    return ids;
  }

  document.addEventListener("click", function (event) {
    var el = event.target.closest("[data-post], [data-bulk], [data-reveal], [data-all], [data-reauthorize]");
    if (!el || el.tagName === "FORM") { return; }
    event.preventDefault();
    if (el.dataset.reveal) {
      var target = document.getElementById(el.dataset.reveal);
      target.hidden = !target.hidden;
      el.setAttribute("aria-expanded", String(!target.hidden));
      if (!target.hidden) { var first = target.querySelector("input, button"); if (first) { first.focus(); } }
      return;
    }
    if (el.dataset.bulk) {
      var ids = picked();
      if (!ids.length) { say("Select products first (or use the buttons for all products).", true); return; }
      if (el.dataset.bulk === "validate") {
        location.hash = "#/validation?ids=" + ids.map(encodeURIComponent).join(",");
        return;
      }
      act(el.dataset.bulk, { product_ids: ids });
      return;
    }
    if (el.dataset.all) { everyPage(el.dataset.all, null, 0); return; }
    if (el.dataset.reauthorize) { reauthorize(el.dataset.reauthorize); return; }
    act(el.dataset.post, JSON.parse(el.dataset.body || "{}"), el.dataset.then);
  });

  document.addEventListener("change", function (event) {
    if (event.target.id === "pick-all") {
      var boxes = view.querySelectorAll("input[name=pick]");
      for (var i = 0; i < boxes.length; i++) { boxes[i].checked = event.target.checked; }
    }
  });

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.id === "signin-form") { return; }
    event.preventDefault();
    if (form.dataset.nav) {
      var values = fields(form);
      var query = Object.keys(values).filter(function (k) { return values[k] !== ""; })
        .map(function (k) { return encodeURIComponent(k) + "=" + encodeURIComponent(values[k]); }).join("&");
      location.hash = form.dataset.nav + (query ? "?" + query : "");
      return;
    }
    if (form.dataset.form === "settings") {
      request("POST", "/console/view/settings", fields(form)).then(function (response) {
        if (response.status === 401) { expired(); return; }
        return response.text().then(function (text) {
          view.innerHTML = text;
          var first = view.querySelector("[aria-invalid=true]") || view.querySelector("#settings-saved");
          if (first) { first.focus(); }
          say(response.ok ? "Settings saved." : "Some settings were not saved.", !response.ok);
        });
      });
      return;
    }
    if (form.dataset.form === "product") {
      saveProduct(form);
      return;
    }
    if (form.dataset.form === "category") {
      saveCategory(form);
      return;
    }
    if (form.dataset.post) {
      var payload = fields(form);
      var url = form.dataset.post;
      if (form.dataset.pathField) {
        url = url.replace("{}", encodeURIComponent(payload[form.dataset.pathField]));
        delete payload[form.dataset.pathField];
      }
      if (form.dataset.bodyExtra) {
        var extra = JSON.parse(form.dataset.bodyExtra);
        Object.keys(extra).forEach(function (k) { payload[k] = extra[k]; });
      }
      act(url, payload, form.dataset.then);
    }
  });

  function saveCategory(form) {
    var values = {};
    var inputs = form.querySelectorAll("[data-attribute]");
    for (var i = 0; i < inputs.length; i++) {
      var el = inputs[i];
      if (!el.value) { continue; }
      values[el.dataset.attribute] = [el.dataset.mode === "id" ? { id: el.value } : { name: el.value }];
    }
    var payload = { attribute_values: values };
    var category = form.querySelector("[name=tiktok_category_id]").value;
    var brand = form.querySelector("[name=brand_id]").value;
    if (category) { payload.tiktok_category_id = category; }
    if (brand) { payload.brand_id = brand; }
    fetch(form.dataset.put, { method: "PUT", credentials: "omit", body: JSON.stringify(payload),
                              headers: { "X-Console-Session": state.session, "Content-Type": "application/json" } })
      .then(function (response) {
        if (response.status === 401) { expired(); return; }
        if (!response.ok) {
          return response.json().then(function (data) {
            form.querySelector("[data-error-for=form]").textContent = data.message || "Not saved.";
            say("The category was not saved.", true);
          });
        }
        var held = JSON.parse(form.dataset.held || "[]");
        if (!held.length) { say("Category saved."); show(true); return; }
        return act(form.dataset.sync, { product_ids: held });
      })
      .catch(function () { say("The console could not reach the server. Try again.", true); });
  }

  function start() {
    document.getElementById("loading").hidden = true;
    document.getElementById("nav").hidden = false;
    window.addEventListener("hashchange", function () { show(false); });
    if (!location.hash || location.hash.indexOf("#/") !== 0) { history.replaceState(null, "", "#/dashboard"); }
    show(false);
  }

  function signInForm(message) {
    document.getElementById("loading").hidden = true;
    var section = document.getElementById("signin");
    section.hidden = false;
    document.getElementById("signin-error").textContent = message || "";
    document.getElementById("signin-connection").focus();
  }

  function exchange(payload) {
    return fetch("/console/session", { method: "POST", credentials: "omit", body: JSON.stringify(payload),
                                       headers: { "Content-Type": "application/json" } })
      .then(function (response) {
        return response.json().then(function (data) {
          if (!response.ok) { signInForm(data.message || "Sign-in refused."); return; }
          remember(data.session, data.connection_id);
          document.getElementById("signin").hidden = true;
          location.hash = "#/dashboard";
          start();
        });
      });
  }

  document.getElementById("signin-form").addEventListener("submit", function (event) {
    event.preventDefault();
    exchange({ connection_id: document.getElementById("signin-connection").value.trim(),
               token: document.getElementById("signin-token").value.trim() });
  });

  if (body.dataset.mode === "admin") {
    if (window.EcwidApp && body.dataset.appId) {
      window.EcwidApp.init({ app_id: body.dataset.appId, autoloadedflag: true, autoheight: true });
    }
    remember(body.dataset.session, body.dataset.connection);
    start();
    return;
  }
  var code = (location.hash.match(/^#signin=([A-Za-z0-9._-]+)$/) || [])[1];
  if (code) {
    history.replaceState(null, "", location.pathname);
    exchange({ code: code });
    return;
  }
  try {
    var saved = JSON.parse(sessionStorage.getItem(KEY) || "null");
    if (saved && saved.s) { remember(saved.s, saved.c); start(); return; }
  } catch (e) { /* nothing saved */ }
  signInForm("");
}());
