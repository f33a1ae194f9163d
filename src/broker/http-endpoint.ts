import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';

export interface HttpEndpoint {
  url: string;
  close(): Promise<void>;
}

/**
 * The broker's HTTP endpoint for operators: `/healthz` (200 `ok` while it serves, 503 with the
 * problem in one line once it is stopping or cannot store) and `/metrics` in the Prometheus text
 * format. `problem` says what is wrong, null for nothing.
 */
export async function openHttpEndpoint(
  host: string,
  port: number,
  registry: Registry,
  problem: () => string | null,
): Promise<HttpEndpoint> {
  const server: Server = createServer((request, response) => {
    const path = new URL(request.url ?? '/', 'http://broker').pathname;
    if (path === '/healthz') {
      const wrong = problem();
      response.writeHead(wrong === null ? 200 : 503, { 'content-type': 'text/plain' }).end(`${wrong ?? 'ok'}\n`);
    } else if (path === '/metrics') {
      registry.metrics().then(
        (text) => response.writeHead(200, { 'content-type': registry.contentType }).end(text),
        (error: Error) => response.writeHead(500, { 'content-type': 'text/plain' }).end(`${error.message}\n`),
      );
    } else {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('not found: try /healthz or /metrics\n');
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  }).catch((error: NodeJS.ErrnoException) => {
    throw new Error(
      `cannot listen for http on ${host}:${port}: ${error.code === 'EADDRINUSE' ? 'the port is in use' : error.message}`,
    );
  });
  const bound = (server.address() as AddressInfo).port;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${bound}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
