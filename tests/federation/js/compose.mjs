// Compose subgraph SDLs with Apollo's own composition library.
// Usage: node compose.mjs NAME=URL=SDL_FILE ...   → prints {"errors": [...]} or {"supergraphSdl": "..."}
import { readFileSync } from "node:fs";
import { composeServices } from "@apollo/composition";
import { parse } from "graphql";

const services = process.argv.slice(2).map((arg) => {
  const [name, url, file] = arg.split("=");
  return { name, url, typeDefs: parse(readFileSync(file, "utf8")) };
});
const result = composeServices(services);
if (result.errors && result.errors.length) {
  console.log(JSON.stringify({ errors: result.errors.map((e) => e.message) }));
  process.exit(1);
}
console.log(JSON.stringify({ supergraphSdl: result.supergraphSdl, hints: (result.hints || []).map((h) => h.message) }));
