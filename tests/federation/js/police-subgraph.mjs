// A partner subgraph written for the tests: a police system (公安) that extends our Case with
// the receipt of a transferred case (行刑衔接) and references our Subject.
// Usage: node police-subgraph.mjs PORT
import { ApolloServer } from "@apollo/server";
import { startStandaloneServer } from "@apollo/server/standalone";
import { buildSubgraphSchema } from "@apollo/subgraph";
import { gql } from "graphql-tag";

const typeDefs = gql`
  extend schema
    @link(url: "https://specs.apollo.dev/federation/v2.5", import: ["@key", "@shareable"])

  type Case @key(fields: "number") {
    number: String!
    "公安受理回执 / the police receipt of the transferred case, if any"
    policeReceipt: PoliceReceipt
  }

  type Subject @key(fields: "code", resolvable: false) {
    code: String!
  }

  type PoliceReceipt {
    receiptNumber: String!
    status: String!
    "涉案主体 / the subject involved, resolved by the enforcement gateway"
    suspect: Subject!
  }

  type Query {
    "受理的移送案件 / case numbers the police received"
    receivedCases: [Case!]!
  }
`;

// Receipts keyed by case number; the test passes them as JSON in RECEIPTS.
const receipts = JSON.parse(process.env.RECEIPTS || "{}");
const seenAuthorization = [];

const resolvers = {
  Query: {
    receivedCases: () => Object.keys(receipts).map((number) => ({ number })),
  },
  Case: {
    __resolveReference: (ref) => ({ number: ref.number }),
    policeReceipt: (c) => {
      const r = receipts[c.number];
      return r ? { receiptNumber: r.receiptNumber, status: r.status, suspect: { code: r.partyCode } } : null;
    },
  },
};

const server = new ApolloServer({ schema: buildSubgraphSchema([{ typeDefs, resolvers }]) });
const port = Number(process.argv[2] || 4001);
const { url } = await startStandaloneServer(server, {
  listen: { port, host: "127.0.0.1" },
  context: async ({ req }) => {
    seenAuthorization.push(req.headers.authorization || null);
    return {};
  },
});
console.log(JSON.stringify({ ready: url }));
