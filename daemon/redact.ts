// Keeping secrets out of /health and /metrics: the alert URLs (a token in the path or query,
// user:password), SSH targets (user, host, folder, key files) and the drill command. Both
// endpoints are often reachable by an uptime checker or a whole network; the log keeps details.
import type { BackupConfig } from "./config.js";

/** Replaces every configured secret found in a text with `***`. */
export type Redact = (text: string) => string;

/** What the public endpoints call each replica target: dir targets by path, ssh ones `ssh-N`. */
export function publicTargetNames(config: BackupConfig): Map<string, string> {
  const names = new Map<string, string>();
  config.resilience.replica.targets.forEach((spec, index) => {
    names.set(spec.label, spec.kind === "ssh" ? `ssh-${index + 1}` : spec.label);
  });
  return names;
}

/** A redactor for the secrets in `config`; longer secrets are replaced first. */
export function redactorFor(config: BackupConfig): Redact {
  const { replica, drill, alerts } = config.resilience;
  const secrets: string[] = [];
  for (const spec of replica.targets) {
    if (spec.kind !== "ssh") continue;
    secrets.push(spec.label, `${spec.user}@${spec.host}`, spec.host, spec.path);
  }
  secrets.push(replica.sshKey ?? "", replica.knownHosts ?? "", drill.command ?? "");
  for (const url of [alerts.heartbeatUrl, alerts.notifyUrl]) {
    if (!url) continue;
    const parsed = new URL(url);
    secrets.push(url, parsed.href, parsed.password, parsed.search, parsed.search.slice(1));
    if (parsed.pathname.length > 1) secrets.push(parsed.pathname);
    if (parsed.username) secrets.push(`${parsed.username}:`, `${parsed.username}@`);
  }
  // Very short strings ("/", "a") would turn every message into stars and hide nothing.
  const list = [...new Set(secrets)].filter((secret) => secret.length >= 3);
  list.sort((a, b) => b.length - a.length);
  return (text) => list.reduce((result, secret) => result.replaceAll(secret, "***"), text);
}
