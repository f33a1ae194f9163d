/**
 * Connections the broker has not accepted yet, in all and by source address: past either limit a
 * new connection is closed at once, so strangers cannot hold the broker's memory or its password
 * checks, and one address cannot take every place.
 */
export class PendingLogins {
  private total = 0;
  private readonly byAddress = new Map<string, number>();

  constructor(
    private readonly maxTotal = 1024,
    /** A fleet behind one NAT address, reconnecting at once to a busy broker, needs room too. */
    private readonly maxPerAddress = 256,
  ) {}

  /** Takes a place for a new connection from `address`; false when it is to be closed. */
  enter(address: string): boolean {
    const fromAddress = this.byAddress.get(address) ?? 0;
    if (this.total >= this.maxTotal || fromAddress >= this.maxPerAddress) return false;
    this.total += 1;
    this.byAddress.set(address, fromAddress + 1);
    return true;
  }

  /** Gives a connection's place back: accepted, or closed. */
  leave(address: string): void {
    this.total -= 1;
    const fromAddress = (this.byAddress.get(address) ?? 1) - 1;
    if (fromAddress === 0) this.byAddress.delete(address);
    else this.byAddress.set(address, fromAddress);
  }
}
