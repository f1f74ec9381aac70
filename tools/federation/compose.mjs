// Compose subgraph SDLs with Apollo's composition (default) or the Guild's
// (@theguild/federation-composition, what Hive's schema registry and @graphql-mesh/compose-cli run).
// Pinned in package-lock.json; `gateway schema check --supergraph` and the tests run it.
// Usage:
//   node compose.mjs [--guild] NAME=URL=SDL_FILE ...
//     → prints {"errors": [...]} (exit 1) or {"supergraphSdl": "...", "hints": [...]}
//   node compose.mjs --check JOB_FILE
//     JOB_FILE: {"name": N, "url": U, "candidates": {LABEL: SDL_FILE}, "partners": [{name, url, file}]}
//     → prints {LABEL: {"apollo": [{code, message}], "guild": [...]}}: each candidate composed
//       with every partner by both composers (an empty list: it composed)
import { readFileSync } from "node:fs";
import { composeServices as apollo } from "@apollo/composition";
import { composeServices as guild } from "@theguild/federation-composition";
import { parse } from "graphql";

const composers = { apollo, guild };
const service = (name, url, file) => ({ name, url, typeDefs: parse(readFileSync(file, "utf8")) });
const args = process.argv.slice(2);

if (args[0] === "--check") {
  const job = JSON.parse(readFileSync(args[1], "utf8"));
  const partners = job.partners.map((p) => service(p.name, p.url, p.file));
  const report = {};
  for (const [label, file] of Object.entries(job.candidates)) {
    report[label] = {};
    for (const [composer, compose] of Object.entries(composers)) {
      let errors;
      try {
        errors = compose([service(job.name, job.url, file), ...partners]).errors || [];
      } catch (error) {
        errors = [error]; // an SDL that does not parse, or a composer's own failure
      }
      report[label][composer] = errors.map((e) => ({
        code: e.extensions?.code ?? e.code ?? "ERROR",
        message: e.message,
      }));
    }
  }
  console.log(JSON.stringify(report));
} else {
  const useGuild = args[0] === "--guild";
  const services = (useGuild ? args.slice(1) : args).map((arg) => {
    const [name, url, file] = arg.split("=");
    return service(name, url, file);
  });
  const result = (useGuild ? guild : apollo)(services);
  if (result.errors && result.errors.length) {
    console.log(JSON.stringify({ errors: result.errors.map((e) => e.message) }));
    process.exit(1);
  }
  console.log(
    JSON.stringify({
      supergraphSdl: result.supergraphSdl,
      hints: (result.hints || []).map((h) => h.message ?? String(h)),
    }),
  );
}
