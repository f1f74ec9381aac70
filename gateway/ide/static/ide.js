// The gateway's IDE: GraphiQL from locally served assets. A person logs in with the built-in
// issuer's authorization-code flow with PKCE (client `gateway-ide`, back to this page); a machine
// client's token can still be pasted. The access token (and the login's refresh token) are kept in
// this browser's localStorage and sent as the Authorization header; GraphiQL is mounted afresh
// whenever the token changes, so the schema (Docs panel) is fetched again with it.
(function () {
  var KEY = "enforcement-gateway.token";
  var REFRESH = "enforcement-gateway.refresh";
  var PKCE = "enforcement-gateway.pkce";
  var CLIENT = "gateway-ide";
  var endpoint = document.body.getAttribute("data-endpoint");
  var input = document.getElementById("token");
  var status = document.getElementById("token-status");
  var redirectUri = location.origin + location.pathname;
  var mounted = 0;
  var root = ReactDOM.createRoot(document.getElementById("graphiql"));

  function b64url(bytes) {
    var text = "";
    bytes.forEach(function (b) { text += String.fromCharCode(b); });
    return btoa(text).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }
  function random(n) { return b64url(crypto.getRandomValues(new Uint8Array(n))); }
  function claims(token) {
    try {
      var part = token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
      return JSON.parse(decodeURIComponent(escape(atob(part))));
    } catch (e) { return {}; }
  }
  function show(message) {
    var token = localStorage.getItem(KEY);
    var who = token ? claims(token) : {};
    status.textContent = message || (token
      ? (who.officer ? "已登录 / signed in: " + who.officer : "令牌已保存 / token saved")
      : "未登录 / not signed in");
  }
  function store(body) {
    localStorage.setItem(KEY, body.access_token);
    if (body.refresh_token) localStorage.setItem(REFRESH, body.refresh_token);
  }
  function tokenRequest(form) {
    return fetch("/oauth/token", {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams(form).toString(),
      credentials: "omit",
    }).then(function (response) {
      return response.json().then(function (body) {
        if (!response.ok) throw new Error(body.error_description || body.error || response.status);
        return body;
      });
    });
  }
  function refresh() {
    var token = localStorage.getItem(REFRESH);
    if (!token) return Promise.resolve(false);
    return tokenRequest({ grant_type: "refresh_token", refresh_token: token, client_id: CLIENT })
      .then(function (body) { store(body); return true; })
      .catch(function () { localStorage.removeItem(REFRESH); return false; });
  }
  function fresh() {
    // a login's token about to expire is refreshed before it is sent
    var token = localStorage.getItem(KEY);
    var exp = token ? claims(token).exp : null;
    if (exp && exp * 1000 - Date.now() < 30000 && localStorage.getItem(REFRESH)) return refresh();
    return Promise.resolve(true);
  }

  function login() {
    var verifier = random(48);
    var state = random(16);
    crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier)).then(function (digest) {
      sessionStorage.setItem(PKCE, JSON.stringify({ verifier: verifier, state: state }));
      var params = new URLSearchParams({
        response_type: "code", client_id: CLIENT, redirect_uri: redirectUri, state: state,
        scope: "openid", code_challenge: b64url(new Uint8Array(digest)),
        code_challenge_method: "S256",
      });
      location.assign("/oauth/authorize?" + params.toString());
    });
  }
  function logout() {
    localStorage.removeItem(KEY);
    localStorage.removeItem(REFRESH);
    input.value = "";
    show();
    mount();
  }
  // Back from the login form: exchange the code (once), then drop it from the address bar.
  function finishLogin() {
    var params = new URLSearchParams(location.search);
    if (!params.has("code") && !params.has("error")) return Promise.resolve();
    var saved = JSON.parse(sessionStorage.getItem(PKCE) || "{}");
    sessionStorage.removeItem(PKCE);
    history.replaceState(null, "", redirectUri);
    if (params.has("error")) {
      show("登录失败 / login failed: " + (params.get("error_description") || params.get("error")));
      return Promise.resolve();
    }
    if (!saved.verifier || params.get("state") !== saved.state) {
      show("登录失败 / login failed: state mismatch");
      return Promise.resolve();
    }
    return tokenRequest({
      grant_type: "authorization_code", code: params.get("code"), redirect_uri: redirectUri,
      client_id: CLIENT, code_verifier: saved.verifier,
    }).then(function (body) { store(body); show(); })
      .catch(function (error) { show("登录失败 / login failed: " + error.message); });
  }

  function send(params, headers) {
    var token = localStorage.getItem(KEY);
    var sent = Object.assign({}, headers);
    if (token && !sent.Authorization && !sent.authorization) sent.Authorization = "Bearer " + token;
    return fetch(endpoint, { method: "POST", headers: sent, body: JSON.stringify(params), credentials: "omit" });
  }
  function fetcher(params, options) {
    var headers = Object.assign({ "content-type": "application/json" }, (options && options.headers) || {});
    return fresh().then(function () { return send(params, headers); }).then(function (response) {
      if (response.status !== 401 || !localStorage.getItem(REFRESH)) return response.json();
      return refresh().then(function (ok) {
        return ok ? send(params, headers).then(function (r) { return r.json(); }) : response.json();
      });
    });
  }
  function mount() {
    // a new key mounts GraphiQL afresh: it fetches the schema again, with the current token
    mounted += 1;
    root.render(React.createElement(GraphiQL, {
      key: "graphiql-" + mounted, fetcher: fetcher, defaultEditorToolsVisibility: true,
    }));
  }

  input.value = localStorage.getItem(KEY) || "";
  document.getElementById("token-save").addEventListener("click", function () {
    var value = input.value.trim().replace(/^Bearer\s+/i, "");
    localStorage.removeItem(REFRESH);
    if (value) localStorage.setItem(KEY, value); else localStorage.removeItem(KEY);
    show();
    mount();
  });
  document.getElementById("login").addEventListener("click", login);
  document.getElementById("logout").addEventListener("click", logout);
  show();
  // `/graphql?login` (the link the demo prints) starts the login at once
  if (new URLSearchParams(location.search).has("login")) { login(); return; }
  finishLogin().then(function () { input.value = localStorage.getItem(KEY) || ""; mount(); });
})();
