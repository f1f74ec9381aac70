"""The IDE for demo mode and development: GraphiQL served from assets inside this package, so
it works on a network without internet (government networks often have none). People log in from
it with the built-in issuer's authorization-code flow with PKCE (static/ide.js)."""

from __future__ import annotations

from html import escape
from pathlib import Path

from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles

STATIC = Path(__file__).parent / "static"
ASSETS_PATH = "/ide/assets"

PAGE = """<!doctype html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<title>执法网关 GraphQL IDE / Enforcement gateway</title>
<link rel="stylesheet" href="{assets}/graphiql.min.css">
<style>
  body {{ margin: 0; height: 100vh; display: flex; flex-direction: column; font-family: sans-serif; }}
  #token-bar {{ display: flex; gap: 8px; align-items: center; padding: 6px 10px; border-bottom: 1px solid #ddd; }}
  #token {{ flex: 1; font-family: monospace; }}
  #graphiql {{ flex: 1; min-height: 0; }}
</style>
</head>
<body data-endpoint="{endpoint}">
<div id="token-bar">
  <label for="token">访问令牌 / access token</label>
  <input id="token" type="password" autocomplete="off" placeholder="粘贴一次,之后作为 Authorization 头发送 / paste once; sent as the Authorization header">
  <button id="token-save" type="button">保存 / save</button>
  <button id="login" type="button">登录 / log in</button>
  <button id="logout" type="button">退出 / log out</button>
  <span id="token-status"></span>
</div>
<div id="graphiql"></div>
<script src="{assets}/react.production.min.js"></script>
<script src="{assets}/react-dom.production.min.js"></script>
<script src="{assets}/graphiql.min.js"></script>
<script src="{assets}/ide.js"></script>
</body>
</html>
"""


def ide_page(endpoint: str = "/graphql") -> str:
    return PAGE.format(assets=ASSETS_PATH, endpoint=escape(endpoint, quote=True))


async def render_ide(_: Request) -> HTMLResponse:
    return HTMLResponse(ide_page())


def assets_mount() -> Mount:
    return Mount(ASSETS_PATH, app=StaticFiles(directory=STATIC), name="ide-assets")
