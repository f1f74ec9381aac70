// Headless Chromium (Debian's, driven by playwright-core) logs into the gateway's IDE with the
// built-in login (authorization code + PKCE) and runs a query. Prints one JSON line with what it
// saw; the Python test (tests/ide/test_browser.py) judges it.
//
// Environment: IDE_URL (…/graphql), LOGIN_USER, LOGIN_PASSWORD, QUERY, CHROMIUM (executable).
import { chromium } from "playwright-core";

const { IDE_URL, LOGIN_USER, LOGIN_PASSWORD, QUERY } = process.env;
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  headless: true,
  args: ["--no-sandbox", "--disable-dev-shm-usage"],
});
const seen = { steps: [] };
const page = await browser.newPage();
try {
  page.setDefaultTimeout(90000);  // a loaded CI machine renders GraphiQL slowly
  await page.goto(IDE_URL + "?login");  // the link the demo prints goes straight to the login
  await page.waitForURL(/\/oauth\/authorize\?.*code_challenge_method=S256/);
  seen.steps.push("login-link");
  await page.goto(IDE_URL);
  await page.waitForSelector(".graphiql-container");
  seen.before = await page.textContent("#token-status");
  seen.steps.push("ide");

  await page.click("#login");
  await page.waitForURL(/\/oauth\/authorize\?/);
  seen.steps.push("login-form");
  await page.fill("#password", "wrong-password");
  await page.fill("#username", LOGIN_USER);
  await page.click("#login");
  seen.wrongPassword = await page.textContent("#login-error");
  await page.fill("#username", LOGIN_USER);
  await page.fill("#password", LOGIN_PASSWORD);
  await page.click("#login");
  await page.waitForURL((url) => url.pathname.endsWith("/graphql") && !url.search);
  await page.waitForFunction(() => document.getElementById("token-status").textContent.includes("已登录"));
  seen.after = await page.textContent("#token-status");
  seen.steps.push("signed-in");

  // The Docs panel after the login, without a reload: the schema was fetched again with the token.
  await page.click('[aria-label="Show Documentation Explorer"]');
  await page.waitForSelector(".graphiql-doc-explorer");
  await page.waitForFunction(() => {
    const docs = document.querySelector(".graphiql-doc-explorer").textContent;
    return docs.includes("Query") || docs.includes("Error fetching schema");
  });
  seen.docs = await page.textContent(".graphiql-doc-explorer");
  seen.steps.push("docs");

  // Run a query: put it in the editor's storage and reload (the login stays in localStorage).
  // Stored by an init script of the new document, before GraphiQL reads it: a value stored
  // from the old page could be overwritten by the editor saving its own text as it unloads.
  await page.addInitScript((query) => localStorage.setItem("graphiql:query", query), QUERY);
  await page.reload();
  await page.waitForFunction(() => document.getElementById("token-status").textContent.includes("已登录"));
  // the editor holds the stored query before it is run
  await page.waitForFunction(() => {
    const editor = document.querySelector(".graphiql-query-editor");
    return editor && editor.textContent.includes("totalCount");
  });
  const answered = page.waitForResponse(
    (r) => r.url().endsWith("/graphql") && (r.request().postData() || "").includes("totalCount"),
  );
  await page.click(".graphiql-execute-button");
  seen.answer = await (await answered).json();  // what the IDE received…
  await page.waitForFunction(() => {
    const result = document.querySelector(".result-window");
    return result && result.textContent.includes("totalCount");
  });
  seen.result = await page.textContent(".result-window");  // …and shows
  seen.steps.push("query");
} catch (error) {
  seen.error = String(error);
  // Where it stopped: what the editor, the editor's storage and the login status held.
  seen.at = await page
    .evaluate(() => ({
      editor: document.querySelector(".graphiql-query-editor")?.textContent?.slice(0, 300),
      stored: localStorage.getItem("graphiql:query"),
      status: document.getElementById("token-status")?.textContent,
    }))
    .catch((e) => String(e));
} finally {
  await browser.close();
}
console.log(JSON.stringify(seen));
