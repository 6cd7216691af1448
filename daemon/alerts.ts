// Telling someone: a heartbeat GET after each verified backup (and its failure variant after a
// failed one), and a JSON POST for every failed backup, replica or drill. Endpoints are outside
// our control, so every call has a deadline and bounded retries, and nothing here ever throws.
import { hostname } from "node:os";
import { describeError } from "../shared/errors.js";
import { Field, type Logger } from "../shared/log.js";

/** healthchecks.io: `<url>/fail` on failure. Uptime Kuma push: `<url>?status=down` on failure. */
export type HeartbeatStyle = "healthchecks" | "uptime-kuma";

export interface AlertConfig {
  heartbeatUrl: string | undefined;
  heartbeatStyle: HeartbeatStyle;
  notifyUrl: string | undefined;
  /** Deadline of one HTTP attempt. */
  timeoutMs: number;
  /** Attempts per message, the first included. */
  attempts: number;
  /** Wait before the second attempt; doubled before each later one. */
  backoffMs: number;
}

export type AlertEvent = "backup" | "replica" | "drill";

/** The two ways of telling someone: the heartbeat GET and the notification POST. */
export type AlertKind = "heartbeat" | "notify";

/** Told the outcome of every alert once its attempts are over; for /health and /metrics. */
export type DeliveryListener = (kind: AlertKind, ok: boolean, problem?: string) => void;

/** The JSON body POSTed to BACKUP_NOTIFY_URL. */
export interface Notification {
  event: AlertEvent;
  /** When it failed (ISO 8601). */
  at: string;
  error: string;
  host: string;
  /** The database, file, target, step or hint concerned, when known. */
  [detail: string]: unknown;
}

/** The URL to GET for a heartbeat, following the style's convention for failures. */
export function heartbeatUrlFor(url: string, style: HeartbeatStyle, ok: boolean, error?: string) {
  if (ok) return url;
  const parsed = new URL(url);
  if (style === "healthchecks") {
    parsed.pathname = `${parsed.pathname.replace(/\/+$/, "")}/fail`;
  } else {
    parsed.searchParams.set("status", "down");
    parsed.searchParams.set("msg", (error ?? "backup failed").slice(0, 200));
  }
  return parsed.toString();
}

export class Alerts {
  constructor(
    private readonly config: AlertConfig,
    private readonly log: Logger,
    private readonly onDelivery: DeliveryListener = () => {},
  ) {}

  /** Pings the heartbeat URL (if set) for a finished run; true when it was delivered. */
  async heartbeat(ok: boolean, error?: string): Promise<boolean> {
    const { heartbeatUrl, heartbeatStyle } = this.config;
    if (!heartbeatUrl) return true;
    const url = heartbeatUrlFor(heartbeatUrl, heartbeatStyle, ok, error);
    return this.deliver("heartbeat", url, { method: "GET" });
  }

  /** POSTs a failure notification (if a URL is set); true when it was delivered. */
  async notify(event: AlertEvent, error: unknown, details: Record<string, unknown> = {}) {
    if (!this.config.notifyUrl) return true;
    const body: Notification = {
      event,
      at: new Date().toISOString(),
      error: typeof error === "string" ? error : describeError(error),
      host: hostname(),
      ...details,
    };
    return this.deliver("notify", this.config.notifyUrl, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    });
  }

  /** Sends with retries; a 2xx is delivered, anything else (or no answer) is retried. */
  private async deliver(kind: AlertKind, url: string, init: RequestInit): Promise<boolean> {
    const { attempts, backoffMs, timeoutMs } = this.config;
    const target = new URL(url).host;
    let problem = "";
    const request = withBasicAuth(url, init);
    for (let attempt = 1; attempt <= attempts; attempt++) {
      try {
        const response = await fetch(request.url, {
          ...request.init,
          signal: AbortSignal.timeout(timeoutMs),
        });
        await response.body?.cancel();
        if (response.ok) {
          this.onDelivery(kind, true);
          return true;
        }
        problem = `HTTP ${response.status}`;
      } catch (error) {
        // An endpoint that accepts and never answers: say so rather than "operation aborted".
        const timedOut = error instanceof DOMException && error.name === "TimeoutError";
        problem = timedOut ? `no answer within ${timeoutMs} ms` : describeError(error);
      }
      this.log.warn({ kind, [Field.target]: target, attempt, problem }, "alert delivery failed");
      if (attempt < attempts) {
        await new Promise((done) => setTimeout(done, backoffMs * 2 ** (attempt - 1)));
      }
    }
    this.log.error({ kind, [Field.target]: target, attempts, problem }, "alert given up");
    this.onDelivery(kind, false, `${problem} (${attempts} attempts)`);
    return false;
  }
}

/**
 * fetch() refuses a URL with `user:password@`; endpoints behind basic auth take it as a header.
 */
function withBasicAuth(url: string, init: RequestInit): { url: string; init: RequestInit } {
  const parsed = new URL(url);
  if (!parsed.username && !parsed.password) return { url, init };
  const user = decodeURIComponent(parsed.username);
  const password = decodeURIComponent(parsed.password);
  parsed.username = parsed.password = "";
  const authorization = `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`;
  return {
    url: parsed.toString(),
    init: { ...init, headers: { ...(init.headers as Record<string, string>), authorization } },
  };
}
