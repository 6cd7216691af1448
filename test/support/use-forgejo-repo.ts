// The life of a ForgejoRepo in an end-to-end file: made fresh for each test (or once for the
// file), checked after each test for workspaces and processes the hook left, then removed.
import { afterAll, afterEach, beforeAll, beforeEach, expect } from "vitest";
import { createForgejoRepo, type ForgejoRepo } from "./forgejo-repo.js";
import { processesUsing } from "./processes.js";

/**
 * Registers the hooks and returns an accessor for the current test's repository (it throws
 * outside a test). After every test, whatever the test did, no workspace may be left in the
 * hook's temp folder and no process may run there. `perFile` shares one repository between the
 * file's tests, for files whose cases leave it unchanged; `objectFormat` is createForgejoRepo's.
 */
export function useForgejoRepo(
  options: { perFile?: boolean; objectFormat?: "sha1" | "sha256" } = {},
): () => ForgejoRepo {
  let repo: ForgejoRepo | undefined;
  const [setUp, tearDown] = options.perFile ? [beforeAll, afterAll] : [beforeEach, afterEach];

  setUp(async () => {
    repo = await createForgejoRepo({ objectFormat: options.objectFormat });
  });
  // Registered before the check below, so it runs after it (vitest runs after-hooks in reverse).
  tearDown(() => {
    repo?.remove();
    repo = undefined;
  });
  afterEach(() => {
    if (!repo) return;
    expect(repo.leftoverWorkspaces()).toEqual([]);
    expect(processesUsing(repo.hookTmp)).toEqual([]);
  });

  return () => {
    if (!repo) throw new Error("no repository: useForgejoRepo's accessor is for tests only");
    return repo;
  };
}
