// Stock Apollo Gateway, as a partner runs it, propagating the caller's Authorization header to
// every subgraph (how a partner router forwards its token to us). No edits to the supergraph.
// Usage: node gateway.mjs PORT SUPERGRAPH_FILE      (a static supergraph)
//        node gateway.mjs PORT NAME=URL ...         (IntrospectAndCompose: fetches each `_service`)
// SUBGRAPH_TOKEN: the bearer token IntrospectAndCompose sends to fetch the SDLs.
import { readFileSync } from "node:fs";
import { ApolloServer } from "@apollo/server";
import { startStandaloneServer } from "@apollo/server/standalone";
import { ApolloGateway, IntrospectAndCompose, RemoteGraphQLDataSource } from "@apollo/gateway";

class AuthorizationForwarding extends RemoteGraphQLDataSource {
  willSendRequest({ request, context }) {
    const authorization = context.authorization ?? (process.env.SUBGRAPH_TOKEN ? `Bearer ${process.env.SUBGRAPH_TOKEN}` : undefined);
    if (authorization) request.http.headers.set("authorization", authorization);
  }
}

const [port, ...rest] = process.argv.slice(2);
const buildService = ({ url }) => new AuthorizationForwarding({ url });
const gateway = rest[0].includes("=")
  ? new ApolloGateway({
      supergraphSdl: new IntrospectAndCompose({
        subgraphs: rest.map((arg) => {
          const [name, ...url] = arg.split("=");
          return { name, url: url.join("=") };
        }),
      }),
      buildService,
    })
  : new ApolloGateway({ supergraphSdl: readFileSync(rest[0], "utf8"), buildService });
const server = new ApolloServer({ gateway });
const { url } = await startStandaloneServer(server, {
  listen: { port: Number(port), host: "127.0.0.1" },
  context: async ({ req }) => ({ authorization: req.headers.authorization }),
});
console.log(JSON.stringify({ ready: url }));
