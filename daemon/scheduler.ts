// Deciding when to run: node-cron ticks, plus a watchdog that catches up what node-cron drops.
//
// node-cron skips a run that fires late (a paused container, a clock jump, a busy event loop)
// and follows instants, not wall-clock times, across daylight-saving changes. So each tick only
// asks "is a slot due that no backup covers yet?" (see schedule.ts), and the same question is
// asked on start and by a watchdog every minute. A slot counts as covered by a good backup
// taken at or after it, or by a run already attempted for it: a failed run is not retried
// until the next slot, so a broken database does not mean a backup loop.
import cron, { type ScheduledTask } from "node-cron";
import { Field, type Logger } from "../shared/log.js";
import { nextSlot, previousSlot, slotsBetween, type Slot } from "./schedule.js";

export interface SchedulerOptions {
  schedule: string;
  timeZone: string;
  logger: Logger;
  /** When the newest verified backup was taken (undefined when there is none). */
  lastGood: () => Promise<Date | undefined>;
  /** Starts a backup; resolves when it ends. Not called while one runs. */
  run: (reason: string, slot: Slot | undefined) => Promise<void>;
  /** Whether a backup is running now (the daemon may run one outside the schedule). */
  busy: () => boolean;
  /** The clock, replaceable in tests. */
  now?: () => Date;
  watchdogMs?: number;
}

export class Scheduler {
  private task: ScheduledTask | undefined;
  private watchdog: NodeJS.Timeout | undefined;
  /** The local minute of the last slot handled (run, covered or skipped). */
  private handled: string | undefined;
  private readonly now: () => Date;
  private cursor: { time: Date; slot: Slot | undefined } | undefined;
  private next: Date | undefined;

  constructor(private readonly options: SchedulerOptions) {
    this.now = options.now ?? (() => new Date());
  }

  /** Starts the cron task and the watchdog, and catches up at once if a slot was missed. */
  start(): Promise<void> {
    const { schedule, timeZone } = this.options;
    this.task = cron.schedule(schedule, () => this.check("tick"), { timezone: timeZone });
    this.watchdog = setInterval(
      () => void this.check("catch-up"),
      this.options.watchdogMs ?? 60_000,
    );
    return this.check("start");
  }

  stop(): void {
    void this.task?.destroy();
    clearInterval(this.watchdog);
  }

  /** The next run, for /health; cached until it has passed (rare schedules scan far). */
  nextRun(): Date | undefined {
    const now = this.now();
    if (!this.next || this.next <= now) {
      this.next = nextSlot(this.options.schedule, this.options.timeZone, now)?.at;
    }
    return this.next;
  }

  /**
   * The latest slot at or before `now`. Checks come every minute, so after the first full look
   * back only the minutes since the previous check are scanned; a clock that went backwards or
   * jumped far gets a full look back.
   */
  private latestSlot(now: Date): Slot | undefined {
    const { schedule, timeZone } = this.options;
    const cursor = this.cursor;
    let slot: Slot | undefined;
    if (cursor && now >= cursor.time && now.getTime() - cursor.time.getTime() < 86_400_000) {
      slot = slotsBetween(schedule, timeZone, cursor.time, now).at(-1) ?? cursor.slot;
    } else {
      slot = previousSlot(schedule, timeZone, now);
    }
    this.cursor = { time: now, slot };
    return slot;
  }

  /** Runs a backup when a slot is due and not yet covered. Never throws. */
  async check(reason: string): Promise<void> {
    const { logger } = this.options;
    try {
      const now = this.now();
      const slot = this.latestSlot(now);
      const lastGood = await this.options.lastGood();
      // With no backup at all, a new install backs up at once rather than at the next slot.
      const due = lastGood === undefined || (slot !== undefined && lastGood < slot.at);
      if (!due || (slot !== undefined && slot.local === this.handled)) {
        if (reason === "tick")
          logger.debug({ slot: slot?.local }, "tick skipped: slot already covered");
        return;
      }
      if (this.options.busy()) {
        logger.info({ slot: slot?.local, reason }, "tick skipped: a backup is running");
        if (slot) this.handled = slot.local;
        return;
      }
      if (slot) this.handled = slot.local;
      if (reason !== "tick")
        logger.info({ slot: slot?.local, reason }, "catching up a missed backup");
      await this.options.run(reason, slot);
    } catch (error) {
      logger.error({ [Field.err]: error }, "scheduler check failed");
    }
  }
}
