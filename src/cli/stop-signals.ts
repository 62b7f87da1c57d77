// What SIGINT / SIGTERM mean to the foreground bouncer: the first one stops it gracefully (modules get
// their shutdown hook, e.g. OTR peers their disconnect message), a later one exits at once. A launcher
// forwards the signal it got itself: under `npm start`, Ctrl-C or a service manager's SIGTERM reaches
// node from the terminal or the cgroup and again from npm, within milliseconds. Such a repeat is not
// the user insisting, so it is ignored.
export type SignalMeaning = 'stop' | 'repeat' | 'force';

/** Signals within this many ms of the first are the same request, repeated by a launcher. */
export const REPEAT_MS = 500;

export class StopSignals {
  /** The signal that asked for the stop, once one has. */
  requested: NodeJS.Signals | undefined;
  private at = 0;

  constructor(private readonly now: () => number = () => performance.now()) {}

  meaning(sig: NodeJS.Signals): SignalMeaning {
    if (this.requested === undefined) {
      this.requested = sig;
      this.at = this.now();
      return 'stop';
    }
    return this.now() - this.at < REPEAT_MS ? 'repeat' : 'force';
  }
}
