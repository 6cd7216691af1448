// The version written into manifests and shown by --version.
import { readFileSync } from "node:fs";

/** package.json sits one folder up from the sources and two up from dist/daemon. */
function readVersion(): string {
  for (const path of ["../package.json", "../../package.json"]) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(path, import.meta.url), "utf8")) as {
        name?: string;
        version?: string;
      };
      if (pkg.name === "guardrail" && pkg.version) return pkg.version;
    } catch {
      // Not here; try the next place.
    }
  }
  return "unknown";
}

export const GUARDRAIL_VERSION: string = readVersion();
