/**
 * What is wrong with the daemon right now (a full disk, a state file recovered from its backup),
 * by topic: shown by `ping`, `list` and `describe` until it clears. A topic set again with the
 * same message changes nothing; `onChange` hears each change once (for the daemon log).
 */
export class Health {
  private problems = new Map<string, string>();

  constructor(private readonly onChange: (topic: string, problem: string | null) => void = () => undefined) {}

  set(topic: string, problem: string | null): void {
    const before = this.problems.get(topic) ?? null;
    if (before === problem) return;
    if (problem === null) this.problems.delete(topic);
    else this.problems.set(topic, problem);
    this.onChange(topic, problem);
  }

  has(topic: string): boolean {
    return this.problems.has(topic);
  }

  list(): string[] {
    return [...this.problems.values()];
  }
}
