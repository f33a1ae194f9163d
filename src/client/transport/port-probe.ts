import { connect as tcpConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { sniFor } from './tls-trust.js';

/** What a port answered a probe with: MQTT or HTTP, plain or over TLS. */
export type PortSpeaks = 'mqtt' | 'mqtts' | 'http' | 'https';

/** An MQTT 3.1.1 CONNECT with a clean session and an empty client id: any MQTT broker answers it with a CONNACK. */
const MQTT_CONNECT = Buffer.from([0x10, 0x0c, 0x00, 0x04, 0x4d, 0x51, 0x54, 0x54, 0x04, 0x02, 0x00, 0x05, 0x00, 0x00]);
const HTTP_REQUEST = (host: string) => Buffer.from(`HEAD / HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`);

type Answer = 'mqtt' | 'http' | 'tls' | null;

/** Reads what `socket` answers to `request` within `ms`: a CONNACK, an HTTP status line, a TLS record, or nothing. */
function answerTo(socket: Socket, request: Buffer, ms: number): Promise<Answer> {
  return new Promise((resolve) => {
    let seen = Buffer.alloc(0);
    const done = (answer: Answer) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(answer);
    };
    const timer = setTimeout(() => done(null), ms);
    socket.on('data', (chunk: Buffer) => {
      seen = Buffer.concat([seen, chunk]).subarray(0, 16);
      if (seen[0] === 0x20) return done('mqtt');
      if (seen[0] === 0x15 || seen[0] === 0x16) return done('tls');
      if (seen.length >= 5) done(seen.subarray(0, 5).toString('latin1') === 'HTTP/' ? 'http' : null);
    });
    socket.on('error', () => done(null));
    socket.on('close', () => done(null));
    socket.write(request);
  });
}

function plain(host: string, port: number, request: Buffer, ms: number): Promise<Answer> {
  return answerTo(tcpConnect({ host, port }), request, ms);
}

/** Over TLS, trusting any certificate: this only asks what the port speaks, and sends nothing secret. */
function overTls(host: string, port: number, request: Buffer, ms: number): Promise<Answer> {
  const socket = tlsConnect({ host, port, ...sniFor(host), rejectUnauthorized: false });
  return answerTo(socket, request, ms);
}

/**
 * What the port at `host:port` speaks, asked plainly and over TLS, with an MQTT CONNECT and an HTTP
 * HEAD, the four at once; the first definite answer, or null when none comes within `ms`. Used
 * only to word a failed connection: the probe sends no credentials.
 */
export function probePort(host: string, port: number, ms = 1500): Promise<PortSpeaks | null> {
  const budget = Math.max(100, ms);
  const plainly = (answer: Answer): PortSpeaks | null => (answer === 'mqtt' || answer === 'http' ? answer : null);
  const securely = (answer: Answer): PortSpeaks | null =>
    answer === 'mqtt' ? 'mqtts' : answer === 'http' ? 'https' : null;
  const asked = [
    plain(host, port, MQTT_CONNECT, budget).then(plainly),
    plain(host, port, HTTP_REQUEST(host), budget).then(plainly),
    overTls(host, port, MQTT_CONNECT, budget).then(securely),
    overTls(host, port, HTTP_REQUEST(host), budget).then(securely),
  ];
  return new Promise((resolve) => {
    let left = asked.length;
    for (const answer of asked)
      void answer.then((speaks) => {
        left -= 1;
        if (speaks !== null || left === 0) resolve(speaks);
      });
  });
}
