import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';

export interface HttpEndpoint {
  url: string;
  close(): Promise<void>;
}

/**
 * The broker's HTTP endpoint for operators: `/healthz` (200 while it serves, 503 once it is
 * stopping) and `/metrics` in the Prometheus text format.
 */
export async function openHttpEndpoint(
  host: string,
  port: number,
  registry: Registry,
  serving: () => boolean,
): Promise<HttpEndpoint> {
  const server: Server = createServer((request, response) => {
    const path = new URL(request.url ?? '/', 'http://broker').pathname;
    if (path === '/healthz') {
      const ok = serving();
      response.writeHead(ok ? 200 : 503, { 'content-type': 'text/plain' }).end(ok ? 'ok\n' : 'stopping\n');
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
