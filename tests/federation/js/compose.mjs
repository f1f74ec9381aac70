// Compose subgraph SDLs with Apollo's composition (default) or the Guild's
// (@theguild/federation-composition, what Hive's schema registry and @graphql-mesh/compose-cli run).
// Usage: node compose.mjs [--guild] NAME=URL=SDL_FILE ...
//   → prints {"errors": [...]} (exit 1) or {"supergraphSdl": "...", "hints": [...]}
import { readFileSync } from "node:fs";
import { composeServices as apollo } from "@apollo/composition";
import { composeServices as guild } from "@theguild/federation-composition";
import { parse } from "graphql";

const args = process.argv.slice(2);
const useGuild = args[0] === "--guild";
const services = (useGuild ? args.slice(1) : args).map((arg) => {
  const [name, url, file] = arg.split("=");
  return { name, url, typeDefs: parse(readFileSync(file, "utf8")) };
});
const result = (useGuild ? guild : apollo)(services);
if (result.errors && result.errors.length) {
  console.log(JSON.stringify({ errors: result.errors.map((e) => e.message) }));
  process.exit(1);
}
console.log(JSON.stringify({ supergraphSdl: result.supergraphSdl, hints: (result.hints || []).map((h) => h.message ?? String(h)) }));
