// Hive Gateway (@graphql-hive/gateway, stock CLI) as a partner runs it: `hive-gateway supergraph
// FILE -c hive-gateway.config.mjs`. It forwards the caller's Authorization header to every
// subgraph. With JWKS_URL set it also validates the bearer token itself (JWT plugin) and enforces
// the supergraph's @authenticated/@requiresScopes against the token's `scope` claim (generic
// auth, granular): the router-side check of GATEWAY_FEDERATION_SECURITY=router.
import {
  createRemoteJwksSigningKeyProvider,
  defineConfig,
  extractFromConnectionParams,
  extractFromHeader,
} from "@graphql-hive/gateway";

const auth = process.env.JWKS_URL
  ? {
      jwt: {
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
      },
      genericAuth: {
        mode: "protect-granular",
        resolveUserFn: (context) => context.jwt?.payload,
        rejectUnauthenticated: false,
      },
    }
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
