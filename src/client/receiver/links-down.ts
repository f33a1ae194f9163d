import type { Link, LinkEvents } from '../transport/link.js';

/**
 * The receiver's links that are getting a connection back. A person at a terminal hears once when
 * the first goes down and once when the last is back; a link that cannot come back fails the receive.
 */
export class LinksDown {
  private readonly down = new Set<Link>();

  constructor(
    private readonly status: ((message: string) => void) | undefined,
    private readonly running: () => boolean,
    private readonly fail: (error: unknown) => void,
  ) {}

  /** Whether any link is down now. */
  get any(): boolean {
    return this.down.size > 0;
  }

  /** The events for one link (a function: the link may not exist yet when they are made). */
  eventsFor(link: () => Link | null): Omit<LinkEvents, 'lost'> {
    return {
      down: (why) => {
        if (this.down.size === 0) this.status?.(`${why}; reconnecting`);
        this.down.add(link()!);
      },
      up: () => {
        this.down.delete(link()!);
        if (this.down.size === 0 && this.running()) this.status?.('connected again');
      },
      failed: (error) => {
        this.down.delete(link()!);
        this.fail(error);
      },
    };
  }
}
