// Fails when src/api/generated/schema.d.ts differs from what `npm run generate` would produce from openapi.json.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const committed = "src/api/generated/schema.d.ts";
const dir = mkdtempSync(join(tmpdir(), "adpilot-schema-"));
const fresh = join(dir, "schema.d.ts");
try {
  execFileSync("npx", ["--no-install", "openapi-typescript", "openapi.json", "-o", fresh], { stdio: "inherit" });
  const a = readFileSync(committed, "utf8");
  const b = readFileSync(fresh, "utf8");
  if (a !== b) {
    console.error(`\n${committed} is out of date with openapi.json. Run \`npm run generate\` and commit the result.`);
    try {
      execFileSync("diff", ["-u", committed, fresh], { stdio: "inherit" });
    } catch {
      // diff exits 1 when files differ; its output is already printed.
    }
    process.exitCode = 1;
  } else {
    console.log(`${committed} is up to date.`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
