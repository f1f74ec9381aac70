// The gateway's IDE: GraphiQL from locally served assets, with an access token pasted once,
// kept in this browser's localStorage and sent as the Authorization header.
(function () {
  var KEY = "enforcement-gateway.token";
  var input = document.getElementById("token");
  var status = document.getElementById("token-status");
  input.value = localStorage.getItem(KEY) || "";
  function show() {
    status.textContent = localStorage.getItem(KEY) ? "令牌已保存 / token saved" : "未设置令牌 / no token";
  }
  document.getElementById("token-save").addEventListener("click", function () {
    var value = input.value.trim().replace(/^Bearer\s+/i, "");
    if (value) localStorage.setItem(KEY, value); else localStorage.removeItem(KEY);
    show();
  });
  show();

  var endpoint = document.body.getAttribute("data-endpoint");
  function fetcher(params, options) {
    var headers = Object.assign({ "content-type": "application/json" }, (options && options.headers) || {});
    var token = localStorage.getItem(KEY);
    if (token && !headers.Authorization && !headers.authorization) headers.Authorization = "Bearer " + token;
    return fetch(endpoint, { method: "POST", headers: headers, body: JSON.stringify(params), credentials: "omit" })
      .then(function (response) { return response.json(); });
  }
  var root = ReactDOM.createRoot(document.getElementById("graphiql"));
  root.render(React.createElement(GraphiQL, { fetcher: fetcher, defaultEditorToolsVisibility: true }));
})();
