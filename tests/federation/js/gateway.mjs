// Apollo Gateway over a composed supergraph, propagating the caller's Authorization header to
// every subgraph (how a partner router forwards its token to us).
// Usage: node gateway.mjs PORT SUPERGRAPH_FILE
import { readFileSync } from "node:fs";
import { ApolloServer } from "@apollo/server";
import { startStandaloneServer } from "@apollo/server/standalone";
import { ApolloGateway, RemoteGraphQLDataSource } from "@apollo/gateway";

class AuthorizationForwarding extends RemoteGraphQLDataSource {
  willSendRequest({ request, context }) {
    if (context.authorization) request.http.headers.set("authorization", context.authorization);
  }
}

const gateway = new ApolloGateway({
  supergraphSdl: readFileSync(process.argv[3], "utf8"),
  buildService: ({ url }) => new AuthorizationForwarding({ url }),
});
const server = new ApolloServer({ gateway });
const { url } = await startStandaloneServer(server, {
  listen: { port: Number(process.argv[2]), host: "127.0.0.1" },
  context: async ({ req }) => ({ authorization: req.headers.authorization }),
});
console.log(JSON.stringify({ ready: url }));
