/**
 * The code actions running now and the reply text each has streamed so far: the edit review shows it as the
 * model's explanation. Pure (no vscode import), unit-tested.
 *
 * Each action sends a `clientToken` the server echoes in its deltas. For a server that does not echo it, a
 * delta without a token goes to the action that already owns its reply, else to the oldest action that has
 * no reply yet (a chat started in the same instant could be taken for it; the token removes even that).
 */

import type { DeltaNotification } from "./protocol";

export type Decision = "accepted" | "discarded";

export interface ActionRun {
  readonly token: string;
  messageId: string | undefined;
  text: string;
  /** What the user did with the edit the action proposed, once reviewed. */
  decision: Decision | undefined;
}

export class ActionRuns {
  private readonly runs: ActionRun[] = [];
  private readonly listeners = new Set<(run: ActionRun) => void>();
  private counter = 0;

  /** Start tracking an action; `token` goes into its command arguments as `clientToken`. */
  begin(random: string = Math.random().toString(36).slice(2)): ActionRun {
    this.counter += 1;
    const run: ActionRun = { token: `action-${this.counter}-${random}`, messageId: undefined, text: "", decision: undefined };
    this.runs.push(run);
    return run;
  }

  end(run: ActionRun): void {
    const index = this.runs.indexOf(run);
    if (index >= 0) {
      this.runs.splice(index, 1);
    }
  }

  /** Called with every run whose text grew. */
  onText(listener: (run: ActionRun) => void): { dispose(): void } {
    this.listeners.add(listener);
    return { dispose: () => this.listeners.delete(listener) };
  }

  /** Route a delta to its action (if any). */
  accept(delta: DeltaNotification): ActionRun | undefined {
    const run = this.owner(delta);
    if (!run) {
      return undefined;
    }
    run.messageId = delta.messageId;
    if (delta.content) {
      run.text += delta.content;
      for (const listener of this.listeners) {
        listener(run);
      }
    }
    return run;
  }

  private owner(delta: DeltaNotification): ActionRun | undefined {
    if (delta.clientToken) {
      return this.runs.find((run) => run.token === delta.clientToken);
    }
    return this.runs.find((run) => run.messageId === delta.messageId)
      ?? this.runs.find((run) => run.messageId === undefined);
  }

  /**
   * The run a proposed edit comes from: the server sends it after the reply is complete, while the command
   * still runs, so it is the latest run with a finished reply (else the latest run).
   */
  forEdit(): ActionRun | undefined {
    const running = [...this.runs].reverse();
    return running.find((run) => run.text !== "") ?? running[0];
  }
}
