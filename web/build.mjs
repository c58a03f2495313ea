// Copies GraphiQL's browser files (UMD bundles and CSS of graphiql, react, react-dom) from web/node_modules
// (installed by `npm ci`, pinned by package-lock.json) to api/static/graphiql/, with the licence of every
// package whose code the bundles contain. Run by `make web`; the output is git-ignored.
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const modules = join(here, "node_modules");
const out = join(here, "..", "api", "static", "graphiql");
const FILES = {
  "graphiql/graphiql.min.js": "graphiql.min.js",
  "graphiql/graphiql.min.css": "graphiql.min.css",
  "react/umd/react.production.min.js": "react.production.min.js",
  "react-dom/umd/react-dom.production.min.js": "react-dom.production.min.js",
};

function manifest(name) {
  return JSON.parse(readFileSync(join(modules, name, "package.json"), "utf8"));
}

// graphiql's bundle holds its whole dependency tree and its peer graphql; react and react-dom come as files.
function packagesOf(roots) {
  const seen = new Set();
  const walk = (name) => {
    if (seen.has(name) || !existsSync(join(modules, name, "package.json"))) return;
    seen.add(name);
    const pkg = manifest(name);
    for (const dep of Object.keys(pkg.dependencies || {})) walk(dep);
  };
  roots.forEach(walk);
  return [...seen].sort();
}

function licenceText(name) {
  const dir = join(modules, name);
  const file = readdirSync(dir).find((f) => /^(licen[cs]e|copying)(\.|$)/i.test(f));
  return file ? readFileSync(join(dir, file), "utf8").trim() : `(no licence file shipped; package.json says ${manifest(name).license})`;
}

rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
for (const [from, to] of Object.entries(FILES)) copyFileSync(join(modules, from), join(out, to));
const notices = packagesOf(["graphiql", "graphql", "react", "react-dom"]).map((name) => {
  const pkg = manifest(name);
  return `## ${name} ${pkg.version} (${pkg.license})\n\n${licenceText(name)}\n`;
});
writeFileSync(join(out, "LICENSES.md"),
  "# Licences of the files in this directory\n\nBuilt by web/build.mjs from the npm packages below.\n\n" + notices.join("\n"));
console.log(`GraphiQL: ${Object.keys(FILES).length} files and ${notices.length} licences in ${out}`);
