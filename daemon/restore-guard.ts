// Restore's refusal to replace a database that is in use. Two witnesses: /proc names the
// processes this user can see; SQLite's own lock answers for everyone else (other users, other
// containers sharing the volume). Either one seeing a holder refuses, unless --force.
import type { Logger } from "../shared/log.js";
import { Field } from "../shared/log.js";
import { canSeeOpenFiles, findOpenHolders } from "./open-files.js";
import { RestoreRefusedError, type RestoreTarget } from "./restore-target.js";
import { probeSqliteLock, type LockProbe } from "./sqlite-lock-probe.js";

const STOP_THE_APP =
  "stop the app first (restoring under a running app mixes old and new pages), or pass --force";

/**
 * Throws RestoreRefusedError while another process holds the database, or when neither /proc
 * nor SQLite can tell; with `force` it only logs. Returns one line saying what was checked.
 * Changes no file; the SQLite probe's lock is released when this returns.
 */
export async function refuseIfInUse(
  target: RestoreTarget,
  force: boolean,
  log: Logger,
): Promise<string> {
  const procfs = await canSeeOpenFiles();
  if (!procfs) log.warn({ [Field.db]: target.path }, "restore cannot see open files without /proc");
  const { holders, hidden } = await findOpenHolders(target.companions);
  if (holders.length > 0) {
    const who = holders.map((h) => `${h.command} (pid ${h.pid})`).join(", ");
    if (!force) {
      throw new RestoreRefusedError(`${target.path} is open in ${who}`, { hint: STOP_THE_APP });
    }
    log.warn({ [Field.db]: target.path, holders: who }, "restore forced over open database");
    return `forced: ${target.path} is open in ${who}`;
  }

  const seen = !procfs
    ? "there is no /proc to look in"
    : hidden > 0
      ? `no process visible in /proc has it open (${hidden} processes of other users could not be looked into)`
      : "no process in /proc has it open";
  const probe = await probeSqliteLock(target.path);
  if (probe.state === "in-use") return inUse(target, probe, seen, force, log);
  if (probe.state === "free") return `${seen}; ${probe.why}`;

  if (!force && (!procfs || hidden > 0)) {
    throw new RestoreRefusedError(
      `cannot tell whether ${target.path} is in use: SQLite could not be asked (${probe.reason}), and ${seen}`,
      {
        hint: "make sure the app and anything else using the database are stopped, then pass --force",
      },
    );
  }
  log.warn(
    { [Field.db]: target.path, reason: probe.reason },
    "restore cannot ask sqlite about locks",
  );
  return `${seen}; SQLite could not be asked (${probe.reason})${force ? ", restore forced" : ""}`;
}

function inUse(
  target: RestoreTarget,
  probe: Extract<LockProbe, { state: "in-use" }>,
  seen: string,
  force: boolean,
  log: Logger,
): string {
  const message = `${target.path} is in use: SQLite reports a lock held by another connection (${probe.code}); the holder is unknown, probably another user's or another container's process: ${seen}`;
  if (!force) throw new RestoreRefusedError(message, { hint: STOP_THE_APP });
  log.warn({ [Field.db]: target.path, reason: probe.code }, "restore forced over locked database");
  return `forced: ${message}`;
}
