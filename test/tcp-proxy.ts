// Test helper: a TCP proxy on 127.0.0.1 in front of a broker, whose link a test can cut.
import { connect, createServer, type Server, type Socket } from 'node:net';

export class TcpProxy {
  private readonly sockets = new Set<Socket>();
  private downUntil = 0;
  cuts = 0;
  /** Connections that have closed, either end. */
  closed = 0;

  private constructor(
    private readonly server: Server,
    readonly port: number,
  ) {}

  static async start(targetPort: number): Promise<TcpProxy> {
    let proxy: TcpProxy | undefined;
    const server = createServer((client) => proxy!.accept(client, targetPort));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    proxy = new TcpProxy(server, (server.address() as { port: number }).port);
    return proxy;
  }

  get url(): string {
    return `mqtt://127.0.0.1:${this.port}`;
  }

  /** Drops every connection now and every new one for `ms` milliseconds, as a network outage would. */
  cut(ms: number): void {
    this.cuts += 1;
    this.downUntil = Date.now() + ms;
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
  }

  /** How much longer the outage lasts, in milliseconds (0: the link is up). */
  downFor(): number {
    return Math.max(0, this.downUntil - Date.now());
  }

  /** Resolves when the outage of the last cut is over: connections go through again. */
  async outageOver(): Promise<void> {
    const left = this.downUntil - Date.now();
    if (left > 0) await new Promise((resolve) => setTimeout(resolve, left));
  }

  close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private accept(client: Socket, targetPort: number): void {
    if (Date.now() < this.downUntil) {
      client.destroy();
      return;
    }
    const upstream = connect({ host: '127.0.0.1', port: targetPort });
    client.once('close', () => (this.closed += 1));
    for (const socket of [client, upstream]) {
      this.sockets.add(socket);
      socket.on('error', () => {});
      socket.on('close', () => {
        this.sockets.delete(socket);
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream);
    upstream.pipe(client);
  }
}
