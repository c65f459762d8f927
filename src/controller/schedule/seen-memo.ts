// What this process has already reported per schedule. Decisions such as
// "this instant was missed" or "this run waits for the earlier one" are
// reached again on every reconcile until the world changes; the event and the
// metric should come once. A restart forgets, and reports once more.

/** Tokens kept per schedule; older ones are forgotten first. */
const perSchedule = 64;

export class SeenMemo {
  private readonly seen = new Map<string, string[]>();

  /** True the first time token is offered for schedule (until it is forgotten). */
  first(schedule: string, token: string): boolean {
    const tokens = this.seen.get(schedule) ?? [];
    if (tokens.includes(token)) return false;
    tokens.push(token);
    if (tokens.length > perSchedule) tokens.shift();
    this.seen.set(schedule, tokens);
    return true;
  }

  forget(schedule: string): void {
    this.seen.delete(schedule);
  }
}
