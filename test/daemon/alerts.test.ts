import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { Alerts, heartbeatUrlFor, type AlertConfig } from "../../daemon/alerts.js";
import { createLogger } from "../../shared/log.js";
import { startHttpRecorder, type HttpRecorder } from "../support/http-recorder.js";
import { freePort } from "../support/free-port.js";

const log = createLogger({ level: "silent" });
let http: HttpRecorder;

beforeEach(async () => (http = await startHttpRecorder()));
afterEach(async () => http.close());

function alerts(overrides: Partial<AlertConfig>): Alerts {
  return new Alerts(
    {
      heartbeatUrl: undefined,
      heartbeatStyle: "healthchecks",
      notifyUrl: undefined,
      timeoutMs: 2000,
      attempts: 3,
      backoffMs: 10,
      ...overrides,
    },
    log,
  );
}

describe("heartbeat", () => {
  it("sends a GET to the URL after a verified backup", async () => {
    const sent = await alerts({ heartbeatUrl: `${http.url}/ping/abc` }).heartbeat(true);
    expect(sent).toBe(true);
    expect(http.requests.map((r) => `${r.method} ${r.url}`)).toEqual(["GET /ping/abc"]);
  });

  it("appends /fail after a failed run in the healthchecks.io style", async () => {
    await alerts({ heartbeatUrl: `${http.url}/ping/abc/` }).heartbeat(false, "snapshot: disk full");
    expect(http.requests.map((r) => `${r.method} ${r.url}`)).toEqual(["GET /ping/abc/fail"]);
  });

  it("sets status=down and a message after a failed run in the Uptime Kuma style", async () => {
    const url = `${http.url}/api/push/tok?status=up&msg=OK&ping=`;
    await alerts({ heartbeatUrl: url, heartbeatStyle: "uptime-kuma" }).heartbeat(false, "corrupt");
    const sent = new URL(http.requests[0]!.url, http.url);
    expect(sent.pathname).toBe("/api/push/tok");
    expect(sent.searchParams.get("status")).toBe("down");
    expect(sent.searchParams.get("msg")).toBe("corrupt");
    expect(heartbeatUrlFor(url, "uptime-kuma", true)).toBe(url);
  });
});

describe("notify", () => {
  it("posts a JSON body saying what failed, when, the error and the host", async () => {
    const sent = await alerts({ notifyUrl: `${http.url}/hook` }).notify(
      "drill",
      new Error("integrity_check failed", { cause: new Error("page 3 is never used") }),
      { db: "/app/data/tasks.db" },
    );
    expect(sent).toBe(true);
    const request = http.requests[0]!;
    expect(request.method).toBe("POST");
    expect(request.headers["content-type"]).toBe("application/json");
    const body = JSON.parse(request.body) as Record<string, unknown>;
    expect(body).toMatchObject({
      event: "drill",
      error: "integrity_check failed: page 3 is never used",
      db: "/app/data/tasks.db",
    });
    expect(typeof body.host).toBe("string");
    expect(Number.isNaN(Date.parse(String(body.at)))).toBe(false);
  });

  it("retries an endpoint that answers with errors and stops at the first success", async () => {
    http.script.push(503, 500);
    const sent = await alerts({ notifyUrl: `${http.url}/hook` }).notify("backup", "boom");
    expect(sent).toBe(true);
    expect(http.requests).toHaveLength(3);
  });

  it("gives up after the configured attempts without throwing when the endpoint is dead", async () => {
    const port = await freePort();
    const result = alerts({ notifyUrl: `http://127.0.0.1:${port}/hook`, attempts: 2 }).notify(
      "replica",
      "target down",
    );
    await expect(result).resolves.toBe(false);
  });

  it("abandons an attempt that gets no answer within the timeout", async () => {
    http.script.push("hang", "hang");
    const result = alerts({ notifyUrl: `${http.url}/hook`, attempts: 2, timeoutMs: 200 }).notify(
      "backup",
      "boom",
    );
    await expect(result).resolves.toBe(false);
    expect(http.requests).toHaveLength(2);
  });

  it("sends nothing when no URL is configured", async () => {
    expect(await alerts({}).notify("backup", "boom")).toBe(true);
    expect(await alerts({}).heartbeat(false)).toBe(true);
    expect(http.requests).toEqual([]);
  });
});
