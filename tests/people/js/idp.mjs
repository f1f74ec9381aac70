// A real third-party OpenID provider for the tests: node-oidc-provider (OpenID Certified) on a
// loopback port, as a county's unified identity platform would run it. Its access tokens are JWTs
// (RFC 9068) for the gateway's audience, carrying a `staff_id` claim with the person's officer id.
//
// Environment: PORT, REDIRECT_URI (the test client's), ACCOUNTS (JSON {accountId: staffId}).
// The login and consent steps are answered at once (GET /interaction/<uid>?account=<id>): the
// tests drive the protocol, not a login page. Prints "ready <issuer>" when it listens.
import "./shifted-clock.mjs"; // first: make test-future moves this clock too
import { generateKeyPairSync, randomUUID } from "node:crypto";
import http from "node:http";
import Provider from "oidc-provider";

const port = Number(process.env.PORT);
const issuer = `http://127.0.0.1:${port}`;
const accounts = JSON.parse(process.env.ACCOUNTS || "{}");
const RESOURCE = "https://gateway.example.test/graphql";

const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
const signing = { ...privateKey.export({ format: "jwk" }), kid: randomUUID(), alg: "RS256", use: "sig" };

const provider = new Provider(issuer, {
  clients: [
    {
      client_id: "county-app",
      token_endpoint_auth_method: "none",
      redirect_uris: [process.env.REDIRECT_URI],
      grant_types: ["authorization_code", "refresh_token"],
      response_types: ["code"],
    },
  ],
  jwks: { keys: [signing] },
  cookies: { keys: [randomUUID()] },
  pkce: { required: () => true },
  scopes: ["openid", "offline_access", "gateway"],
  features: {
    devInteractions: { enabled: false },
    resourceIndicators: {
      enabled: true,
      defaultResource: () => RESOURCE,
      useGrantedResource: () => true,
      getResourceServerInfo: () => ({
        scope: "gateway",
        audience: "enforcement-gateway",
        accessTokenFormat: "jwt",
        accessTokenTTL: 300,
        jwt: { sign: { alg: "RS256" } },
      }),
    },
  },
  // the county platform's policy: its app may refresh (rotating refresh tokens, public client)
  async issueRefreshToken(ctx, client) {
    return client.grantTypeAllowed("refresh_token");
  },
  async findAccount(ctx, id) {
    return { accountId: id, async claims() { return { sub: id }; } };
  },
  async extraTokenClaims(ctx, token) {
    const staffId = accounts[token.accountId];
    return staffId ? { staff_id: staffId } : undefined;
  },
  interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
});

async function interaction(req, res) {
  const details = await provider.interactionDetails(req, res);
  const url = new URL(req.url, issuer);
  if (details.prompt.name === "login") {
    const accountId = url.searchParams.get("account");
    await provider.interactionFinished(req, res, { login: { accountId } }, { mergeWithLastSubmission: false });
    return;
  }
  const grant = new provider.Grant({ accountId: details.session.accountId, clientId: details.params.client_id });
  const missing = details.prompt.details;
  if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(" "));
  if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
  for (const [indicator, scopes] of Object.entries(missing.missingResourceScopes || {})) {
    grant.addResourceScope(indicator, scopes.join(" "));
  }
  const grantId = await grant.save();
  await provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
}

const callback = provider.callback();
const server = http.createServer((req, res) => {
  if (req.url.startsWith("/interaction/")) {
    interaction(req, res).catch((error) => {
      res.statusCode = 500;
      res.end(String(error));
    });
    return;
  }
  callback(req, res);
});
server.listen(port, "127.0.0.1", () => console.log(`ready ${issuer}`));
process.on("SIGTERM", () => server.close(() => process.exit(0)));
