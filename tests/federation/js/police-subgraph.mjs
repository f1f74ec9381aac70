// A partner subgraph written for the tests: a police system (公安) that extends our Case with
// the receipt of a transferred case (行刑衔接) and references our Subject.
// Usage: node police-subgraph.mjs PORT
import { ApolloServer } from "@apollo/server";
import { startStandaloneServer } from "@apollo/server/standalone";
import { buildSubgraphSchema } from "@apollo/subgraph";
import { gql } from "graphql-tag";

const typeDefs = gql`
  extend schema
    @link(url: "https://specs.apollo.dev/federation/v2.9", import: ["@key", "@shareable"])

  type Case @key(fields: "number") {
    number: String!
    "公安受理回执 / the police receipt of the transferred case, if any"
    policeReceipt: PoliceReceipt
  }

  "涉案主体: 公安的关注标记 / the police's own field on our Subject (keyed as we key it)"
  type Subject @key(fields: "key") {
    "our join key: the credit code, or a person's opaque key (never a masked ID number)"
    key: ID!
    policeWatch: Boolean
  }

  "分页 / the police's own PageInfo, shared with the enforcement graph's"
  type PageInfo @shareable {
    hasNextPage: Boolean!
    endCursor: String
  }

  type ReceiptPage {
    "entity lists typed [Case]!, as docs/partners.md asks: one refused case nulls itself only"
    nodes: [Case]!
    pageInfo: PageInfo!
  }

  type PoliceReceipt {
    receiptNumber: String!
    status: String!
    "涉案主体 / the subject involved, resolved by the enforcement gateway"
    suspect: Subject!
  }

  type Query {
    "受理的移送案件 / case numbers the police received"
    receivedCases: [Case]!
    "按案号 / the cases of these numbers, in order"
    casesByNumber(numbers: [String!]!): [Case]!
    "分页 / received cases, one page"
    receiptPage: ReceiptPage!
  }
`;

// Receipts keyed by case number; the test passes them as JSON in RECEIPTS.
const receipts = JSON.parse(process.env.RECEIPTS || "{}");
const seenAuthorization = [];
// Subject keys the police watch (WATCHED, a JSON list): matched on our key as it reaches them.
const watched = new Set(JSON.parse(process.env.WATCHED || "[]"));

const resolvers = {
  Query: {
    receivedCases: () => Object.keys(receipts).map((number) => ({ number })),
    casesByNumber: (_, { numbers }) => numbers.map((number) => ({ number })),
    receiptPage: () => ({
      nodes: Object.keys(receipts).map((number) => ({ number })),
      pageInfo: { hasNextPage: false, endCursor: null },
    }),
  },
  Subject: {
    __resolveReference: (ref) => ({ key: ref.key }),
    policeWatch: (s) => watched.has(s.key),
  },
  Case: {
    __resolveReference: (ref) => ({ number: ref.number }),
    policeReceipt: (c) => {
      const r = receipts[c.number];
      return r ? { receiptNumber: r.receiptNumber, status: r.status, suspect: { key: r.partyKey } } : null;
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
