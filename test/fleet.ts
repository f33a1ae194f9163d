// A fleet of stock MQTT.js clients with persistent sessions, as boxes in the field run them: each
// reconnects by itself, and the fleet records when each one is back and what the broker said.
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import mqtt from 'mqtt';

/** One box: its client, and when (ms after `since`) its latest CONNACK came. */
interface Box {
  client: mqtt.MqttClient;
  backAt: number | null;
  sessionPresent: boolean;
}

/** What a fleet saw since `since()`: the broker's refusals by return code, and connections closed unanswered. */
export interface FleetCounts {
  refusedByCode: Map<number, number>;
  closedUnanswered: number;
}

export interface FleetFigures extends FleetCounts {
  /** From `since()` until the last box was back. */
  allBackMs: number;
  p50Ms: number;
  p99Ms: number;
  /** Boxes whose CONNACK said their session was still there. */
  sessionsKept: number;
  peakRssMiB: number;
}

/** The soft limit on open files: each box costs this process two (its socket and the broker's end). */
export function openFilesLimit(): number {
  const line = readFileSync('/proc/self/limits', 'utf8')
    .split('\n')
    .find((row) => row.startsWith('Max open files'));
  const soft = line?.split(/\s{2,}/)[1];
  return soft === undefined || soft === 'unlimited' ? Infinity : Number(soft);
}

export class Fleet {
  private readonly boxes: Box[] = [];
  private start = performance.now();
  private counts: FleetCounts = { refusedByCode: new Map(), closedUnanswered: 0 };
  private peakRss = 0;
  private readonly rssSampler = setInterval(() => this.sampleRss(), 100);
  private waiter: (() => void) | null = null;

  /**
   * Starts `size` boxes against `url`; box `i` logs in as `userOf(i)` with `passwordOf(user)` and
   * client id `box-i`. Like a real fleet, boxes reconnect every second or so, each at its own
   * period between 800 and 1200 ms (MQTT.js has no jitter of its own), and also after a refused
   * CONNACK: MQTT.js gives up on one unless told otherwise.
   */
  constructor(
    url: string,
    size: number,
    userOf: (index: number) => string,
    passwordOf: (user: string) => string = (user) => `${user} secret`,
  ) {
    for (let index = 0; index < size; index++) {
      const user = userOf(index);
      const client = mqtt.connect(url, {
        protocolVersion: 4,
        clientId: `box-${index}`,
        clean: false,
        username: user,
        password: passwordOf(user),
        reconnectPeriod: 800 + Math.floor(Math.random() * 400),
        reconnectOnConnackError: true,
        connectTimeout: 30_000,
        keepalive: 60,
      });
      const box: Box = { client, backAt: null, sessionPresent: false };
      let answered = false;
      client.on('connect', (connack) => {
        answered = true;
        box.backAt = performance.now() - this.start;
        box.sessionPresent = connack.sessionPresent;
        if (this.waiter !== null && this.connected === this.boxes.length) this.waiter();
      });
      client.on('error', (error) => {
        const code = (error as Error & { code?: unknown }).code;
        if (typeof code !== 'number') return;
        answered = true;
        this.counts.refusedByCode.set(code, (this.counts.refusedByCode.get(code) ?? 0) + 1);
      });
      client.on('close', () => {
        if (!answered) this.counts.closedUnanswered += 1;
        answered = false;
      });
      this.boxes.push(box);
    }
  }

  get connected(): number {
    return this.boxes.filter((box) => box.client.connected).length;
  }

  /** Starts counting afresh: the figures are from now on, and only boxes that connect after now count as back. */
  since(): void {
    this.start = performance.now();
    this.counts = { refusedByCode: new Map(), closedUnanswered: 0 };
    this.peakRss = 0;
    for (const box of this.boxes) box.backAt = null;
  }

  /** Resolves once every box is connected; fails after `withinMs` with how many were. */
  allConnected(withinMs: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiter = null;
        reject(new Error(`${this.connected} of ${this.boxes.length} boxes connected after ${withinMs} ms`));
      }, withinMs);
      this.waiter = () => {
        clearTimeout(timer);
        this.waiter = null;
        resolve();
      };
      if (this.connected === this.boxes.length) this.waiter();
    });
  }

  /** Subscribes each box (QoS 1) to the topic `topicOf` names for it: its session then holds something. */
  subscribeEach(topicOf: (index: number) => string): Promise<void> {
    return Promise.all(this.boxes.map((box, index) => box.client.subscribeAsync(topicOf(index), { qos: 1 }))).then(
      (grants) => {
        const refused = grants.flat().filter((grant) => grant.qos !== 1).length;
        if (refused > 0) throw new Error(`${refused} subscriptions refused`);
      },
    );
  }

  /** Resolves once every box has seen its connection close (a broker that stopped). */
  allDown(): Promise<void> {
    return Promise.all(
      this.boxes.map(
        (box) => new Promise<void>((resolve) => (box.client.connected ? box.client.once('close', resolve) : resolve())),
      ),
    ).then(() => {});
  }

  figures(): FleetFigures {
    const times = this.boxes.map((box) => box.backAt ?? Infinity).sort((a, b) => a - b);
    const at = (share: number) => times[Math.min(times.length - 1, Math.ceil(share * times.length) - 1)]!;
    return {
      ...this.counts,
      allBackMs: times[times.length - 1]!,
      p50Ms: at(0.5),
      p99Ms: at(0.99),
      sessionsKept: this.boxes.filter((box) => box.backAt !== null && box.sessionPresent).length,
      peakRssMiB: Math.round(this.peakRss / 2 ** 20),
    };
  }

  /** Ends every box at once, without a DISCONNECT. */
  close(): void {
    clearInterval(this.rssSampler);
    for (const box of this.boxes) box.client.end(true);
  }

  private sampleRss(): void {
    this.peakRss = Math.max(this.peakRss, process.memoryUsage.rss());
  }
}
