// Hive Gateway (@graphql-hive/gateway, stock CLI) as a partner runs it: `hive-gateway supergraph
// FILE -c hive-gateway.config.mjs`. It forwards the caller's Authorization header to every
// subgraph. With JWKS_URL set it also validates the bearer token itself (JWT plugin) and enforces
// the supergraph's @authenticated/@requiresScopes against the token's `scope` claim (generic
// auth, granular): the router-side check of GATEWAY_FEDERATION_SECURITY=router, on HTTP and on
// graphql-ws subscriptions alike (docs/partners.md: why the plugins are installed here, in order).
import {
  createRemoteJwksSigningKeyProvider,
  defineConfig,
  extractFromConnectionParams,
  extractFromHeader,
  useJWT,
} from "@graphql-hive/gateway";
import { useGenericAuth } from "@envelop/generic-auth"; // Hive's own, not re-exported by it

const jwt = {
  signingKeyProviders: [createRemoteJwksSigningKeyProvider({ jwksUri: process.env.JWKS_URL })],
  tokenLookupLocations: [
    extractFromHeader({ name: "authorization", prefix: "Bearer" }),
    extractFromConnectionParams({ name: "token" }), // a graphql-ws client's connection_init
  ],
  tokenVerification: {
    algorithms: ["RS256"],
    // TOKEN_CLOCK_OFFSET: the tests run the issuer on a fixed day; Hive checks exp/nbf on it
    get clockTimestamp() {
      return Math.floor(Date.now() / 1000) + Number(process.env.TOKEN_CLOCK_OFFSET || 0);
    },
  },
  reject: { missingToken: false, invalidToken: true },
};
const genericAuth = {
  mode: "protect-granular",
  resolveUserFn: (context) => context.jwt?.payload,
  rejectUnauthenticated: false,
};

// The JWT plugin must build its part of the context before generic auth reads the user from
// it. Hive's own `jwt:` and `genericAuth:` options install generic auth first (runtime plugins
// before the CLI's JWT plugin): over HTTP the JWT plugin still runs first (at request parsing),
// but a graphql-ws operation has no request to parse, so generic auth sees no user, refuses
// `caseEvents` and Hive 2.15.1 then crashes ("undefined is not iterable"). Installed here in
// that order, both work on every transport.
const auth = process.env.JWKS_URL
  ? { plugins: () => [useJWT(jwt), useGenericAuth(genericAuth)] }
  : {};

export const gatewayConfig = defineConfig({
  propagateHeaders: {
    fromClientToSubgraphs: ({ request }) => {
      const authorization = request.headers.get("authorization");
      return authorization ? { authorization } : {};
    },
  },
  logging: "warn",
  // Subscriptions (caseEvents) reach our subgraph over graphql-ws, the token in connection_init.
  transportEntries: {
    enforcement: {
      options: {
        subscriptions: {
          kind: "ws",
          location: "/graphql",
          options: { connectionParams: { token: "{context.connectionParams.token}" } },
        },
      },
    },
  },
  ...auth,
});
