// Apollo Gateway over a composed supergraph, propagating the caller's Authorization header to
// every subgraph (how a partner router forwards its token to us).
// Usage: node gateway.mjs PORT SUPERGRAPH_FILE
import { readFileSync } from "node:fs";
import { ApolloServer } from "@apollo/server";
import { startStandaloneServer } from "@apollo/server/standalone";
import { ApolloGateway, RemoteGraphQLDataSource } from "@apollo/gateway";
import { parse, print, visit } from "graphql";

// @apollo/gateway refuses a supergraph that links SECURITY features (@authenticated,
// @requiresScopes: only a router enforces them). The subgraph enforces its own rules anyway, so
// this gateway drops them and forwards the token; a GraphOS Router would keep and apply them.
const SECURITY = new Set(["authenticated", "requiresScopes"]);
function withoutSecurityFeatures(sdl) {
  const isSecurityLink = (d) =>
    d.name.value === "link" &&
    d.arguments.some((a) => a.name.value === "for" && a.value.value === "SECURITY");
  return print(
    visit(parse(sdl), {
      Directive: (node) => (SECURITY.has(node.name.value) || isSecurityLink(node) ? null : undefined),
      DirectiveDefinition: (node) => (SECURITY.has(node.name.value) ? null : undefined),
      ScalarTypeDefinition: (node) => (node.name.value.startsWith("requiresScopes__") ? null : undefined),
    }),
  );
}

class AuthorizationForwarding extends RemoteGraphQLDataSource {
  willSendRequest({ request, context }) {
    if (context.authorization) request.http.headers.set("authorization", context.authorization);
  }
}

const gateway = new ApolloGateway({
  supergraphSdl: withoutSecurityFeatures(readFileSync(process.argv[3], "utf8")),
  buildService: ({ url }) => new AuthorizationForwarding({ url }),
});
const server = new ApolloServer({ gateway });
const { url } = await startStandaloneServer(server, {
  listen: { port: Number(process.argv[2]), host: "127.0.0.1" },
  context: async ({ req }) => ({ authorization: req.headers.authorization }),
});
console.log(JSON.stringify({ ready: url }));
