// Hive Gateway's own demand control (the `demandControl` option of @graphql-hive/gateway-runtime,
// the IBM cost directive algorithm) estimating the cost of operations over a supergraph, in
// process: no subgraph is called (maxCost 0 refuses every costed fetch before it goes out; a
// free one fails against the unreachable subgraph URL, its estimate still reported).
// Usage: node demand-cost.mjs SUPERGRAPH_FILE OPERATIONS_JSON (a list of query strings or
// {query, variables})  → prints [estimate, ...]
import { readFileSync } from "node:fs";
import { createGatewayRuntime } from "@graphql-hive/gateway-runtime";

const [supergraphFile, operationsFile] = process.argv.slice(2);
const gateway = createGatewayRuntime({
  supergraph: readFileSync(supergraphFile, "utf8"),
  demandControl: { maxCost: 0, includeExtensionMetadata: true },
  logging: false,
});
const estimates = [];
for (const operation of JSON.parse(readFileSync(operationsFile, "utf8"))) {
  const { query, variables } = typeof operation === "string" ? { query: operation } : operation;
  const response = await gateway.fetch("http://gateway/graphql", {
    method: "POST",
    headers: { "content-type": "application/json", accept: "application/json" },
    body: JSON.stringify({ query, variables }),
  });
  const answer = await response.json();
  const cost =
    answer.extensions?.cost?.estimated ??
    (answer.errors || []).map((e) => e.extensions?.cost?.estimated).find((c) => c !== undefined);
  const invalid = (answer.errors || []).some((e) => e.extensions?.code === "GRAPHQL_VALIDATION_FAILED");
  estimates.push(invalid || cost === undefined ? { error: answer.errors } : cost);
}
await gateway.dispose();
console.log(JSON.stringify(estimates));
